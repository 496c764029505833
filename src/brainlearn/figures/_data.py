"""Helpers shared by the figure functions: selecting and grouping saved run records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from ..runner.records import RunRecord
from ..snn.names import current_name
from ..tasks import list_tasks
from .style import family_rank

PREFERRED_MODELS = ["mlp-seed", "mlp-wide", "ref-logreg", "ref-knn", "ref-svm", "ref-kmeans",
                    "snn-stdp", "snn-hebbian", "snn-rstdp", "snn-frozen", "snn-random"]
#: the task shown when a figure shows one task only, in order of preference
SHOWCASE_TASKS = ["xor", "circle", "moons", "spiral", "linear", "seed-random", "breast-cancer"]


class SkipFigure(Exception):
    """The saved results hold no data for this figure (it is skipped with a note)."""


Record = RunRecord


def headline_sizes(records: Iterable[Record]) -> dict[str, int]:
    """Per task, the largest requested n_train (the comparison's size)."""
    best: dict[str, int] = {}
    for r in records:
        best[r.task] = max(best.get(r.task, 0), int(r.n_train))
    return best


def at_headline(records: list[Record]) -> list[Record]:
    head = headline_sizes(records)
    return [r for r in records if int(r.n_train) == head[r.task]]


def order_tasks(names: Iterable[str]) -> list[str]:
    ref = list_tasks()
    names = list(dict.fromkeys(names))
    return sorted(names, key=lambda n: (ref.index(n) if n in ref else len(ref), n))


def order_models(records: Iterable[Record]) -> list[str]:
    fam = {r.model: r.family for r in records}
    return sorted(fam, key=lambda m: (family_rank(fam[m]),
                                      PREFERRED_MODELS.index(m) if m in PREFERRED_MODELS else 99,
                                      m))


def families(records: Iterable[Record]) -> dict[str, str]:
    return {r.model: r.family for r in records}


def payload(r: Record, name: str) -> dict | None:
    """The analysis payload ``name`` of a record, or None if absent or skipped; population
    and projection names as they are now (records written up to release 0.1.0 name the
    hidden population ``"interneuron"``)."""
    return _current_names(r.payload(name))


def _current_names(value):
    if not isinstance(value, dict):
        return value
    return {current_name(k): _current_names(v) for k, v in value.items()}


def with_payload(records: Iterable[Record], name: str) -> list[Record]:
    return [r for r in records if payload(r, name) is not None]


def one_per_cell(records: Iterable[Record]) -> dict[tuple[str, str], Record]:
    """(task, model) -> the record with the lowest seed (at the largest n_train)."""
    out: dict[tuple[str, str], Record] = {}
    for r in sorted(records, key=lambda r: (-int(r.n_train), int(r.seed))):
        out.setdefault((r.task, r.model), r)
    return out


def showcase_task(tasks: Iterable[str]) -> str:
    tasks = list(tasks)
    for t in SHOWCASE_TASKS:
        if t in tasks:
            return t
    return sorted(tasks)[0]


def showcase(records: list[Record]) -> tuple[str, dict[tuple[str, str], Record], list[str]]:
    """For the figures that show one task: that task (:func:`showcase_task`), its record
    per (task, model) cell (:func:`one_per_cell`) and the model order."""
    task = showcase_task({r.task for r in records})
    records = [r for r in records if r.task == task]
    return task, one_per_cell(records), order_models(records)


def group(records: Iterable[Record], *keys: str) -> dict[tuple, list[Record]]:
    out: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        out[tuple(getattr(r, k) for k in keys)].append(r)
    return out


def mean_curve(curves: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """Mean and sd of several (x, y) curves on the x grid of the shortest one."""
    curves = [(np.asarray(x, float), np.asarray(y, float)) for x, y in curves if len(x)]
    if not curves:
        return np.array([]), np.array([]), np.array([])
    x0 = min(curves, key=lambda c: len(c[0]))[0]
    ys = np.array([np.interp(x0, x, y) for x, y in curves])
    return x0, ys.mean(0), ys.std(0)
