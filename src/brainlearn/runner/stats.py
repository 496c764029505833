"""Statistics over seeds: per-cell means with t-based 95 % confidence intervals, and a
paired comparison of the best spiking model against the best MLP on every task.

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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_open
from .._readme import md_cell

__all__ = [
    "cell_stats",
    "describe",
    "paired_comparisons",
    "summary_markdown",
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


def cell_stats(rows: Iterable[dict[str, Any]], metric: str = "test_accuracy") -> list[dict]:
    """One entry per (task, model, n_train): statistics of ``metric`` over seeds."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        groups[(r["task"], r["model"], r["family"], int(r["n_train"]))].append(r)
    out = []
    for (task, model, family, n_train), rs in sorted(groups.items()):
        d = describe(r[metric] for r in rs)
        out.append({"task": task, "model": model, "family": family, "n_train": n_train,
                    "metric": metric, "seeds": sorted(int(r["seed"]) for r in rs), **d})
    return out


def _paired_t_p(diffs: np.ndarray) -> float:
    n = len(diffs)
    if n < 2:
        return math.nan
    sd = diffs.std(ddof=1)
    if sd == 0:
        return 0.0 if diffs.mean() != 0 else 1.0
    from scipy.stats import t

    tstat = diffs.mean() / (sd / math.sqrt(n))
    return float(2 * t.sf(abs(tstat), n - 1))


def paired_comparisons(rows: Iterable[dict[str, Any]], metric: str = "test_accuracy") -> list[dict]:
    """Best spiking model against best MLP per (task, n_train), paired over common seeds."""
    rows = list(rows)
    cells = cell_stats(rows, metric)
    by: dict[tuple, dict[int, float]] = defaultdict(dict)
    for r in rows:
        by[(r["task"], r["model"], int(r["n_train"]))][int(r["seed"])] = float(r[metric])
    out = []
    keys = sorted({(c["task"], c["n_train"]) for c in cells})
    for task, n_train in keys:
        here = [c for c in cells if c["task"] == task and c["n_train"] == n_train]
        best = {}
        for fam in ("snn", "mlp"):
            cand = [c for c in here if c["family"] == fam and not math.isnan(c["mean"])]
            if cand:
                best[fam] = max(cand, key=lambda c: (c["mean"], c["model"]))
        if len(best) < 2:
            continue
        a, b = best["snn"]["model"], best["mlp"]["model"]
        sa, sb = by[(task, a, n_train)], by[(task, b, n_train)]
        seeds = sorted(set(sa) & set(sb))
        if not seeds:
            continue
        diffs = np.array([sa[s] - sb[s] for s in seeds])
        d = describe(diffs)
        p = _paired_t_p(diffs)
        significant = bool(d["n"] >= 2 and (d["ci_low"] > 0 or d["ci_high"] < 0))
        out.append({
            "task": task, "n_train": n_train, "snn_model": a, "mlp_model": b,
            "snn_mean": best["snn"]["mean"], "mlp_mean": best["mlp"]["mean"],
            "seeds": seeds, "n": d["n"], "diff_mean": d["mean"], "diff_sd": d["sd"],
            "ci_low": d["ci_low"], "ci_high": d["ci_high"], "p_value": p,
            "significant": significant,
        })
    return out


STATS_COLUMNS = ["kind", "task", "n_train", "model", "family", "metric", "n", "mean", "sd",
                 "ci_low", "ci_high", "snn_model", "mlp_model", "p_value", "significant",
                 "seeds"]


def write_stats(rows: list[dict[str, Any]], path: str | Path) -> Path:
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
            w.writerow({k: _fmt_csv(row.get(k)) for k in STATS_COLUMNS})
    return Path(path)


def _fmt_csv(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(round(v, 6))
    return v


# ---------------------------------------------------------------------- markdown


def _acc(mean: float, hw: float) -> str:
    if math.isnan(mean):
        return "–"
    if math.isnan(hw):
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {hw:.3f}"


def _headline(rows: list[dict]) -> dict[str, int]:
    """The training-set size reported per task: the largest one run."""
    best: dict[str, int] = {}
    for r in rows:
        best[r["task"]] = max(best.get(r["task"], 0), int(r["n_train"]))
    return best


def _sizes_phrase(head: dict[str, int], tasks: list[str], rows: list[dict]) -> str:
    """The headline training-set sizes, and the tasks whose data hold fewer rows than
    asked (their actual size, from the records' ``n_train_actual``)."""
    sizes = {head[t] for t in tasks}
    text = (f"n_train = {sizes.pop()}" if len(sizes) == 1
            else "n_train = " + ", ".join(f"{t} {head[t]}" for t in tasks))
    for t in tasks:
        actual = {int(r["n_train_actual"]) for r in rows
                  if r["task"] == t and int(r["n_train"]) == head[t]
                  and r.get("n_train_actual") not in (None, "")}
        if len(actual) == 1 and (n := actual.pop()) < head[t]:
            text += f" ({t}: all {n} rows of its training part)"
    return text + "."


def _order(names: Iterable[str], preferred: Iterable[str]) -> list[str]:
    pref = list(preferred)
    names = list(dict.fromkeys(names))
    return sorted(names, key=lambda n: (pref.index(n) if n in pref else len(pref), n))


def _budget(rows: list[dict], model: str, task: str | None = None) -> str:
    """The training budget of ``model`` over its rows (of one task, or all)."""
    from .contributions import budget_span

    rs = [r for r in rows if r["model"] == model and (task is None or r["task"] == task)]
    return budget_span([r.get("presentations") for r in rs], [r.get("epochs") for r in rs])


def summary_markdown(rows: list[dict[str, Any]]) -> str:
    """The results tables (markdown) generated from the summary rows."""
    from ..tasks import list_tasks
    from .energy import ENERGY_PJ

    if not rows:
        return "_No results yet: run `brainlearn run`._\n"
    # labels come from specs: escaped once here for every table below (pipes, newlines,
    # comment markers), so no label can break a table or a README block
    rows = [{**r, **{k: md_cell(r[k]) for k in ("model", "task", "family") if k in r}}
            for r in rows]
    head = _headline(rows)
    main = [r for r in rows if int(r["n_train"]) == head[r["task"]]]
    cells = {(c["task"], c["model"]): c for c in cell_stats(main)}
    family = {r["model"]: r["family"] for r in rows}
    models = sorted(family, key=lambda m: (0 if family[m] == "mlp" else 1, m))
    tasks = _order(head, list_tasks())
    n_seeds = sorted({c["n"] for c in cells.values()})
    lines = [
        "#### Test accuracy",
        "",
        "Mean ± half-width of the 95 % confidence interval over seeds "
        "(Student's t: mean ± t₀.₉₇₅,ₙ₋₁·sd/√n; "
        f"n = {', '.join(map(str, n_seeds))} seeds); " +
        _sizes_phrase(head, tasks, main),
        "",
        "| task | " + " | ".join(f"{m} ({family[m]})" for m in models) + " |",
        "|---|" + "---|" * len(models),
    ]
    for t in tasks:
        best = max((cells[(t, m)]["mean"] for m in models if (t, m) in cells), default=math.nan)
        cols = []
        for m in models:
            c = cells.get((t, m))
            if c is None:
                cols.append("")
                continue
            s = _acc(c["mean"], c["half_width"])
            cols.append(f"**{s}**" if c["mean"] == best else s)
        lines.append(f"| {t} | " + " | ".join(cols) + " |")
    lines.append("| *training budget per fit* | " + " | ".join(
        _budget(main, m) for m in models) + " |")

    comps = [p for p in paired_comparisons(main)]
    if comps:
        lines += [
            "",
            "#### Best spiking model against best MLP, paired over seeds",
            "",
            "Difference of test accuracy (spiking − MLP) on the same seeds and data, its 95 % "
            "t-based CI and the paired t-test p-value; significant = the CI excludes 0. "
            "Both models are the best of their family on these same results; their training "
            "budgets (presentations of training samples per fit) are in brackets.",
            "",
            "| task | best spiking | best MLP | seeds | difference | 95 % CI | p | significant |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for p in sorted(comps, key=lambda p: tasks.index(p["task"])):
            ci = ("–" if math.isnan(p["ci_low"])
                  else f"[{p['ci_low']:+.3f}, {p['ci_high']:+.3f}]")
            pv = "–" if math.isnan(p["p_value"]) else f"{p['p_value']:.3g}"
            lines.append(
                f"| {p['task']} | {p['snn_model']} ({p['snn_mean']:.3f}; "
                f"{_budget(main, p['snn_model'], p['task'])}) | "
                f"{p['mlp_model']} ({p['mlp_mean']:.3f}; "
                f"{_budget(main, p['mlp_model'], p['task'])}) | {p['n']} | {p['diff_mean']:+.3f} | "
                f"{ci} | {pv} | {'yes' if p['significant'] else 'no'} |"
            )

    from .contributions import contribution_rows, contributions_markdown

    contrib = contribution_rows(rows)
    if contrib:
        lines += ["", contributions_markdown(contrib).rstrip()]

    from .two_by_two import CORNERS, two_by_two, two_by_two_markdown

    tt = two_by_two(rows)
    if len(tt["absent"]) < len(CORNERS):  # some corner ran: the 2 x 2, or why it is missing
        lines += ["", two_by_two_markdown(tt).rstrip()]

    cost_rows = [r for r in main if r.get("predict_per_sample_us") is not None]
    if cost_rows:
        lines += [
            "",
            "#### Compute per sample",
            "",
            "Medians over every task and seed at the headline size. Energy = operations × "
            f"{ENERGY_PJ['mac']} pJ per 32-bit MAC (Horowitz, ISSCC 2014) or × "
            f"{ENERGY_PJ['synaptic_event']} pJ per synaptic event (Loihi, Davies et al. 2018); "
            "arithmetic only.",
            "",
            "| model | family | fit µs / training sample | predict µs / sample | MACs / sample "
            "| synaptic events / sample | energy nJ / sample |",
            "|---|---|---|---|---|---|---|",
        ]
        for m in models:
            rs = [r for r in cost_rows if r["model"] == m]
            if not rs:
                continue

            def med(key, rs=rs):
                v = [r[key] for r in rs if r.get(key) is not None]
                return float(np.median(v)) if v else math.nan

            def f(v, fmt):
                return "–" if math.isnan(v) else format(v, fmt)

            lines.append(
                f"| {m} | {family[m]} | {f(med('fit_per_sample_us'), '.1f')} | "
                f"{f(med('predict_per_sample_us'), '.1f')} | {f(med('macs_per_sample'), '.4g')} | "
                f"{f(med('synaptic_events_per_sample'), '.4g')} | "
                f"{f(med('energy_per_sample_nj'), '.3g')} |"
            )
    return "\n".join(lines) + "\n"
