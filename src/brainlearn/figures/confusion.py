"""confusion_matrix: which classes each model mistakes for which, on one multi-class task."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ._data import SkipFigure, at_headline, families, group, order_models, payload, with_payload
from .style import add_caption, apply_style, save_figure

#: the task drawn, in order of preference (else the task with the most classes)
CONFUSION_TASKS = ["digits", "iris", "digits-parity"]


def confusion_task(records) -> str:
    """The task the figure shows: the first of :data:`CONFUSION_TASKS` with a payload, else
    the one with the most classes (ties: by name)."""
    tasks = {r.task: len(payload(r, "confusion_matrix")["classes"]) for r in records}
    for t in CONFUSION_TASKS:
        if t in tasks:
            return t
    return sorted(tasks, key=lambda t: (-tasks[t], t))[0]


def summed_confusion(records) -> tuple[list, np.ndarray]:
    """The classes and the confusion counts summed over ``records`` (one task and model;
    every record must list the same classes)."""
    classes, total = None, None
    for r in records:
        p = payload(r, "confusion_matrix")
        counts = np.asarray(p["counts"], dtype=np.int64)
        if classes is None:
            classes, total = list(p["classes"]), counts.copy()
        elif list(p["classes"]) != classes:
            raise ValueError(f"run {r.run_id} ({r.model}, seed {r.seed}) has "
                             f"classes {p['classes']}, another seed {classes}")
        else:
            total += counts
    return classes, total


def row_normalised(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (the fraction of a true class given each answer); a row
    without samples stays 0."""
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, n, out=np.zeros_like(counts), where=n > 0)


def confusion_matrix(records, out_dir, columns: int = 4):
    """One panel per model on one task: the confusion matrix summed over seeds and
    row-normalised, with the model's mean test accuracy over those seeds in its title."""
    recs = at_headline(with_payload(records, "confusion_matrix"))
    if not recs:
        raise SkipFigure("no run recorded a confusion matrix")
    apply_style()
    task = confusion_task(recs)
    recs = [r for r in recs if r.task == task]
    models = order_models(recs)
    fam = families(recs)
    cells = group(recs, "model")
    ncol = min(columns, len(models))
    nrow = math.ceil(len(models) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.5 * ncol + 0.8, 2.6 * nrow),
                             squeeze=False)
    im, n_seeds = None, set()
    for k, ax in enumerate(axes.ravel()):
        if k >= len(models):
            ax.set_axis_off()
            continue
        m = models[k]
        rs = cells[(m,)]
        classes, counts = summed_confusion(rs)
        frac = row_normalised(counts)
        acc = float(np.mean([r.test_accuracy for r in rs]))
        n_seeds.add(len(rs))
        ax.grid(False)
        im = ax.imshow(frac, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
        if len(classes) <= 5:  # few classes: the fractions fit in the cells
            for i in range(len(classes)):
                for j in range(len(classes)):
                    ax.text(j, i, f"{frac[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if frac[i, j] > 0.6 else "black")
        ticks = range(len(classes))
        ax.set_xticks(ticks, [str(c) for c in classes], fontsize=6)
        ax.set_yticks(ticks, [str(c) for c in classes], fontsize=6)
        ax.set_title(f"{m} ({fam[m]})\nmean accuracy {acc:.3f}, {len(rs)} seed"
                     f"{'s' if len(rs) != 1 else ''}", fontsize=7)
        if k % ncol == 0:
            ax.set_ylabel("true class")
        if k >= len(models) - ncol:
            ax.set_xlabel("predicted class")
    fig.colorbar(im, ax=axes, shrink=0.6, label="fraction of the true class")
    seeds = ", ".join(map(str, sorted(n_seeds)))
    caption = (
        f"Confusion matrices on the {task} task, one panel per model: row = true class, "
        "column = predicted class; the counts of the held-out test predictions are summed over "
        f"seeds ({seeds} per model) and each row is divided by its sum, so the diagonal is "
        "the fraction of each class recognised and an off-diagonal cell the fraction taken "
        "for another class. The title gives the model's test accuracy, mean over the seeds."
    )
    add_caption(fig, caption, width=int(30 * ncol) + 20)
    return save_figure(fig, out_dir, "confusion_matrix"), caption
