"""The non-spiking local learners (Krotov & Hopfield; SoftHebb): the estimator contract,
learning off, determinism, bad parameters, pickling, K classes and labels of any type."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from brainlearn.hebbian import KrotovHopfieldClassifier, SoftHebbClassifier
from brainlearn.registry import list_models, make_model, model_spec

SMALL = {"n_hidden": 40, "hidden_epochs": 3, "readout_epochs": 20}
CLASSES = [KrotovHopfieldClassifier, SoftHebbClassifier]


@parametrize_with_checks([KrotovHopfieldClassifier(random_state=0, **SMALL),
                          SoftHebbClassifier(random_state=0, **SMALL)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _blobs(n=150, k=3, d=5, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * 3
    y = rng.integers(0, k, n)
    return centres[y] + rng.standard_normal((n, d)), y


@pytest.mark.parametrize("cls", CLASSES)
def test_contract_and_learning(cls):
    X, y = _blobs()
    m = cls(random_state=0, **SMALL)
    assert m.fit(X, y, eval_set=(X[:30], y[:30])) is m
    assert m.score(X, y) > 0.9
    P = m.predict_proba(X)
    assert P.shape == (len(X), 3) and np.allclose(P.sum(1), 1)
    assert np.array_equal(m.classes_[P.argmax(1)], m.predict(X))
    assert m.presentations_ == (3 + 20) * len(X)
    assert m.n_epochs_ == 23
    assert set(m.history_) == {"samples_seen", "train_accuracy", "eval_accuracy"}
    assert m.history_["samples_seen"] == [m.presentations_]
    assert m.hidden_response(X).shape == (len(X), 40)
    assert m.ops_per_sample(X)["macs"] == 5 + 40 * 5 + 40 * 3
    assert not np.array_equal(m.weights_, m.initial_weights_)  # the hidden layer learned


@pytest.mark.parametrize("cls", CLASSES)
def test_learning_off_keeps_the_random_init(cls):
    X, y = _blobs()
    off = cls(random_state=3, **{**SMALL, "hidden_epochs": 0}).fit(X, y)
    on = cls(random_state=3, **SMALL).fit(X, y)
    assert np.array_equal(off.weights_, off.initial_weights_)
    # the init is the same with learning on or off, and independent of the data
    assert np.array_equal(on.initial_weights_, off.initial_weights_)
    other = cls(random_state=3, **{**SMALL, "hidden_epochs": 0}).fit(X[::-1] * 2 + 1, y[::-1])
    assert np.array_equal(other.initial_weights_, off.initial_weights_)
    assert off.presentations_ == 20 * len(X)


@pytest.mark.parametrize("cls", CLASSES)
def test_same_seed_same_model(cls):
    X, y = _blobs()
    a = cls(random_state=5, **SMALL).fit(X, y)
    b = cls(random_state=5, **SMALL).fit(X, y)
    c = cls(random_state=6, **SMALL).fit(X, y)
    assert np.array_equal(a.weights_, b.weights_)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.weights_, c.weights_)
    # random_state is resolved in fit: refitting gives the same model
    assert np.array_equal(a.fit(X, y).weights_, b.weights_)


@pytest.mark.parametrize("cls", CLASSES)
def test_pickle_and_clone(cls):
    X, y = _blobs()
    m = cls(random_state=0, **SMALL).fit(X, y)
    m2 = pickle.loads(pickle.dumps(m))
    assert np.array_equal(m2.predict_proba(X), m.predict_proba(X))
    c = clone(m)
    assert c.get_params() == m.get_params() and not hasattr(c, "weights_")


@pytest.mark.parametrize("cls", CLASSES)
def test_labels_of_any_type_and_two_classes(cls):
    X, y = _blobs(k=2)
    names = np.array(["no", "yes"])[y]
    m = cls(random_state=0, **SMALL).fit(X, names)
    assert set(m.predict(X)) <= {"no", "yes"} and m.score(X, names) > 0.9
    assert m.predict_proba(X).shape == (len(X), 2)
    X4, y4 = _blobs(n=200, k=4)
    m4 = cls(random_state=0, **SMALL).fit(X4, y4 + 10)
    assert list(m4.classes_) == [10, 11, 12, 13] and m4.score(X4, y4 + 10) > 0.9
    with pytest.raises(ValueError, match="only one class"):
        cls(**SMALL).fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="features"):
        m.predict(X[:, :3])


@pytest.mark.parametrize("cls,bad,match", [
    (KrotovHopfieldClassifier, {"n_hidden": 0}, "n_hidden"),
    (KrotovHopfieldClassifier, {"hidden_epochs": -1}, "hidden_epochs"),
    (KrotovHopfieldClassifier, {"p": 0.5}, "'p' parameter"),
    (KrotovHopfieldClassifier, {"k": 1}, "'k' parameter"),
    (KrotovHopfieldClassifier, {"k": 50, "n_hidden": 10}, "k must be <= n_hidden"),
    (KrotovHopfieldClassifier, {"delta": -0.1}, "delta"),
    (KrotovHopfieldClassifier, {"learning_rate": 0.0}, "learning_rate"),
    (KrotovHopfieldClassifier, {"activation_power": float("nan")}, "activation_power"),
    (KrotovHopfieldClassifier, {"readout_epochs": 1.5}, "readout_epochs"),
    (KrotovHopfieldClassifier, {"readout_l2": -1.0}, "readout_l2"),
    (KrotovHopfieldClassifier, {"random_state": "x"}, "random_state"),
    (SoftHebbClassifier, {"temperature": 0.0}, "temperature"),
    (SoftHebbClassifier, {"anti_hebbian": "yes"}, "anti_hebbian"),
    (SoftHebbClassifier, {"init_scale": -1.0}, "init_scale"),
    (SoftHebbClassifier, {"batch_size": 0}, "batch_size"),
    (SoftHebbClassifier, {"readout_batch_size": True}, "readout_batch_size"),
])
def test_bad_hyperparameters_name_the_parameter(cls, bad, match):
    X, y = _blobs(n=30)
    m = cls(**{**SMALL, **bad})
    with pytest.raises(ValueError, match=match):
        m.fit(X, y)
    assert not hasattr(m, "history_")  # nothing half-fitted


def test_registered_with_their_learning_off_controls():
    for name in ("hebb-krotov", "hebb-softhebb"):
        on, off = model_spec(name), model_spec(f"{name}-frozen")
        assert on.family == off.family == "local"
        assert off.params["hidden_epochs"] == 0 and on.params["hidden_epochs"] > 0
        # the control is the same model with learning off: nothing else differs
        assert {k: v for k, v in on.params.items() if k != "hidden_epochs"} == \
               {k: v for k, v in off.params.items() if k != "hidden_epochs"}
        assert make_model(name, n_hidden=7).n_hidden == 7
    assert set(list_models("local")) == {"hebb-krotov", "hebb-krotov-frozen", "hebb-softhebb",
                                         "hebb-softhebb-frozen"}
