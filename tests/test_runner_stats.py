"""Statistics: t-based confidence intervals, the paired comparison, the generated tables."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from brainlearn.runner.records import SummaryRow
from brainlearn.runner.report import summary_markdown
from brainlearn.runner.stats import (
    cell_stats,
    describe,
    paired_comparisons,
    t_quantile,
    write_stats,
)


def test_t_quantiles_match_the_tables():
    # Student's t, two-sided 95 %: df 1, 2, 4, 9, 29
    for df, t in [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (29, 2.045)]:
        assert t_quantile(df) == pytest.approx(t, abs=1e-3)


def test_describe_is_the_t_interval():
    v = [0.9, 0.8, 0.85]
    d = describe(v)
    sd = np.std(v, ddof=1)
    hw = 4.302653 * sd / math.sqrt(3)
    assert d["n"] == 3 and d["mean"] == pytest.approx(0.85) and d["sd"] == pytest.approx(sd)
    assert d["ci_low"] == pytest.approx(0.85 - hw, abs=1e-6)
    assert d["ci_high"] == pytest.approx(0.85 + hw, abs=1e-6)
    one = describe([0.7])
    assert one["mean"] == 0.7 and math.isnan(one["ci_low"]) and math.isnan(one["sd"])
    assert describe([])["n"] == 0


def _row(**kw) -> SummaryRow:
    """A summary row with the fields a test does not care about filled in."""
    base = {"run_id": "r", "registry_model": kw.get("model", "m"), "family": "snn",
            "n_test": 1000, "n_train_actual": None, "n_test_actual": None}
    return SummaryRow(**{**base, **kw})


def _rows(acc: dict[tuple[str, str, str], list[float]], n_train=1000,
          validation: dict[str, float] | None = None):
    """Rows of test accuracies; ``validation`` gives a model's runs a validation score
    (as tuned runs have)."""
    rows = []
    for (task, model, fam), values in acc.items():
        for seed, a in enumerate(values):
            rows.append(_row(task=task, model=model, family=fam, seed=seed,
                             n_train=n_train, test_accuracy=a, train_accuracy=a,
                             validation_score=(validation or {}).get(model)))
    return rows


def test_paired_comparison_chooses_each_family_on_validation_scores():
    rows = _rows({
        ("xor", "mlp-a", "mlp"): [0.80, 0.82, 0.81],
        ("xor", "mlp-b", "mlp"): [0.95, 0.96, 0.97],
        ("xor", "snn-a", "snn"): [0.93, 0.94, 0.95],  # best on test, worse on validation
        ("xor", "snn-b", "snn"): [0.90, 0.92, 0.91],
        ("linear", "mlp-a", "mlp"): [0.99, 0.98, 0.97],
        ("linear", "snn-a", "snn"): [0.98, 0.99, 0.97],
    }, validation={"mlp-a": 0.8, "mlp-b": 0.9, "snn-a": 0.85, "snn-b": 0.9})
    comps = {c["task"]: c for c in paired_comparisons(rows)}
    x = comps["xor"]
    assert (x["snn_model"], x["mlp_model"]) == ("snn-b", "mlp-b")
    assert x["chosen"] == "validation"
    diffs = np.array([0.90 - 0.95, 0.92 - 0.96, 0.91 - 0.97])
    assert x["diff_mean"] == pytest.approx(diffs.mean())
    hw = t_quantile(2) * diffs.std(ddof=1) / math.sqrt(3)
    assert x["ci_high"] == pytest.approx(diffs.mean() + hw)
    from scipy.stats import ttest_rel

    assert x["p_value"] == pytest.approx(ttest_rel([0.90, 0.92, 0.91], [0.95, 0.96, 0.97]).pvalue)
    assert x["significant"] and x["ci_high"] < 0
    lin = comps["linear"]
    assert not lin["significant"] and lin["ci_low"] < 0 < lin["ci_high"]


def test_without_validation_scores_the_declared_model_stands_for_its_family():
    """Test scores never choose: untuned runs are represented by the family's first
    declared model with runs, whatever the test accuracies."""
    rows = _rows({
        ("xor", "mlp-wide", "mlp"): [0.95, 0.96, 0.97],
        ("xor", "mlp-seed", "mlp"): [0.99, 0.99, 0.99],
        ("xor", "snn-stdp", "snn"): [0.90, 0.92, 0.91],
        ("xor", "snn-delta-skip", "snn"): [0.97, 0.98, 0.97],
        ("xor", "snn-frozen", "snn"): [0.99, 0.99, 0.99],  # a control: never a candidate
    })
    (x,) = paired_comparisons(rows)
    assert (x["snn_model"], x["mlp_model"]) == ("snn-stdp", "mlp-wide")
    assert x["chosen"] == "declared"
    from brainlearn.runner.stats import choose

    assert choose({"a": [], "b": []}, ["a", "b"]) is None


def test_paired_comparison_needs_both_families_and_common_seeds():
    rows = _rows({("xor", "mlp-a", "mlp"): [0.8, 0.9]})
    assert paired_comparisons(rows) == []
    rows += [_row(task="xor", model="snn-a", family="snn", seed=7, n_train=1000,
                  test_accuracy=0.5, train_accuracy=0.5)]
    assert paired_comparisons(rows) == []  # no seed in common


def test_cells_group_by_task_model_and_size():
    rows = _rows({("xor", "m", "mlp"): [0.5, 0.6]}, n_train=10) + \
        _rows({("xor", "m", "mlp"): [0.9, 0.8]}, n_train=100)
    cells = cell_stats(rows)
    assert [(c["n_train"], round(c["mean"], 3)) for c in cells] == [(10, 0.55), (100, 0.85)]


def test_summary_markdown_reports_headline_cells_and_significance(tmp_path):
    rows = _rows({
        ("xor", "mlp-b", "mlp"): [0.95, 0.96, 0.97],
        ("xor", "snn-b", "snn"): [0.90, 0.92, 0.91],
    }, validation={"mlp-b": 0.9, "snn-b": 0.9}) + _rows(
        {("xor", "snn-b", "snn"): [0.5, 0.6, 0.55]}, n_train=10)
    rows = [dataclasses.replace(  # training budgets: presentations of training samples per fit
        r, presentations=(p := 300_000.0 if r.family == "mlp" else 1000.0), epochs=p / 1000)
        for r in rows]
    md = summary_markdown(rows)
    assert "| xor | **0.960 ± 0.025** | 0.910 ± 0.025 |" in md
    assert "| *training budget per fit* | 300,000 pres., 300 ep. | 1,000 pres., 1 ep. |" in md
    assert ("| xor | snn-b (0.910; 1,000 pres., 1 ep.) | mlp-b (0.960; 300,000 pres., 300 ep.) "
            "| 3 | -0.050 |") in md
    assert "| yes |" in md
    assert "best mean validation score" in md
    assert "t₀.₉₇₅" in md  # the interval is stated
    path = write_stats(rows, tmp_path / "stats.csv")
    text = path.read_text()
    assert text.splitlines()[0].startswith("kind,task,n_train,model")
    assert "paired,xor,1000,snn-b - mlp-b" in text
