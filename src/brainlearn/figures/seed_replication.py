"""Figure of the seed replication, drawn from ``results/seed_replication.json`` only.

Written by ``experiments/seed_replication.py``; see that script for how the numbers are made.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .style import apply_style, model_color, save_figure

__all__ = ["plot_seed_replication"]

CAPTION = (
    "Seed task: X = rand(1000, 2), y = round(rand(1000)); labels are independent of X, so "
    "~0.5 test accuracy is the correct answer (training accuracy above it is memorisation). "
    "Test on a fresh rand(100, 2). Right: the same 2-5-1 relu/sigmoid Adam configuration "
    "on learnable tasks (n_train = n_test = 1000)."
)


def plot_seed_replication(results_path, out_dir, name: str = "seed_replication") -> list[Path]:
    """Draw the seed-replication figure from its saved results.

    Parameters
    ----------
    results_path : path
        JSON written by ``experiments/seed_replication.py``.
    out_dir : path
        Directory that receives ``<name>.png`` and ``<name>.svg``.

    Returns
    -------
    list of Path
        The written files.
    """
    res = json.loads(Path(results_path).read_text())
    apply_style()
    import matplotlib.pyplot as plt

    color = model_color(res["model"], "mlp")
    runs = res["tasks"]["seed-random"]
    fig, (ax_loss, ax_acc, ax_tasks) = plt.subplots(
        1, 3, figsize=(12, 3.8), gridspec_kw={"width_ratios": [1, 1, 1.2]}
    )

    # --- loss and training accuracy per epoch on random labels
    for k, r in enumerate(runs):
        h = r["history"]
        epochs = np.arange(1, len(h["loss"]) + 1)
        label = "per seed" if k == 0 else None
        ax_loss.plot(epochs, h["loss"], color=color, alpha=0.45, lw=1, label=label)
        ax_acc.plot(epochs, h["train_accuracy"], color=color, alpha=0.45, lw=1, label=label)
    loss = np.mean([r["history"]["loss"] for r in runs], axis=0)
    acc = np.mean([r["history"]["train_accuracy"] for r in runs], axis=0)
    epochs = np.arange(1, len(loss) + 1)
    ax_loss.plot(epochs, loss, color="k", lw=1.5, label=f"mean of {len(runs)} seeds")
    ax_loss.axhline(np.log(2), color="grey", ls=":", lw=1, label="ln 2 (chance)")
    ax_loss.set(xlabel="epoch", ylabel="training loss (BCE)", title="Seed task: loss per epoch")
    ax_loss.legend(loc="upper right")

    ax_acc.plot(epochs, acc, color="k", lw=1.5, label="train, mean")
    test = np.array([r["test_accuracy"] for r in runs])
    x_test = np.full(len(test), epochs[-1] + 3.0)
    ax_acc.scatter(
        x_test, test, marker="D", s=22, color="#d62728", zorder=3, label="test, per seed"
    )
    ax_acc.axhline(
        test.mean(), color="#d62728", ls="--", lw=1, label=f"test mean {test.mean():.3f}"
    )
    ax_acc.axhline(0.5, color="grey", ls=":", lw=1, label="0.5 (chance)")
    ax_acc.set(
        xlabel="epoch",
        ylabel="accuracy",
        title="Seed task: accuracy per epoch",
        xlim=(0, epochs[-1] + 6),
    )
    ax_acc.legend(loc="upper left", ncol=2)

    # --- test accuracy per task, beside the Keras reference
    tasks = list(res["tasks"])
    ref = res.get("keras_reference", {})
    for i, task in enumerate(tasks):
        acc_t = np.array([r["test_accuracy"] for r in res["tasks"][task]])
        jitter = np.linspace(-0.12, 0.12, len(acc_t))
        first = i == 0
        ax_tasks.scatter(
            i - 0.15 + jitter,
            acc_t,
            s=14,
            color=color,
            alpha=0.8,
            label="brainlearn, per seed" if first else None,
        )
        ax_tasks.hlines(
            acc_t.mean(), i - 0.32, i + 0.02, color="k", lw=1.5,
            label="brainlearn, mean" if first else None,
        )  # fmt: skip
        if task in ref:
            r = ref[task]
            lo = r["mean"] - r.get("low", r["mean"])
            hi = r.get("high", r["mean"]) - r["mean"]
            ax_tasks.errorbar(
                i + 0.2, r["mean"], yerr=[[lo], [hi]], fmt="s", ms=5, color="#7f7f7f",
                capsize=3, label="Keras reference (mean, range)" if first else None,
            )  # fmt: skip
    ax_tasks.axhline(0.5, color="grey", ls=":", lw=1)
    ax_tasks.set_xticks(range(len(tasks)), tasks)
    ax_tasks.set(ylabel="test accuracy", ylim=(0.4, 1.02), title="Same configuration, all tasks")
    ax_tasks.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=7)

    fig.suptitle(f"Seed replication: {res['model']} (Numba MLP), {len(runs)} seeds", y=1.02)
    fig.text(0.5, -0.1, CAPTION, ha="center", va="top", wrap=True, fontsize=8)
    return save_figure(fig, out_dir, name)
