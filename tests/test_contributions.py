"""The contributions table, sentences and figure: paired contrasts from saved results only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from brainlearn.runner.contributions import contribution_rows
from brainlearn.runner.records import RunRecord, SummaryRow
from brainlearn.runner.report import budget_span, contributions_markdown
from brainlearn.runner.stats import describe

SEEDS = (0, 1, 2, 3)


def _row(**kw) -> SummaryRow:
    """A summary row with the fields a test does not care about filled in."""
    base = {"run_id": "r", "registry_model": kw.get("model", "m"), "family": "snn",
            "n_test": 1000, "n_train_actual": None, "n_test_actual": None}
    return SummaryRow(**{**base, **kw})


def _rows(acc: dict[tuple[str, str], list[float]], presentations=None) -> list[SummaryRow]:
    """Summary rows from {(task, model): per-seed accuracies}."""
    out = []
    for (task, model), accs in acc.items():
        for s, a in zip(SEEDS, accs, strict=False):
            out.append(_row(task=task, model=model, seed=s, n_train=1000, test_accuracy=a,
                            presentations=(presentations or {}).get(model, 1000.0),
                            epochs=(presentations or {}).get(model, 1000.0) / 1000))
    return out


# xor: hidden STDP adds 0.02 on every seed (+- tiny noise): significant.
# circle: it adds nothing (differences of both signs): not significant.
ACC = {
    ("xor", "snn-stdp"): [0.96, 0.95, 0.97, 0.96],
    ("xor", "snn-frozen"): [0.94, 0.931, 0.949, 0.94],
    ("xor", "snn-random"): [0.66, 0.70, 0.65, 0.68],
    ("xor", "ref-kmeans"): [0.975, 0.965, 0.98, 0.97],  # the twin beats spiking
    ("circle", "snn-stdp"): [0.95, 0.96, 0.94, 0.95],
    ("circle", "snn-frozen"): [0.96, 0.95, 0.95, 0.94],
    ("circle", "snn-random"): [0.70, 0.72, 0.69, 0.71],
    ("circle", "snn-hebbian"): [0.94, 0.95, 0.93, 0.94],
}


def _by(contrib, task, a, b):
    (r,) = [r for r in contrib if r["task"] == task and r["with_model"] == a
            and r["without_model"] == b]
    return r


def test_paired_differences_and_their_statistics():
    contrib = contribution_rows(_rows(ACC))
    r = _by(contrib, "xor", "snn-stdp", "snn-frozen")
    diffs = np.subtract(ACC[("xor", "snn-stdp")], ACC[("xor", "snn-frozen")])
    d = describe(diffs)
    assert r["part"] == "hidden plasticity"
    assert r["diff_mean"] == pytest.approx(diffs.mean())
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(d["ci_low"]), pytest.approx(d["ci_high"]))
    assert r["significant"] and r["p_value"] < 0.05 and r["n"] == 4
    c = _by(contrib, "circle", "snn-stdp", "snn-frozen")
    assert not c["significant"] and c["ci_low"] < 0 < c["ci_high"]
    # the data-point init: frozen - random; spiking: stdp - twin (only where the twin ran)
    init = _by(contrib, "xor", "snn-frozen", "snn-random")
    assert init["diff_mean"] == pytest.approx(np.mean(np.subtract(
        ACC[("xor", "snn-frozen")], ACC[("xor", "snn-random")])))
    assert _by(contrib, "xor", "snn-stdp", "ref-kmeans")["part"] == "spiking"
    assert not [r for r in contrib if r["task"] == "circle" and r["without_model"] == "ref-kmeans"]
    # a learner against a control outside the named contrasts
    other = _by(contrib, "circle", "snn-hebbian", "snn-random")
    assert other["part"] == "" and other["diff_mean"] > 0.2


def test_contrasts_only_at_the_headline_size_and_on_common_seeds():
    rows = _rows(ACC)
    rows += [dataclasses.replace(r, n_train=100, test_accuracy=0.5) for r in rows]  # scarcity
    rows = [r for r in rows if not (r.model == "snn-frozen" and r.seed == 3)]
    r = _by(contribution_rows(rows), "xor", "snn-stdp", "snn-frozen")
    assert r["n_train"] == 1000 and r["seeds"] == [0, 1, 2] and r["n"] == 3


def test_markdown_states_numbers_budgets_and_generated_sentences():
    contrib = contribution_rows(_rows(ACC, presentations={"snn-stdp": 1000.0,
                                                          "ref-kmeans": 21000.0}))
    md = contributions_markdown(contrib)
    r = _by(contrib, "xor", "snn-stdp", "snn-frozen")
    assert f"**{r['diff_mean']:+.3f}**" in md  # significant: bold
    c = _by(contrib, "circle", "snn-stdp", "snn-frozen")
    assert f"{c['diff_mean']:+.3f} [" in md and f"**{c['diff_mean']:+.3f}**" not in md
    assert "ref-kmeans 21,000 pres., 21 ep." in md
    assert "snn-stdp 1,000 pres., 1 ep." in md
    line = next(x for x in md.splitlines() if x.startswith("- **Hidden plasticity**"))
    assert "adds significantly on xor" in line
    assert "not distinguishable from 0 on circle" in line
    assert "costs" not in line
    n_tests = sum(1 for r in contrib if r["part"])
    n_sig = sum(r["significant"] for r in contrib if r["part"])
    assert f"holds {n_tests} tests at the 5 % level" in md and f"({n_sig} significant)" in md
    assert "seed-random" not in md  # no such task here, so no chance-finding note
    spiking = next(x for x in md.splitlines() if x.startswith("- **Spiking**"))
    assert "costs significantly on xor" in spiking
    assert "(4 paired seeds)" in spiking


def test_no_controls_no_contrasts():
    rows = _rows({("xor", "snn-stdp"): [0.9, 0.9, 0.9], ("xor", "mlp-wide"): [1, 1, 1]})
    assert contribution_rows(rows) == []
    assert "No contrasts yet" in contributions_markdown([])


def test_budget_span():
    assert budget_span([1000.0, 1194.0, 1000.0], [1.0, 3.0, 1.0]) == "1,000–1,194 pres., 1–3 ep."
    assert budget_span([300000.0], [300.0]) == "300,000 pres., 300 ep."
    assert budget_span([None], [None]) == "budget not recorded"


def test_record_budget_from_history_or_field():
    rec = _record("xor", "snn-stdp", 0, 0.9, 250)
    rec.n_train_actual, rec.history = 398, {"samples_seen": [250, 1194]}
    assert rec.training_budget() == {"presentations": 1194.0, "epochs": pytest.approx(3.0)}
    rec.budget = {"presentations": 5, "epochs": 1}
    assert rec.training_budget() == {"presentations": 5.0, "epochs": 1}
    rec.budget, rec.history = None, {}
    assert rec.training_budget()["presentations"] is None


def _record(task, model, seed, acc, seen) -> RunRecord:
    return RunRecord(run_id=f"{task}-{model}-{seed}", config={}, task=task, model=model,
                     family="snn" if model.startswith("snn") else "reference", seed=seed,
                     n_train=1000, n_test=1000, n_train_actual=1000,
                     metrics={"test_accuracy": acc}, history={"samples_seen": [seen]})


def test_figure_is_drawn_from_saved_records_only(tmp_path):
    from brainlearn.figures._data import SkipFigure
    from brainlearn.figures.contributions import contributions

    records = [_record(t, m, s, a, 1000 if m.startswith("snn") else 21000)
               for (t, m), accs in ACC.items() for s, a in zip(SEEDS, accs, strict=False)]
    paths, caption = contributions(records, tmp_path)
    # the named contrasts, then every learner against every control beside them
    assert [p.name for p in paths] == ["contributions.png", "contributions.svg",
                                       "contributions_all.png", "contributions_all.svg"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert "n = 4 seeds" in caption and "ref-kmeans 21,000 pres., 21 ep." in caption
    with pytest.raises(SkipFigure):
        contributions([r for r in records if r.model == "snn-stdp"], tmp_path)


def test_a_significant_difference_on_seed_random_is_called_a_chance_finding():
    acc = {("seed-random", "snn-stdp"): [0.52, 0.53, 0.52, 0.53],
           ("seed-random", "snn-frozen"): [0.50, 0.50, 0.50, 0.51]}
    md = contributions_markdown(contribution_rows(_rows(acc)))
    assert "hidden plasticity +0.023) can only be a chance finding." in md



def test_input_code_row_current_minus_poisson():
    acc = {("digits", "snn-surrogate-current"): [0.98, 0.985, 0.99, 0.98],
           ("digits", "snn-surrogate-poisson"): [0.94, 0.945, 0.93, 0.95],
           ("digits", "snn-surrogate"): [0.94, 0.94, 0.95, 0.94]}
    rows = {(r["part"], r["with_model"], r["without_model"]): r
            for r in contribution_rows(_rows(acc))}
    r = rows[("input code: current − Poisson", "snn-surrogate-current",
              "snn-surrogate-poisson")]
    d = np.subtract(acc[("digits", "snn-surrogate-current")],
                    acc[("digits", "snn-surrogate-poisson")])
    assert r["diff_mean"] == pytest.approx(d.mean())
    assert r["significant"] and r["ci_low"] > 0
    assert ("input code: Poisson − regular population", "snn-surrogate-poisson",
            "snn-surrogate") in rows
    assert "input code: current − Poisson" in contributions_markdown(list(rows.values()))
