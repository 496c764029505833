"""The non-spiking local learners: each Numba kernel against a NumPy twin written from the
equations of its docstring, and the estimators' contract and behaviour."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from brainlearn import load_task, make_model
from brainlearn.hebbian import KrotovHopfieldClassifier, SoftHebbClassifier
from brainlearn.hebbian import _kernels as K


# ----------------------------------------------------------------------- NumPy twins
def np_softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def np_krotov_epoch(W, X, order, batch, p, k, delta, lr):
    W = W.copy()
    for start in range(0, len(order), batch):
        V = X[order[start:start + batch]]
        I = V @ (np.sign(W) * np.abs(W) ** (p - 1)).T  # noqa: E741
        g = np.zeros_like(I)
        ranks = np.argsort(-I, axis=1, kind="stable")
        g[np.arange(len(V)), ranks[:, 0]] = 1.0
        if 2 <= k <= W.shape[0] and delta != 0:
            g[np.arange(len(V)), ranks[:, k - 1]] = -delta
        ds = g.T @ V - (g * I).sum(axis=0)[:, None] * W
        W = W + lr / max(np.abs(ds).max(), 1e-30) * ds
    return W


def np_softhebb_epoch(W, X, order, batch, tau, lr):
    W = W.copy()
    for start in range(0, len(order), batch):
        V = X[order[start:start + batch]]
        U = V @ W.T
        Y = np_softmax(U / tau)
        ds = Y.T @ V - (Y * U).sum(axis=0)[:, None] * W
        W = W + lr / len(V) * ds
    return W


def np_delta_epoch(A, c, H, T, order, batch, lr):
    A, c = A.copy(), c.copy()
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        E = T[idx] - np_softmax(H[idx] @ A.T + c)
        A = A + lr / len(idx) * E.T @ H[idx]
        c = c + lr * E.mean(axis=0)
    return A, c


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(37, 5))
    return rng, X, rng.permutation(37).astype(np.int64)


def test_krotov_epoch_matches_its_numpy_twin(data):
    rng, X, order = data
    W = rng.normal(size=(6, 5))
    want = np_krotov_epoch(W, X, order, 8, 3.0, 3, 0.4, 0.05)
    got = W.copy()
    K.krotov_epoch(got, X, order, 8, 3.0, 3, 0.4, 0.05)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert np.abs(got - W).max() > 1e-3


def test_krotov_currents_are_the_p_norm_inner_product(data):
    rng, X, _ = data
    W = rng.normal(size=(4, 5))
    np.testing.assert_allclose(K.krotov_currents(W, X, 3.0), X @ (W * np.abs(W)).T)
    np.testing.assert_allclose(K.krotov_currents(W, X, 2.0), X @ W.T)


def test_softhebb_epoch_matches_its_numpy_twin(data):
    rng, X, order = data
    W = rng.normal(size=(6, 5))
    want = np_softhebb_epoch(W, X, order, 8, 0.3, 0.05)
    got = W.copy()
    K.softhebb_epoch(got, X, order, 8, 0.3, 0.05)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_softhebb_weights_converge_to_unit_norm(data):
    rng, X, order = data
    W = rng.normal(size=(3, 5)) * 3.0
    for _ in range(300):
        K.softhebb_epoch(W, X, order, 8, 1.0, 0.05)
    np.testing.assert_allclose(np.linalg.norm(W, axis=1), 1.0, atol=0.05)


def test_delta_readout_epoch_matches_its_numpy_twin(data):
    rng, X, order = data
    T = np.eye(3)[rng.integers(0, 3, 37)]
    A, c = rng.normal(size=(3, 5)), rng.normal(size=3)
    want_A, want_c = np_delta_epoch(A, c, X, T, order, 8, 0.1)
    K.delta_readout_epoch(A, c, X, T, order, 8, 0.1)
    np.testing.assert_allclose(A, want_A, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c, want_c, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------- estimators
MODELS = [KrotovHopfieldClassifier, SoftHebbClassifier]
SMALL = dict(n_hidden=40, hidden_epochs=5, readout_epochs=30)


@pytest.mark.parametrize("cls", MODELS)
def test_fit_predict_and_contract_on_iris(cls):
    split = load_task("iris", seed=0)
    m = cls(**SMALL, random_state=0)
    assert m.fit(split.X_train, split.y_train) is m
    assert m.score(split.X_test, split.y_test) > 0.85
    proba = m.predict_proba(split.X_test)
    assert proba.shape == (len(split.y_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert m.presentations_ == (5 + 30) * len(split.y_train)
    assert m.hidden_response(split.X_test).shape == (len(split.y_test), 40)
    # the same seed gives the same model; a pickled model predicts the same
    again = cls(**SMALL, random_state=0).fit(split.X_train, split.y_train)
    np.testing.assert_array_equal(again.weights_, m.weights_)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(m)).predict(split.X_test),
                                  m.predict(split.X_test))


@pytest.mark.parametrize("cls", MODELS)
def test_labels_of_any_type(cls):
    split = load_task("xor", n_train=200, n_test=50, seed=0)
    y = np.where(split.y_train == 1, "odd", "even")
    m = cls(**SMALL, random_state=0).fit(split.X_train, y)
    assert set(m.predict(split.X_test)) <= {"odd", "even"}
    assert list(m.classes_) == ["even", "odd"]


@pytest.mark.parametrize("cls", MODELS)
def test_hidden_epochs_zero_keeps_the_random_init(cls):
    split = load_task("iris", seed=1)
    frozen = cls(**{**SMALL, "hidden_epochs": 0}, random_state=2).fit(split.X_train,
                                                                        split.y_train)
    learned = cls(**SMALL, random_state=2).fit(split.X_train, split.y_train)
    # the first draw of the fit's generator (seeded by random_state) is the hidden init
    init = frozen._init_weights(np.random.default_rng(2), 4)
    np.testing.assert_array_equal(frozen.weights_, init)
    assert np.abs(learned.weights_ - init).max() > 1e-3


@pytest.mark.parametrize(("cls", "bad", "name"), [
    (KrotovHopfieldClassifier, {"k": 1}, "k"),
    (KrotovHopfieldClassifier, {"p": 1.5}, "p"),
    (KrotovHopfieldClassifier, {"delta": 2.0}, "delta"),
    (KrotovHopfieldClassifier, {"hidden_epochs": -1}, "hidden_epochs"),
    (SoftHebbClassifier, {"tau": 0.0}, "tau"),
    (SoftHebbClassifier, {"n_hidden": 0}, "n_hidden"),
    (SoftHebbClassifier, {"learning_rate": float("nan")}, "learning_rate"),
])
def test_bad_hyperparameters_name_the_parameter(cls, bad, name):
    with pytest.raises(ValueError, match=name):
        cls(**bad).fit(np.random.default_rng(0).random((10, 2)), np.arange(10) % 2)


@pytest.mark.parametrize("name", ["hebb-krotov", "hebb-softhebb"])
def test_random_labels_stay_at_chance(name):
    split = load_task("seed-random", n_train=400, n_test=400, seed=0)
    m = make_model(name, random_state=0).fit(split.X_train, split.y_train)
    assert abs(m.score(split.X_test, split.y_test) - 0.5) < 0.08
