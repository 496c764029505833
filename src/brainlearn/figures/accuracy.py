"""accuracy_by_task and data_scarcity: test accuracy with 95 % confidence intervals over seeds."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..runner.stats import describe
from ..tasks import task_info
from ._data import SkipFigure, at_headline, families, group, order_models, order_tasks
from .style import (
    add_caption,
    apply_style,
    family_linestyle,
    linestyle_key,
    model_color,
    save_figure,
)


def accuracy_by_task(records, out_dir):
    """Grouped bars: models x tasks, mean test accuracy with its t-based 95 % CI over seeds;
    the dots are the single seeds."""
    recs = at_headline(records)
    if not recs:
        raise SkipFigure("no runs recorded")
    apply_style()
    tasks = order_tasks(r.task for r in recs)
    models = order_models(recs)
    fam = families(recs)
    cells = group(recs, "task", "model")
    fig, ax = plt.subplots(figsize=(max(6.0, 1.25 * len(tasks) + 2), 3.6))
    width = 0.8 / max(len(models), 1)
    n_seeds = set()
    for j, m in enumerate(models):
        xs, means, errs = [], [], []
        for i, t in enumerate(tasks):
            rs = cells.get((t, m))
            if not rs:
                continue
            accs = [r.test_accuracy for r in rs]
            d = describe(accs)
            n_seeds.add(d["n"])
            x = i - 0.4 + width * (j + 0.5)
            xs.append(x)
            means.append(d["mean"])
            errs.append(0.0 if math.isnan(d["half_width"]) else d["half_width"])
            ax.scatter(np.full(len(accs), x), accs, s=6, color="k", alpha=0.45, zorder=3,
                       linewidths=0)
        ax.bar(xs, means, width * 0.92, yerr=errs, capsize=2, color=model_color(m, fam[m]),
               label=f"{m} ({fam[m]})", error_kw={"elinewidth": 0.8})
    chance = [1.0 / task_info(t).n_classes for t in tasks]
    if len(set(chance)) == 1:
        ax.axhline(chance[0], color="k", lw=0.8, ls=":", label="chance")
    else:  # K classes: chance is 1/K, drawn under each task's bars
        for i, c in enumerate(chance):
            ax.hlines(c, i - 0.45, i + 0.45, color="k", lw=0.8, ls=":",
                      label="chance (1/K)" if i == 0 else None)
    lowest = min([*chance, *(r.test_accuracy for r in recs)])
    ax.set_xticks(range(len(tasks)), tasks)
    ax.set_ylim(min(0.3, max(0.0, np.floor(10 * lowest - 0.5) / 10)), 1.02)
    ax.set_ylabel("test accuracy")
    ax.legend(ncol=min(len(models) + 1, 6), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    caption = (
        "Test accuracy per task and model: bar = mean over seeds, whisker = 95 % confidence "
        "interval (Student's t, mean ± t(0.975, n-1)·sd/√n), dots = single seeds "
        f"(n = {', '.join(map(str, sorted(n_seeds)))}); dotted = chance, 1/K for a task of K "
        "classes. seed-random has labels independent of the input: 0.5 is the right answer "
        "there."
    )
    add_caption(fig, caption)
    return save_figure(fig, out_dir, "accuracy_by_task"), caption


def data_scarcity(records, out_dir):
    """Test accuracy against the number of training samples, for tasks run at >= 3 sizes."""
    by_task = group(records, "task")
    tasks = [t for (t,), rs in by_task.items() if len({int(r.n_train) for r in rs}) >= 3]
    if not tasks:
        raise SkipFigure("no task was run at three or more training-set sizes")
    apply_style()
    tasks = order_tasks(tasks)
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.6 * len(tasks), 3.2), squeeze=False)
    for ax, t in zip(axes[0], tasks, strict=True):
        recs = by_task[(t,)]
        fam = families(recs)
        for m in order_models(recs):
            sizes = sorted({int(r.n_train) for r in recs if r.model == m})
            xs, mean, lo, hi = [], [], [], []
            for n in sizes:
                rs = [r for r in recs if r.model == m and int(r.n_train) == n]
                d = describe(r.test_accuracy for r in rs)
                xs.append(np.mean([(r.n_train_actual or n) for r in rs]))
                mean.append(d["mean"])
                hw = 0.0 if math.isnan(d["half_width"]) else d["half_width"]
                lo.append(d["mean"] - hw)
                hi.append(d["mean"] + hw)
            c = model_color(m, fam[m])
            ax.plot(xs, mean, marker="o", ms=3, color=c, ls=family_linestyle(fam[m]),
                    label=f"{m} ({fam[m]})")
            ax.fill_between(xs, lo, hi, color=c, alpha=0.15, lw=0)
        ax.axhline(0.5, color="k", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_title(t)
        ax.set_xlabel("training samples")
        ax.set_ylim(0.3, 1.02)
    axes[0][0].set_ylabel("test accuracy")
    axes[0][-1].legend(loc="lower right")
    caption = (
        "Data scarcity: test accuracy against the number of training samples (log scale), "
        "mean over seeds with the 95 % t-based confidence band; every size is tested on the "
        "same held-out set. "
        + linestyle_key(families(r for t in tasks for r in by_task[(t,)]).values())
    )
    add_caption(fig, caption, width=40 * len(tasks) + 40)
    return save_figure(fig, out_dir, "data_scarcity"), caption
