"""MLPClassifier: sklearn contract, input validation, determinism, persistence, accuracy."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from brainlearn import MLPClassifier, load_task, make_model, make_task


@pytest.fixture(scope="module")
def linear():
    return load_task("linear", n_train=400, n_test=400, seed=0)


def fast(**kw):
    """A small, quickly trained instance (the estimator checks and most tests use it)."""
    params = dict(epochs=20, learning_rate=1e-2, random_state=0)
    return MLPClassifier(**{**params, **kw})


# scikit-learn's estimator checks; none is marked xfail. The classifier takes K classes (the
# default tag classifier_tags.multi_class = True), so the checks also train it on three-class
# data (check_classifiers_train needs > 0.83 training accuracy on blobs, which 20 epochs at
# learning rate 1e-2 reach) and with string labels (check_classifiers_classes). scikit-learn itself
# skips two checks when their optional dependencies are missing from the environment:
# check_array_api_input (needs SCIPY_ARRAY_API=1 and array-api-compat) and
# check_estimators_dtypes with pandas input (pandas is not a dependency of brainlearn).
@parametrize_with_checks([fast()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------- determinism


def test_same_random_state_gives_bit_identical_weights(linear):
    a = fast(random_state=7).fit(linear.X_train, linear.y_train)
    b = fast(random_state=7).fit(linear.X_train, linear.y_train)
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        assert np.array_equal(Wa, Wb)
    assert a.history_ == b.history_
    c = fast(random_state=8).fit(linear.X_train, linear.y_train)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_training_in_chunks_of_epochs_gives_the_same_model(linear, monkeypatch):
    # long fits draw their shuffles and train a few epochs per kernel call to bound memory;
    # the chunking must not change the result
    whole = fast(epochs=10).fit(linear.X_train, linear.y_train)
    monkeypatch.setattr("brainlearn.mlp.model._PERM_BUDGET", 3 * 400)  # 3 epochs per call
    chunked = fast(epochs=10).fit(linear.X_train, linear.y_train)
    for a, b in zip(whole.coefs_, chunked.coefs_, strict=True):
        assert np.array_equal(a, b)
    assert whole.history_ == chunked.history_


def test_glorot_uniform_init_and_zero_bias(linear):
    # epochs=1 at a tiny learning rate leaves the initial weights almost untouched
    m = MLPClassifier(hidden_layer_sizes=(50, 40), epochs=1, learning_rate=1e-12, random_state=0)
    m.fit(linear.X_train, linear.y_train)
    for W in m.coefs_:
        limit = np.sqrt(6 / (W.shape[0] + W.shape[1]))
        assert np.abs(W).max() <= limit
        assert np.abs(W).max() > 0.9 * limit  # uniform over the whole range
    for b in m.intercepts_:
        assert np.abs(b).max() < 1e-9


# ---------------------------------------------------------------------------- fitted state


def test_fitted_attributes_and_history(linear):
    m = fast(hidden_layer_sizes=(6, 4), epochs=7)
    m.fit(linear.X_train, linear.y_train, eval_set=(linear.X_test, linear.y_test))
    assert [W.shape for W in m.coefs_] == [(2, 6), (6, 4), (4, 1)]
    assert [b.shape for b in m.intercepts_] == [(6,), (4,), (1,)]
    assert m.n_features_in_ == 2 and list(m.classes_) == [0, 1]
    h = m.history_
    assert set(h) == {"samples_seen", "loss", "train_accuracy", "eval_accuracy"}
    assert h["samples_seen"] == [400 * (e + 1) for e in range(7)]
    assert all(len(v) == 7 for v in h.values())
    assert h["eval_accuracy"][-1] == m.score(linear.X_test, linear.y_test)
    assert h["loss"][-1] < h["loss"][0] < 0.8
    assert m.n_updates_ == 7 * 13  # ceil(400 / 32) updates per epoch
    assert "eval_accuracy" not in fast().fit(linear.X_train, linear.y_train).history_


def test_predict_proba_is_consistent_with_predict(linear):
    m = fast().fit(linear.X_train, linear.y_train)
    P = m.predict_proba(linear.X_test)
    assert P.shape == (400, 2)
    np.testing.assert_allclose(P.sum(1), 1.0)
    np.testing.assert_array_equal(m.predict(linear.X_test), m.classes_[(P[:, 1] > 0.5) * 1])


@pytest.mark.parametrize("labels", [(-1, 1), ("benign", "malignant"), (20, 10)])
def test_any_two_labels_round_trip(linear, labels):
    y = np.where(linear.y_train == 1, labels[1], labels[0])
    y_test = np.where(linear.y_test == 1, labels[1], labels[0])
    m = fast().fit(linear.X_train, y)
    assert sorted(m.classes_.tolist()) == sorted(labels)
    pred = m.predict(linear.X_test)
    assert pred.dtype == y.dtype and set(pred.tolist()) <= set(labels)
    assert m.score(linear.X_test, y_test) > 0.9
    # the eval set uses the same labels
    m.fit(linear.X_train, y, eval_set=(linear.X_test, y_test))
    assert m.history_["eval_accuracy"][-1] == m.score(linear.X_test, y_test)


def test_hidden_response_and_ops(linear):
    m = fast(hidden_layer_sizes=(5, 3)).fit(linear.X_train, linear.y_train)
    H = m.hidden_response(linear.X_test)
    expected = np.maximum(linear.X_test @ m.coefs_[0] + m.intercepts_[0], 0)
    np.testing.assert_allclose(H, expected, rtol=1e-12, atol=1e-14)
    assert m.ops_per_sample(linear.X_test) == {"macs": 2 * 5 + 5 * 3 + 3 * 1}
    with pytest.raises(ValueError, match="features"):
        m.hidden_response(np.ones((3, 4)))


def test_ablation(linear):
    m = fast(hidden_layer_sizes=(10,)).fit(linear.X_train, linear.y_train)
    before = [W.copy() for W in m.coefs_]
    same = m.ablated(0.0, "synapses", random_state=0)
    np.testing.assert_array_equal(same.predict(linear.X_test), m.predict(linear.X_test))

    half = m.ablated(0.5, "synapses", random_state=0)
    n_zero = sum(int(np.sum(W == 0)) for W in half.coefs_)
    assert n_zero == 15  # half of the 2*10 + 10*1 weights
    assert all(np.array_equal(a, b) for a, b in zip(before, m.coefs_, strict=True))  # untouched

    gone = m.ablated(0.3, "neurons", random_state=1)
    dead = np.flatnonzero(np.all(gone.coefs_[0] == 0, axis=0))
    assert len(dead) == 3
    assert np.all(gone.coefs_[1][dead] == 0) and np.all(gone.intercepts_[0][dead] == 0)
    assert np.all(gone.hidden_response(linear.X_test)[:, dead] == 0)

    everything = m.ablated(1.0, "neurons", random_state=2)
    assert len(np.unique(everything.predict_proba(linear.X_test)[:, 1])) == 1  # constant

    with pytest.raises(ValueError, match="fraction"):
        m.ablated(1.5)
    with pytest.raises(ValueError, match="kind"):
        m.ablated(0.1, kind="dendrites")


# ---------------------------------------------------------------------------- K classes


@pytest.fixture(scope="module")
def three():
    """Three classes in the plane: the bands x1 + x2 < 0.8, < 1.2, >= 1.2."""
    split = load_task("linear", n_train=600, n_test=400, seed=0)

    def band(X):
        s = X.sum(1)
        return (s >= 0.8).astype(int) + (s >= 1.2)

    return split.X_train, band(split.X_train), split.X_test, band(split.X_test)


def test_k_classes_softmax_output(three):
    X, y, Xt, yt = three
    labels = np.array(["low", "mid", "high"])  # sorted: high, low, mid
    m = fast(hidden_layer_sizes=(8,), epochs=40).fit(X, labels[y])
    assert m.classes_.tolist() == ["high", "low", "mid"]
    assert [W.shape for W in m.coefs_] == [(2, 8), (8, 3)]  # one output unit per class
    P = m.predict_proba(Xt)
    assert P.shape == (400, 3)
    np.testing.assert_allclose(P.sum(1), 1.0)
    pred = m.predict(Xt)
    np.testing.assert_array_equal(pred, m.classes_[np.argmax(P, axis=1)])
    assert m.score(Xt, labels[yt]) > 0.9
    # column j is the probability of classes_[j]: the mean probability of the true class
    # is high for every class
    for j, c in enumerate(m.classes_):
        assert P[labels[yt] == c, j].mean() > 0.6, c
    # the softmax of the logits, as the docstring says
    logits = np.maximum(Xt @ m.coefs_[0] + m.intercepts_[0], 0) @ m.coefs_[1] + m.intercepts_[1]
    e = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(P, e / e.sum(1, keepdims=True), rtol=1e-10)


def test_k_classes_history_eval_set_and_determinism(three):
    X, y, Xt, yt = three
    m = fast(epochs=5).fit(X, y + 10, eval_set=(Xt, yt + 10))
    assert m.history_["eval_accuracy"][-1] == m.score(Xt, yt + 10)
    assert m.history_["loss"][-1] < m.history_["loss"][0] < 1.2  # chance: ln 3 = 1.10
    again = fast(epochs=5).fit(X, y + 10, eval_set=(Xt, yt + 10))
    assert all(np.array_equal(a, b) for a, b in zip(m.coefs_, again.coefs_, strict=True))
    with pytest.raises(ValueError, match=r"labels not seen in y: \[13\]"):
        fast().fit(X, y, eval_set=(Xt, np.full(len(Xt), 13)))


def test_k_classes_hidden_response_ops_and_ablation(three):
    X, y, Xt, _ = three
    m = fast(hidden_layer_sizes=(6, 4)).fit(X, y)
    assert m.hidden_response(Xt).shape == (400, 6)
    assert m.ops_per_sample(Xt) == {"macs": 2 * 6 + 6 * 4 + 4 * 3}
    half = m.ablated(0.5, "synapses", random_state=0)
    assert sum(int(np.sum(W == 0)) for W in half.coefs_) == 24
    gone = m.ablated(1.0, "neurons", random_state=0)
    P = gone.predict_proba(Xt)
    assert P.shape == (400, 3) and np.allclose(P, P[0])  # constant: only the output biases


def test_binary_still_uses_one_sigmoid_output(linear):
    m = fast().fit(linear.X_train, linear.y_train)
    assert m.coefs_[-1].shape == (5, 1)


def test_ablated_checks_its_random_state(linear):
    m = fast().fit(linear.X_train, linear.y_train)
    with pytest.raises(ValueError, match="random_state must be None, an int >= 0"):
        m.ablated(0.5, random_state=-2)
    with pytest.raises(ValueError, match="fraction must be a number"):
        m.ablated("a")


# ---------------------------------------------------------------------------- bad input

X_OK, Y_OK = make_task("linear", 40, seed=0)


def _with(X=None, y=None):
    return (X_OK if X is None else X), (Y_OK if y is None else y)


X_NAN = X_OK.copy()
X_NAN[3, 1] = np.nan
X_INF = X_OK.copy()
X_INF[5, 0] = np.inf

BAD_DATA = [
    ("nan", _with(X=X_NAN), "NaN"),
    ("inf", _with(X=X_INF), "infinity"),
    ("1-D X", _with(X=X_OK[:, 0]), "Expected 2D array"),
    ("y too short", _with(y=Y_OK[:-3]), "inconsistent numbers of samples"),
    ("empty X", (np.empty((0, 2)), np.empty(0)), "0 sample"),
    ("one class", _with(y=np.ones(40, dtype=int)), "only one class.*at least two classes"),
    ("strings and ints", _with(y=np.array(["a", 1] * 20, dtype=object)), "mixes strings and n"),
    ("list of strings, ints", _with(y=["a", 1] * 20), "mixes strings and numbers"),
    ("continuous y", _with(y=np.linspace(0, 1, 40)), "Unknown label type"),
]


@pytest.mark.parametrize(
    "data,match", [(d, m) for _, d, m in BAD_DATA], ids=[i for i, *_ in BAD_DATA]
)
def test_bad_data_raises_value_error_naming_it(data, match):
    with pytest.raises(ValueError, match=match):
        fast().fit(*data)


_P = "'{}' parameter of MLPClassifier must be "

BAD_PARAMS = [
    (dict(epochs=0), _P.format("epochs") + "an int in the range \\[1"),
    (dict(epochs=-3), _P.format("epochs") + "an int in the range \\[1"),
    (dict(epochs=2.5), _P.format("epochs") + "an int in the range \\[1"),
    (dict(learning_rate=0.0), _P.format("learning_rate") + "a float in the range \\(0"),
    (dict(learning_rate=-1e-3), _P.format("learning_rate") + "a float in the range \\(0"),
    (dict(learning_rate=np.nan), _P.format("learning_rate") + "a float in the range \\(0"),
    (dict(batch_size=0), _P.format("batch_size") + "an int in the range \\[1"),
    (dict(batch_size=-1), _P.format("batch_size") + "an int in the range \\[1"),
    (dict(activation="softplus"), _P.format("activation") + "a str among"),
    (dict(optimizer="rmsprop"), _P.format("optimizer") + "a str among"),
    (dict(hidden_layer_sizes=()), "at least one hidden layer"),
    (dict(hidden_layer_sizes=(5, 0)), "hidden_layer_sizes must be a tuple of positive integers"),
    (dict(hidden_layer_sizes=(5, 2.5)), "hidden_layer_sizes must be a tuple of positive integers"),
    (dict(hidden_layer_sizes="5"), "'hidden_layer_sizes' parameter of MLPClassifier must be"),
    (dict(momentum=1.0), _P.format("momentum") + "a float in the range \\[0"),
    (dict(random_state="seed"), "'random_state' parameter of MLPClassifier must be"),
    (dict(random_state=-1), "'random_state' parameter of MLPClassifier must be"),
]


@pytest.mark.parametrize("params,match", BAD_PARAMS, ids=[str(p) for p, _ in BAD_PARAMS])
def test_bad_hyperparameters_raise_value_error_naming_them(params, match):
    with pytest.raises(ValueError, match=match):
        fast(**params).fit(X_OK, Y_OK)
    # the same check without data, as the runner does at spec-parse time
    with pytest.raises(ValueError, match=match):
        fast(**params)._check_hyperparameters()


def test_check_hyperparameters_passes_the_defaults_and_sets_nothing():
    m = MLPClassifier()
    m._check_hyperparameters()
    assert vars(m) == vars(MLPClassifier())


def test_predict_checks_input(linear):
    m = fast().fit(linear.X_train, linear.y_train)
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 2"):
        m.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        m.predict_proba(np.array([[np.nan, 0.5]]))
    with pytest.raises(NotFittedError):
        fast().predict(linear.X_test)


def test_bad_eval_set(linear):
    with pytest.raises(ValueError, match="labels not seen in y"):
        fast().fit(linear.X_train, linear.y_train, eval_set=(linear.X_test, linear.y_test + 5))
    with pytest.raises(ValueError, match="features"):
        fast().fit(linear.X_train, linear.y_train, eval_set=(np.ones((3, 5)), np.ones(3)))
    with pytest.raises(ValueError, match="eval_set must be a pair"):
        fast().fit(linear.X_train, linear.y_train, eval_set=linear.X_test)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_divergence_raises_and_leaves_model_unfitted(linear, activation):
    m = fast(optimizer="sgd", learning_rate=1e6, activation=activation)
    with pytest.raises(FloatingPointError, match=r"training diverged in epoch \d+ of 20"):
        m.fit(linear.X_train, linear.y_train)
    with pytest.raises(NotFittedError):
        m.predict(linear.X_test)


# ---------------------------------------------------------------------------- persistence

_CHILD = """
import pickle, sys
import numpy as np
with open(sys.argv[1], "rb") as f:
    model, X = pickle.load(f)
np.save(sys.argv[2], model.predict_proba(X))
"""


def test_pickled_model_predicts_the_same_in_a_fresh_process(linear, tmp_path):
    labels = np.where(linear.y_train == 1, "yes", "no")
    m = fast().fit(linear.X_train, labels)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((m, linear.X_test)))
    out = tmp_path / "proba.npy"
    env_path = ":".join(p for p in sys.path if p)
    subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(out)],
        check=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    np.testing.assert_array_equal(np.load(out), m.predict_proba(linear.X_test))
    clone = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(clone.predict(linear.X_test), m.predict(linear.X_test))


# ---------------------------------------------------------------------------- registry models


@pytest.mark.parametrize(
    "task,low,high",
    [
        ("linear", 0.97, 1.0),  # Keras reference mean 0.991
        ("seed-random", 0.44, 0.56),  # random labels: chance, a model above it leaks
    ],
)
def test_mlp_seed_accuracy(task, low, high):
    split = load_task(task, n_train=1000, n_test=1000, seed=1)
    acc = make_model("mlp-seed", random_state=1).fit(split.X_train, split.y_train)
    assert low <= acc.score(split.X_test, split.y_test) <= high


@pytest.mark.parametrize("task", ["xor", "circle"])
def test_mlp_wide_accuracy(task):
    split = load_task(task, n_train=1000, n_test=1000, seed=1)
    m = make_model("mlp-wide", random_state=1).fit(split.X_train, split.y_train)
    assert m.score(split.X_test, split.y_test) >= 0.97


# ---------------------------------------------------------------------------- property-based

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["relu", "tanh", "sigmoid", "adam", "sgd", (5,), (3, 2), (), [4], "gelu"]),
    st.lists(st.integers(-2, 5), max_size=3).map(tuple),
)
_PARAMS = [
    "hidden_layer_sizes", "activation", "optimizer", "learning_rate", "momentum", "epochs",
    "batch_size", "random_state",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(_PARAMS), value=_VALUES)
def test_any_hyperparameter_value_is_accepted_or_named(name, value):
    m = MLPClassifier(**{name: value})
    try:
        m._check_hyperparameters()
    except ValueError as exc:
        assert name in str(exc) or name.split("_")[0] in str(exc), str(exc)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    k=st.integers(2, 6),
    kind=st.sampled_from(["int", "str", "float"]),
    seed=st.integers(0, 2**16),
)
def test_any_labels_of_one_type_fit_and_come_back(k, kind, seed):
    rng = np.random.default_rng(seed)
    values = rng.choice(1000, size=k, replace=False)
    # floats must be integral: scikit-learn reads other floats as a regression target
    strings = np.array([f"c{v}" for v in values])
    labels = {"int": values, "str": strings, "float": values * 1.0}[kind]
    y = labels[np.arange(5 * k) % k]
    X = rng.random((5 * k, 3))
    m = MLPClassifier(epochs=2, random_state=seed).fit(X, y)
    assert m.classes_.tolist() == sorted(labels.tolist())
    assert m.predict_proba(X).shape == (5 * k, k)
    assert set(m.predict(X).tolist()) <= set(labels.tolist())
    mixed = list(y[:-1]) + (["z"] if kind != "str" else [3])
    with pytest.raises(ValueError, match="mixes strings and numbers"):
        MLPClassifier(epochs=1).fit(X, np.array(mixed, dtype=object))
