"""The non-spiking reference family: the estimator contract, the prototype twin, the runner."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from brainlearn.reference import (
    KNeighborsReference,
    LogisticReference,
    PrototypeReadoutClassifier,
    SVMReference,
)
from brainlearn.registry import list_models, make_model, model_spec

REFS = ["ref-logreg", "ref-knn", "ref-svm", "ref-kmeans"]


def _xor(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = ((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)).astype(int)
    return X, y


def _model(name, **kw):
    # the twin with fewer prototypes than the tiny training sets here
    extra = {"n_prototypes": 20} if name == "ref-kmeans" else {}
    return make_model(name, random_state=0, **{**extra, **kw})


@parametrize_with_checks([LogisticReference(), KNeighborsReference(), SVMReference(),
                          PrototypeReadoutClassifier(n_prototypes=5, random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_reference_family_is_registered():
    assert list_models("reference") == REFS
    assert model_spec("ref-kmeans").params["n_prototypes"] == 200  # = snn n_hidden default


@pytest.mark.parametrize("name", REFS)
def test_fit_predict_proba_and_budget(name):
    X, y = _xor()
    Xe, ye = _xor(100, seed=1)
    m = _model(name)
    assert m.fit(X, y, eval_set=(Xe, ye)) is m
    p = m.predict_proba(Xe)
    assert p.shape == (100, 2)
    np.testing.assert_allclose(p.sum(1), 1.0)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_array_equal(m.predict(Xe), m.classes_[p.argmax(1)])
    assert m.score(Xe, ye) == pytest.approx(np.mean(m.predict(Xe) == ye))
    # budget: presentations of training samples, epochs, one history checkpoint
    assert m.presentations_ >= len(X) and m.n_epochs_ == m.presentations_ / len(X)
    assert m.history_["samples_seen"] == [m.presentations_]
    assert m.history_["eval_accuracy"] == [pytest.approx(m.score(Xe, ye))]
    assert m.history_["train_accuracy"] == [pytest.approx(m.score(X, y))]
    ops = m.ops_per_sample(Xe)
    assert set(ops) == {"macs"} and ops["macs"] > 0


@pytest.mark.parametrize("name", ["ref-knn", "ref-svm", "ref-kmeans"])
def test_nonlinear_references_learn_xor(name):
    X, y = _xor(400)
    Xe, ye = _xor(300, seed=2)
    assert _model(name).fit(X, y).score(Xe, ye) > 0.85


def test_logistic_regression_cannot_learn_xor_but_learns_a_line():
    X, y = _xor(400)
    Xe, ye = _xor(300, seed=2)
    assert _model("ref-logreg").fit(X, y).score(Xe, ye) < 0.7
    yl, yle = (X.sum(1) > 1).astype(int), (Xe.sum(1) > 1).astype(int)
    assert _model("ref-logreg").fit(X, yl).score(Xe, yle) > 0.95


def test_standardisation_uses_training_statistics_only():
    X, y = _xor()
    m = _model("ref-logreg").fit(X * 10 + 3, y)
    np.testing.assert_allclose(m.scaler_.mean_, (X * 10 + 3).mean(0))
    # predicting never refits the scaler
    m.predict(np.full((5, 2), 100.0))
    np.testing.assert_allclose(m.scaler_.mean_, (X * 10 + 3).mean(0))


@pytest.mark.parametrize("name", REFS)
def test_same_random_state_same_model_and_labels_come_back(name):
    X, y = _xor()
    labels = np.where(y == 1, "yes", "no")
    a = _model(name).fit(X, labels)
    b = clone(a).fit(X, labels)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert set(a.predict(X)) <= {"yes", "no"}


@pytest.mark.parametrize(
    ("name", "param", "value"),
    [("ref-logreg", "C", 0.0), ("ref-logreg", "max_iter", 0), ("ref-knn", "n_neighbors", 0),
     ("ref-svm", "C", -1.0), ("ref-svm", "gamma", "auto"), ("ref-kmeans", "n_winners", 500),
     ("ref-kmeans", "n_prototypes", 1.5), ("ref-kmeans", "C", float("nan")),
     ("ref-knn", "random_state", "seven")],
)
def test_bad_hyperparameters_are_named_without_data(name, param, value):
    m = make_model(name, **{param: value})
    with pytest.raises(ValueError, match=param):
        m._check_hyperparameters()
    with pytest.raises(ValueError, match=param):
        m.fit(*_xor())
    assert not hasattr(m, "classes_")  # a failed fit leaves nothing fitted


def test_fit_failing_on_a_bad_eval_set_leaves_nothing_fitted():
    X, y = _xor()
    m = _model("ref-svm")
    with pytest.raises(ValueError):
        m.fit(X, y, eval_set=(X[:, :1], y))
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(m))


@pytest.mark.parametrize("name", REFS)
def test_k_classes(name):
    rng = np.random.default_rng(0)
    X = rng.random((300, 2))
    y = np.digitize(X[:, 0], [1 / 3, 2 / 3])  # three vertical bands
    m = _model(name).fit(X, y)
    p = m.predict_proba(X)
    assert p.shape == (300, 3)
    np.testing.assert_allclose(p.sum(1), 1.0)
    assert m.score(X, y) > 0.9


# --------------------------------------------------------------------------- the twin


def test_twin_code_is_a_k_winner_take_all_of_the_nearest_prototypes():
    X, y = _xor()
    m = PrototypeReadoutClassifier(n_prototypes=15, n_winners=3, random_state=1).fit(X, y)
    h = m.hidden_response(X[:40])
    assert h.shape == (40, 15)
    np.testing.assert_array_equal(h.sum(1), 3.0)
    Z = m.scaler_.transform(X[:40])
    d = ((Z[:, None, :] - m.prototypes_[None]) ** 2).sum(-1)
    nearest = np.sort(np.argsort(d, axis=1)[:, :3], axis=1)
    np.testing.assert_array_equal(np.sort(np.flatnonzero(h[0])), nearest[0])
    for i in range(40):
        np.testing.assert_array_equal(np.flatnonzero(h[i]), nearest[i])


def test_twin_prototypes_ignore_the_labels():
    X, y = _xor()
    a = PrototypeReadoutClassifier(n_prototypes=20, random_state=4).fit(X, y)
    b = PrototypeReadoutClassifier(n_prototypes=20, random_state=4).fit(X, 1 - y)
    np.testing.assert_array_equal(a.prototypes_, b.prototypes_)


def test_twin_ablation():
    X, y = _xor(300)
    m = PrototypeReadoutClassifier(n_prototypes=30, random_state=0).fit(X, y)
    before = m.predict_proba(X)
    dead = m.ablated(0.5, kind="neurons", random_state=3)
    np.testing.assert_array_equal(m.predict_proba(X), before)  # the original is untouched
    assert dead.unit_mask_.sum() == 15
    off = np.flatnonzero(dead.unit_mask_ == 0)
    assert not dead.hidden_response(X)[:, off].any()  # a removed prototype never wins
    np.testing.assert_array_equal(dead.readout_.coef_[:, off], 0.0)
    syn = m.ablated(1.0, kind="synapses", random_state=3)
    np.testing.assert_array_equal(syn.prototypes_, 0.0)
    np.testing.assert_array_equal(syn.readout_.coef_, 0.0)
    assert m.ablated(0.0, kind="synapses").score(X, y) == m.score(X, y)
    with pytest.raises(ValueError, match="kind"):
        m.ablated(0.1, kind="axons")
    with pytest.raises(ValueError, match="fraction"):
        m.ablated(1.5)


# --------------------------------------------------------------------------- the runner


def test_references_run_through_the_runner(tmp_path):
    from brainlearn.runner.spec import load_spec, resolve_runs
    from brainlearn.runner.storage import load_records
    from brainlearn.runner.sweep import run_sweep

    spec = tmp_path / "refs.toml"
    spec.write_text(textwrap.dedent("""
        [experiment]
        name = "refs"
        description = "the reference family through the runner"

        [options]
        boundary_grid = 7
        receptive_grid = 5
        noise_sd = [0.0, 0.2]
        ablation_fractions = [0.0, 0.5]

        [[models]]
        name = "ref-logreg"
        [[models]]
        name = "ref-knn"
        [[models]]
        name = "ref-svm"
        [[models]]
        name = "ref-kmeans"
        params = { n_prototypes = 20 }

        [[sweep]]
        name = "main"
        tasks = ["xor", "breast-cancer"]
        seeds = 2
        n_train = 80
        n_test = 50
        analyses = ["learning_curves", "compute_cost", "decision_boundaries"]

        [[sweep]]
        name = "inside"
        tasks = ["xor"]
        seeds = 1
        n_train = 80
        n_test = 50
        analyses = ["receptive_fields", "robustness"]
    """))
    runs = resolve_runs([load_spec(spec)])
    report = run_sweep(runs, tmp_path, jobs=1)
    assert report.ok, report
    records = load_records(tmp_path)
    assert len(records) == 4 * 2 * 2
    for r in records:
        assert r.family == "reference" and not r.errors, r.errors
        assert 0.0 <= r.metrics["test_accuracy"] <= 1.0
        assert r.ops_per_sample["macs"] > 0
        assert r.history["samples_seen"] and "eval_accuracy" in r.history
        assert r.budget["presentations"] == r.history["samples_seen"][-1]
        assert r.budget["epochs"] == r.budget["presentations"] / r.n_train_actual
        if r.task == "xor":
            assert r.analyses["decision_boundaries"]["proba"]
    inside = {r.model: r.analyses for r in records if r.task == "xor"
              and r.seed == 0}
    # the twin has a hidden layer and can be lesioned; the others get noise only
    assert inside["ref-kmeans"]["receptive_fields"]["n_hidden"] == 20
    removed = inside["ref-kmeans"]["robustness"]["removed_accuracy"]
    assert len(removed["neurons"]) == len(removed["synapses"]) == 2
    assert "HiddenResponse" in inside["ref-svm"]["receptive_fields"]["skipped"]
    assert inside["ref-svm"]["robustness"]["removed_accuracy"] == {}
    assert len(inside["ref-svm"]["robustness"]["noise_accuracy"]) == 2
