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


def _label(r) -> str:
    return (f"{r['part']}: " if r["part"] else "") + f"{r['with_model']} − {r['without_model']}"


def _draw(contrib, tasks, labels):
    """One panel per task, the contrasts ``labels`` as rows, one x scale for every panel
    (so a difference reads the same everywhere); returns (fig, numbers of seeds)."""
    ncol = min(4, len(tasks))
    nrow = math.ceil(len(tasks) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.4 * ncol + 2.8, 0.24 * len(labels) * nrow
                                                  + 1.1 * nrow), sharex=True, sharey=True,
                             squeeze=False)
    for ax in axes.ravel()[len(tasks):]:
        ax.set_visible(False)
    ypos = {lab: i for i, lab in enumerate(labels)}
    n_seeds = set()
    lo, hi = 0.0, 0.0
    for ax, task in zip(axes.ravel(), tasks, strict=False):
        for r in (r for r in contrib if r["task"] == task and _label(r) in ypos):
            y = ypos[_label(r)]
            n_seeds.add(r["n"])
            color = "#d62728" if r["part"] else "#555555"
            if not math.isnan(r["ci_low"]):
                ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=color, lw=1.2)
                lo, hi = min(lo, r["ci_low"]), max(hi, r["ci_high"])
            lo, hi = min(lo, r["diff_mean"]), max(hi, r["diff_mean"])
            ax.plot(r["diff_mean"], y, "o", ms=4, color=color,
                    mfc=color if r["significant"] else "white")
        ax.axvline(0.0, color="k", lw=0.8)
        ax.set_title(task)
    for ax in axes[-1]:
        ax.set_xlabel("Δ test accuracy")
    for ax in axes.ravel()[len(tasks) - ncol:len(tasks)]:
        ax.set_xlabel("Δ test accuracy")
        ax.tick_params(labelbottom=True)
    pad = 0.05 * (hi - lo or 1.0)
    axes[0, 0].set_xlim(lo - pad, hi + pad)
    axes[0, 0].set_yticks(np.arange(len(labels)), labels)
    axes[0, 0].set_ylim(len(labels) - 0.5, -0.5)  # shared: in the order of the table
    fig.tight_layout(h_pad=1.2)
    return fig, n_seeds


def contributions(records, out_dir):
    """The named contrasts (what hidden plasticity, the initialisation, the readout rule and
    spiking add), one panel per task on one x scale, as mean paired differences of test
    accuracy with their 95 % CIs; every learner against every control is drawn beside it
    as ``contributions_all``."""
    contrib = contribution_rows(summary_rows(records))
    if not contrib:
        raise SkipFigure("no learner has runs next to a control (snn-frozen, snn-random, "
                         "ref-kmeans)")
    apply_style()
    tasks = list(dict.fromkeys(r["task"] for r in contrib))
    every = list(dict.fromkeys(_label(r) for r in contrib))
    named = [lab for lab in every if any(_label(r) == lab and r["part"] for r in contrib)]
    budgets: dict[str, tuple[list, list]] = {}
    for r in contrib:
        for side in ("with", "without"):
            pres, eps = budgets.setdefault(r[f"{side}_model"], ([], []))
            pres.append(r[f"{side}_presentations"])
            eps.append(r[f"{side}_epochs"])
    budget = ("Training budget per fit (range over the tasks): "
              + "; ".join(f"{m} {budget_span(*b)}" for m, b in budgets.items()))
    fig, n_seeds = _draw(contrib, tasks, named or every)
    questions = "; ".join(dict.fromkeys(
        f"{r['part']}: {r['with_model']} − {r['without_model']}" for r in contrib if r["part"]))
    caption = (
        "What each part contributes: per task, the paired difference of test accuracy "
        "(first model − second, same data per seed), dot = mean over seeds, bar = its 95 % "
        "t-based CI; filled = the CI excludes 0 (n = "
        f"{', '.join(map(str, sorted(n_seeds)))} seeds); one x scale for every panel. "
        + (f"The named questions: {questions}. " if questions else "")
        + ("Every other learner against every control: contributions_all.png. "
           if len(every) > len(named) and named else "")
        + budget
    )
    add_caption(fig, caption)
    paths = save_figure(fig, out_dir, "contributions")
    if named and len(every) > len(named):
        fig, _ = _draw(contrib, tasks, every)
        add_caption(fig, "Every contrast (see contributions.png): red rows answer the named "
                    "questions, grey rows set every other learner against every control; "
                    "dot = mean paired difference, bar = 95 % CI, filled = the CI excludes "
                    "0; one x scale for every panel. " + budget)
        paths += save_figure(fig, out_dir, "contributions_all")
    return paths, caption
