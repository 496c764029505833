"""The 2 x 2 (spiking x learning rule): corners, paired effects, table and figure, from saved
records only."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from brainlearn.registry import list_models, model_spec
from brainlearn.runner.records import RunRecord, SummaryRow
from brainlearn.runner.report import two_by_two_markdown
from brainlearn.runner.two_by_two import CORNERS, EFFECTS, corner, two_by_two

SEEDS = (0, 1, 2, 3)
FAMILY = {"ref-kmeans": "reference", "mlp-wide": "mlp", "snn-stdp": "snn", "snn-hebbian": "snn",
          "snn-surrogate": "snn-backprop"}

# xor has all four corners (two local learners: the better one, snn-stdp, fills its corner);
# circle has no snn-surrogate run, so it is left out with a note.
ACC = {
    ("xor", "mlp-wide"): [0.99, 0.985, 0.99, 0.995],
    ("xor", "snn-surrogate"): [0.98, 0.982, 0.975, 0.985],
    ("xor", "ref-kmeans"): [0.975, 0.965, 0.98, 0.97],
    ("xor", "snn-stdp"): [0.96, 0.95, 0.97, 0.96],
    ("xor", "snn-hebbian"): [0.90, 0.91, 0.92, 0.90],
    ("circle", "mlp-wide"): [0.99, 0.99, 0.98, 0.99],
    ("circle", "ref-kmeans"): [0.97, 0.96, 0.97, 0.97],
    ("circle", "snn-stdp"): [0.95, 0.96, 0.94, 0.95],
}


def _row(**kw) -> SummaryRow:
    """A summary row with the fields a test does not care about filled in."""
    base = {"run_id": "r", "registry_model": kw.get("model", "m"), "family": "snn",
            "n_test": 1000, "n_train_actual": None, "n_test_actual": None}
    return SummaryRow(**{**base, **kw})


def _rows(acc=ACC):
    return [_row(task=t, model=m, family=FAMILY[m], seed=s, n_train=1000, test_accuracy=a,
                 presentations=1000.0, epochs=1.0)
            for (t, m), accs in acc.items() for s, a in zip(SEEDS, accs, strict=True)]


def _records(acc=ACC):
    """Valid run records, as the runner saves them."""
    from brainlearn.runner.config import RunConfig

    out = []
    for (t, m), accs in acc.items():
        for s, a in zip(SEEDS, accs, strict=True):
            cfg = RunConfig(task=t, model=m, label=m, family=FAMILY[m], estimator="x:Y",
                            params={}, seed=s, n_train=1000, n_test=1000, analyses=(),
                            options={})
            out.append({"schema": 1, "run_id": cfg.run_id, "config": cfg.to_dict(),
                        "task": t, "model": m,
                        "family": FAMILY[m], "seed": s, "n_train": 1000, "n_test": 1000,
                        "metrics": {"test_accuracy": a}, "analyses": {}, "errors": {},
                        "history": {"samples_seen": [1000]}})
    return out


def _hand(a: str, b: str, task: str = "xor") -> dict:
    """The paired difference a - b over the seeds, computed from scratch."""
    d = np.subtract(ACC[(task, a)], ACC[(task, b)])
    n = len(d)
    hw = sps.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
    return {"mean": d.mean(), "ci": (d.mean() - hw, d.mean() + hw),
            "p": sps.ttest_rel(ACC[(task, a)], ACC[(task, b)]).pvalue}


def test_corner_table_maps_to_registered_families():
    from brainlearn.figures.style import FAMILIES

    assert {(c.neurons, c.learning) for c in CORNERS} == {
        (n, lr) for n in ("non-spiking", "spiking") for lr in ("local", "backprop")}
    registered = set(list_models())
    for c in CORNERS:
        names = [m for m in c.models if m in registered]
        assert names, f"no registered model fills the corner {c.label}"
        families = {model_spec(m).family for m in names}
        # k-means (a non-spiking reference) stands beside the local rules in their corner
        allowed = {c.family, "reference"} if c.label == "non-spiking, local" else {c.family}
        assert c.family in families and families <= allowed, c
        assert FAMILIES[c.family].spiking == (c.neurons == "spiking")
    assert corner("non-spiking", "local").models == ("ref-kmeans", "hebb-krotov",
                                                     "hebb-softhebb")
    assert corner("spiking", "backprop").models == ("snn-surrogate",)
    # each effect compares two corners that differ in its factor only
    for e in EFFECTS:
        a, b = e.with_corner, e.without_corner
        if e.factor == "spiking":
            assert (a.neurons, b.neurons) == ("spiking", "non-spiking")
            assert a.learning == b.learning
        else:
            assert (a.learning, b.learning) == ("local", "backprop")
            assert a.neurons == b.neurons
    assert len(EFFECTS) == 4


def test_a_corner_is_chosen_on_validation_scores_never_on_test_scores():
    import dataclasses

    rows = _rows()
    # snn-stdp is better on test; snn-hebbian on validation: the validation choice wins
    val = {"snn-stdp": 0.8, "snn-hebbian": 0.9}
    tuned = [dataclasses.replace(r, validation_score=val.get(r.model, 0.5)) for r in rows]
    (xor,) = two_by_two(tuned)["tasks"]
    cell = xor["corners"]["spiking, local"]
    assert (cell["model"], cell["chosen"]) == ("snn-hebbian", "validation")
    assert cell["validation_mean"] == pytest.approx(0.9)
    # untuned runs: the corner's declared first candidate, whatever the test scores
    swapped = [dataclasses.replace(r, test_accuracy=1.0) if r.model == "snn-hebbian" else r
               for r in rows]
    (xor,) = two_by_two(swapped)["tasks"]
    assert (xor["corners"]["spiking, local"]["model"],
            xor["corners"]["spiking, local"]["chosen"]) == ("snn-stdp", "declared")


def test_paired_effects_equal_a_hand_computation():
    tt = two_by_two(_rows())
    (xor,) = tt["tasks"]
    assert xor["task"] == "xor" and xor["n_train"] == 1000
    assert xor["corners"]["spiking, local"]["model"] == "snn-stdp"  # the better learner
    assert xor["corners"]["spiking, local"]["mean"] == pytest.approx(np.mean(ACC[("xor",
                                                                                 "snn-stdp")]))
    by = {r["effect"]: r for r in xor["effects"]}
    expect = {
        "spiking (with backprop)": ("snn-surrogate", "mlp-wide"),
        "spiking (with local learning)": ("snn-stdp", "ref-kmeans"),
        "local learning (in spiking neurons)": ("snn-stdp", "snn-surrogate"),
        "local learning (in non-spiking neurons)": ("ref-kmeans", "mlp-wide"),
    }
    assert set(by) == set(expect)
    for label, (a, b) in expect.items():
        r, h = by[label], _hand(a, b)
        assert (r["with_model"], r["without_model"]) == (a, b)
        assert r["diff_mean"] == pytest.approx(h["mean"])
        assert (r["ci_low"], r["ci_high"]) == (pytest.approx(h["ci"][0]),
                                               pytest.approx(h["ci"][1]))
        assert r["p_value"] == pytest.approx(h["p"])
        assert r["significant"] == (h["ci"][0] > 0 or h["ci"][1] < 0)
        assert r["n"] == 4 and r["seeds"] == list(SEEDS)
    assert tt["incomplete"] == {"circle": ["spiking, backprop"]}


def test_markdown_gives_corners_effects_and_generated_sentences():
    tt = two_by_two(_rows())
    md = two_by_two_markdown(tt)
    xor = next(x for x in md.splitlines() if x.startswith("| xor |"))
    h = _hand("snn-surrogate", "mlp-wide")
    d = f"{h['mean']:+.3f}"
    sig = h["ci"][1] < 0 or h["ci"][0] > 0
    assert (f"**{d}**" if sig else f"{d} [") in xor
    assert f"[{h['ci'][0]:+.3f}, {h['ci'][1]:+.3f}], p {h['p']:.2g}" in xor
    m = np.mean(ACC[("xor", "ref-kmeans")])
    assert f"{m:.3f} ± " in xor and "(ref-kmeans)" in xor
    assert "Left out for a corner without runs: circle (no spiking/backprop run)." in md
    line = next(x for x in md.splitlines() if x.startswith("- **Local learning in spiking"))
    h2 = _hand("snn-stdp", "snn-surrogate")
    assert h2["ci"][1] < 0  # the fixture makes local learning a significant cost here
    assert f"costs significantly on xor ({h2['mean']:+.3f}" in line
    assert "(4 paired seeds)" in line


def test_a_corner_without_runs_skips_the_figure_and_table_with_a_note(tmp_path):
    from brainlearn.figures.build import build_figures

    no_surrogate = {k: v for k, v in ACC.items() if k[1] != "snn-surrogate"}
    tt = two_by_two(_rows(no_surrogate))
    assert tt["tasks"] == [] and tt["absent"] == ["spiking, backprop"]
    assert "No 2 × 2 yet: no runs of the corner(s) spiking/backprop (snn-surrogate)" in \
        two_by_two_markdown(tt)
    res = build_figures(tmp_path, records=[RunRecord.from_dict(r) for r in _records(no_surrogate)],
                        names=["two_by_two"])
    assert "snn-surrogate" in res["two_by_two"]["skipped"]
    assert not (tmp_path / "figures" / "two_by_two.png").exists()


def test_figure_and_readme_table_come_from_saved_records_only(tmp_path):
    import json

    from brainlearn._paths import runs_dir
    from brainlearn.cli import main

    d = runs_dir(tmp_path)
    d.mkdir(parents=True)
    for r in _records():
        (d / f"{r['run_id']}.json").write_text(json.dumps(r))

    def refuse(*a, **k):
        raise AssertionError("a model was run")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("brainlearn.runner.execute._execute", refuse)
        mp.setattr("brainlearn.registry.make_model", refuse)
        assert main(["figures", str(tmp_path)]) == 0
    for ext in ("png", "svg"):
        assert (tmp_path / "figures" / f"two_by_two.{ext}").stat().st_size > 5000
    captions = (tmp_path / "figures" / "captions.md").read_text()
    assert "## two_by_two" in captions and "circle (no spiking/backprop run)" in captions
    summary = (tmp_path / "results" / "summary.md").read_text()
    assert "#### Spiking × learning rule (the 2 × 2)" in summary
    h = _hand("ref-kmeans", "mlp-wide")
    assert f"[{h['ci'][0]:+.3f}, {h['ci'][1]:+.3f}], p {h['p']:.2g}" in summary


@pytest.mark.parametrize("spec", ["default", "full"])
def test_the_shipped_comparisons_run_every_corner(spec):
    import tomllib

    from brainlearn.cli import SHIPPED_SPECS

    doc = tomllib.loads((SHIPPED_SPECS / f"{spec}.toml").read_text())
    names = {m["name"] for m in doc["models"]}
    comp = next(s for s in doc["sweep"] if s["name"] == "comparison")
    in_comparison = set(comp.get("models", names))
    for c in CORNERS:
        assert set(c.models) & in_comparison, f"{spec}.toml runs no model of {c.label}"


# ------------------------------------------------------------------ input codes (issue 23)


def test_input_code_of_registered_models():
    from brainlearn.runner.two_by_two import CODE_VARIANTS, input_code

    assert input_code("snn-surrogate") == "population, regular"
    assert input_code("snn-surrogate-poisson") == "population, Poisson"
    assert input_code("snn-surrogate-current") == "current injection"
    assert input_code("snn-surrogate-latency") == "latency"
    assert input_code("snn-surrogate-rate") == "rate, regular"
    assert input_code("snn-dc2015") == "rate, Poisson"
    assert input_code("snn-stdp") == "population, regular"
    assert input_code("mlp-wide") == "" and input_code("no-such-model") == ""
    for m in CODE_VARIANTS:  # the same network as the corner's, only the code differs
        a, b = dict(model_spec(m).params), dict(model_spec("snn-surrogate").params)
        for k in ("encoding", "network_params"):
            a.pop(k, None), b.pop(k, None)
        assert a == b, m


def test_code_effects_pair_each_code_with_the_non_spiking_corner():
    acc = dict(ACC)
    acc[("xor", "snn-surrogate-current")] = [0.99, 0.99, 0.985, 0.99]
    acc[("xor", "snn-surrogate-poisson")] = [0.95, 0.96, 0.94, 0.95]
    FAMILY.update({"snn-surrogate-current": "snn-backprop",
                   "snn-surrogate-poisson": "snn-backprop"})
    tt = two_by_two(_rows(acc))
    (xor,) = tt["tasks"]
    assert xor["corners"]["spiking, backprop"]["model"] == "snn-surrogate"  # the corner stays
    assert xor["corners"]["spiking, backprop"]["code"] == "population, regular"
    assert xor["corners"]["spiking, local"]["code"] == "population, regular"
    assert xor["corners"]["non-spiking, backprop"]["code"] == ""
    by = {r["with_model"]: r for r in xor["code_effects"]}
    assert set(by) == {"snn-surrogate", "snn-surrogate-current", "snn-surrogate-poisson"}
    d = np.subtract(acc[("xor", "snn-surrogate-current")], acc[("xor", "mlp-wide")])
    assert by["snn-surrogate-current"]["diff_mean"] == pytest.approx(d.mean())
    assert by["snn-surrogate-current"]["code"] == "current injection"
    assert by["snn-surrogate-current"]["without_model"] == "mlp-wide"
    md = two_by_two_markdown(tt)
    assert "(snn-surrogate; input: population, regular)" in md
    assert "| xor | snn-surrogate-current | current injection | 0.989 |" in md
    assert "The backprop spiking corner by input code" in md


def test_the_default_comparison_runs_the_surrogate_with_poisson_and_current_input():
    import tomllib

    from brainlearn.cli import SHIPPED_SPECS

    doc = tomllib.loads((SHIPPED_SPECS / "default.toml").read_text())
    names = {m["name"] for m in doc["models"]}
    assert {"snn-surrogate-current", "snn-surrogate-poisson"} <= names
