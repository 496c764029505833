"""contributions: what each part of the spiking model adds, as paired differences over seeds."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..runner.contributions import contribution_rows
from ..runner.report import budget_span
from ..runner.storage import summary_rows
from ._data import SkipFigure
from .style import add_caption, apply_style, save_figure


def contributions(records, out_dir):
    """One panel per task: each contrast (learner against control, the named contrasts
    first) as its mean paired difference of test accuracy with the 95 % CI."""
    contrib = contribution_rows(summary_rows(records))
    if not contrib:
        raise SkipFigure("no learner has runs next to a control (snn-frozen, snn-random, "
                         "ref-kmeans)")
    apply_style()
    tasks = list(dict.fromkeys(r["task"] for r in contrib))
    labels = list(dict.fromkeys(
        (f"{r['part']}: " if r["part"] else "") + f"{r['with_model']} − {r['without_model']}"
        for r in contrib))
    ncol = min(4, len(tasks))
    nrow = math.ceil(len(tasks) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.6 * ncol + 2.6, 0.26 * len(labels) * nrow
                                                  + 1.2 * nrow), sharey=True, squeeze=False)
    for ax in axes.ravel()[len(tasks):]:
        ax.set_visible(False)
    ypos = {lab: i for i, lab in enumerate(labels)}
    n_seeds = set()
    for ax, task in zip(axes.ravel(), tasks, strict=False):
        for r in (r for r in contrib if r["task"] == task):
            lab = (f"{r['part']}: " if r["part"] else "") + \
                f"{r['with_model']} − {r['without_model']}"
            y = ypos[lab]
            n_seeds.add(r["n"])
            color = "#d62728" if r["part"] else "#555555"
            if not math.isnan(r["ci_low"]):
                ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=color, lw=1.2)
            ax.plot(r["diff_mean"], y, "o", ms=4, color=color,
                    mfc=color if r["significant"] else "white")
        ax.axvline(0.0, color="k", lw=0.8)
        ax.set_title(task)
        ax.set_xlabel("Δ test accuracy")
    axes[0, 0].set_yticks(np.arange(len(labels)), labels)
    axes[0, 0].set_ylim(len(labels) - 0.5, -0.5)  # shared: the named contrasts on top
    fig.tight_layout(h_pad=1.5)
    budgets: dict[str, tuple[list, list]] = {}
    for r in contrib:
        for side in ("with", "without"):
            pres, eps = budgets.setdefault(r[f"{side}_model"], ([], []))
            pres.append(r[f"{side}_presentations"])
            eps.append(r[f"{side}_epochs"])
    caption = (
        "What each part contributes: per task, the paired difference of test accuracy "
        "(first model − second, same data per seed), dot = mean over seeds, bar = its 95 % "
        "t-based CI; filled = the CI excludes 0 (n = "
        f"{', '.join(map(str, sorted(n_seeds)))} seeds). Red rows answer the named questions "
        "(hidden plasticity: snn-stdp − snn-frozen; data-point init: snn-frozen − snn-random; "
        "readout rules against snn-stdp; spiking: snn-stdp − its non-spiking k-means twin); "
        "grey rows set every other learner against every control. Training budget per fit "
        "(range over the tasks): " + "; ".join(f"{m} {budget_span(*b)}"
                                               for m, b in budgets.items())
    )
    add_caption(fig, caption)
    return save_figure(fig, out_dir, "contributions"), caption
