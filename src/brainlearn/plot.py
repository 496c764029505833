"""Plots of a model fitted in one's own code: spike raster, receptive fields, weight
evolution and learning curves.

Each function takes a fitted estimator (any model with the members it reads; see
:mod:`brainlearn.runner.capabilities`), draws into ``ax`` (a new figure when ``ax`` is
None) and returns that :class:`matplotlib.axes.Axes`, so it composes with one's own
figures::

    import matplotlib.pyplot as plt
    from brainlearn import SurrogateSpikingClassifier, load_task, plot

    split = load_task("xor", n_train=400, n_test=200, seed=0)
    model = SurrogateSpikingClassifier(n_hidden=32, epochs=5, random_state=0)
    model.fit(split.X_train, split.y_train, eval_set=(split.X_test, split.y_test))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    plot.learning_curves(model, ax=axes[0])
    plot.spike_raster(model, split.X_test[:3], ax=axes[1])

============================  ===============================================================
function                      what the model needs
============================  ===============================================================
:func:`spike_raster`          ``record_spikes(X, trained=...)``, ``presentation_ms_``
:func:`receptive_fields`      ``hidden_response(X)``
:func:`weight_evolution`      ``weight_history_`` (and ``initial_weights_``, if it has them)
:func:`learning_curves`       ``history_`` with ``samples_seen`` and accuracies or loss
============================  ===============================================================

The figures of ``brainlearn figures`` (drawn from saved run records, not from models)
use the drawing functions here (:func:`draw_raster`, :func:`draw_weight_histograms`), so a
raster of one's own model looks like the runner's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .snn.names import PopulationName

__all__ = [
    "POPULATIONS",
    "STYLE",
    "apply_style",
    "draw_raster",
    "draw_weight_histograms",
    "learning_curves",
    "receptive_fields",
    "spike_raster",
    "weight_evolution",
]

#: the populations a raster shows, bottom to top, with their colours
POPULATIONS = (PopulationName.AFFERENT, PopulationName.HIDDEN, PopulationName.EFFERENT)
_POPULATION_COLORS = {PopulationName.AFFERENT: "#7f7f7f", PopulationName.HIDDEN: "#9467bd",
                      PopulationName.EFFERENT: "#d62728"}


#: matplotlib rcParams of every brainlearn figure, one's own plots and ``brainlearn
#: figures`` alike
STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 130,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "savefig.bbox": "tight",
    # stable SVG ids, so a figure rebuilt from the same results is the same file
    "svg.hashsalt": "brainlearn",
    # text stays text in SVG (smaller, faster to write, searchable)
    "svg.fonttype": "none",
}


def apply_style() -> None:
    """Set :data:`STYLE` in matplotlib's rcParams (idempotent)."""
    import matplotlib.pyplot as plt

    plt.rcParams.update(STYLE)


def _axes(ax, figsize=(6.0, 3.0)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    apply_style()
    _, ax = plt.subplots(figsize=figsize)
    return ax


def _need(model: Any, *names: str, what: str) -> None:
    absent = [n for n in names if not hasattr(model, n)]
    if absent:
        raise TypeError(f"{what} needs a fitted model with {', '.join(names)}; "
                        f"{type(model).__name__} has no {', '.join(absent)} (is it fitted?)")


# --------------------------------------------------------------------------- raster


def draw_raster(ax, spikes: Mapping[str, Mapping[str, Any]], presentation_ms: float | None = None,
                n_samples: int | None = None, labels: Sequence | None = None,
                tick_labels: bool = True, populations: Sequence[str] = POPULATIONS):
    """Draw the spike trains ``spikes`` (per population ``{"i", "t_ms", "n"}``, as
    ``record_spikes`` returns them) into ``ax``: the ``populations`` present, stacked
    bottom to top in that order (default :data:`POPULATIONS`), dotted lines between the
    presentations of ``n_samples`` samples of ``presentation_ms`` each, and each sample's
    label above it.
    Returns ``ax``."""
    ax.grid(False)
    order = [p for p in populations if p in spikes]
    offset = 0
    ticks, names = [], []
    for pop in order:
        d = spikes[pop]
        n = int(d["n"])
        t = np.asarray(d["t_ms"], dtype=float)
        i = np.asarray(d["i"], dtype=float)
        ax.scatter(t, offset + i, s=14, marker="|", linewidths=0.9,
                   color=_POPULATION_COLORS.get(pop, "#1f77b4"))
        ticks.append(offset + n / 2)
        names.append(f"{pop}\n(n={n})")
        offset += n
        ax.axhline(offset - 0.5, color="#cccccc", lw=0.5)
    if presentation_ms and np.isfinite(presentation_ms) and n_samples:
        for s in range(n_samples + 1):
            ax.axvline(s * presentation_ms, color="k", lw=0.5, ls=":")
        for s, label in enumerate(labels if labels is not None else []):
            ax.text((s + 0.5) * presentation_ms, offset + 0.5, f"y={label}", ha="center",
                    va="bottom", fontsize=6, clip_on=False)
        ax.set_xlim(0, n_samples * presentation_ms)
    ax.set_ylim(-0.5, offset + 0.5)
    ax.set_yticks(ticks, names if tick_labels else [""] * len(names), fontsize=6)
    ax.set_xlabel("time (ms)")
    return ax


def spike_raster(model, X, y=None, trained: bool = True, ax=None,
                 populations: Sequence[str] = POPULATIONS):
    """Spike raster of a fitted spiking model on the samples ``X`` (a few rows: they are
    presented one after another, as in ``predict``).

    Parameters
    ----------
    model : fitted estimator with ``record_spikes`` and ``presentation_ms_``
        :class:`~brainlearn.SpikingClassifier` or
        :class:`~brainlearn.SurrogateSpikingClassifier`.
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,), optional
        Labels written above each presentation.
    trained : bool, default=True
        False: the network with its initial weights (before learning).
    ax : matplotlib Axes, optional
    populations : list of str, default=POPULATIONS
        Which of the recorded populations to draw, bottom to top (a
        :class:`~brainlearn.SpikingClassifier` also records ``"inhibitory"``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(model, "record_spikes", "presentation_ms_", what="spike_raster")
    X = np.asarray(X)
    spikes = model.record_spikes(X, trained=trained)
    ax = _axes(ax, figsize=(6.0, 3.0))
    draw_raster(ax, spikes, float(model.presentation_ms_), len(X), labels=y,
                populations=populations)
    return ax


# ------------------------------------------------------------------ receptive fields


def _mosaic(images: np.ndarray, cols: int, pad: float = np.nan) -> np.ndarray:
    """Tiles ``images`` (k, h, w) into one array of ``cols`` columns, NaN between tiles."""
    k, h, w = images.shape
    rows = math.ceil(k / cols)
    out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), pad)
    for n in range(k):
        r, c = divmod(n, cols)
        out[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = images[n]
    return out


def receptive_fields(model, X=None, units: int = 16, image_shape: tuple[int, int] | None = None,
                     grid: int = 21, ax=None):
    """Receptive fields of the hidden units of a fitted model, tiled into one image.

    For 2-D inputs (``X`` None or of 2 features) each tile is a unit's response over a
    ``grid x grid`` grid of the input square [0, 1]^2 (x1 to the right, x2 up), scaled to
    its own maximum. For image inputs (``image_shape``, or features that form a square of
    side >= 4) each tile is the unit's response-weighted average of the rows of ``X``
    minus their mean (a spike-triggered average for spike counts): red pixels drive the
    unit, blue ones silence it. Units whose response varies most are shown first; units
    that respond the same to every input are left out.

    Parameters
    ----------
    model : fitted estimator with ``hidden_response(X)``
    X : array of shape (n_samples, n_features), optional
        Inputs (needed for image inputs; 2-D models use the grid).
    units : int, default=16
        At most this many tiles.
    image_shape : (int, int), optional
        Shape of one input as an image (default: a square when the features form one).
    grid : int, default=21
        Points per axis of the grid (2-D inputs).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(model, "hidden_response", what="receptive_fields")
    n_features = int(getattr(model, "n_features_in_", 0) or (np.shape(X)[1] if X is not None
                                                             else 2))
    if image_shape is None and n_features != 2:
        side = math.isqrt(n_features)
        if side * side != n_features or side < 4:
            raise ValueError(f"{n_features} features form no square image: give image_shape, "
                             "or use a model of 2-D inputs")
        image_shape = (side, side)
    if image_shape is None:
        axis = np.linspace(0.0, 1.0, grid)
        xx, yy = np.meshgrid(axis, axis)
        h = np.asarray(model.hidden_response(np.column_stack([xx.ravel(), yy.ravel()])), float)
        tiles = h.T.reshape(-1, grid, grid)  # unit, x2 row, x1 column
        spread = tiles.reshape(len(tiles), -1).std(1)
        order = np.argsort(-spread, kind="stable")
        order = order[spread[order] > 0][:units]
        tiles = tiles[order] / np.maximum(tiles[order].max(axis=(1, 2), keepdims=True), 1e-12)
        tiles = tiles[:, ::-1, :]  # x2 up
        cmap, lim = "magma", (0.0, 1.0)
        title = "hidden response over [0,1]^2 (own max)"
    else:
        if X is None:
            raise ValueError("image receptive fields need the inputs X")
        X = np.asarray(X, dtype=float)
        h = np.asarray(model.hidden_response(X), float)
        w = h - h.min(axis=0)
        total = w.sum(axis=0)
        live = np.flatnonzero(total > 0)
        imgs = (w[:, live].T @ X) / total[live, None] - X.mean(axis=0)
        spread = imgs.std(1)
        pick = np.argsort(-spread, kind="stable")[:units]
        order = live[pick]
        tiles = imgs[pick].reshape(-1, *image_shape)
        tiles = tiles / np.maximum(np.abs(tiles).max(axis=(1, 2), keepdims=True), 1e-12)
        cmap, lim = "RdBu_r", (-1.0, 1.0)
        title = "response-weighted average input minus mean"
    ax = _axes(ax, figsize=(4.0, 4.0))
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
    if not len(tiles):
        ax.text(0.5, 0.5, "no unit responds differently to different inputs",
                ha="center", va="center", transform=ax.transAxes, fontsize=8)
        return ax
    cols = math.ceil(math.sqrt(len(tiles)))
    ax.imshow(_mosaic(tiles, cols), cmap=cmap, vmin=lim[0], vmax=lim[1],
              interpolation="nearest")
    ax.set_title(f"{len(tiles)} of {h.shape[1]} units: {title}", fontsize=8)
    ax.units_shown = [int(u) for u in order]  # which unit each tile is, row by row
    return ax


# -------------------------------------------------------------------- weights


def draw_weight_histograms(ax, edges, initial, checkpoints, n_weights: int,
                           samples_seen: Sequence[int] | None = None):
    """Draw weight histograms (counts over ``edges``) into ``ax``: the initial one dotted,
    then one per checkpoint from dark to light, as fractions of ``n_weights``, on a
    symmetric-log y axis. Returns ``ax``."""
    import matplotlib.pyplot as plt

    edges = np.asarray(edges, dtype=float)
    centres = 0.5 * (edges[1:] + edges[:-1])
    n = max(int(n_weights), 1)
    cmap = plt.get_cmap("viridis")
    seen = list(samples_seen or range(1, len(checkpoints) + 1))
    ax.step(centres, np.asarray(initial) / n, where="mid", color="k", lw=1.0, ls=":",
            label="initial")
    k = len(checkpoints)
    for c, counts in enumerate(checkpoints):
        lab = f"after {seen[c]} samples" if c in (0, k - 1) and c < len(seen) else None
        ax.step(centres, np.asarray(counts) / n, where="mid", color=cmap(c / max(k - 1, 1)),
                lw=1.0, label=lab)
    ax.set_xlabel("weight")
    ax.set_ylabel("fraction of synapses")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.legend(fontsize=6)
    return ax


def weight_evolution(model, projection: str | None = None, bins: int = 30, ax=None):
    """The distribution of one plastic projection's weights before learning and at every
    training checkpoint (``weight_history_``).

    Parameters
    ----------
    model : fitted estimator with ``weight_history_``
    projection : str, optional
        A key of ``weight_history_[0]`` (e.g. ``"afferent->hidden"``); default the first.
    bins : int, default=30
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(model, "weight_history_", what="weight_evolution")
    history = list(model.weight_history_)
    if not history:
        raise ValueError("the model saved no weights during training (weight_history_ empty)")
    projection = projection or next(iter(history[0]))
    if projection not in history[0]:
        raise ValueError(f"unknown projection {projection!r}; the model has "
                         f"{', '.join(history[0])}")
    series = [np.asarray(h[projection], dtype=float).ravel() for h in history]
    initial = (getattr(model, "initial_weights_", None) or {}).get(projection, series[0])
    initial = np.asarray(initial, dtype=float).ravel()
    allv = np.concatenate([initial, *series])
    lo, hi = float(allv.min()), float(allv.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, int(bins) + 1)
    seen = list(getattr(model, "history_", {}).get("samples_seen", []))[: len(series)]
    ax = _axes(ax, figsize=(4.0, 3.0))
    draw_weight_histograms(ax, edges, np.histogram(initial, edges)[0],
                           [np.histogram(w, edges)[0] for w in series], initial.size, seen)
    ax.set_title(projection, fontsize=8)
    return ax


# -------------------------------------------------------------------- curves


def learning_curves(model, metrics: Sequence[str] | None = None, ax=None):
    """Accuracy (or loss) against training samples seen, from the fitted ``history_``.

    Parameters
    ----------
    model : fitted estimator with ``history_``
        ``history_["samples_seen"]`` and one list per metric, of the same length.
    metrics : list of str, optional
        Keys of ``history_`` to draw; default every accuracy it has (``train_accuracy``,
        ``eval_accuracy``: the ``eval_set`` given to ``fit``), else ``loss``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(model, "history_", what="learning_curves")
    hist = model.history_
    x = np.asarray(hist.get("samples_seen", []), dtype=float)
    if metrics is None:
        metrics = [k for k in ("train_accuracy", "eval_accuracy") if k in hist] or (
            ["loss"] if "loss" in hist else [])
    metrics = [m for m in metrics if m in hist and len(hist[m]) == len(x) and len(x)]
    if not metrics:
        raise ValueError("history_ has no curve of the length of samples_seen to draw "
                         f"(keys: {', '.join(hist)})")
    ax = _axes(ax, figsize=(4.5, 3.0))
    styles = {"train_accuracy": ("#1f77b4", "-"), "eval_accuracy": ("#d62728", "-"),
              "loss": ("#555555", "--")}
    for m in metrics:
        color, ls = styles.get(m, (None, "-"))
        ax.plot(x, hist[m], color=color, ls=ls, lw=1.2, marker="o" if len(x) < 12 else None,
                ms=3, label=m.replace("_", " "))
    ax.set_xlabel("training samples seen")
    if len(x) > 1 and x.min() > 0 and x.max() / x.min() >= 20:
        ax.set_xscale("log")
    ax.set_ylabel("accuracy" if all("accuracy" in m for m in metrics) else "value")
    ax.legend()
    return ax
