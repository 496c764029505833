"""Statistics over seeds, from summary rows: per-cell means with t-based 95 % confidence
intervals, paired contrasts of two models, and a paired comparison of the best spiking
model against the best MLP on every task. The words and tables built on these numbers
are in :mod:`.report`.

Confidence intervals
--------------------
For ``n`` values with mean ``m`` and sample standard deviation ``s`` (ddof 1) the
95 % interval is ``m +- t_{0.975, n-1} * s / sqrt(n)`` (Student's t, which assumes
the per-seed accuracies are roughly normal; with 3 seeds ``t = 4.30``, so the
intervals are wide, honestly). One value has no interval.

Paired comparison
-----------------
Per task (at each training-set size), the spiking model and the MLP with the
highest mean test accuracy are compared over the seeds both were run with. The
seeds give both models the same data, so the differences ``d_s = acc_snn(s) -
acc_mlp(s)`` are paired: the report gives their mean, its t-based 95 % CI and the
two-sided paired t-test p-value; a difference counts as significant when its CI
excludes 0 (equivalently p < 0.05). The two models are chosen on the same test
results, which favours both a little; with a handful of seeds read the CI, not
the verdict.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_open
from .records import SummaryRow

__all__ = [
    "STATS_COLUMNS",
    "budget_median",
    "cell_stats",
    "csv_number",
    "describe",
    "finite_or_none",
    "headline_sizes",
    "paired_comparisons",
    "choose",
    "FAMILY_ORDER",
    "paired_contrast",
    "paired_t_p",
    "t_quantile",
    "write_stats",
]


def t_quantile(df: int, q: float = 0.975) -> float:
    """Quantile ``q`` of Student's t distribution with ``df`` degrees of freedom."""
    from scipy.stats import t  # scipy is a dependency of scikit-learn

    return float(t.ppf(q, df))


def describe(values: Iterable[float]) -> dict[str, float]:
    """n, mean, sd (ddof 1), and the t-based 95 % CI of the mean."""
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    n = len(v)
    if n == 0:
        return {"n": 0, "mean": math.nan, "sd": math.nan, "ci_low": math.nan,
                "ci_high": math.nan, "half_width": math.nan}
    mean = float(v.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                "half_width": math.nan}
    sd = float(v.std(ddof=1))
    hw = t_quantile(n - 1) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - hw, "ci_high": mean + hw,
            "half_width": hw}


def headline_sizes(rows: Iterable[SummaryRow]) -> dict[str, int]:
    """The training-set size reported per task: the largest one run."""
    best: dict[str, int] = {}
    for r in rows:
        best[r.task] = max(best.get(r.task, 0), int(r.n_train))
    return best


def cell_stats(rows: Iterable[SummaryRow], metric: str = "test_accuracy") -> list[dict]:
    """One entry per (task, model, n_train): statistics of ``metric`` over seeds."""
    groups: dict[tuple, list[SummaryRow]] = defaultdict(list)
    for r in rows:
        groups[(r.task, r.model, r.family, int(r.n_train))].append(r)
    out = []
    for (task, model, family, n_train), rs in sorted(groups.items()):
        d = describe(r.metric(metric) for r in rs)
        out.append({"task": task, "model": model, "family": family, "n_train": n_train,
                    "metric": metric, "seeds": sorted(int(r.seed) for r in rs), **d})
    return out


def paired_t_p(diffs: np.ndarray) -> float:
    """Two-sided p-value of the paired t-test on the differences ``diffs`` (NaN for fewer
    than two; 0 or 1 when they do not vary)."""
    n = len(diffs)
    if n < 2:
        return math.nan
    sd = diffs.std(ddof=1)
    if sd == 0:
        return 0.0 if diffs.mean() != 0 else 1.0
    from scipy.stats import t

    tstat = diffs.mean() / (sd / math.sqrt(n))
    return float(2 * t.sf(abs(tstat), n - 1))


#: the models that stand for a family when results carry no validation scores (the first
#: of these with runs), fixed in advance and the same for every task: the project's
#: reference networks, not the best-scoring ones. The spiking learners are also the
#: candidates of the contributions table and of the 2 x 2's spiking, local corner.
FAMILY_ORDER: dict[str, tuple[str, ...]] = {
    "mlp": ("mlp-wide", "mlp-wide64", "mlp-seed"),
    "snn": ("snn-stdp", "snn-hebbian", "snn-rstdp", "snn-stdp-scratch", "snn-delta-skip",
            "snn-dc2015", "snn-dc2015-delta", "snn-kwta"),
}


def choose(candidates: Mapping[str, list[SummaryRow]], declared: Iterable[str]
           ) -> tuple[str, str] | None:
    """Which of ``candidates`` (model -> its runs on one task and size) stands for a group:
    ``(model, "validation")``, the highest mean validation score, when every candidate's
    runs carry one (tuned runs); otherwise ``(model, "declared")``, the first of
    ``declared`` that has runs. Test scores never choose. None when no candidate is
    declared and none has validation scores."""
    cands = {m: rs for m, rs in candidates.items() if rs}
    if not cands:
        return None
    if all(r.validation_score is not None for rs in cands.values() for r in rs):
        order = list(declared)

        def key(m):
            v = float(np.mean([r.validation_score for r in cands[m]]))
            return (v, -(order.index(m) if m in order else len(order)))

        return max(cands, key=key), "validation"
    for m in declared:
        if m in cands:
            return m, "declared"
    return None


def paired_comparisons(rows: Iterable[SummaryRow], metric: str = "test_accuracy") -> list[dict]:
    """The spiking model against the MLP per (task, n_train), paired over common seeds;
    each family's model chosen by :func:`choose` among its learners (validation scores
    when the runs have them, else :data:`FAMILY_ORDER`); ``chosen`` says which."""
    rows = list(rows)
    cells = cell_stats(rows, metric)
    by: dict[tuple, dict[int, float]] = defaultdict(dict)
    runs: dict[tuple, list[SummaryRow]] = defaultdict(list)
    for r in rows:
        by[(r.task, r.model, int(r.n_train))][int(r.seed)] = float(r.metric(metric))
        runs[(r.task, r.model, int(r.n_train))].append(r)
    out = []
    keys = sorted({(c["task"], c["n_train"]) for c in cells})
    for task, n_train in keys:
        here = [c for c in cells if c["task"] == task and c["n_train"] == n_train]
        best, how = {}, {}
        for fam in ("snn", "mlp"):
            cand = {c["model"]: runs[(task, c["model"], n_train)] for c in here
                    if c["family"] == fam and not math.isnan(c["mean"])
                    and (c["model"] in FAMILY_ORDER[fam]
                         or all(r.validation_score is not None
                                for r in runs[(task, c["model"], n_train)]))}
            picked = choose(cand, FAMILY_ORDER[fam])
            if picked is not None:
                best[fam] = next(c for c in here if c["model"] == picked[0])
                how[fam] = picked[1]
        if len(best) < 2:
            continue
        a, b = best["snn"]["model"], best["mlp"]["model"]
        sa, sb = by[(task, a, n_train)], by[(task, b, n_train)]
        seeds = sorted(set(sa) & set(sb))
        if not seeds:
            continue
        diffs = np.array([sa[s] - sb[s] for s in seeds])
        d = describe(diffs)
        p = paired_t_p(diffs)
        significant = bool(d["n"] >= 2 and (d["ci_low"] > 0 or d["ci_high"] < 0))
        out.append({
            "task": task, "n_train": n_train, "snn_model": a, "mlp_model": b,
            "snn_mean": best["snn"]["mean"], "mlp_mean": best["mlp"]["mean"],
            "seeds": seeds, "n": d["n"], "diff_mean": d["mean"], "diff_sd": d["sd"],
            "ci_low": d["ci_low"], "ci_high": d["ci_high"], "p_value": p,
            "significant": significant,
            "chosen": "validation" if set(how.values()) == {"validation"} else "declared",
        })
    return out


def paired_contrast(with_rows: Iterable[SummaryRow], without_rows: Iterable[SummaryRow],
                    metric: str = "test_accuracy") -> dict[str, Any] | None:
    """Two models' runs (summary rows of one task and size) paired over their common seeds.

    Returns the common ``seeds``, both means over them (``with_mean``, ``without_mean``),
    and of the differences ``d_s = with(s) - without(s)``: ``n``, ``diff_mean``, ``diff_sd``,
    the t-based 95 % CI (``ci_low``, ``ci_high``), the two-sided paired t-test ``p_value`` and
    ``significant`` (the CI excludes 0); None when the two share no seed. The one place
    every paired contrast of the reports is computed (:mod:`.contributions`, the 2 x 2
    of :mod:`.two_by_two`).
    """
    sa = {int(r.seed): float(r.metric(metric)) for r in with_rows}
    sb = {int(r.seed): float(r.metric(metric)) for r in without_rows}
    seeds = sorted(set(sa) & set(sb))
    if not seeds:
        return None
    diffs = np.array([sa[s] - sb[s] for s in seeds])
    d = describe(diffs)
    return {
        "with_mean": float(np.mean([sa[s] for s in seeds])),
        "without_mean": float(np.mean([sb[s] for s in seeds])),
        "seeds": seeds, "n": d["n"], "diff_mean": d["mean"], "diff_sd": d["sd"],
        "ci_low": d["ci_low"], "ci_high": d["ci_high"], "p_value": paired_t_p(diffs),
        "significant": bool(d["n"] >= 2 and (d["ci_low"] > 0 or d["ci_high"] < 0)),
    }


def finite_or_none(v: Any) -> float | None:
    """A number, or None for a missing cell (None, "", NaN)."""
    if v is None or v == "":
        return None
    v = float(v)
    return None if math.isnan(v) else v


def budget_median(rows: Iterable[SummaryRow]) -> dict[str, float | None]:
    """Median presentations and epochs over runs (None where none is recorded)."""
    rows = list(rows)
    pres = [p for p in (finite_or_none(r.presentations) for r in rows) if p is not None]
    eps = [e for e in (finite_or_none(r.epochs) for r in rows) if e is not None]
    return {"presentations": float(np.median(pres)) if pres else None,
            "epochs": float(np.median(eps)) if eps else None}


STATS_COLUMNS = ["kind", "task", "n_train", "model", "family", "metric", "n", "mean", "sd",
                 "ci_low", "ci_high", "snn_model", "mlp_model", "p_value", "significant",
                 "seeds"]


def write_stats(rows: list[SummaryRow], path: str | Path) -> Path:
    """results/stats.csv: cell statistics (kind=cell) and paired comparisons (kind=paired)."""
    out = []
    for metric in ("test_accuracy", "train_accuracy"):
        for c in cell_stats(rows, metric):
            out.append({"kind": "cell", **c})
    for p in paired_comparisons(rows):
        out.append({"kind": "paired", "task": p["task"], "n_train": p["n_train"],
                    "model": f"{p['snn_model']} - {p['mlp_model']}", "family": "snn-mlp",
                    "metric": "test_accuracy_difference", "n": p["n"], "mean": p["diff_mean"],
                    "sd": p["diff_sd"], "ci_low": p["ci_low"], "ci_high": p["ci_high"],
                    "snn_model": p["snn_model"], "mlp_model": p["mlp_model"],
                    "p_value": p["p_value"], "significant": p["significant"],
                    "seeds": p["seeds"]})
    with atomic_open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=STATS_COLUMNS, extrasaction="ignore")
        w.writeheader()
        for row in out:
            row = dict(row)
            row["seeds"] = " ".join(str(s) for s in row.get("seeds", []))
            w.writerow({k: csv_number(row.get(k)) for k in STATS_COLUMNS})
    return Path(path)


def csv_number(v):
    """A value as written in the CSV tables: floats rounded to 6 decimals, NaN and None
    empty."""
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(round(v, 6))
    return v
