"""What each part of the spiking model contributes: paired contrasts of learners and controls.

A *contrast* compares a model that has a part with one that lacks it, on the same tasks,
seeds and data (the runner gives both models the same split for the same seed), so the
per-seed differences ``d_s = acc_with(s) - acc_without(s)`` are paired; their mean, its
t-based 95 % confidence interval and the two-sided paired t-test p-value are computed as
for the other paired comparisons (:mod:`.stats`). A contrast is reported on a task only
when both models have runs there at the task's headline training-set size.

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
(:func:`record_budget`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .stats import _paired_t_p, describe

__all__ = [
    "CONTRASTS",
    "CONTROLS",
    "LEARNERS",
    "Contrast",
    "budget_phrase",
    "budget_span",
    "contribution_rows",
    "contributions_markdown",
    "paired_contrast",
    "record_budget",
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
)

#: models whose accuracy is to be explained (local-learning spiking networks)
LEARNERS: tuple[str, ...] = ("snn-stdp", "snn-hebbian", "snn-rstdp", "snn-stdp-scratch",
                             "snn-delta-skip", "snn-dc2015", "snn-dc2015-delta", "snn-kwta")
#: models with a part switched off or replaced
CONTROLS: tuple[str, ...] = ("snn-frozen", "snn-random", "ref-kmeans", "snn-dc2015-frozen",
                             "snn-kwta-frozen")


def record_budget(record: dict[str, Any]) -> dict[str, float | None]:
    """``{"presentations", "epochs"}`` of one run record: its ``budget`` field when present,
    else the last ``samples_seen`` of its training history (None when neither)."""
    b = record.get("budget")
    if isinstance(b, dict) and b.get("presentations") is not None:
        return {"presentations": float(b["presentations"]), "epochs": b.get("epochs")}
    seen = (record.get("history") or {}).get("samples_seen") or []
    if not seen:
        return {"presentations": None, "epochs": None}
    n = record.get("n_train_actual") or record.get("n_train")
    pres = float(seen[-1])
    return {"presentations": pres, "epochs": pres / float(n) if n else None}


# ---------------------------------------------------------------------- the numbers


def _headline(rows: list[dict]) -> dict[str, int]:
    best: dict[str, int] = {}
    for r in rows:
        best[r["task"]] = max(best.get(r["task"], 0), int(r["n_train"]))
    return best


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


def _num(v) -> float | None:
    if v is None or v == "":
        return None
    v = float(v)
    return None if math.isnan(v) else v


def _budget_cell(rs: list[dict]) -> dict[str, float | None]:
    pres = [p for p in (_num(r.get("presentations")) for r in rs) if p is not None]
    eps = [e for e in (_num(r.get("epochs")) for r in rs) if e is not None]
    return {"presentations": float(np.median(pres)) if pres else None,
            "epochs": float(np.median(eps)) if eps else None}


def contribution_rows(rows: Iterable[dict[str, Any]],
                      metric: str = "test_accuracy") -> list[dict[str, Any]]:
    """Every contrast on every task (at its headline n_train), paired over common seeds.

    ``rows`` are summary rows (``task``, ``model``, ``seed``, ``n_train``, ``metric``, and
    optionally ``presentations``/``epochs``). Each result row gives both models' means and
    budgets, the mean difference, its 95 % CI, the paired t-test p-value and whether the CI
    excludes 0.
    """
    rows = list(rows)
    head = _headline(rows)
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        if int(r["n_train"]) == head[r["task"]] and r.get(metric) not in (None, ""):
            cells[(r["task"], r["model"])].append(r)
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
            ba, bb = _budget_cell(cells[(task, a)]), _budget_cell(cells[(task, b)])
            out.append({
                "task": task, "n_train": head[task], "part": part or "", "how": how or "",
                "with_model": a, "without_model": b,
                "with_presentations": ba["presentations"], "with_epochs": ba["epochs"],
                "without_presentations": bb["presentations"], "without_epochs": bb["epochs"],
                **pc,
            })
    return out


def paired_contrast(with_rows: Iterable[dict[str, Any]], without_rows: Iterable[dict[str, Any]],
                    metric: str = "test_accuracy") -> dict[str, Any] | None:
    """Two models' runs (summary rows of one task and size) paired over their common seeds.

    Returns the common ``seeds``, both means over them (``with_mean``, ``without_mean``),
    and of the differences ``d_s = with(s) - without(s)``: ``n``, ``diff_mean``, ``diff_sd``,
    the t-based 95 % CI (``ci_low``, ``ci_high``), the two-sided paired t-test ``p_value`` and
    ``significant`` (the CI excludes 0); None when the two share no seed. The one place
    every paired contrast of the reports is computed (:func:`contribution_rows`, the 2 x 2
    of :mod:`.two_by_two`).
    """
    sa = {int(r["seed"]): float(r[metric]) for r in with_rows}
    sb = {int(r["seed"]): float(r[metric]) for r in without_rows}
    seeds = sorted(set(sa) & set(sb))
    if not seeds:
        return None
    diffs = np.array([sa[s] - sb[s] for s in seeds])
    d = describe(diffs)
    return {
        "with_mean": float(np.mean([sa[s] for s in seeds])),
        "without_mean": float(np.mean([sb[s] for s in seeds])),
        "seeds": seeds, "n": d["n"], "diff_mean": d["mean"], "diff_sd": d["sd"],
        "ci_low": d["ci_low"], "ci_high": d["ci_high"], "p_value": _paired_t_p(diffs),
        "significant": bool(d["n"] >= 2 and (d["ci_low"] > 0 or d["ci_high"] < 0)),
    }


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
        w.writerow({k: _csv(row.get(k)) for k in CSV_COLUMNS})
    return write_text_atomic(path, buf.getvalue())


def _csv(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(round(v, 6))
    return v


# ---------------------------------------------------------------------- the words


def _signed(v: float) -> str:
    return f"{v:+.3f}"


def _ci(r: dict) -> str:
    if math.isnan(r["ci_low"]):
        return "no CI (one seed)"
    return f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"


def _p(r: dict) -> str:
    return "–" if math.isnan(r["p_value"]) else f"{r['p_value']:.2g}"


def budget_phrase(presentations: float | None, epochs: float | None) -> str:
    """``"1,000 pres., 1 ep."``: a model's training budget in a table cell."""
    return budget_span([presentations], [epochs])


def budget_span(presentations: Iterable[float | None], epochs: Iterable[float | None]) -> str:
    """A model's training budget over several runs: ``"1,000–1,194 pres., 1–3 ep."``
    (a single value when they agree; "budget not recorded" without numbers)."""
    pres = sorted({p for p in (_num(v) for v in presentations) if p is not None})
    eps = sorted({e for e in (_num(v) for v in epochs) if e is not None})
    if not pres:
        return "budget not recorded"

    def span(vals, fmt):
        lo, hi = fmt(vals[0]), fmt(vals[-1])
        return lo if lo == hi else f"{lo}–{hi}"

    text = span(pres, lambda v: f"{round(v):,}") + " pres."
    if eps:
        text += ", " + span(eps, lambda v: f"{v:.3g}") + " ep."
    return text


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(part: str, a: str, b: str, how: str, rs: list[dict]) -> str:
    """One sentence per contrast: where the part adds or costs significantly, and where the
    data cannot tell it from 0."""
    up = [r for r in rs if r["significant"] and r["diff_mean"] > 0]
    down = [r for r in rs if r["significant"] and r["diff_mean"] < 0]
    flat = [r for r in rs if not r["significant"]]
    clauses = []
    if up:
        clauses.append("adds significantly on " + _list(
            [f"{r['task']} ({_signed(r['diff_mean'])}, 95 % CI {_ci(r)})" for r in up]))
    if down:
        clauses.append("costs significantly on " + _list(
            [f"{r['task']} ({_signed(r['diff_mean'])}, 95 % CI {_ci(r)})" for r in down]))
    if flat:
        lo = min(r["diff_mean"] for r in flat)
        hi = max(r["diff_mean"] for r in flat)
        span = _signed(lo) if lo == hi else f"{_signed(lo)} to {_signed(hi)}"
        clauses.append(
            f"is not distinguishable from 0 on {_list([r['task'] for r in flat])} "
            + (f"(mean differences {span}, the 95 % CIs include 0)" if len(flat) > 1
               else f"(mean difference {span}, the 95 % CI includes 0)"))
    seeds = ", ".join(map(str, sorted({r["n"] for r in rs})))
    head = f"**{part[0].upper() + part[1:]}** ({a} − {b}: {how})"
    return f"{head} {'; it '.join(clauses)} ({seeds} paired seeds)."


def contributions_markdown(contrib: list[dict[str, Any]]) -> str:
    """The README block: the named contrasts per task (a pivot table with CIs and
    p-values), the training budgets, and one generated sentence per contrast."""
    named = [r for r in contrib if r["part"]]
    if not named:
        return ("_No contrasts yet: the controls (snn-frozen, snn-random, ref-kmeans) have no "
                "runs next to the learners._\n")
    present = {r["part"] for r in named}
    parts = [c.part for c in CONTRASTS if c.part in present]
    tasks = list(dict.fromkeys(r["task"] for r in named))
    by = {(r["task"], r["part"]): r for r in named}
    first = {p: next(r for r in named if r["part"] == p) for p in parts}
    lines = [
        "#### What each part contributes",
        "",
        "Paired differences of test accuracy over seeds (same data per seed), mean with its "
        "95 % t-based CI and the paired t-test p; **bold** = the CI excludes 0. "
        "Generated from the saved runs; every number below comes from "
        "`results/contributions.csv`.",
        "",
        "| task | " + " | ".join(
            f"{p}: {first[p]['with_model']} − {first[p]['without_model']}" for p in parts) + " |",
        "|---|" + "---|" * len(parts),
    ]
    for t in tasks:
        cols = []
        for p in parts:
            r = by.get((t, p))
            if r is None:
                cols.append("")
                continue
            d = _signed(r["diff_mean"])
            cols.append(f"{'**' + d + '**' if r['significant'] else d} {_ci(r)}, p {_p(r)}")
        lines.append(f"| {t} | " + " | ".join(cols) + " |")

    # budgets of the models in the contrasts
    budgets: dict[str, list[tuple[float | None, float | None]]] = defaultdict(list)
    for r in contrib:
        budgets[r["with_model"]].append((r["with_presentations"], r["with_epochs"]))
        budgets[r["without_model"]].append((r["without_presentations"], r["without_epochs"]))
    lines += [
        "",
        "Training budget per fit (presentations of training samples; epochs = presentations / "
        "training-set size), range over the tasks above: " + "; ".join(
            f"{m} {budget_span([p for p, _ in v], [e for _, e in v])}"
            for m, v in budgets.items()),
    ]

    lines += ["", "In words (generated from the table):", ""]
    for p in parts:
        rs = [r for r in named if r["part"] == p]
        lines.append("- " + _sentence(p, rs[0]["with_model"], rs[0]["without_model"],
                                      rs[0]["how"], rs))
    n_sig = sum(r["significant"] for r in named)
    caveat = (f"The table holds {len(named)} tests at the 5 % level without correction for "
              f"multiple comparisons ({n_sig} significant); about {0.05 * len(named):.1g} would "
              "be significant by chance alone if no part mattered.")
    chance = [r for r in named if r["task"] == "seed-random" and r["significant"]]
    if chance:
        many = len(chance) > 1
        caveat += (" seed-random's labels do not depend on the input, so its significant "
                   + ("differences" if many else "difference") + " (" + _list(
                       [f"{r['part']} {_signed(r['diff_mean'])}" for r in chance])
                   + ") can only be " + ("chance findings." if many else "a chance finding."))
    lines += ["", caveat]
    return "\n".join(lines) + "\n"
