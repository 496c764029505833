"""accuracy_by_task and data_scarcity: test accuracy with 95 % confidence intervals over seeds."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ..runner.stats import describe
from ..tasks import task_info
from ._data import SkipFigure, at_headline, families, group, order_models, order_tasks
from .style import (
    MODEL_HATCHES,
    add_caption,
    apply_style,
    family,
    family_linestyle,
    family_rank,
    linestyle_key,
    model_color,
    save_figure,
)


def _ceiling(tops) -> float:
    """Top of an accuracy axis: 1.02, or higher when a confidence interval passes 1.0 (it
    is drawn whole, not cut at the axis)."""
    tops = [t for t in tops if t is not None and math.isfinite(t)]
    return max(1.02, max(tops, default=0.0) + 0.01)


def _chance_phrase(tasks) -> str:
    chance = {t: 1.0 / task_info(t).n_classes for t in tasks}
    if len(set(chance.values())) == 1:
        return f"dotted = chance ({next(iter(chance.values())):.2g})"
    return "dotted = chance, 1/K for a task of K classes"


def accuracy_by_task(records, out_dir):
    """One panel per model family, tasks along x: each model's mean test accuracy with its
    t-based 95 % CI over seeds (whiskers drawn whole, even past 1.0), the single seeds as
    dots; the families share the y axis, so the panels compare at a glance."""
    recs = at_headline(records)
    if not recs:
        raise SkipFigure("no runs recorded")
    apply_style()
    tasks = order_tasks(r.task for r in recs)
    models = order_models(recs)
    fam = families(recs)
    fams = sorted(set(fam.values()), key=family_rank)
    cells = group(recs, "task", "model")
    per_family = {f: [m for m in models if fam[m] == f] for f in fams}
    widest = max(len(ms) for ms in per_family.values())
    fig, axes = plt.subplots(len(fams), 1, figsize=(max(6.5, 1.15 * len(tasks) + 3.2),
                                                     1.85 * len(fams) + 0.4),
                             sharex=True, sharey=True, squeeze=False)
    n_seeds, tops, past_one = set(), [], False
    chance = [1.0 / task_info(t).n_classes for t in tasks]
    for ax, f in zip(axes[:, 0], fams, strict=True):
        ms = per_family[f]
        width = 0.8 / max(widest, 1)
        for j, m in enumerate(ms):
            xs, means, errs = [], [], []
            for i, t in enumerate(tasks):
                rs = cells.get((t, m))
                if not rs:
                    continue
                accs = [r.test_accuracy for r in rs]
                d = describe(accs)
                n_seeds.add(d["n"])
                x = i - 0.4 * len(ms) / widest + width * (j + 0.5)
                hw = 0.0 if math.isnan(d["half_width"]) else d["half_width"]
                xs.append(x)
                means.append(d["mean"])
                errs.append(hw)
                tops.append(d["mean"] + hw)
                past_one |= d["mean"] + hw > 1.0
                ax.scatter(np.full(len(accs), x), accs, s=5, color="k", alpha=0.45, zorder=3,
                           linewidths=0)
            ax.bar(xs, means, width * 0.9, yerr=errs, capsize=1.5,
                   color=model_color(m, f), hatch=MODEL_HATCHES[j % len(MODEL_HATCHES)],
                   edgecolor="white", linewidth=0.3, label=m, error_kw={"elinewidth": 0.8})
        for i, c in enumerate(chance):
            ax.hlines(c, i - 0.45, i + 0.45, color="k", lw=0.8, ls=":")
        ax.axhline(1.0, color="#999999", lw=0.6)
        ax.set_title(f"{f}" + (f": {family(f).what}" if family(f).what else ""), loc="left",
                     fontsize=8, color=family(f).color, fontweight="bold", pad=3)
        ax.set_ylabel("test accuracy", fontsize=8)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.02), fontsize=7,
                  handlelength=1.4, handleheight=1.0)
    lowest = min([*chance, *(r.test_accuracy for r in recs)])
    axes[0, 0].set_ylim(min(0.3, max(0.0, np.floor(10 * lowest - 0.5) / 10)), _ceiling(tops))
    axes[-1, 0].set_xticks(range(len(tasks)), tasks)
    axes[-1, 0].set_xlim(-0.55, len(tasks) - 0.45)
    fig.tight_layout(h_pad=0.6)
    caption = (
        "Test accuracy per task, one panel per model family (bar colours and hatches tell "
        "the family's models apart): bar = mean over seeds, whisker = 95 % confidence "
        "interval (Student's t, mean ± t(0.975, n-1)·sd/√n), dots = single seeds "
        f"(n = {', '.join(map(str, sorted(n_seeds)))}); {_chance_phrase(tasks)}; grey line = "
        "1.0."
        + (" A whisker above 1.0 is the interval as computed (accuracy itself cannot pass "
           "1.0): with few seeds and one seed below the others the t interval is wide."
           if past_one else "")
        + (" seed-random has labels independent of the input: chance is the right answer "
           "there." if "seed-random" in tasks else "")
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
    tops: list[float] = []
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
            tops.extend(hi)
            c = model_color(m, fam[m])
            ax.plot(xs, mean, marker="o", ms=3, color=c, ls=family_linestyle(fam[m]),
                    label=f"{m} ({fam[m]})")
            ax.fill_between(xs, lo, hi, color=c, alpha=0.15, lw=0)
        ax.axhline(0.5, color="k", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_title(t)
        ax.set_xlabel("training samples")
    for ax in axes[0]:
        ax.set_ylim(0.3, _ceiling(tops))
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
