"""The table of analyses: what a run can be asked to measure, and the figure that shows it.

An analysis is one entry of :data:`TABLE`: its name (what a spec's ``analyses`` lists),
its options (defaults and checks; a spec's ``[options]`` may override them), the
capabilities it needs from a model (:mod:`.capabilities`; a model without them gets the
analysis skipped with a note), an optional hook that adds keyword arguments to ``fit``,
the function that computes its payload from a fitted model, and the figure (a
``"module:function"`` in :mod:`brainlearn.figures`, imported only when figures are drawn)
that draws it from saved records. Adding an analysis means adding one entry here (and its
figure function).

A payload is plain JSON data; ``{"skipped": reason}`` when the model or the task cannot
give it (a 30-D task has no decision map). :data:`SUMMARY_FIGURES` are the figures drawn
from every record's metrics, without a payload of their own (they need no analysis).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .capabilities import (
    Ablatable,
    CountsOps,
    FitsWithEvalSet,
    HiddenResponse,
    PredictsProba,
    RecordsSpikes,
    Represents,
    WeightHistory,
    missing,
)

__all__ = [
    "ANALYSES",
    "RUN_OPTIONS",
    "SUMMARY_FIGURES",
    "TABLE",
    "Analysis",
    "Option",
    "RunContext",
    "default_options",
    "image_side",
    "option_owner",
]


# ------------------------------------------------------------------------ options


def _count(minimum: int) -> Callable[[Any, str], int]:
    def check(value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where} must be an integer, got {_kind(value)} {value!r}")
        if value < minimum:
            raise ValueError(f"{where} must be >= {minimum}, got {value}")
        return value

    return check


def _numbers(below: float | None = None) -> Callable[[Any, str], list[float]]:
    def check(value: Any, where: str) -> list[float]:
        if not isinstance(value, list) or not value:
            raise ValueError(f"{where} must be a non-empty array of numbers, got {value!r}")
        out = []
        for i, x in enumerate(value):
            if (isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x)
                    or x < 0):
                raise ValueError(f"{where}[{i}] must be a finite number >= 0, got {x!r}")
            out.append(float(x))
        if below is not None and any(x >= below for x in out):
            raise ValueError(f"{where} values must be < {below:g}, got {value!r}")
        return out

    return check


def _kind(v: Any) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(v), type(v).__name__)


@dataclass(frozen=True)
class Option:
    """One option of an analysis: its default, its check (value, key) -> value (raises
    ValueError naming the key), and what it means."""

    default: Any
    check: Callable[[Any, str], Any]
    help: str


# ------------------------------------------------------------------------ context


@dataclass
class RunContext:
    """What an analysis sees of a run: the fitted model, the data split, the run's
    configuration, its test predictions, and the record being written (an analysis may
    fill a top-level field of it, e.g. ``ops_per_sample``)."""

    model: Any
    split: Any
    config: Any  # RunConfig
    pred_test: np.ndarray
    record: Any  # .records.RunRecord (records -> config -> analyses: not imported here)
    fit_kwargs: dict[str, Any] = field(default_factory=dict)

    def option(self, key: str) -> Any:
        return self.config.options[key]


@dataclass(frozen=True)
class Analysis:
    """One entry of the analysis table (see the module docstring)."""

    name: str
    doc: str
    options: Mapping[str, Option] = field(default_factory=dict)
    needs: tuple[type, ...] = ()
    compute: Callable[[RunContext], dict] | None = None
    fit_kwargs: Callable[[RunContext], dict] | None = None  # only for models it applies to
    figure: str | None = None

    def applies(self, model: Any) -> bool:
        """Whether ``model`` has every capability this analysis needs."""
        return missing(model, self.needs) is None

    def run(self, ctx: RunContext) -> dict:
        """The payload (a skip note when the model lacks a capability)."""
        why = missing(ctx.model, self.needs)
        if why is not None:
            return {"skipped": why}
        return self.compute(ctx) if self.compute is not None else {}


# ---------------------------------------------------------------- the computations


def json_list(a, decimals: int = 5) -> list:
    """A rounded, JSON-able nested list of an array."""
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return a.astype(np.int64).tolist()
    return np.round(a.astype(np.float64), decimals).tolist()


def _positive_column(est) -> int:
    classes = list(np.asarray(est.classes_).tolist())
    return classes.index(1) if 1 in classes else len(classes) - 1


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    axis = np.linspace(0.0, 1.0, n)
    xx, yy = np.meshgrid(axis, axis)  # rows: x2, columns: x1
    return axis, np.column_stack([xx.ravel(), yy.ravel()])


def _needs_2d(ctx: RunContext, what: str) -> dict | None:
    d = ctx.split.X_test.shape[1]
    return None if d == 2 else {"skipped": f"input is {d}-D; {what} need 2-D inputs"}


def _compute_cost(ctx: RunContext) -> dict:
    k = min(int(ctx.option("ops_samples")), len(ctx.split.y_test))
    raw = ctx.model.ops_per_sample(ctx.split.X_test[:k])
    ctx.record.ops_per_sample = {key: float(v) for key, v in raw.items()}
    return {"samples": k}


def _curve_eval_set(ctx: RunContext) -> dict:
    k = int(ctx.option("curve_eval_samples")) or len(ctx.split.y_test)
    return {"eval_set": (ctx.split.X_test[:k], ctx.split.y_test[:k])}


def _learning_curves(ctx: RunContext) -> dict:
    return {"eval_samples": len(ctx.fit_kwargs["eval_set"][1]),
            "has_eval": "eval_accuracy" in (ctx.record.history or {})}


def _decision_boundaries(ctx: RunContext) -> dict:
    skip = _needs_2d(ctx, "boundaries")
    if skip:
        return skip
    est, split = ctx.model, ctx.split
    g = int(ctx.option("boundary_grid"))
    axis, pts = _grid(g)
    proba = np.asarray(est.predict_proba(pts))[:, _positive_column(est)].reshape(g, g)
    k = min(int(ctx.option("boundary_points")), len(split.y_test))
    return {
        "axis": json_list(axis),
        "proba": json_list(proba, 4),  # proba[i][j] = P(y=1 | x1=axis[j], x2=axis[i])
        "X": json_list(split.X_test[:k], 4),
        "y": json_list(split.y_test[:k]),
        "predicted": json_list(ctx.pred_test[:k]),
    }


#: smallest side of a square image: a task's features are shown as a ``side x side`` image
#: when their number is a square of at least this side (the 8 x 8 digits; not iris' 4)
IMAGE_MIN_SIDE = 4


def image_side(n_features: int) -> int | None:
    """The side of the square image a task's features form (row-major pixels), or None."""
    side = math.isqrt(int(n_features))
    return side if side * side == n_features and side >= IMAGE_MIN_SIDE else None


def _hidden(ctx: RunContext, X: np.ndarray) -> np.ndarray:
    h = np.asarray(ctx.model.hidden_response(X), dtype=np.float64)
    if h.ndim != 2 or h.shape[0] != len(X):
        raise ValueError(
            f"hidden_response returned shape {h.shape}, expected ({len(X)}, n_hidden)")
    return h


def _receptive_fields(ctx: RunContext) -> dict:
    """Per hidden unit: its response over a grid of the input square (2-D tasks,
    ``kind = "grid"``), or the response-weighted average of the test images minus their
    mean (tasks whose features form a square image, ``kind = "image"``)."""
    from ..tasks import task_info

    d = task_info(ctx.config.task).n_features
    side = image_side(d)
    if d != 2 and side is None:
        return {"skipped": f"input is {d}-D; receptive fields need 2-D inputs or features "
                           "that form a square image"}
    if side is not None:
        return _receptive_images(ctx, side)
    g = int(ctx.option("receptive_grid"))
    axis, pts = _grid(g)
    h = _hidden(ctx, pts)
    n_hidden = h.shape[1]
    keep = min(n_hidden, int(ctx.option("receptive_units")))
    h = h[:, :keep].T.reshape(keep, g, g)  # unit, x2 row, x1 column
    return {"kind": "grid", "axis": json_list(axis), "n_hidden": int(n_hidden),
            "responses": json_list(h, 4)}


def _receptive_images(ctx: RunContext, side: int) -> dict:
    r"""Response-weighted average of the test inputs per hidden unit, as ``side x side`` images.

    For unit :math:`u` with response :math:`h_{iu}` to test sample :math:`x_i`
    (``hidden_response``: spike counts of a spiking model, activations of an MLP), the
    image is

    .. math:: F_u = \frac{\sum_i w_{iu} x_i}{\sum_i w_{iu}} - \bar x,
              \qquad w_{iu} = h_{iu} - \min_j h_{ju},

    the spike-triggered average (de Boer & Kuyper 1968; Chichilnisky 2001) minus the mean
    input, so the pixels that drive the unit show positive and those that silence it
    negative. Shifting by the unit's minimum response leaves the numerator unchanged
    (:math:`\sum_i (x_i - \bar x) = 0`) and makes the weights non-negative for units whose
    response can be negative (tanh); for spike counts and ReLU it is 0. A unit whose
    response is the same on every sample (silent) has no image: all zeros, and
    ``response_range`` 0.
    """
    X = np.asarray(ctx.split.X_test, dtype=np.float64)
    h = _hidden(ctx, X)
    n_hidden = h.shape[1]
    keep = min(n_hidden, int(ctx.option("receptive_units")))
    w = h[:, :keep] - h[:, :keep].min(axis=0)
    total = w.sum(axis=0)
    mean = X.mean(axis=0)
    images = np.zeros((keep, X.shape[1]))
    live = total > 0
    images[live] = (w[:, live].T @ X) / total[live, None] - mean
    return {
        "kind": "image",
        "shape": [side, side],
        "samples": int(len(X)),
        "n_hidden": int(n_hidden),
        "mean_response": json_list(h[:, :keep].mean(axis=0), 4),
        "response_range": json_list(np.ptp(h[:, :keep], axis=0), 4),
        "mean_image": json_list(mean.reshape(side, side), 4),
        "images": json_list(images.reshape(keep, side, side), 4),  # unit, pixel row, pixel column
    }


def _confusion_matrix(ctx: RunContext) -> dict:
    """Counts of the test predictions: ``counts[i][j]`` = test samples of true class
    ``classes[i]`` predicted as ``classes[j]``, in the order of the model's ``classes_``."""
    classes = getattr(ctx.model, "classes_", None)
    if classes is None:
        classes = np.unique(ctx.split.y_train)
    classes = np.asarray(classes)
    index = {c: i for i, c in enumerate(classes.tolist())}
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for what, labels in (("true", ctx.split.y_test), ("predicted", ctx.pred_test)):
        unknown = sorted({v for v in np.asarray(labels).tolist() if v not in index}, key=str)
        if unknown:
            raise ValueError(f"{what} test labels {unknown!r} are not among the model's "
                             f"classes_ {classes.tolist()!r}")
    rows = [index[v] for v in np.asarray(ctx.split.y_test).tolist()]
    cols = [index[v] for v in np.asarray(ctx.pred_test).tolist()]
    np.add.at(counts, (rows, cols), 1)
    return {"classes": classes.tolist(), "counts": json_list(counts)}


def _alternating_classes(y: np.ndarray, k: int) -> np.ndarray:
    """Indices of the first ``k`` test samples taken class by class in turn (0, 1, 0, ...),
    so a raster of a few samples shows both answers."""
    pools = [list(np.flatnonzero(y == c)) for c in np.unique(y)]
    idx: list[int] = []
    while len(idx) < k and any(pools):
        for pool in pools:
            if pool and len(idx) < k:
                idx.append(int(pool.pop(0)))
    return np.asarray(idx, dtype=np.int64)


def _spike_raster(ctx: RunContext) -> dict:
    est, split = ctx.model, ctx.split
    k = min(int(ctx.option("raster_samples")), len(split.y_test))
    idx = _alternating_classes(split.y_test, k)
    Xs = split.X_test[idx]
    out = {"samples": len(idx), "indices": json_list(idx), "y": json_list(split.y_test[idx]),
           "presentation_ms": float(est.presentation_ms_), "dt_ms": float(est.dt_ms_)}
    for when, trained in (("before", False), ("after", True)):
        rec = est.record_spikes(Xs, trained=trained)
        out[when] = {
            pop: {"i": json_list(np.asarray(d["i"]).astype(np.int64)),
                  "t_ms": json_list(d["t_ms"], 3), "n": int(d["n"])}
            for pop, d in rec.items()
        }
    return out


def _weight_evolution(ctx: RunContext) -> dict:
    est = ctx.model
    history = est.weight_history_
    if not history:
        return {"skipped": "the model saved no weights during training (weight_history_ empty)"}
    bins = int(ctx.option("weight_bins"))
    seen = list(getattr(est, "history_", {}).get("samples_seen", []))
    initial = getattr(est, "initial_weights_", {}) or {}
    final = getattr(est, "weights_", {}) or {}
    out: dict[str, Any] = {"samples_seen": [int(s) for s in seen[: len(history)]],
                           "projections": {}}
    for proj in history[0]:
        series = [np.asarray(h[proj], dtype=np.float64).ravel() for h in history]
        init = np.asarray(initial.get(proj, series[0]), dtype=np.float64).ravel()
        fin = np.asarray(final.get(proj, series[-1]), dtype=np.float64).ravel()
        allv = np.concatenate([init, fin, *series])
        lo, hi = float(allv.min()), float(allv.max())
        if hi <= lo:
            hi = lo + 1.0
        edges = np.linspace(lo, hi, bins + 1)
        out["projections"][proj] = {
            "edges": json_list(edges),
            "initial": json_list(np.histogram(init, edges)[0]),
            "final": json_list(np.histogram(fin, edges)[0]),
            "checkpoints": [json_list(np.histogram(w, edges)[0]) for w in series],
            "mean": json_list([w.mean() for w in series]),
            "sd": json_list([w.std() for w in series]),
            "n_weights": int(fin.size),
        }
    return out


def _robustness(ctx: RunContext) -> dict:
    """Accuracy under input noise (every model) and after ablation (models that can be
    lesioned, :class:`~.capabilities.Ablatable`; others record no ``removed_accuracy``)."""
    est, split, cfg = ctx.model, ctx.split, ctx.config
    k = int(ctx.option("robustness_samples")) or len(split.y_test)
    X, y = split.X_test[:k], split.y_test[:k]
    test_accuracy = float(np.mean(ctx.pred_test[:k] == y))  # the undisturbed model here
    lo, hi = min(0.0, float(X.min())), max(1.0, float(X.max()))
    rng = np.random.default_rng([cfg.seed, 7])
    noise = []
    for sd in ctx.option("noise_sd"):
        if sd == 0:
            noise.append(test_accuracy)
            continue
        Xn = np.clip(X + rng.normal(0.0, sd, X.shape), lo, hi)
        noise.append(float(np.mean(est.predict(Xn) == y)))
    removed: dict[str, list[float]] = {}
    if isinstance(est, Ablatable):
        for kind in ("synapses", "neurons"):
            accs = []
            for f in ctx.option("ablation_fractions"):
                if f == 0:
                    accs.append(test_accuracy)
                    continue
                lesioned = est.ablated(fraction=f, kind=kind, random_state=cfg.seed)
                accs.append(float(np.mean(lesioned.predict(X) == y)))
            removed[kind] = accs
    return {
        "samples": int(len(y)),
        "noise_sd": list(ctx.option("noise_sd")),
        "noise_accuracy": noise,
        "noise_clip": [lo, hi],
        "fractions": list(ctx.option("ablation_fractions")),
        "removed_accuracy": removed,
    }


def _presentation_time(ctx: RunContext) -> dict:
    """Test accuracy and operations per decision against presentation time (issue 23).

    A model that :class:`~.capabilities.Represents` (the surrogate-gradient SNN) is
    evaluated at every presentation time of ``presentation_grid_ms`` with its trained
    weights (no retraining; the time it was trained at is among the points if listed); a
    spiking model that cannot (a Brian2 network compiles one program per presentation
    length) gives the one point at its training presentation; a non-spiking model gives
    its accuracy and MACs, the reference of the figure. Per point: accuracy on the first
    ``presentation_samples`` test samples and the mean operations per sample
    (``ops_per_sample``: synaptic events and spikes of a spiking model, MACs of an MLP).
    """
    est, split = ctx.model, ctx.split
    k = int(ctx.option("presentation_samples")) or len(split.y_test)
    k = min(k, len(split.y_test))
    X, y = split.X_test[:k], split.y_test[:k]
    trained_ms = getattr(est, "presentation_ms_", None)
    out: dict[str, Any] = {"samples": int(k), "spiking": trained_ms is not None,
                           "trained_ms": None if trained_ms is None else float(trained_ms),
                           "retrained": False, "points": []}

    def point(model, ms):
        ops = model.ops_per_sample(X) if isinstance(model, CountsOps) else {}
        acc = float(np.mean(model.predict(X) == y))
        return {"presentation_ms": ms, "accuracy": acc,
                **{key: float(v) for key, v in ops.items()}}

    if isinstance(est, Represents):
        for ms in ctx.option("presentation_grid_ms"):
            steps = ms / float(est.dt_ms_)
            if ms < est.dt_ms_ or abs(steps - round(steps)) > 1e-9:
                continue  # not a whole number of time steps of this model
            out["points"].append(point(est.at_presentation(float(ms)), float(ms)))
        out["note"] = "evaluated at each presentation time with the trained weights"
    else:
        out["points"].append(point(est, None if trained_ms is None else float(trained_ms)))
        out["note"] = ("one point: the model's training presentation" if trained_ms is not None
                       else "non-spiking reference (no presentation time)")
    return out


# --------------------------------------------------------------------- the table

_F = "brainlearn.figures"

#: options of every run (part of every run's identity)
RUN_OPTIONS: Mapping[str, Option] = MappingProxyType({
    "train_eval_samples": Option(
        0, _count(0), "training accuracy: measured on the first this many training samples "
                      "(0 = all)"),
})

#: every analysis a run can be asked for, in the order of the figures (and of execution)
TABLE: Mapping[str, Analysis] = MappingProxyType({a.name: a for a in (
    Analysis(
        "decision_boundaries",
        "P(y = 1) over a grid of the input square, with test points (2-D tasks)",
        options={
            "boundary_grid": Option(41, _count(1), "points per axis of the probability grid "
                                                   "over [0,1]^2"),
            "boundary_points": Option(200, _count(1), "test points stored with the grid"),
        },
        needs=(PredictsProba,),
        compute=_decision_boundaries,
        figure=f"{_F}.maps:decision_boundaries",
    ),
    Analysis(
        "learning_curves",
        "test accuracy at every training checkpoint (the eval_set passed to fit)",
        options={
            "curve_eval_samples": Option(0, _count(0), "test samples used as the eval_set "
                                                       "during training (0 = all)"),
        },
        needs=(FitsWithEvalSet,),
        compute=_learning_curves,
        fit_kwargs=_curve_eval_set,
        figure=f"{_F}.training:learning_curves",
    ),
    Analysis(
        "spike_raster",
        "spike trains of a few test samples before and after learning (spiking models)",
        options={
            "raster_samples": Option(3, _count(1), "test samples whose spikes are recorded "
                                                   "before and after learning"),
        },
        needs=(RecordsSpikes,),
        compute=_spike_raster,
        figure=f"{_F}.spikes:spike_raster",
    ),
    Analysis(
        "receptive_fields",
        "hidden-unit responses over a grid of the input square (2-D tasks), or each unit's "
        "response-weighted average test image (tasks whose features form a square image)",
        options={
            "receptive_grid": Option(21, _count(1), "points per axis of the grid on which "
                                                    "hidden responses are recorded"),
            "receptive_units": Option(64, _count(1), "at most this many hidden units are "
                                                     "stored"),
        },
        needs=(HiddenResponse,),
        compute=_receptive_fields,
        figure=f"{_F}.maps:receptive_fields",
    ),
    Analysis(
        "confusion_matrix",
        "counts of true x predicted class of the test predictions (any number of classes)",
        compute=_confusion_matrix,
        figure=f"{_F}.confusion:confusion_matrix",
    ),
    Analysis(
        "data_scarcity",
        "accuracy against training-set size (drawn from the runs at several n_train; "
        "no payload)",
        figure=f"{_F}.accuracy:data_scarcity",
    ),
    Analysis(
        "compute_cost",
        "operations per inference (MACs, synaptic events) and wall time per sample",
        options={
            "ops_samples": Option(200, _count(1), "test samples over which operations per "
                                                  "sample are counted"),
        },
        needs=(CountsOps,),
        compute=_compute_cost,
        figure=f"{_F}.cost:compute_cost",
    ),
    Analysis(
        "presentation_time",
        "test accuracy against presentation time (without retraining, where the model "
        "allows) and against synaptic events per decision, per input code (issue 23)",
        options={
            "presentation_grid_ms": Option([5.0, 10.0, 20.0, 50.0, 100.0], _numbers(),
                                           "presentation times (ms) at which a spiking "
                                           "model is evaluated with its trained weights"),
            "presentation_samples": Option(0, _count(0), "test samples evaluated per "
                                                         "presentation time (0 = all)"),
        },
        compute=_presentation_time,
        figure=f"{_F}.codes:presentation_time",
    ),
    Analysis(
        "robustness",
        "accuracy under Gaussian input noise and after removing synapses or hidden neurons",
        options={
            "robustness_samples": Option(0, _count(0), "test samples used for the noise and "
                                                       "ablation measurements (0 = all)"),
            "noise_sd": Option([0.0, 0.05, 0.1, 0.2, 0.3], _numbers(),
                               "standard deviations of the Gaussian noise added to the test "
                               "inputs"),
            "ablation_fractions": Option([0.0, 0.1, 0.25, 0.5, 0.75], _numbers(below=1.0),
                                         "fractions of synapses / hidden neurons removed "
                                         "after training"),
        },
        compute=_robustness,
        figure=f"{_F}.robustness:robustness",
    ),
    Analysis(
        "weight_evolution",
        "histograms of the plastic weights at every training checkpoint",
        options={
            "weight_bins": Option(30, _count(1), "histogram bins per checkpoint"),
        },
        needs=(WeightHistory,),
        compute=_weight_evolution,
        figure=f"{_F}.training:weight_evolution",
    ),
)})

#: figures drawn from every record's metrics (no analysis needed), before the analyses' ones
SUMMARY_FIGURES: Mapping[str, str] = MappingProxyType({
    "accuracy_by_task": f"{_F}.accuracy:accuracy_by_task",
    "contributions": f"{_F}.contributions:contributions",
    "two_by_two": f"{_F}.two_by_two:two_by_two",
    "validation_vs_test": f"{_F}.tuning:validation_vs_test",
})

#: names of the analyses, in table order
ANALYSES: tuple[str, ...] = tuple(TABLE)


def _all_options() -> dict[str, tuple[str | None, Option]]:
    out: dict[str, tuple[str | None, Option]] = {k: (None, o) for k, o in RUN_OPTIONS.items()}
    for a in TABLE.values():
        for k, o in a.options.items():
            if k in out:  # pragma: no cover - a table error, caught by the tests
                raise RuntimeError(f"option {k!r} belongs to two analyses")
            out[k] = (a.name, o)
    return out


_OPTIONS = _all_options()


def default_options() -> dict[str, Any]:
    """Every option with its default (lists copied)."""
    return {k: (list(o.default) if isinstance(o.default, list) else o.default)
            for k, (_, o) in _OPTIONS.items()}


def option_owner(key: str) -> str | None:
    """The analysis an option belongs to (None: every run). KeyError for unknown keys."""
    return _OPTIONS[key][0]


def check_option(key: str, value: Any, where: str) -> Any:
    """The checked value of option ``key`` (ValueError naming ``where`` otherwise)."""
    return _OPTIONS[key][1].check(value, where)
