"""SpikingClassifier: input validation, encoder, determinism, accessors, pickling.

Fast tests run a tiny network in Brian2's runtime mode with the numpy target (no
compilation); the compiled C++ standalone path is covered by the few ``slow`` tests.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")

from brainlearn import make_model  # noqa: E402
from brainlearn.snn.model import SpikingClassifier  # noqa: E402

TINY = dict(
    n_hidden=6,
    n_per_feature=4,
    n_per_class=2,
    chunk_size=16,
    min_presentations=0,
    network_params={"presentation_ms": 20.0},
)


# tiny networks in runtime mode, numpy target (no compilation): the shared conftest fixture
pytestmark = pytest.mark.usefixtures("numpy_runtime")


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = (X[:, 0] > 0.5).astype(int)
    return X, y


@pytest.fixture(scope="module")
def fitted():
    brian2.prefs.codegen.target = "numpy"
    X, y = _data()
    return SpikingClassifier(backend="runtime", random_state=3, **TINY).fit(X, y), X, y


# --------------------------------------------------------------------------- bad input
# (bad X / y: tests/test_validation.py checks both model families give the same errors)


def test_unknown_parameter_keys_are_named():
    X, y = _data()
    with pytest.raises(ValueError, match="tau_mm_ms"):
        SpikingClassifier(network_params={"tau_mm_ms": 3.0}).fit(X, y)
    with pytest.raises(ValueError, match="eta_typo"):
        SpikingClassifier(hidden_rule_params={"eta_typo": 1.0}).fit(X, y)
    with pytest.raises(ValueError, match="unknown plasticity rule"):
        SpikingClassifier(readout_rule="backprop").fit(X, y)


def test_predict_rejects_wrong_number_of_features(fitted):
    model, X, _ = fitted
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((2, 3)))


def test_unfitted_model_raises():
    with pytest.raises(ValueError, match="not fitted"):
        SpikingClassifier().predict(np.zeros((2, 2)))


# --------------------------------------------------------------------------- behaviour
def test_fit_predict_shapes_and_history(fitted):
    model, X, y = fitted
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert set(model.predict(X)) <= set(model.classes_)
    h = model.history_
    assert h["samples_seen"] == [16, 24]
    assert model.n_epochs_ == 1
    assert len(h["train_accuracy"]) == 2
    assert len(model.weight_history_) == 2
    assert model.weights_["afferent->hidden"].shape == (8, 6)
    assert model.weights_["hidden->efferent"].shape == (6, 4)
    assert model.presentation_ms_ == 20.0 and model.dt_ms_ == 0.5
    # plasticity happened: the learned weights differ from the initial ones
    assert not np.allclose(
        model.weights_["afferent->hidden"], model.initial_weights_["afferent->hidden"]
    )


def test_eval_set_is_scored_at_every_checkpoint():
    X, y = _data()
    Xe, ye = _data(10, seed=1)
    m = SpikingClassifier(backend="runtime", random_state=0, **TINY).fit(X, y, eval_set=(Xe, ye))
    h = m.history_
    assert len(h["eval_accuracy"]) == len(h["samples_seen"]) == len(m.weight_history_) == 2
    assert all(0.0 <= a <= 1.0 for a in h["eval_accuracy"])
    assert h["eval_accuracy"][-1] == m.score(Xe, ye)


def test_labels_come_back_as_given():
    X, y = _data()
    labels = np.where(y == 1, "benign", "malignant")
    model = SpikingClassifier(backend="runtime", random_state=0, **TINY).fit(X, labels)
    assert list(model.classes_) == ["benign", "malignant"]
    assert set(model.predict(X)) <= {"benign", "malignant"}


def test_same_random_state_gives_same_spikes(fitted):
    model, X, _ = fitted
    a = model.record_spikes(X[:2])
    b = model.record_spikes(X[:2])
    for pop in ("afferent", "hidden", "efferent"):
        np.testing.assert_array_equal(a[pop]["i"], b[pop]["i"])
        np.testing.assert_array_equal(a[pop]["t_ms"], b[pop]["t_ms"])
    X2, y2 = _data()
    m1 = SpikingClassifier(backend="runtime", random_state=11, **TINY).fit(X2, y2)
    m2 = SpikingClassifier(backend="runtime", random_state=11, **TINY).fit(X2, y2)
    m3 = SpikingClassifier(backend="runtime", random_state=12, **TINY).fit(X2, y2)
    for k in m1.weights_:
        np.testing.assert_array_equal(m1.weights_[k], m2.weights_[k])
    assert not np.array_equal(
        m1.weights_["afferent->hidden"], m3.weights_["afferent->hidden"]
    )


def test_record_spikes_structure(fitted):
    model, X, _ = fitted
    rec = model.record_spikes(X[:3], trained=False)
    assert rec["afferent"]["n"] == 8 and rec["hidden"]["n"] == 6 and rec["efferent"]["n"] == 4
    t = rec["afferent"]["t_ms"]
    assert len(t) > 0 and t.min() >= 0 and t.max() < 3 * model.presentation_ms_ + model.dt_ms_


def test_accessors(fitted):
    model, X, _ = fitted
    hr = model.hidden_response(X)
    assert hr.shape == (len(X), 6) and (hr >= 0).all()
    ops = model.ops_per_sample(X)
    assert set(ops) == {"synaptic_events", "spikes"}
    assert ops["synaptic_events"] >= ops["spikes"] > 0


def test_ablated_leaves_original_unchanged(fitted):
    model, X, _ = fitted
    before = {k: v.copy() for k, v in model.weights_.items()}
    half = model.ablated(0.5, kind="synapses", random_state=0)
    w = half.weights_["afferent->hidden"]
    assert np.isclose((w == 0).mean(), 0.5, atol=0.1)
    dead = model.ablated(0.5, kind="neurons", random_state=0)
    assert (dead.weights_["afferent->hidden"] == 0).all(axis=0).sum() == 3
    for k, v in before.items():
        np.testing.assert_array_equal(model.weights_[k], v)
    with pytest.raises(ValueError):
        model.ablated(1.5)


def test_fitted_model_pickles(fitted):
    model, X, _ = fitted
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))


def test_min_presentations_sets_the_number_of_epochs():
    X, y = _data(10)
    m = SpikingClassifier(backend="runtime", random_state=0, **{**TINY, "min_presentations": 25})
    m.fit(X, y)
    assert m.n_epochs_ == 3 and m.history_["samples_seen"][-1] == 30


def test_falls_back_to_runtime_with_a_warning_when_no_compiler_works(monkeypatch):
    from brainlearn.snn import build, engines

    def no_compiler(spec):
        raise build.BuildError("no C++ compiler (simulated)")

    monkeypatch.setattr(build, "ensure_built", no_compiler)
    monkeypatch.setattr(engines, "_NO_COMPILER", [])
    X, y = _data(16)
    with pytest.warns(RuntimeWarning, match="runtime mode"):
        m = SpikingClassifier(random_state=0, **TINY).fit(X, y)
    assert m.backend_ == "runtime"
    with pytest.raises(build.BuildError):
        SpikingClassifier(backend="standalone", random_state=0, **TINY).fit(X, y)


def test_prepare_names_the_backend():
    assert SpikingClassifier(backend="runtime", **TINY).prepare(2) == "runtime"
    with pytest.raises(ValueError, match="n_features"):
        SpikingClassifier(backend="runtime", **TINY).prepare(0)


def test_registry_models_are_spiking_classifiers():
    for name in ("snn-stdp", "snn-hebbian", "snn-rstdp"):
        m = make_model(name)
        assert isinstance(m, SpikingClassifier)
    assert make_model("snn-rstdp").readout_rule == "rstdp"


# --------------------------------------------------------------------------- compiled
@pytest.mark.slow
def test_standalone_build_is_reused_by_a_fresh_process(tmp_path, monkeypatch, capfd):
    """Compiled once (into a fresh cache): the fit builds exactly the two programs that
    ``program_specs`` names before fitting, side by side, so the first predict compiles
    nothing; then a new Python process (its compiler replaced by one that fails) fits and
    predicts without rebuilding (the build directory is untouched and no other appears),
    and a pickled model predicts the same there.

    (This one test also stands for the prebuilt-cache reuse of
    ``tests/test_snn_program_specs.py``: the programs named before fitting are the ones a
    fresh process's fit finds built; one real compile of the two programs serves both.)"""
    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "cache"))
    X, y = _data(40)
    model = SpikingClassifier(backend="standalone", random_state=1, **TINY).fit(X, y)
    assert model.backend_ == "standalone"
    from brainlearn.snn.build import PCH_DIR

    def programs():  # the build directories (beside them: the shared precompiled header)
        return [p for p in (tmp_path / "cache" / "snn").iterdir()
                if p.is_dir() and p.name != PCH_DIR]

    builds = programs()
    assert len(builds) == 2  # the training and the batched inference program, by the fit
    assert capfd.readouterr().err.count("brainlearn: compiling") == 2
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    np.save(tmp_path / "X.npy", X)
    expected = model.predict_proba(X)
    assert "compiling" not in capfd.readouterr().err  # the first predict built nothing
    from brainlearn.snn.build import build_key
    named = {build_key(s) for s in
             SpikingClassifier(random_state=1, **TINY).program_specs(2, 2)}
    assert {p.name for p in builds} == named
    stamp = (builds[0] / "brainlearn_manifest.json").stat().st_mtime_ns
    code = textwrap.dedent(
        f"""
        import pickle, numpy as np
        from brainlearn.snn import build
        from brainlearn.snn.model import SpikingClassifier
        def no_build(*a, **k):
            raise AssertionError("rebuilt")
        build._compile = no_build
        m = pickle.loads(open({str(tmp_path / "model.pkl")!r}, 'rb').read())
        X = np.load({str(tmp_path / "X.npy")!r})
        np.save({str(tmp_path / "p.npy")!r}, m.predict_proba(X))
        y2 = (X[:, 1] > 0.5).astype(int)
        m2 = SpikingClassifier(random_state=2, **{TINY!r}).fit(X, y2)  # backend "auto"
        assert m2.backend_ == "standalone", m2.backend_
        assert set(m2.predict(X)) <= {{0, 1}}
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), expected)
    assert programs() == builds
    assert (builds[0] / "brainlearn_manifest.json").stat().st_mtime_ns == stamp


# --------------------------------------------------------------------------- reliability
def test_check_hyperparameters_validates_everything_without_data():
    ok = SpikingClassifier(**TINY)
    ok._check_hyperparameters()
    bad = {
        "network_params": ([1, 2], "network_params"),
        "hidden_rule_params": ("eta", "hidden_rule_params"),
        "random_state": (-1, "random_state"),
        "backend": ("gpu", "backend"),
        "chunk_size": (0, "chunk_size"),
        "readout_rule": ("backprop", "unknown plasticity rule"),
    }
    for name, (value, match) in bad.items():
        with pytest.raises(ValueError, match=match):
            SpikingClassifier(**{**TINY, name: value})._check_hyperparameters()
    for params, match in (({"tau_m_ms": 0.0}, "tau_m_ms"), ({"w_out_mv": 1e300}, "w_out_mv"),
                          ({"w_init_low": 0.9, "w_init_high": 0.1}, "w_init_low")):
        with pytest.raises(ValueError, match=match):
            SpikingClassifier(**{**TINY, "network_params": params})._check_hyperparameters()
    with pytest.raises(ValueError, match="eta_pot"):
        SpikingClassifier(**TINY, hidden_rule_params={"eta_pot": -1.0})._check_hyperparameters()
    with pytest.raises(ValueError, match="w_max"):
        SpikingClassifier(**TINY, readout_rule_params={"w_max": 0.0})._check_hyperparameters()
    with pytest.raises(ValueError, match="set 'n_hidden' as an argument of SpikingClassifier"):
        SpikingClassifier(**{**TINY, "network_params": {"n_hidden": 3}})._check_hyperparameters()
    for name, value in (("hidden_rule", 3), ("n_per_feature", 1), ("min_presentations", -1),
                        ("hidden_epochs", 1.5), ("n_hidden", True)):
        with pytest.raises(ValueError, match=f"'{name}' parameter of SpikingClassifier"):
            SpikingClassifier(**{**TINY, name: value})._check_hyperparameters()
    # an unknown code lists the codes this network takes, not the refused current code
    with pytest.raises(ValueError, match="'encoding' parameter") as err:
        SpikingClassifier(**{**TINY, "encoding": "pixels"})._check_hyperparameters()
    assert "latency" in str(err.value) and "current" not in str(err.value)


def test_random_state_and_network_params_errors_name_the_parameter():
    X, y = _data()
    with pytest.raises(ValueError, match="random_state"):
        SpikingClassifier(backend="runtime", random_state=-1, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="network_params"):
        SpikingClassifier(backend="runtime", **{**TINY, "network_params": [1, 2]}).fit(X, y)


def test_ablated_names_fraction(fitted):
    model, _, _ = fitted
    for bad in ("a", None, -0.1, float("nan"), True):
        with pytest.raises(ValueError, match="fraction"):
            model.ablated(bad)


def test_inputs_outside_the_unit_interval_warn_or_fail(fitted):
    model, X, y = fitted
    with pytest.warns(UserWarning, match=r"% of the values of X lie outside \[0, 1\].*scale"):
        model.predict(X * 100)
    with pytest.raises(ValueError, match=r"none of the values of X lie in \[0, 1\]"):
        model.predict(X - 5)
    with pytest.raises(ValueError, match="none of the values"):
        SpikingClassifier(backend="runtime", **TINY).fit(X + 5, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.predict(np.clip(X, 0, 1))  # in range: no warning
        X_edge = X.copy()
        X_edge[0, 0] = 1.2  # 1 value in 48 is ~2 %: warns; below 1 % it does not
        big = np.vstack([X] * 5)
        big[0, 0] = 1.2
        model.predict(big)
    assert not [w for w in caught if "outside [0, 1]" in str(w.message)]
    with pytest.warns(UserWarning, match="2.1 %"):
        model.predict(X_edge)


def test_a_failed_fit_leaves_no_fitted_state(monkeypatch):
    """An engine that fails midway (the second chunk): no fitted attribute is left, so
    predict raises NotFittedError, not AttributeError and not half-trained weights;
    the same for a refit of a fitted model."""
    from sklearn.exceptions import NotFittedError

    from brainlearn.snn import engines

    X, y = _data()
    calls = []
    real_run = engines.RuntimeEngine.run

    def failing_run(self, inputs, state, seed):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("interrupted (simulated)")
        return real_run(self, inputs, state, seed)

    model = SpikingClassifier(backend="runtime", random_state=0, **TINY).fit(X, y)
    monkeypatch.setattr(engines.RuntimeEngine, "run", failing_run)
    for m in (SpikingClassifier(backend="runtime", random_state=0, **TINY), model):
        calls.clear()
        with pytest.raises(KeyboardInterrupt):
            m.fit(X, y, eval_set=(X, y))
        assert len(calls) == 2
        assert [k for k in vars(m) if k.endswith("_") and not k.startswith("_")] == []
        with pytest.raises(NotFittedError):
            m.predict(X)
