"""The jitted MLP kernels against plain-NumPy twins and finite differences.

Two classes use one sigmoid output (``n_out = 1``), K classes a softmax over ``n_out = K``
outputs; every kernel is checked for both (the softmax also at K = 2, which the kernels
allow although the estimator uses the sigmoid there)."""

import numpy as np
import pytest

from brainlearn.mlp import _kernels as K

#: jitted vs NumPy on one forward/backward pass or one optimizer step: only the order of
#: floating-point sums differs (the kernels reassociate minibatch sums)
RTOL_PASS = 1e-12
ATOL_PASS = 1e-14
#: jitted vs NumPy after whole epochs of training: rounding differences are carried
#: through ~100 dependent updates
RTOL_EPOCH = 1e-9
#: central finite differences (h = 1e-6) against the analytic gradient: relative error
FD_STEP = 1e-6
FD_RTOL = 1e-6

ACTS = list(K.ACTIVATIONS)
HIDDEN = [(5,), (4, 3), (3, 4, 2)]
N_OUT = [1, 2, 4]  # 1: sigmoid + binary cross-entropy; >= 2: softmax + cross-entropy


# --------------------------------------------------------------------------- NumPy twins


def np_layers(theta, sizes):
    """[(W (n_out, n_in), b (n_out,)), ...] from the flat vector, per the documented layout."""
    out, pos = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        W = theta[pos : pos + n_in * n_out].reshape(n_out, n_in)
        pos += n_in * n_out
        b = theta[pos : pos + n_out]
        pos += n_out
        out.append((W, b))
    assert pos == len(theta)
    return out


def np_f(z, act):
    return {"relu": np.maximum(z, 0.0), "tanh": np.tanh(z), "sigmoid": 1 / (1 + np.exp(-z))}[act]


def np_fprime(z, act):
    a = np_f(z, act)
    return {"relu": (z > 0).astype(float), "tanh": 1 - a**2, "sigmoid": a * (1 - a)}[act]


def np_forward(theta, sizes, act, X):
    """Logits (n, n_out) plus the per-layer pre-activations and activations (row per sample)."""
    layers = np_layers(theta, sizes)
    As, Zs = [X], [X]
    for l, (W, b) in enumerate(layers):
        z = As[-1] @ W.T + b
        Zs.append(z)
        As.append(z if l == len(layers) - 1 else np_f(z, act))
    return As[-1], Zs, As


def np_softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_predicted(s):
    """Predicted class index: logit > 0 for one output, else the first largest logit."""
    return (s[:, 0] > 0).astype(int) if s.shape[1] == 1 else np.argmax(s, axis=1)


def np_loss_grad(theta, sizes, act, X, y):
    S, Zs, As = np_forward(theta, sizes, act, X)
    if S.shape[1] == 1:  # binary cross-entropy on the logit
        s = S[:, 0]
        loss = np.mean(np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s))))
        delta = ((1 / (1 + np.exp(-s))) - y)[:, None] / len(y)
    else:  # categorical cross-entropy on the softmax, y = class indices
        t = y.astype(int)
        P = np_softmax(S)
        loss = -np.mean(np.log(P[np.arange(len(t)), t]))
        delta = (P - np.eye(S.shape[1])[t]) / len(y)
    layers = np_layers(theta, sizes)
    grads = [None] * len(layers)
    for l in range(len(layers) - 1, -1, -1):
        W, _ = layers[l]
        grads[l] = (delta.T @ As[l], delta.sum(0))
        if l > 0:
            delta = (delta @ W) * np_fprime(Zs[l], act)
    return loss, np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in grads])


def np_adam(theta, g, m, v, t, lr, b1=0.9, b2=0.999, eps=1e-7):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
    return theta - alpha * m / (np.sqrt(v) + eps), m, v


def np_sgd(theta, g, u, lr, mu):
    u = mu * u - lr * g
    return theta + u, u


def np_train(theta, sizes, act, opt, X, y, perms, bs, lr, mu=0.9):
    theta = theta.copy()
    s1, s2 = np.zeros_like(theta), np.zeros_like(theta)
    t = 0
    losses, accs = [], []
    for perm in perms:
        tot, hits = 0.0, 0
        for start in range(0, len(y), bs):
            idx = perm[start : start + bs]
            logits, _, _ = np_forward(theta, sizes, act, X[idx])
            hits += int(np.sum(np_predicted(logits) == y[idx]))
            loss, g = np_loss_grad(theta, sizes, act, X[idx], y[idx])
            tot += loss * len(idx)
            t += 1
            if opt == "adam":
                theta, s1, s2 = np_adam(theta, g, s1, s2, t, lr)
            else:
                theta, s1 = np_sgd(theta, g, s1, lr, mu)
        losses.append(tot / len(y))
        accs.append(hits / len(y))
    return theta, np.array(losses), np.array(accs)


# --------------------------------------------------------------------------- helpers


def problem(hidden, seed=0, n=37, d=3, n_out=1):
    """Random network, data and labels (0/1 for one output, class indices for n_out >= 2)."""
    rng = np.random.default_rng(seed)
    sizes = np.array([d, *hidden, n_out], dtype=np.int64)
    n_params = K.param_offsets(sizes)[2]
    theta = rng.normal(0, 0.8, n_params)
    X = rng.normal(0, 1, (n, d))
    if n_out == 1:
        y = (rng.random(n) < 0.5).astype(float)
    else:
        y = rng.integers(0, n_out, n).astype(float)
    return sizes, theta, X, y


def run_kernel_training(
    theta, sizes, act, opt, X, y, perms, bs, lr, mu=0.9, X_eval=None, max_loss=K.DIVERGENCE_LOSS
):
    theta = theta.copy()
    s1, s2 = np.zeros_like(theta), np.zeros_like(theta)
    E = len(perms)
    loss, acc, ev = np.empty(E), np.empty(E), np.full(E, np.nan)
    if X_eval is None:
        X_eval, y_eval = np.empty((0, X.shape[1])), np.empty(0)
    else:
        X_eval, y_eval = X_eval
    status, done, step = K.train_epochs(
        theta, sizes, K.ACTIVATIONS[act], K.OPTIMIZERS[opt], X, y, perms, bs, lr, mu,
        K.ADAM_BETA1, K.ADAM_BETA2, K.ADAM_EPS, s1, s2, 0, X_eval, y_eval, loss, acc, ev, max_loss,
    )  # fmt: skip
    return status, done, step, theta, loss, acc, ev


# --------------------------------------------------------------------------- tests


def test_layout_offsets():
    sizes = np.array([3, 4, 2, 1], dtype=np.int64)
    w_off, b_off, n = K.param_offsets(sizes)
    assert list(w_off) == [0, 16, 26] and list(b_off) == [12, 24, 28] and n == 29


@pytest.mark.parametrize("n_out", N_OUT)
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_forward_matches_numpy(act, hidden, n_out):
    sizes, theta, X, _ = problem(hidden, n=300, n_out=n_out)  # more rows than one chunk
    s = K.forward(theta, sizes, K.ACTIVATIONS[act], X)
    assert s.shape == (300, n_out)
    s_np, _, As = np_forward(theta, sizes, act, X)
    np.testing.assert_allclose(s, s_np, rtol=RTOL_PASS, atol=ATOL_PASS)
    for layer in range(len(hidden)):
        h = K.hidden_activations(theta, sizes, K.ACTIVATIONS[act], X, layer)
        np.testing.assert_allclose(h, As[layer + 1], rtol=RTOL_PASS, atol=ATOL_PASS)


@pytest.mark.parametrize("n_out", N_OUT)
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backward_matches_numpy(act, hidden, n_out):
    sizes, theta, X, y = problem(hidden, n_out=n_out)
    loss, grad = K.loss_and_grad(theta, sizes, K.ACTIVATIONS[act], X, y)
    loss_np, grad_np = np_loss_grad(theta, sizes, act, X, y)
    assert loss == pytest.approx(loss_np, rel=RTOL_PASS)
    np.testing.assert_allclose(grad, grad_np, rtol=RTOL_PASS, atol=ATOL_PASS)


@pytest.mark.parametrize("n_out", N_OUT)
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backward_matches_finite_differences(act, hidden, n_out):
    sizes, theta, X, y = problem(hidden, seed=1, n_out=n_out)
    code = K.ACTIVATIONS[act]
    _, grad = K.loss_and_grad(theta, sizes, code, X, y)
    fd = np.empty_like(theta)
    for k in range(len(theta)):
        tp, tm = theta.copy(), theta.copy()
        tp[k] += FD_STEP
        tm[k] -= FD_STEP
        lp = K.loss_and_grad(tp, sizes, code, X, y)[0]
        lm = K.loss_and_grad(tm, sizes, code, X, y)[0]
        fd[k] = (lp - lm) / (2 * FD_STEP)
    scale = np.max(np.abs(grad))
    assert scale > 1e-3  # a vanishing gradient would make the check meaningless
    np.testing.assert_allclose(grad, fd, rtol=FD_RTOL, atol=FD_RTOL * scale)


def test_loss_is_stable_for_huge_logits():
    # a single linear unit with weights that put the logit at +-1000: the naive
    # -y log p - (1-y) log(1-p) is inf / nan there; the logit form is exact
    sizes = np.array([1, 1, 1], dtype=np.int64)
    theta = np.array([1.0, 0.0, 1.0, 0.0])  # W0, b0, W1, b1; relu passes 1000 through
    X = np.array([[1000.0]])
    loss, grad = K.loss_and_grad(theta, sizes, K.RELU, X, np.array([0.0]))
    assert loss == pytest.approx(1000.0) and np.all(np.isfinite(grad))
    loss, _ = K.loss_and_grad(theta, sizes, K.RELU, X, np.array([1.0]))
    assert loss == pytest.approx(0.0, abs=1e-300)


def test_softmax_loss_is_stable_for_huge_logits():
    # three outputs with logits (1000, 0, -1000): exp(1000) overflows in a naive softmax
    sizes = np.array([1, 1, 3], dtype=np.int64)
    theta = np.array([1.0, 0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0])  # W0, b0, W1 (3x1), b1
    X = np.array([[1000.0]])
    for label, expected in [(0, 0.0), (1, 1000.0), (2, 2000.0)]:
        loss, grad = K.loss_and_grad(theta, sizes, K.RELU, X, np.array([float(label)]))
        assert loss == pytest.approx(expected, abs=1e-12) and np.all(np.isfinite(grad))


def test_softmax_delta_is_probabilities_minus_one_hot():
    # the output delta of one sample is softmax(s) - onehot(y), summing to 0 over classes
    sizes, theta, X, y = problem((4,), seed=9, n=1, n_out=5)
    _, grad = K.loss_and_grad(theta, sizes, K.TANH, X, y)
    _, b_off, _ = K.param_offsets(sizes)
    s, _, _ = np_forward(theta, sizes, "tanh", X)
    expected = np_softmax(s)[0] - np.eye(5)[int(y[0])]
    np.testing.assert_allclose(grad[b_off[-1] :], expected, rtol=RTOL_PASS, atol=ATOL_PASS)
    assert abs(grad[b_off[-1] :].sum()) < 1e-12


def test_adam_step_matches_numpy_and_keras_first_step():
    rng = np.random.default_rng(2)
    theta = rng.normal(size=50)
    m, v = np.zeros(50), np.zeros(50)
    t_np, m_np, v_np = theta.copy(), m.copy(), v.copy()
    for t in range(1, 6):
        g = rng.normal(size=50)
        before = theta.copy()
        K.adam_step(theta, g, m, v, t, 1e-3, K.ADAM_BETA1, K.ADAM_BETA2, K.ADAM_EPS)
        t_np, m_np, v_np = np_adam(t_np, g, m_np, v_np, t, 1e-3)
        if t == 1:
            # Adam's first step moves every parameter by ~lr against its gradient's sign; in
            # Keras' form eps is added to sqrt(v) before bias correction, so exactly
            # lr g / (|g| + eps / sqrt(1 - beta2)) (the paper's form: lr g / (|g| + eps))
            keras = 1e-3 * g / (np.abs(g) + K.ADAM_EPS / np.sqrt(1 - K.ADAM_BETA2))
            np.testing.assert_allclose(before - theta, keras, rtol=RTOL_PASS)
        np.testing.assert_allclose(theta, t_np, rtol=RTOL_PASS, atol=ATOL_PASS)
        np.testing.assert_allclose(m, m_np, rtol=RTOL_PASS, atol=ATOL_PASS)
        np.testing.assert_allclose(v, v_np, rtol=RTOL_PASS, atol=ATOL_PASS)
    assert (K.ADAM_BETA1, K.ADAM_BETA2, K.ADAM_EPS) == (0.9, 0.999, 1e-7)


def test_sgd_step_matches_numpy():
    rng = np.random.default_rng(3)
    theta = rng.normal(size=20)
    u = np.zeros(20)
    t_np, u_np = theta.copy(), u.copy()
    for _ in range(4):
        g = rng.normal(size=20)
        K.sgd_step(theta, g, u, 0.1, 0.9)
        t_np, u_np = np_sgd(t_np, g, u_np, 0.1, 0.9)
        np.testing.assert_allclose(theta, t_np, rtol=RTOL_PASS, atol=ATOL_PASS)
        np.testing.assert_allclose(u, u_np, rtol=RTOL_PASS, atol=ATOL_PASS)


@pytest.mark.parametrize(
    "act,opt,hidden,lr,n_out",
    [
        ("relu", "adam", (5,), 1e-2, 1),
        ("tanh", "sgd", (4, 3), 5e-2, 1),
        ("sigmoid", "adam", (3, 4, 2), 1e-2, 1),
        ("relu", "adam", (5,), 1e-2, 3),
        ("tanh", "sgd", (4, 3), 5e-2, 4),
        ("sigmoid", "adam", (3, 4, 2), 1e-2, 10),
    ],
)
def test_train_epochs_matches_numpy(act, opt, hidden, lr, n_out):
    sizes, theta, X, y = problem(hidden, seed=4, n=70, n_out=n_out)
    rng = np.random.default_rng(5)
    perms = np.stack([rng.permutation(70) for _ in range(3)])
    bs = 16  # 70 = 4 * 16 + 6: the last minibatch is smaller
    status, done, step, th, loss, acc, _ = run_kernel_training(
        theta, sizes, act, opt, X, y, perms, bs, lr
    )
    th_np, loss_np, acc_np = np_train(theta, sizes, act, opt, X, y, perms, bs, lr)
    assert (status, done, step) == (K.OK, 3, 15)
    np.testing.assert_allclose(th, th_np, rtol=RTOL_EPOCH, atol=RTOL_EPOCH)
    np.testing.assert_allclose(loss, loss_np, rtol=RTOL_EPOCH)
    np.testing.assert_array_equal(acc, acc_np)
    assert not np.allclose(th, theta)  # it did train


@pytest.mark.parametrize("n_out", [1, 3])
def test_train_epochs_records_eval_accuracy(n_out):
    sizes, theta, X, y = problem((5,), seed=6, n=64, n_out=n_out)
    X_ev = np.random.default_rng(7).normal(size=(300, 3))
    y_ev = (X_ev[:, 0] > 0).astype(float) + (X_ev[:, 1] > 0) * (n_out > 1)
    perms = np.stack([np.arange(64)] * 2)
    *_, th, _, _, ev = run_kernel_training(
        theta, sizes, "tanh", "adam", X, y, perms, 32, 1e-2, X_eval=(X_ev, y_ev)
    )
    s_np, _, _ = np_forward(th, sizes, "tanh", X_ev)
    assert ev[-1] == np.mean(np_predicted(s_np) == y_ev)


@pytest.mark.parametrize("n_out", [1, 3])
def test_train_epochs_stops_on_nan(n_out):
    sizes, theta, X, y = problem((5,), seed=8, n=64, n_out=n_out)
    theta[-1] = np.nan  # the bias of the last output: for K classes, not every label's logit
    perms = np.stack([np.arange(64)] * 5)
    status, done, step, *_ = run_kernel_training(theta, sizes, "relu", "adam", X, y, perms, 8, 1e-3)
    assert (status, done, step) == (K.DIVERGED, 0, 0)  # stopped before the first update


@pytest.mark.parametrize("n_out", [1, 3])
def test_train_epochs_stops_on_exploding_loss(n_out):
    # a step size far too large: tanh saturates, so the weights explode without
    # overflowing and the loss stays finite but enormous; the loss threshold catches it
    sizes, theta, X, y = problem((5,), seed=8, n=64, n_out=n_out)
    perms = np.stack([np.arange(64)] * 20)
    args = (theta, sizes, "tanh", "sgd", X, y, perms, 8, 1e6)
    status, done, *_ = run_kernel_training(*args)
    assert status == K.DIVERGED and done < 20
    status, done, _, th, loss, *_ = run_kernel_training(*args, max_loss=np.inf)
    assert status == K.OK and np.all(np.isfinite(th)) and loss[-1] > K.DIVERGENCE_LOSS
