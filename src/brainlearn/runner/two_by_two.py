"""The 2 x 2 of issue 13: {non-spiking, spiking} x {local learning, backprop}, per task.

The comparison's headline sets a spiking network with local rules against a non-spiking
network trained by backprop: two things differ at once. The two other corners separate
them (:data:`CORNERS`, which model fills each corner):

===============  =======================================  =======================
\\                local learning                           backprop
===============  =======================================  =======================
non-spiking      the best of ``ref-kmeans`` (k-means,      ``mlp-wide``
                 no labels, + a linear readout) and the
                 local rules ``hebb-krotov``,
                 ``hebb-softhebb``
spiking          the best local-rule SNN of the task       ``snn-surrogate``
                 (:data:`~.contributions.LEARNERS`)
===============  =======================================  =======================

and the design measures two effects, each twice (:data:`EFFECTS`), as paired differences
over seeds (the runner gives every model the same data for the same seed; the one paired
computation is :func:`.stats.paired_contrast`):

- the cost of spiking at equal learning: ``snn-surrogate - mlp-wide`` (backprop) and
  ``local SNN - ref-kmeans`` (local learning);
- the cost of local learning at equal neurons: ``local SNN - snn-surrogate`` (spiking) and
  ``ref-kmeans - mlp-wide`` (non-spiking).

A difference is ``with - without`` (spiking - non-spiking, local - backprop), so a
negative one is a cost. A corner with several candidate models is filled, per task, by
:func:`.stats.choose`: the candidate with the highest mean *validation* score when the
runs carry one (the tuned experiment, :mod:`.tune`), otherwise the first candidate listed
for the corner that has runs (declared in advance, the same for every task). Test scores
never choose a corner.

Input code (issue 23). A spiking corner's accuracy depends on how its input reaches the
spiking neurons, so every spiking cell names its input code (:func:`input_code`, from the
model's registered ``encoding`` and ``poisson_input``), and the backprop spiking corner is
also measured with other codes (:data:`CODE_VARIANTS`: the same network and training, only
the code differs): for each that was run, ``code_effects`` give "spiking - non-spiking
(backprop)" with that code, so the table separates the cost of a noisy spike input from
the cost of spiking neurons.
Everything here is a function of summary rows (saved results only); the README block is
drawn by :func:`.report.two_by_two_markdown`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .contributions import LEARNERS
from .records import SummaryRow
from .stats import budget_median, choose, describe, headline_sizes, paired_contrast

__all__ = ["CODE_VARIANTS", "CORNERS", "EFFECTS", "Corner", "Effect", "corner",
           "corner_by_label", "input_code", "missing_note", "two_by_two"]


@dataclass(frozen=True)
class Corner:
    """One corner of the 2 x 2: its neurons and learning, the registry family its models
    belong to, and the candidate models (the best of them on a task fills it)."""

    neurons: str  # "non-spiking" | "spiking"
    learning: str  # "local" | "backprop"
    family: str
    models: tuple[str, ...]
    what: str

    @property
    def label(self) -> str:
        return f"{self.neurons}, {self.learning}"


#: which model fills each corner (one line per corner)
CORNERS: tuple[Corner, ...] = (
    Corner("non-spiking", "local", "local", ("ref-kmeans", "hebb-krotov", "hebb-softhebb"),
           "a hidden layer learned without labels (k-means prototypes, the competing units "
           "of Krotov & Hopfield 2019 or SoftHebb) + a linear readout"),
    Corner("non-spiking", "backprop", "mlp", ("mlp-wide",), "the MLP trained by backprop"),
    Corner("spiking", "local", "snn", LEARNERS,
           "the spiking network with local plastic synapses"),
    Corner("spiking", "backprop", "snn-backprop", ("snn-surrogate",),
           "the same spiking network trained by backprop through time with surrogate "
           "gradients"),
)


#: the backprop spiking corner's network with other input codes (configurations.py, issue 23)
CODE_VARIANTS: tuple[str, ...] = ("snn-surrogate-current", "snn-surrogate-poisson",
                                  "snn-surrogate-rate", "snn-surrogate-rate-poisson",
                                  "snn-surrogate-latency")

_CODE_NAMES = {"population": "population", "rate": "rate", "rate-complement": "on/off rate",
               "current": "current injection", "latency": "latency"}


def input_code(model: str) -> str:
    """The input code of a registered spiking model, in words: ``"population, regular"``,
    ``"rate, Poisson"``, ``"current injection"``, ``"latency"``; ``""`` for a model that is
    not spiking or not registered."""
    from ..registry import list_models, model_spec

    if model not in list_models():
        return ""
    spec = model_spec(model)
    if not spec.family.startswith("snn"):
        return ""
    params = spec.params
    enc = params.get("encoding", "population")
    if enc in ("current", "latency"):
        return _CODE_NAMES[enc]
    poisson = bool((params.get("network_params") or {}).get("poisson_input", False))
    return f"{_CODE_NAMES.get(enc, enc)}, {'Poisson' if poisson else 'regular'}"


def corner(neurons: str, learning: str) -> Corner:
    """The corner of :data:`CORNERS` with these neurons and learning."""
    return next(c for c in CORNERS if (c.neurons, c.learning) == (neurons, learning))


@dataclass(frozen=True)
class Effect:
    """One paired effect: ``with_corner - without_corner``, the two corners differing in
    ``factor`` only (held equal: ``at``)."""

    factor: str  # "spiking" | "local learning"
    at: str
    with_corner: Corner
    without_corner: Corner

    @property
    def label(self) -> str:
        return f"{self.factor} ({self.at})"

    @property
    def header(self) -> str:
        """``"spiking − non-spiking (backprop)"``: the difference, and what is held equal."""
        a, b = self.with_corner, self.without_corner
        if self.factor == "spiking":
            return f"{a.neurons} − {b.neurons} ({a.learning})"
        return f"{a.learning} − {b.learning} ({a.neurons})"

    @property
    def question(self) -> str:
        return ("the cost of spiking at equal learning" if self.factor == "spiking"
                else "the cost of local learning at equal neurons")


def _effects() -> tuple[Effect, ...]:
    with_ = {"backprop": "with backprop", "local": "with local learning"}
    out = [Effect("spiking", with_[learn], corner("spiking", learn), corner("non-spiking", learn))
           for learn in ("backprop", "local")]
    out += [Effect("local learning", f"in {neur} neurons", corner(neur, "local"),
                   corner(neur, "backprop")) for neur in ("spiking", "non-spiking")]
    return tuple(out)


#: the cost of spiking at equal learning, then the cost of local learning at equal neurons
EFFECTS: tuple[Effect, ...] = _effects()


def two_by_two(rows: Iterable[SummaryRow], metric: str = "test_accuracy"
               ) -> dict[str, Any]:
    """The 2 x 2 per task from summary rows (``task``, ``model``, ``seed``, ``n_train``,
    ``metric``; optionally ``presentations``/``epochs``), at each task's headline size.

    Returns ``{"tasks": [...], "incomplete": {task: [corner labels without runs]},
    "absent": [corner labels without runs on any task]}``. Each complete task is
    ``{"task", "n_train", "corners": {label: cell}, "effects": [effect row],
    "code_effects": [effect row]}``; a cell has ``model``, its ``code``
    (:func:`input_code`), the statistics of :func:`.stats.describe` over its seeds and its
    budget; an effect row has ``task``, ``effect``, ``factor``, ``at``, ``with_model``,
    ``without_model``, ``code`` (the spiking model's input code) and the fields of
    :func:`.stats.paired_contrast`. ``code_effects`` are "spiking - non-spiking (backprop)"
    with each :data:`CODE_VARIANTS` model that was run on the task in place of the corner's
    model, with its mean accuracy (``with_mean``).
    """
    rows = [r for r in rows if r.metric(metric) is not None]
    head = headline_sizes(rows)
    cells: dict[tuple[str, str], list[SummaryRow]] = defaultdict(list)
    for r in rows:
        if int(r.n_train) == head[r.task]:
            cells[(r.task, r.model)].append(r)
    from ..tasks import list_tasks

    order = list_tasks()
    tasks = sorted(head, key=lambda t: (order.index(t) if t in order else len(order), t))
    out: list[dict[str, Any]] = []
    incomplete: dict[str, list[str]] = {}
    seen_corners: set[str] = set()
    for task in tasks:
        filled: dict[str, dict[str, Any]] = {}
        for c in CORNERS:
            picked = choose({m: cells.get((task, m), []) for m in c.models}, c.models)
            if picked is not None:
                m, how = picked
                rs = cells[(task, m)]
                d = describe(float(r.metric(metric)) for r in rs)
                val = [r.validation_score for r in rs if r.validation_score is not None]
                filled[c.label] = {"model": m, "code": input_code(m), **d,
                                   **budget_median(rs), "chosen": how,
                                   "validation_mean": float(sum(val) / len(val)) if val
                                   else None,
                                   "candidates": sum(1 for x in c.models
                                                     if cells.get((task, x)))}
                seen_corners.add(c.label)
        lacking = [c.label for c in CORNERS if c.label not in filled]
        if lacking:
            if len(lacking) < len(CORNERS):
                incomplete[task] = lacking
            continue
        effects = []
        for e in EFFECTS:
            a = filled[e.with_corner.label]["model"]
            b = filled[e.without_corner.label]["model"]
            pc = paired_contrast(cells[(task, a)], cells[(task, b)], metric)
            if pc is None:
                continue
            effects.append({"task": task, "effect": e.label, "factor": e.factor, "at": e.at,
                            "with_model": a, "without_model": b,
                            "code": input_code(a) if e.factor == "spiking" else "", **pc})
        code_effects = []
        e = EFFECTS[0]  # spiking - non-spiking (backprop)
        b = filled[e.without_corner.label]["model"]
        for a in (filled[e.with_corner.label]["model"], *CODE_VARIANTS):
            pc = paired_contrast(cells.get((task, a), []), cells[(task, b)], metric)
            if pc is None:
                continue
            code_effects.append({"task": task, "effect": e.label, "factor": e.factor,
                                 "at": e.at, "with_model": a, "without_model": b,
                                 "code": input_code(a), **pc})
        out.append({"task": task, "n_train": head[task], "corners": filled,
                    "effects": effects, "code_effects": code_effects})
    absent = [c.label for c in CORNERS if c.label not in seen_corners]
    return {"tasks": out, "incomplete": incomplete, "absent": absent}


def missing_note(tt: dict[str, Any]) -> str:
    """Why tasks are left out of the 2 x 2 (empty when none is)."""
    if tt["absent"] and not tt["tasks"]:
        return "no runs of the corner(s) " + "; ".join(
            f"{_short(lab)} ({', '.join(corner_by_label(lab).models)})" for lab in tt["absent"])
    if tt["incomplete"]:
        return "left out for a corner without runs: " + "; ".join(
            f"{t} (no {' or '.join(_short(lab) for lab in labs)} run)"
            for t, labs in tt["incomplete"].items())
    return ""


def _short(label: str) -> str:
    return label.replace(", ", "/")


def corner_by_label(label: str) -> Corner:
    """The corner of :data:`CORNERS` with this label."""
    return next(c for c in CORNERS if c.label == label)
