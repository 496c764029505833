"""What each part of the spiking model contributes: paired contrasts of learners and controls.

A *contrast* compares a model that has a part with one that lacks it, on the same tasks,
seeds and data (the runner gives both models the same split for the same seed), so the
per-seed differences ``d_s = acc_with(s) - acc_without(s)`` are paired; their mean, its
t-based 95 % confidence interval and the two-sided paired t-test p-value are computed as
for the other paired comparisons (:func:`.stats.paired_contrast`). A contrast is reported
on a task only when both models have runs there at the task's headline training-set size.

The named contrasts (:data:`CONTRASTS`) are the questions of issue 8: what hidden
plasticity, the data-point initialisation, the readout rule and spiking itself add. Every
learner (:data:`LEARNERS`) is also set against every control (:data:`CONTROLS`) in the
long table (``results/contributions.csv``) and the ``contributions`` figure.

Budget
------
Every table states the training budget of each model: presentations of training samples
in one fit (the last ``history["samples_seen"]`` of the run; a presentation is one sample
entering one parameter update, as each estimator defines it) and epochs = presentations /
training-set size. They come from the summary rows' ``presentations`` and ``epochs``
(:meth:`.records.RunRecord.training_budget`). The tables in words are drawn by
:mod:`.report`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import SummaryRow
from .stats import FAMILY_ORDER, budget_median, csv_number, headline_sizes, paired_contrast

__all__ = [
    "CONTRASTS",
    "CONTROLS",
    "LEARNERS",
    "Contrast",
    "contribution_rows",
    "write_contributions_csv",
]


@dataclass(frozen=True)
class Contrast:
    """``with_part - without_part``: what ``part`` adds (negative: what it costs)."""

    part: str
    with_part: str
    without_part: str
    how: str


#: the questions of issue 8, each answered by one paired difference
CONTRASTS: tuple[Contrast, ...] = (
    Contrast("hidden plasticity", "snn-stdp", "snn-frozen",
             "the same network with hidden STDP switched off"),
    Contrast("the data-point init", "snn-frozen", "snn-random",
             "frozen prototypes copied from training samples against a fixed random "
             "projection, both with a learning readout"),
    Contrast("a Hebbian readout (instead of STDP)", "snn-hebbian", "snn-stdp",
             "the same hidden layer, the readout learning by Oja's rule instead of STDP"),
    Contrast("a reward readout (instead of a teacher)", "snn-rstdp", "snn-stdp",
             "reward-modulated STDP without teacher against teacher-driven STDP (R-STDP "
             "runs with its own network settings and 2 epochs)"),
    Contrast("spiking", "snn-stdp", "ref-kmeans",
             "the spiking network against its non-spiking twin: k-means prototypes, a "
             "2-winner code and a logistic readout"),
    Contrast("hidden learning from scratch", "snn-stdp-scratch", "snn-random",
             "a random init that hidden plasticity then learns from, against the same kind of "
             "random init kept fixed"),
    Contrast("hidden plasticity (Diehl & Cook 2015)", "snn-dc2015", "snn-dc2015-frozen",
             "the Diehl & Cook network against the same network with its STDP off, both "
             "from the same random init and both read out by label assignment"),
    Contrast("a plastic readout (instead of label assignment)", "snn-dc2015-delta",
             "snn-dc2015", "the same hidden layer read out by the delta rule instead of the "
             "label assignment of Diehl & Cook"),
    Contrast("hidden plasticity (k-winners code)", "snn-kwta", "snn-kwta-frozen",
             "the k-winners-take-all network against the same network with its STDP off, "
             "from the same random init, both with a delta-rule readout"),
    Contrast("hidden plasticity (Krotov & Hopfield 2019)", "hebb-krotov", "hebb-krotov-frozen",
             "the competing-units rule against the same network with its random hidden "
             "weights kept, both with a delta-rule readout"),
    Contrast("hidden plasticity (SoftHebb)", "hebb-softhebb", "hebb-softhebb-frozen",
             "soft winner-take-all Hebbian learning against the same network with its "
             "random hidden weights kept, both with a delta-rule readout"),
    Contrast("learning from scratch (instead of data-point copies)", "snn-kwta", "snn-frozen",
             "a hidden layer learned from a random init against prototypes copied from "
             "training samples and kept fixed"),
    # the input code (issue 23): the surrogate-gradient network, the same in everything but
    # its input code. The local-rule networks cannot take current injection (their afferents
    # must spike for STDP), so the row applies to the backprop spiking network only.
    Contrast("input code: current − Poisson", "snn-surrogate-current", "snn-surrogate-poisson",
             "the surrogate-gradient spiking network with analogue input currents against the "
             "same network with Poisson spike input (population code)"),
    Contrast("input code: current − regular population", "snn-surrogate-current",
             "snn-surrogate", "the same network with input currents against regular "
             "(deterministic) spike trains of the population code"),
    Contrast("input code: Poisson − regular population", "snn-surrogate-poisson",
             "snn-surrogate", "the population code's spike trains Poisson instead of regular: "
             "the cost of the spike-count noise alone"),
    Contrast("input code: latency − current", "snn-surrogate-latency", "snn-surrogate-current",
             "one spike per input at a time set by its value against input currents"),
)

#: models whose accuracy is to be explained (local-learning spiking networks)
LEARNERS: tuple[str, ...] = FAMILY_ORDER["snn"]
#: models with a part switched off or replaced
CONTROLS: tuple[str, ...] = ("snn-frozen", "snn-random", "ref-kmeans", "snn-dc2015-frozen",
                             "snn-kwta-frozen")


# ---------------------------------------------------------------------- the numbers


def _pairs(models: set[str]) -> list[tuple[str, str, str | None, str | None]]:
    """(with, without, part, how) of every contrast whose two models were run: the named
    ones first, then each learner against each control."""
    out: list[tuple[str, str, str | None, str | None]] = []
    seen = set()
    for c in CONTRASTS:
        if c.with_part in models and c.without_part in models:
            out.append((c.with_part, c.without_part, c.part, c.how))
            seen.add((c.with_part, c.without_part))
    for a in LEARNERS:
        for b in CONTROLS:
            if a in models and b in models and (a, b) not in seen:
                out.append((a, b, None, None))
    return out


def contribution_rows(rows: Iterable[SummaryRow],
                      metric: str = "test_accuracy") -> list[dict[str, Any]]:
    """Every contrast on every task (at its headline n_train), paired over common seeds.

    ``rows`` are summary rows (``task``, ``model``, ``seed``, ``n_train``, ``metric``, and
    optionally ``presentations``/``epochs``). Each result row gives both models' means and
    budgets, the mean difference, its 95 % CI, the paired t-test p-value and whether the CI
    excludes 0.
    """
    rows = list(rows)
    head = headline_sizes(rows)
    cells: dict[tuple[str, str], list[SummaryRow]] = defaultdict(list)
    for r in rows:
        if int(r.n_train) == head[r.task] and r.metric(metric) is not None:
            cells[(r.task, r.model)].append(r)
    from ..tasks import list_tasks

    order = list_tasks()
    tasks = sorted(head, key=lambda t: (order.index(t) if t in order else len(order), t))
    out = []
    for task in tasks:
        models = {m for (t, m) in cells if t == task}
        for a, b, part, how in _pairs(models):
            pc = paired_contrast(cells[(task, a)], cells[(task, b)], metric)
            if pc is None:
                continue
            ba, bb = budget_median(cells[(task, a)]), budget_median(cells[(task, b)])
            out.append({
                "task": task, "n_train": head[task], "part": part or "", "how": how or "",
                "with_model": a, "without_model": b,
                "with_presentations": ba["presentations"], "with_epochs": ba["epochs"],
                "without_presentations": bb["presentations"], "without_epochs": bb["epochs"],
                **pc,
            })
    return out


CSV_COLUMNS = ["task", "n_train", "part", "with_model", "without_model", "with_mean",
               "without_mean", "n", "diff_mean", "diff_sd", "ci_low", "ci_high", "p_value",
               "significant", "with_presentations", "with_epochs", "without_presentations",
               "without_epochs", "seeds"]


def write_contributions_csv(contrib: list[dict[str, Any]], path: str | Path) -> Path:
    """``results/contributions.csv``: one row per contrast and task."""
    import csv
    import io

    from .._io import write_text_atomic

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for row in contrib:
        row = dict(row)
        row["seeds"] = " ".join(str(s) for s in row["seeds"])
        w.writerow({k: csv_number(row.get(k)) for k in CSV_COLUMNS})
    return write_text_atomic(path, buf.getvalue())
