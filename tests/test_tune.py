"""The tuning step: search spaces, the [tune] table, failed trials, resuming, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from brainlearn.registry import model_spec, register_model, unregister_model
from brainlearn.runner.spec import SpecError, parse_spec, resolve_runs
from brainlearn.runner.tune import (
    TuneSettings,
    check_tunable,
    check_tune_settings,
    inner_split,
    tune_run,
)
from brainlearn.search import Choice, Float, Int, check_space, overrides


class ShrunkCentroids(ClassifierMixin, BaseEstimator):
    """Nearest shrunken centroid: a tiny real learner whose validation accuracy depends on
    its two hyperparameters; fails for ``shrink`` above ``fail_above`` (fault injection)."""

    fits = 0
    interrupt_after: int | None = None  # fits; then fit raises KeyboardInterrupt (a kill)

    def __init__(self, shrink=0.1, power=2, fail_above=10.0, settings=None,
                 random_state=None):
        self.shrink = shrink
        self.power = power
        self.fail_above = fail_above
        self.settings = settings
        self.random_state = random_state

    def _check_hyperparameters(self):
        if not 0.0 <= self.shrink <= 1.0:
            raise ValueError(f"shrink must be in [0, 1], got {self.shrink!r}")
        if self.settings is not None:
            unknown = set(self.settings) - {"scale"}
            if unknown:
                raise ValueError(f"unknown parameter {sorted(unknown)[0]!r} for settings")

    def fit(self, X, y):
        self._check_hyperparameters()
        type(self).fits += 1
        if type(self).interrupt_after is not None and type(self).fits > type(self).interrupt_after:
            raise KeyboardInterrupt
        if self.shrink > self.fail_above:
            raise FloatingPointError("diverged")
        X = np.asarray(X, float)
        self.classes_ = np.unique(y)
        centre = X.mean(0)
        scale = (self.settings or {}).get("scale", 1.0)
        self.centroids_ = np.array([
            centre + (1 - self.shrink) * (X[y == c].mean(0) - centre) * scale
            for c in self.classes_])
        return self

    def predict(self, X):
        d = (np.abs(np.asarray(X, float)[:, None, :] - self.centroids_[None]) ** self.power)
        return self.classes_[d.sum(-1).argmin(1)]


SPACE = {"shrink": Float(0.0, 0.9), "power": Int(1, 4),
         "settings.scale": Choice([0.5, 1.0, 2.0])}


@pytest.fixture
def tunable():
    register_model("test-shrunk", "reference", ShrunkCentroids, "test model",
                   search_space=SPACE, settings={"scale": 1.0})
    register_model("test-untunable", "reference", ShrunkCentroids, "no search space")
    yield "test-shrunk"
    unregister_model("test-shrunk")
    unregister_model("test-untunable")


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 4)) + y[:, None] * np.array([1.0, 0.5, 0.0, -0.5])
    return X, y


# ------------------------------------------------------------------- search spaces


@pytest.mark.parametrize("make, words", [
    (lambda: Float(1.0, 1.0), "empty range"),
    (lambda: Float(2.0, 1.0), "empty range"),
    (lambda: Int(3, 3), "empty range"),
    (lambda: Choice([1]), "empty range"),
    (lambda: Choice([]), "empty range"),
    (lambda: Choice([1, 1]), "distinct"),
    (lambda: Float(0.0, 1.0, log=True), "log scale"),
    (lambda: Float(0.0, float("nan")), "finite"),
    (lambda: Int(0, 2.5), "integer"),
])
def test_dimensions_refuse_empty_or_invalid_ranges(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_check_space_names_the_key():
    with pytest.raises(ValueError, match="'lr'"):
        check_space({"lr": (0.1, 1.0)})
    with pytest.raises(ValueError, match="invalid parameter path"):
        check_space({"a..b": Float(0, 1)})


def test_overrides_nest_dotted_paths():
    assert overrides({"a": 1, "b.c": 2, "b.d": 3}) == {"a": 1, "b": {"c": 2, "d": 3}}


def test_register_model_refuses_a_space_over_a_parameter_the_estimator_lacks():
    with pytest.raises(ValueError, match="search_space parameter 'nope'"):
        register_model("test-bad-space", "reference", ShrunkCentroids, "",
                       search_space={"nope": Float(0, 1)})
    with pytest.raises(ValueError):
        model_spec("test-bad-space")


def test_check_tunable_names_the_bad_key(tunable):
    with pytest.raises(ValueError, match="no search space"):
        check_tunable("test-untunable")
    with pytest.raises(ValueError, match="params sets 'shrink'"):
        check_tunable(tunable, {"shrink": 0.5})
    register_model("test-bad-nested", "reference", ShrunkCentroids, "",
                   search_space={"settings.bogus": Float(0, 1)}, settings={"scale": 1.0})
    try:
        with pytest.raises(ValueError, match="settings.bogus"):
            check_tunable("test-bad-nested")
    finally:
        unregister_model("test-bad-nested")
    register_model("test-bad-range", "reference", ShrunkCentroids, "",
                   search_space={"shrink": Float(0.5, 2.0)})
    try:
        with pytest.raises(ValueError, match=r"shrink = 2.0 gives an invalid model"):
            check_tunable("test-bad-range")
    finally:
        unregister_model("test-bad-range")


def test_shipped_spaces_are_valid():
    from brainlearn.registry import list_models

    tuned = [m for m in list_models() if model_spec(m).search_space]
    assert {"mlp-wide", "snn-stdp", "snn-delta-skip", "snn-surrogate",
            "hebb-softhebb"} <= set(tuned)
    for m in tuned:
        check_tunable(m)
    for m in list_models():  # the controls keep their learners' settings, untuned
        if m.endswith("-frozen") or m == "snn-random":
            assert not model_spec(m).search_space, m


def test_shipped_spiking_spaces_never_change_the_compiled_program():
    """A trial of a Brian2 model varies run arguments only: no trial compiles."""
    pytest.importorskip("brian2")
    from brainlearn.registry import list_models, make_model
    from brainlearn.snn.build import build_key

    for name in list_models("snn"):
        space = model_spec(name).search_space
        base = build_key(make_model(name)._make_spec(4, 3))
        for path, dim in space.items():
            for v in dim.corners():
                spec = make_model(name, **overrides({path: v}))._make_spec(4, 3)
                assert build_key(spec) == base, (name, path, v)
    from brainlearn.snn.build import compiled_parameters

    fields = compiled_parameters(make_model("snn-stdp")._make_spec(4, 3))
    assert {"n_hidden", "dt_ms", "presentation_ms"} <= set(fields)
    assert not {"w_out_mv", "w_in_mv", "w_ie_mv", "noise_mv"} & set(fields)


# ------------------------------------------------------------------- settings


@pytest.mark.parametrize("raw, key", [
    ({"trials": 0}, "tune.trials"),
    ({"trials": -3}, "tune.trials"),
    ({"trials": 2.5}, "tune.trials"),
    ({"validation": 0.0}, "tune.validation"),
    ({"validation": 1.0}, "tune.validation"),
    ({"validation": 1.5}, "tune.validation"),
    ({"metric": "f1"}, "tune.metric"),
    ({"budget": 3}, "tune.budget"),
])
def test_bad_tune_settings_name_the_key(raw, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        check_tune_settings(raw)


def _spec(tune=None, models=None):
    data = {
        "experiment": {"name": "t"},
        "models": models or [{"name": "test-shrunk", "tune": True}],
        "sweep": [{"tasks": ["xor"], "seeds": [0], "n_train": 100, "n_test": 50}],
    }
    if tune is not None:
        data["tune"] = tune
    return data


def test_spec_tune_table_is_checked(tunable):
    with pytest.raises(SpecError, match=r"tune\.trials must be >= 1"):
        parse_spec(_spec({"trials": 0}))
    with pytest.raises(SpecError, match="no \\[tune\\] table"):
        parse_spec(_spec())
    with pytest.raises(SpecError, match="no model has tune = true"):
        parse_spec(_spec({"trials": 3}, [{"name": "test-shrunk"}]))
    with pytest.raises(SpecError, match="tune must be true or false"):
        parse_spec(_spec({"trials": 3}, [{"name": "test-shrunk", "tune": "yes"}]))
    with pytest.raises(SpecError, match="no search space"):
        parse_spec(_spec({"trials": 3}, [{"name": "test-untunable", "tune": True}]))


def test_tuning_is_part_of_a_tuned_run_identity_only(tunable):
    spec = parse_spec(_spec({"trials": 3}, [{"name": "test-shrunk", "tune": True},
                                             {"name": "test-shrunk", "label": "plain"}]))
    tuned, plain = sorted(resolve_runs([spec]), key=lambda r: r.label != "test-shrunk")
    assert tuned.tune["trials"] == 3 and "space" in tuned.tune
    assert "tune" in tuned.identity() and "tune" not in plain.identity()
    assert tuned.run_id != plain.run_id
    spec4 = parse_spec(_spec({"trials": 4}))
    assert resolve_runs([spec4])[0].run_id != tuned.run_id


# ------------------------------------------------------------------- the search


def test_inner_split_is_stratified_and_refuses_an_empty_class():
    X, y = _data(100)
    X_fit, X_val, y_fit, y_val = inner_split(X, y, 0.2, seed=0)
    assert len(y_val) == 20 and set(y_val) == set(y) == set(y_fit)
    y_one = y.copy()
    y_one[:] = 0
    y_one[0] = 1  # a class with a single sample cannot be on both sides
    with pytest.raises(ValueError, match="tune.validation"):
        inner_split(X, y_one, 0.2, seed=0)
    with pytest.raises(ValueError, match="tune.validation"):
        inner_split(X[:4], np.array([0, 1, 2, 0]), 0.25, seed=0)


def test_tuning_chooses_on_validation_and_is_deterministic(tunable):
    X, y = _data()
    a = tune_run(tunable, {}, TuneSettings(8, 0.25), X, y, seed=3, study_path=None)
    b = tune_run(tunable, {}, TuneSettings(8, 0.25), X, y, seed=3, study_path=None)
    assert a.completed == 8 and a.failed == 0 and a.trials == 8
    assert a.best_values == b.best_values
    assert [t["values"] for t in a.trial_log] == [t["values"] for t in b.trial_log]
    assert a.validation_score == max(t["value"] for t in a.trial_log)
    assert set(a.best_values) == set(SPACE)
    assert a.best_overrides["settings"]["scale"] in (0.5, 1.0, 2.0)
    assert a.n_fit + a.n_validation == len(y) and a.n_validation == 50
    c = tune_run(tunable, {}, TuneSettings(8, 0.25), X, y, seed=4, study_path=None)
    assert [t["values"] for t in c.trial_log] != [t["values"] for t in a.trial_log]


def test_failed_trials_are_recorded_and_the_search_goes_on(tunable, caplog):
    X, y = _data()
    res = tune_run(tunable, {"fail_above": 0.45}, TuneSettings(10, 0.2), X, y, seed=0,
                   study_path=None)
    fails = [t for t in res.trial_log if t["state"] == "FAIL"]
    assert fails and res.failed == len(fails) and res.completed == 10 - len(fails)
    assert all("diverged" in t["error"] for t in fails)
    assert all(t["values"]["shrink"] > 0.45 for t in fails)
    assert res.best_values["shrink"] <= 0.45
    assert "failed" in caplog.text
    with pytest.raises(RuntimeError, match="every one of the 3 tuning trials"):
        tune_run(tunable, {"fail_above": -1.0}, TuneSettings(3, 0.2), X, y, seed=0,
                 study_path=None)


def test_a_killed_tuning_resumes_without_redoing_trials(tunable, tmp_path):
    X, y = _data()
    whole = tune_run(tunable, {}, TuneSettings(8, 0.2), X, y, seed=1,
                     study_path=tmp_path / "whole.log")
    path = tmp_path / "resumed.log"
    ShrunkCentroids.fits, ShrunkCentroids.interrupt_after = 0, 3
    try:
        with pytest.raises(KeyboardInterrupt):  # killed during the fourth trial
            tune_run(tunable, {}, TuneSettings(8, 0.2), X, y, seed=1, study_path=path)
    finally:
        ShrunkCentroids.interrupt_after = None
    ShrunkCentroids.fits = 0
    resumed = tune_run(tunable, {}, TuneSettings(8, 0.2), X, y, seed=1, study_path=path)
    assert ShrunkCentroids.fits == 5  # trials 3 (left running) to 7; 0-2 were kept
    assert [t["values"] for t in resumed.trial_log] == [t["values"] for t in whole.trial_log]
    assert resumed.best_values == whole.best_values
    assert resumed.validation_score == whole.validation_score


def test_a_tuned_sweep_records_the_search(tunable, tmp_path):
    from brainlearn.runner.storage import load_records
    from brainlearn.runner.sweep import run_sweep

    spec = parse_spec(_spec({"trials": 4, "validation": 0.25},
                            [{"name": "test-shrunk", "tune": True},
                             {"name": "test-shrunk", "label": "test-shrunk:defaults"}]))
    runs = resolve_runs([spec])
    rep = run_sweep(runs, tmp_path, jobs=1, progress=False, prebuild_programs=False)
    assert rep.ok
    recs = {r.model: r for r in load_records(tmp_path)}
    tuned, plain = recs["test-shrunk"], recs["test-shrunk:defaults"]
    assert plain.tuning is None and "validation_score" not in plain.metrics
    t = tuned.tuning
    assert t["trials"] == 4 and t["completed"] + t["failed"] == 4
    assert t["validation_score"] == tuned.metrics["validation_score"]
    assert t["wall_s"] > 0 and len(t["trial_log"]) == 4
    assert (tmp_path / "results" / "tuning" / f"{tuned.run_id}.log").is_file()
    json.dumps(tuned.to_dict())  # plain data
    # a second sweep finds the run recorded and does nothing
    rep2 = run_sweep(runs, tmp_path, jobs=1, progress=False, prebuild_programs=False)
    assert rep2.skipped == 2
    # the tables: the tuned run against its defaults twin, with the number of trials
    from brainlearn.runner.report import summary_markdown
    from brainlearn.runner.storage import summary_rows

    md = summary_markdown(summary_rows(load_records(tmp_path)))
    assert "#### Tuned against registry defaults" in md
    line = next(x for x in md.splitlines() if x.startswith("| xor | test-shrunk (reference)"))
    cols = [c.strip() for c in line.split("|")]
    assert cols[3].endswith("(4)") and cols[5] not in ("", "–")  # tuned; defaults twin
    # the figure: validation against test, drawn from the saved records
    from brainlearn.figures.tuning import validation_vs_test

    paths, caption = validation_vs_test(load_records(tmp_path), tmp_path / "figs")
    assert paths[0].is_file() and "4 trials" in caption


def test_a_tuned_run_is_projected_from_its_untuned_timing(tunable):
    from brainlearn.runner.progress import Projection

    spec = parse_spec(_spec({"trials": 5}, [{"name": "test-shrunk", "tune": True},
                                             {"name": "test-shrunk", "label": "plain"}]))
    tuned, plain = sorted(resolve_runs([spec]), key=lambda r: r.label != "test-shrunk")
    proj = Projection(1)
    proj.add_timing("test-shrunk", "xor", 100, 2.0)  # an untuned run of the same label
    assert proj.estimate(tuned) == pytest.approx(2.0 * 6)
    proj.add(tuned, 7.0)  # once a tuned run is timed, its own time counts
    assert proj.estimate(tuned) == pytest.approx(7.0)
