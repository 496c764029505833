"""What the tuned experiment says, from summary rows: tuned against registry defaults, and
the gap between local learning and backprop when both sides had the same tuning budget.

A tuned run's row carries ``tune_trials`` and ``validation_score`` (:mod:`.tune`); the
same registry model run with its registered hyperparameters on the same tasks and seeds
(another label in the same spec, e.g. ``mlp-wide:defaults``) is its *defaults* twin.
:func:`tuned_table` pairs them per task and seed; :func:`tuned_gaps` sets the best local
learners, chosen on validation scores among the tuned runs (:func:`.stats.choose`),
against the tuned backprop MLP. The markdown is drawn by :func:`.report.tuned_markdown`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from .records import SummaryRow
from .stats import choose, describe, headline_sizes, paired_contrast
from .two_by_two import corner

__all__ = ["GAPS", "tuned_gaps", "tuned_table"]

#: the gaps the tuned block states: (name, local corner, backprop corner)
GAPS: tuple[tuple[str, tuple[str, str], tuple[str, str]], ...] = (
    ("spiking local − MLP", ("spiking", "local"), ("non-spiking", "backprop")),
    ("non-spiking local − MLP", ("non-spiking", "local"), ("non-spiking", "backprop")),
)


def _cells(rows: Iterable[SummaryRow]) -> tuple[dict[tuple[str, str], list[SummaryRow]],
                                               dict[str, int]]:
    rows = [r for r in rows if r.test_accuracy is not None]
    head = headline_sizes(rows)
    cells: dict[tuple[str, str], list[SummaryRow]] = defaultdict(list)
    for r in rows:
        if int(r.n_train) == head[r.task]:
            cells[(r.task, r.model)].append(r)
    return cells, head


def _mean(values) -> float | None:
    v = [x for x in values if x is not None]
    return float(sum(v) / len(v)) if v else None


def tuned_table(rows: Iterable[SummaryRow]) -> list[dict[str, Any]]:
    """One entry per (task, tuned label) at the task's headline size: the tuned runs'
    test statistics (:func:`.stats.describe`), mean validation score, trials, tuning wall
    time per run, and, when the same registry model ran untuned on the task, its label
    (``defaults``), statistics (``defaults_stats``) and the paired ``tuned − defaults``
    contrast (``contrast``, :func:`.stats.paired_contrast`)."""
    cells, head = _cells(rows)
    out = []
    for (task, label), rs in sorted(cells.items()):
        if not all(r.tune_trials is not None for r in rs):
            continue
        reg = rs[0].registry_model
        twins = [m for (t, m), xs in cells.items()
                 if t == task and m != label and xs[0].registry_model == reg
                 and all(x.tune_trials is None for x in xs)]
        entry = {"task": task, "model": label, "registry_model": reg,
                 "family": rs[0].family, "n_train": head[task],
                 "trials": sorted({int(r.tune_trials) for r in rs}),
                 "validation_mean": _mean(r.validation_score for r in rs),
                 "test": describe(r.test_accuracy for r in rs),
                 "tuning_s": _mean(r.tune_s for r in rs),
                 "defaults": None, "defaults_stats": None, "contrast": None}
        if twins:
            d = sorted(twins)[0]
            entry.update(defaults=d, defaults_stats=describe(x.test_accuracy
                                                             for x in cells[(task, d)]),
                         contrast=paired_contrast(rs, cells[(task, d)]))
        out.append(entry)
    return out


def tuned_gaps(rows: Iterable[SummaryRow]) -> list[dict[str, Any]]:
    """Per task and gap of :data:`GAPS`: the local and the backprop model (each the best
    mean validation score among the tuned runs of its 2 x 2 corner's candidates), their
    test statistics and the paired ``local − backprop`` contrast; tasks where a corner has
    no tuned runs are left out."""
    cells, head = _cells(rows)
    tasks = sorted({t for t, _ in cells})
    out = []
    for task in tasks:
        for name, local, backprop in GAPS:
            picked = []
            for neurons, learning in (local, backprop):
                c = corner(neurons, learning)
                cands = {m: cells.get((task, m), []) for m in c.models
                         if all(r.tune_trials is not None for r in cells.get((task, m), []))}
                p = choose(cands, c.models)
                picked.append(p[0] if p is not None and p[1] == "validation" else None)
            a, b = picked
            if a is None or b is None:
                continue
            pc = paired_contrast(cells[(task, a)], cells[(task, b)])
            if pc is None:
                continue
            out.append({"task": task, "gap": name, "n_train": head[task],
                        "local_model": a, "backprop_model": b,
                        "local_validation": _mean(r.validation_score
                                                  for r in cells[(task, a)]),
                        **pc})
    return out
