"""validation_vs_test: per tuned run, the best validation score its search found against the
test accuracy of the refitted configuration (the search over-fits where points fall below
the diagonal)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..runner.storage import summary_rows
from ._data import SkipFigure, order_tasks
from .style import add_caption, apply_style, model_color, save_figure


def validation_vs_test(records, out_dir):
    """One panel per task: each tuned model's runs (small dots) and their mean (large
    marker), validation score on x, test accuracy on y, the diagonal y = x."""
    rows = [r for r in summary_rows(records)
            if r.tune_trials is not None and r.validation_score is not None]
    if not rows:
        raise SkipFigure("no tuned runs recorded (a spec's [tune] with tune = true)")
    apply_style()
    tasks = order_tasks({r.task for r in rows})
    models = sorted({r.model for r in rows})
    fam = {r.model: r.family for r in rows}
    ncol = min(3, len(tasks))
    nrow = math.ceil(len(tasks) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 3.0 * nrow), squeeze=False)
    gaps = []
    for ax, t in zip(axes.flat, tasks, strict=False):
        here = [r for r in rows if r.task == t]
        lo = min(min(r.validation_score, r.test_accuracy) for r in here)
        lo = max(0.0, math.floor(lo * 20) / 20 - 0.02)
        ax.plot([lo, 1.0], [lo, 1.0], color="0.6", lw=0.8, ls="--", zorder=1)
        for m in models:
            rs = [r for r in here if r.model == m]
            if not rs:
                continue
            v = np.array([r.validation_score for r in rs])
            a = np.array([r.test_accuracy for r in rs])
            gaps.append(float(np.mean(v - a)))
            col = model_color(m, fam[m])
            ax.scatter(v, a, s=10, color=col, alpha=0.5, linewidths=0, zorder=2)
            ax.scatter(v.mean(), a.mean(), s=40, color=col, edgecolors="k", linewidths=0.5,
                       zorder=3, label=f"{m} ({fam[m]})")
        ax.set_xlim(lo, 1.005)
        ax.set_ylim(lo, 1.005)
        ax.set_title(t, fontsize=9)
        ax.set_xlabel("best validation score")
        ax.set_ylabel("test accuracy")
    for ax in list(axes.flat)[len(tasks):]:
        ax.set_visible(False)
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0 + 0.02 * nrow),
               ncol=min(4, len(labels)), fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    trials = sorted({int(r.tune_trials) for r in rows})
    caption = (
        f"Tuned runs ({'/'.join(map(str, trials))} trials each): the best validation score "
        "of each run's search (x) against the test accuracy of the configuration refitted "
        "on the whole training split (y); small dots are seeds, large markers their mean. "
        "Below the diagonal the search chose on validation noise (over-fitting of the "
        f"search); the mean validation − test difference over models and tasks is "
        f"{np.mean(gaps):+.3f}.")
    add_caption(fig, caption)
    return save_figure(fig, out_dir, "validation_vs_test"), caption
