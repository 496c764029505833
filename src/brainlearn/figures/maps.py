"""decision_boundaries and receptive_fields: what the models compute over the input square,
or, for image tasks, which pixels drive each hidden unit."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from ._data import (
    SkipFigure,
    families,
    one_per_cell,
    order_models,
    order_tasks,
    payload,
    showcase,
    with_payload,
)
from .style import (
    CLASS_COLORS,
    PROBA_CMAP,
    add_caption,
    apply_style,
    family,
    family_rank,
    save_figure,
)


def _boundary_panel(ax, r, title: str | None = None):
    """One decision-boundary panel: P(y=1) over [0,1]^2, its 0.5 contour, test points and
    the run's test accuracy; returns the image (for a colour bar)."""
    ax.grid(False)
    ax.set_aspect("equal")
    p = payload(r, "decision_boundaries")
    axis = np.asarray(p["axis"])
    proba = np.asarray(p["proba"])
    im = ax.imshow(proba, origin="lower", extent=(0, 1, 0, 1), cmap=PROBA_CMAP,
                   vmin=0, vmax=1, interpolation="bilinear")
    if proba.min() < 0.5 < proba.max():
        ax.contour(axis, axis, proba, levels=[0.5], colors="k", linewidths=0.8)
    X = np.asarray(p["X"])
    y = np.asarray(p["y"])
    for c in (0, 1):
        sel = y == c
        ax.scatter(X[sel, 0], X[sel, 1], s=3, color=CLASS_COLORS[c],
                   edgecolors="white", linewidths=0.2)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.text(0.02, 0.02, f"{r.test_accuracy:.2f}", transform=ax.transAxes,
            fontsize=7, bbox={"fc": "white", "alpha": 0.7, "lw": 0, "pad": 1})
    ax.set_xticks([0, 1])
    ax.set_yticks([0, 1])
    if title:
        ax.set_title(title, fontsize=8)
    return im


def _outer_labels(axes) -> None:
    """Tick labels on the outer panels only, as shared axes would give. The panels are
    not shared: every one has the same limits and ticks already, and shared axes pass
    each limit and tick change to every sibling (150 panels: 30 of the figure's 33 s)."""
    for ax in axes.flat:
        ax.label_outer()


def _best_of_families(recs, tasks) -> dict[str, str]:
    """Per family, the model that stands for it, chosen without looking at test scores:
    the first of its declared representatives (:data:`brainlearn.runner.stats.FAMILY_ORDER`)
    that has runs on the tasks shown, else the first of its models in the report's order
    (one model per family, the same on every task)."""
    from ..runner.stats import FAMILY_ORDER

    fam = families(recs)
    shown = {r.model for r in recs if r.task in tasks}
    chosen: dict[str, str] = {}
    for f in sorted(set(fam.values())):
        declared = [m for m in FAMILY_ORDER.get(f, ()) if m in shown and fam.get(m) == f]
        rest = [m for m in order_models(recs) if m in shown and fam[m] == f]
        if declared or rest:
            chosen[f] = (declared or rest)[0]
    return chosen


def decision_boundaries(records, out_dir):
    """The compact figure: tasks x families, one model standing for each family (chosen
    without test scores: :func:`_best_of_families`); the full grid tasks x every model is
    written beside it as ``decision_boundaries_all``."""
    recs = with_payload(records, "decision_boundaries")
    if not recs:
        raise SkipFigure("no run recorded a decision-boundary grid (2-D tasks only)")
    apply_style()
    cells = one_per_cell(recs)
    tasks = order_tasks(t for t, _ in cells)
    models = order_models(recs)
    fam = families(recs)
    best = _best_of_families(recs, tasks)
    fams = sorted(best, key=family_rank)
    # the compact figure: one column per family
    fig, axes = plt.subplots(len(tasks), len(fams), figsize=(1.9 * len(fams) + 1.0,
                                                              1.9 * len(tasks)),
                             squeeze=False)
    im = None
    for i, t in enumerate(tasks):
        for j, f in enumerate(fams):
            ax = axes[i][j]
            r = cells.get((t, best[f]))
            if r is None:
                ax.set_axis_off()
                continue
            im = _boundary_panel(ax, r, f"{f}\n{best[f]}" if i == 0 else None)
            if j == 0:
                ax.set_ylabel(t)
    _outer_labels(axes)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.5, label="P(y = 1)")
    n_models = len(models)
    caption = (
        "Decision boundaries over the input square [0,1]^2, one model per family (its "
        "declared representative, chosen before any result, the same on every task): "
        "colour = predicted P(y = 1), black line = the 0.5 boundary, dots = "
        "held-out test points coloured by their true class; the number is the test "
        "accuracy. One seed (the lowest) per panel."
        + (f" All {n_models} models: decision_boundaries_all.png." if n_models > len(fams)
           else "")
    )
    add_caption(fig, caption, width=int(25 * max(len(fams), 4)) + 20)
    paths = save_figure(fig, out_dir, "decision_boundaries")
    # the full grid: tasks x every model
    fig, axes = plt.subplots(len(tasks), len(models), figsize=(1.9 * len(models) + 0.6,
                                                                1.9 * len(tasks)),
                             squeeze=False)
    for i, t in enumerate(tasks):
        for j, m in enumerate(models):
            ax = axes[i][j]
            r = cells.get((t, m))
            if r is None:
                ax.set_axis_off()
                continue
            im = _boundary_panel(ax, r, f"{m}\n({fam[m]})" if i == 0 else None)
            if j == 0:
                ax.set_ylabel(t)
    _outer_labels(axes)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.5, label="P(y = 1)")
    add_caption(fig, "Decision boundaries of every model (see decision_boundaries.png): "
                "colour = P(y = 1), black line = 0.5, dots = test points, number = test "
                "accuracy; one seed (the lowest) per panel.",
                width=int(25 * len(models)) + 20)
    paths += save_figure(fig, out_dir, "decision_boundaries_all")
    return paths, caption


def receptive_fields(records, out_dir, units: int = 8, image_units: int = 16):
    """Receptive fields on one task (the showcase task): for a 2-D task, hidden-unit
    responses over the input square, one row per model (``units`` per row); for an image
    task, each unit's response-weighted average image, a block of ``image_units`` per model
    (:func:`receptive_images`)."""
    recs = with_payload(records, "receptive_fields")
    if not recs:
        raise SkipFigure("no run recorded hidden responses (2-D or image tasks only)")
    apply_style()
    task, cells, models = showcase(recs)
    fam = families(recs)
    if any(payload(cells[(task, m)], "receptive_fields").get("kind") == "image"
           for m in models):
        return receptive_images(task, cells, models, fam, out_dir, image_units)
    fig, axes = plt.subplots(len(models), units, figsize=(1.25 * units + 1.2, 1.35 * len(models)),
                             squeeze=False)
    for i, m in enumerate(models):
        p = payload(cells[(task, m)], "receptive_fields")
        resp = np.asarray(p["responses"], dtype=float)  # unit, x2, x1
        # show the most selective units first: largest spread of the response
        spread = resp.reshape(len(resp), -1).std(1)
        order = np.argsort(-spread, kind="stable")[:units]
        for j in range(units):
            ax = axes[i][j]
            ax.grid(False)
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(order):
                ax.set_axis_off()
                continue
            u = order[j]
            field = resp[u]
            ax.imshow(field, origin="lower", extent=(0, 1, 0, 1), cmap="magma",
                      vmin=0, vmax=max(field.max(), 1e-12), interpolation="bilinear")
            ax.set_title(f"unit {u}", fontsize=6, pad=2)
            if j == 0:
                kind = "spike count" if family(fam[m]).spiking else "activation"
                ax.set_ylabel(f"{m}\n{kind}", fontsize=7)
    caption = (
        f"Receptive fields on the {task} task: the response of each hidden unit over the input "
        "square [0,1]^2 (MLP: first-layer activation; spiking network: hidden spike count "
        "per presentation), brightest = strongest; the units with the most varied response are "
        f"shown, up to {units} per model, each scaled to its own maximum. One seed."
    )
    add_caption(fig, caption, width=int(18 * units) + 20)
    return save_figure(fig, out_dir, "receptive_fields"), caption


def _most_structured(images: np.ndarray, live: np.ndarray, k: int) -> np.ndarray:
    """Indices of up to ``k`` units with a response, the most structured image (largest
    pixel spread) first."""
    spread = images.reshape(len(images), -1).std(1)
    order = np.argsort(-spread, kind="stable")
    return order[live[order]][:k]


def receptive_images(task, cells, models, fam, out_dir, image_units: int = 16):
    """A block of ``image_units`` images per model, models side by side (four blocks per
    row): each hidden unit's response-weighted average test image minus the mean image,
    red = pixels whose ink drives the unit, blue = pixels whose ink silences it."""
    cols = math.ceil(math.sqrt(image_units))
    rows = math.ceil(image_units / cols)
    per_row = min(4, len(models))
    fig = plt.figure(figsize=(per_row * (0.62 * cols + 0.3) + 0.8,
                              math.ceil(len(models) / per_row) * (0.62 * rows + 0.7)))
    subs = np.atleast_1d(fig.subfigures(math.ceil(len(models) / per_row), per_row,
                                        squeeze=False).ravel())
    shape = None
    for k, sub in enumerate(subs):
        if k >= len(models):
            continue
        m = models[k]
        p = payload(cells[(task, m)], "receptive_fields")
        images = np.asarray(p["images"], dtype=float)
        shape = tuple(p["shape"])
        live = np.asarray(p["response_range"], dtype=float) > 0
        order = _most_structured(images, live, image_units)
        axes = sub.subplots(rows, cols, squeeze=False)
        for j, ax in enumerate(axes.ravel()):
            ax.set_axis_off()
            if j >= len(order):
                continue
            img = images[order[j]]
            lim = max(float(np.abs(img).max()), 1e-12)
            ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        kind = "spike-triggered" if family(fam[m]).spiking else "activation-weighted"
        of = f" (of {p['n_hidden']})" if p["n_hidden"] > len(live) else ""
        sub.suptitle(f"{m} ({fam[m]})\n{kind}; {int(live.sum())} of {len(live)} units "
                     f"respond{of}", fontsize=7)
    side = "x".join(map(str, shape)) if shape else ""
    caption = (
        f"Receptive fields on the {task} task as {side} images: for each hidden unit, the "
        "average of the held-out test images weighted by the unit's response (spiking "
        "networks: hidden spike count per presentation, a spike-triggered average; MLP: "
        "first-layer activation, shifted so its smallest value is 0), minus the mean test "
        "image. Red pixels drive the unit, blue ones silence it; each image is scaled to its "
        f"own largest magnitude. Up to {image_units} units per model, the most structured "
        "first; units that respond the same to every image are left out. One seed (the "
        "lowest)."
    )
    add_caption(fig, caption, width=int(22 * per_row * cols / 4) + 40)
    return save_figure(fig, out_dir, "receptive_fields"), caption
