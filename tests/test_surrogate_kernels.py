"""The surrogate-gradient SNN kernels against plain-NumPy twins and finite differences."""

import numpy as np
import pytest
from scipy.linalg import expm

from brainlearn.mlp import _kernels as MK
from brainlearn.surrogate import _kernels as K

DT_MS, TAU_M, TAU_E = 0.5, 20.0, 5.0
V_TH, V_RESET = 15.0, 0.0
#: jitted vs NumPy on one pass: only the order of floating-point sums differs
RTOL = 1e-10
ATOL = 1e-12


def consts(n_steps, dt=DT_MS, tau_m=TAU_M, tau_e=TAU_E):
    alpha, beta, c = K.lif_constants(dt, tau_m, tau_e)
    return alpha, beta, c, K.readout_kernel(n_steps, alpha, beta, c)


# --------------------------------------------------------------------------- NumPy twins


def np_events(rates, phases, dt_s, n_steps):
    """Dense afferent spikes (B, T, n_aff): floor(phi + p (t + 1)) - floor(phi + p t)."""
    p = rates * dt_s
    t = np.arange(n_steps)[None, :, None]
    return np.floor(phases[:, None, :] + p[:, None, :] * (t + 1)) - np.floor(
        phases[:, None, :] + p[:, None, :] * t
    )


def np_poisson_events(rates, seeds, dt_s, n_steps):
    """Dense Bernoulli spikes (B, T, n_aff) drawn as the kernel documents: per sample a
    legacy NumPy Mersenne Twister seeded with its seed, afferent by afferent, geometric gaps
    ``floor(log(1 - u) / log(1 - p))`` between spikes."""
    B, n_aff = rates.shape
    x = np.zeros((B, n_steps, n_aff))
    for b in range(B):
        rs = np.random.RandomState(int(seeds[b]))
        for i in range(n_aff):
            p = rates[b, i] * dt_s
            if p <= 0:
                continue
            t = -1
            while True:
                if p >= 1:
                    t += 1
                else:
                    gap = np.floor(np.log1p(-rs.random_sample()) / np.log1p(-p))
                    if gap >= n_steps:
                        break
                    t += 1 + int(gap)
                if t >= n_steps:
                    break
                x[b, t, i] = 1
    return x


def np_latency_events(times_s, dt_s, n_steps):
    """Dense latency spikes (B, T, n_aff): one in step floor(t / dt) if inside."""
    B, n_aff = times_s.shape
    x = np.zeros((B, n_steps, n_aff))
    for b in range(B):
        for i in range(n_aff):
            if np.isfinite(times_s[b, i]):
                t = int(np.floor(times_s[b, i] / dt_s + 1e-9))
                if 0 <= t < n_steps:
                    x[b, t, i] = 1
    return x


def dense(ptr, idx, B, n_steps, n_aff):
    x = np.zeros((B, n_steps, n_aff))
    for row in range(B * n_steps):
        for e in range(ptr[row], ptr[row + 1]):
            x[row // n_steps, row % n_steps, idx[e]] += 1
    return x


def np_spike(x, gamma, smooth):
    return 0.5 * (1 + gamma * x / (1 + gamma * np.abs(x))) if smooth else (x > 0).astype(float)


def np_forward(W_in, W_out, b, x, alpha, beta, c, gamma=1.0, smooth=False):
    """Step-by-step simulation of hidden LIF and readout units; the batch input of a step is
    the matrix product x[:, t] @ W_in. The readout is simulated explicitly (not through
    kappa). Returns V (B, T, H), spikes S, logits (B, K)."""
    B, T, _ = x.shape
    H, Kc = W_out.shape
    g = np.zeros((B, H))
    vr = np.zeros((B, H))
    q = np.zeros((B, Kc))
    u = np.zeros((B, Kc))
    V = np.empty((B, T, H))
    S = np.empty((B, T, H))
    u_sum = np.zeros((B, Kc))
    for t in range(T):
        v = beta * vr + c * g
        g = alpha * g
        u = beta * u + c * q
        q = alpha * q
        u_sum += u
        s = np_spike(v - V_TH, gamma, smooth)
        vr = v - s * (v - V_RESET)
        V[:, t], S[:, t] = v, s
        g = g + x[:, t] @ W_in
        q = q + s @ W_out
    return V, S, u_sum / T + b


def np_xent(logits, y):
    z = logits - logits.max(1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    B = len(y)
    loss = -np.mean(np.log(p[np.arange(B), y]))
    d = p.copy()
    d[np.arange(B), y] -= 1
    return loss, d / B, int(np.sum(np.argmax(logits, 1) == y))


def np_backward(W_in, W_out, x, V, dlogits, alpha, beta, c, kappa, gamma, smooth, detach):
    B, T, H = V.shape
    S = np_spike(V - V_TH, gamma, smooth)
    Cw = np.einsum("t,btj->bj", kappa, S)
    gW_out = Cw.T @ dlogits
    gb = dlogits.sum(0)
    e = dlogits @ W_out.T
    Vn = np.zeros((B, H))
    Gn = np.zeros((B, H))
    gW_in = np.zeros_like(W_in)
    for t in range(T - 1, -1, -1):
        v = V[:, t]
        xx = v - V_TH
        vrbar = beta * Vn
        Gn = alpha * Gn + c * Vn
        sbar = kappa[t] * e
        if not detach:
            sbar = sbar - vrbar * (v - V_RESET)
        Vn = vrbar * (1 - S[:, t]) + sbar * 0.5 * gamma / (1 + gamma * np.abs(xx)) ** 2
        gW_in += x[:, t].T @ Gn
    return gW_in, gW_out, gb


# --------------------------------------------------------------------------- fixtures


def tiny(seed=0, B=4, n_aff=6, H=5, Kc=3, T=40, w_in=25.0):
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0, 300, (B, n_aff))
    phases = rng.random((B, n_aff))
    W_in = rng.normal(4.0, w_in, (n_aff, H))
    W_out = rng.normal(0, 1, (H, Kc))
    b = rng.normal(0, 0.5, Kc)
    y = rng.integers(0, Kc, B)
    return rates, phases, W_in, W_out, b, y


def no_cur(B):
    return np.empty((B, 0))


def run_forward(W_in, W_out, b, ptr, idx, B, T, gamma=1.0, smooth=False, cur=None):
    alpha, beta, c, kappa = consts(T)
    H, Kc = W_out.shape
    V = np.empty((B, T, H))
    C = np.empty((B, H))
    logits = np.empty((B, Kc))
    K.forward(W_in, W_out, b, ptr, idx, no_cur(B) if cur is None else cur, alpha, beta, c,
              V_TH, V_RESET, gamma, smooth, kappa, V, C, logits)
    return V, C, logits


# --------------------------------------------------------------------------- constants


@pytest.mark.parametrize("tau_e", [5.0, 20.0, 7.5])
def test_lif_constants_are_the_exact_propagator(tau_e):
    A = np.array([[-1 / TAU_M, 1 / TAU_M], [0.0, -1 / tau_e]])
    P = expm(A * DT_MS)
    alpha, beta, c = K.lif_constants(DT_MS, TAU_M, tau_e)
    np.testing.assert_allclose([P[0, 0], P[0, 1], P[1, 1]], [beta, c, alpha], rtol=1e-10)


def test_readout_kernel_is_the_time_averaged_impulse_response():
    T = 30
    alpha, beta, c, kappa = consts(T)
    for t0 in (0, 7, T - 1):
        x = np.zeros((1, T, 1))
        x[0, t0, 0] = 1
        W_out = np.ones((1, 1))
        # one hidden neuron made to spike only at t0: drive its readout directly
        u = q = 0.0
        total = 0.0
        for t in range(T):
            u = beta * u + c * q
            q = alpha * q
            total += u
            q += x[0, t, 0] * W_out[0, 0]
        assert kappa[t0] == pytest.approx(total / T, rel=1e-12)
    assert kappa[-1] == 0.0


# --------------------------------------------------------------------------- events


def test_regular_events_against_twin():
    rates, phases, *_ = tiny(B=7, n_aff=9)
    rates[0, :3] = 0.0
    rates[1, 0] = 1999.0  # a spike in nearly every step
    # far tails of the receptive fields, with phases next to 1 (row 1 uses phase row 5)
    rates[1, 1:5] = [1e-300, 1e-20, 5e-324, 1.0]
    phases[5, 1:5] = [1 - 2**-53, 0.999999, 0.5, 1 - 2**-53]
    rows = np.array([3, 0, 1, 6], dtype=np.int64)
    prow = np.array([2, 2, 5, 0], dtype=np.int64)
    T = 60
    ptr, idx = K.regular_events(rates, rows, phases, prow, 5e-4, T)
    want = np_events(rates[rows], phases[prow], 5e-4, T)
    assert set(np.unique(want)) <= {0.0, 1.0}
    np.testing.assert_array_equal(dense(ptr, idx, len(rows), T, rates.shape[1]), want)
    # rate r over T steps of dt: r T dt spikes, rounded down or up by the phase
    n_spk = want.sum(1)
    expected = rates[rows] * 5e-4 * T
    assert np.all(np.abs(n_spk - expected) < 1.0 + 1e-9)


def test_poisson_events_against_twin():
    rng = np.random.default_rng(11)
    rates = rng.uniform(0, 400, (6, 8))
    rates[0, :2] = 0.0
    rates[1, 0] = 2000.0  # p = 1: a spike in every step
    rates[1, 1] = 1e-300  # a far receptive-field tail: a gap larger than any int64
    seeds = rng.integers(0, 2**32, 6, dtype=np.int64)
    rows = np.array([4, 1, 0, 5], dtype=np.int64)
    T = 80
    ptr, idx = K.poisson_events(rates, rows, seeds, 5e-4, T)
    want = np_poisson_events(rates[rows], seeds[rows], 5e-4, T)
    np.testing.assert_array_equal(dense(ptr, idx, len(rows), T, rates.shape[1]), want)
    assert want[1, :, 0].all() and not want[1, :, 1].any()


def test_poisson_events_have_bernoulli_statistics():
    # p = 0.1 per step over 200 steps, 2000 afferent-samples: the counts are binomial
    rates = np.full((20, 100), 200.0)
    seeds = np.arange(20, dtype=np.int64)
    T = 200
    ptr, idx = K.poisson_events(rates, np.arange(20, dtype=np.int64), seeds, 5e-4, T)
    x = dense(ptr, idx, 20, T, 100)
    counts = x.sum(1).ravel()
    assert counts.mean() == pytest.approx(20.0, abs=0.3)  # sd of the mean 0.067
    assert counts.var() == pytest.approx(18.0, rel=0.1)  # n p (1 - p)
    # no dependence between steps: P(spike at t+1 | spike at t) = p
    both = (x[:, 1:] * x[:, :-1]).sum() / x[:, :-1].sum()
    assert both == pytest.approx(0.1, abs=0.01)


def test_latency_events_against_twin():
    times = np.array([[0.0, 0.0249, 0.025, np.inf, 0.0499999, 0.06],
                      [0.01, np.inf, 0.0, 0.002, 0.03, -1.0]])
    rows = np.array([1, 0], dtype=np.int64)
    T = 100  # 50 ms at 0.5 ms
    ptr, idx = K.latency_events(times, rows, 5e-4, T)
    got = dense(ptr, idx, 2, T, 6)
    np.testing.assert_array_equal(got, np_latency_events(times[rows], 5e-4, T))
    assert got[1, 0, 0] == 1 and got[1, 50, 2] == 1 and got[1, 49, 1] == 1
    assert got.sum((1, 2)).tolist() == [4, 4]  # inf, after the window, negative: no spike


def test_events_dispatches_every_code():
    rates, phases, *_ = tiny(B=3)
    rows = np.arange(3, dtype=np.int64)
    seeds = np.array([1, 2, 3], dtype=np.int64)
    T = 30
    for code, want in ((K.REGULAR, K.regular_events(rates, rows, phases, rows, 5e-4, T)),
                       (K.POISSON, K.poisson_events(rates, rows, seeds, 5e-4, T))):
        ptr, idx, cur = K.events(code, rates, rows, phases, rows, seeds, 5e-4, T)
        np.testing.assert_array_equal(ptr, want[0])
        np.testing.assert_array_equal(idx, want[1])
        assert cur.shape == (3, 0)
    ptr, idx, cur = K.events(K.CURRENT, rates, rows, phases, rows, seeds, 5e-4, T)
    assert ptr.shape == (3 * T + 1,) and not ptr.any() and idx.size == 0
    np.testing.assert_allclose(cur, rates * 5e-4, rtol=1e-15)


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("smooth", [False, True])
def test_forward_against_twin(smooth):
    rates, phases, W_in, W_out, b, _ = tiny()
    B, T = len(rates), 40
    rows = np.arange(B, dtype=np.int64)
    ptr, idx = K.regular_events(rates, rows, phases, rows, 5e-4, T)
    x = np_events(rates, phases, 5e-4, T)
    V, C, logits = run_forward(W_in, W_out, b, ptr, idx, B, T, gamma=0.7, smooth=smooth)
    alpha, beta, c, kappa = consts(T)
    V2, S2, logits2 = np_forward(W_in, W_out, b, x, alpha, beta, c, gamma=0.7, smooth=smooth)
    if not smooth:
        assert 0 < S2.sum() < S2.size  # the test network spikes, but not always
    np.testing.assert_allclose(V, V2, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(C, np.einsum("t,btj->bj", kappa, S2), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(logits, logits2, rtol=RTOL, atol=ATOL)


def current_input(seed=8, B=4, n_aff=6, T=40):
    rng = np.random.default_rng(seed)
    cur = rng.uniform(0, 0.15, (B, n_aff))  # spikes per step: up to 300 Hz x 0.5 ms
    cur[0, :2] = 0.0
    x = np.broadcast_to(cur[:, None, :], (B, T, n_aff)).copy()
    return cur, x


def test_forward_with_current_injection_against_twin():
    """CURRENT: the input of every step is W_in^T cur, the twin's dense x[t] = cur."""
    _, _, W_in, W_out, b, _ = tiny(seed=9)
    B, T = 4, 40
    cur, x = current_input(B=B, T=T)
    empty = np.zeros(B * T + 1, dtype=np.int64)
    V, C, logits = run_forward(W_in, W_out, b, empty, np.empty(0, np.int64), B, T, cur=cur)
    alpha, beta, c, kappa = consts(T)
    V2, S2, logits2 = np_forward(W_in, W_out, b, x, alpha, beta, c)
    assert 0 < S2.sum() < S2.size
    np.testing.assert_allclose(V, V2, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(logits, logits2, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("detach", [False, True])
def test_backward_with_current_injection_against_twin(detach):
    _, _, W_in, W_out, b, y = tiny(seed=10)
    B, T = 4, 40
    cur, x = current_input(seed=10, B=B, T=T)
    empty = np.zeros(B * T + 1, dtype=np.int64)
    none = np.empty(0, np.int64)
    V, C, logits = run_forward(W_in, W_out, b, empty, none, B, T, gamma=0.5, cur=cur)
    d = np.empty_like(logits)
    K.softmax_xent(logits, y, d)
    alpha, beta, c, kappa = consts(T)
    g = [np.empty_like(W_in), np.empty_like(W_out), np.empty_like(b)]
    K.backward(W_in, W_out, empty, none, cur, alpha, beta, c, V_TH, V_RESET, 0.5, False, detach,
               kappa, V, C, d, *g)
    want = np_backward(W_in, W_out, x, V, d, alpha, beta, c, kappa, 0.5, False, detach)
    assert np.abs(g[0]).max() > 0
    for got, w in zip(g, want, strict=True):
        np.testing.assert_allclose(got, w, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("code", ["poisson", "latency", "current"])
def test_predict_of_every_code_equals_the_twin(code):
    rates, phases, W_in, W_out, b, _ = tiny(seed=12, B=4)
    n, T = len(rates), 40
    alpha, beta, c, kappa = consts(T)
    seeds = np.array([5, 6, 7, 8], dtype=np.int64)
    if code == "poisson":
        k, drive, x = K.POISSON, rates, np_poisson_events(rates, seeds, 5e-4, T)
    elif code == "latency":
        drive = np.where(rates > 50, rates * 1e-4, np.inf)  # times up to 30 ms
        k, x = K.LATENCY, np_latency_events(drive, 5e-4, T)
    else:
        k, drive = K.CURRENT, rates
        x = np.broadcast_to(rates[:, None, :] * 5e-4, (n, T, rates.shape[1])).copy()
    logits = np.empty((n, W_out.shape[1]))
    C = np.empty((n, W_in.shape[1]))
    counts = np.empty_like(C)
    n_aff = np.empty(n, dtype=np.int64)
    K.predict(W_in, W_out, b, k, drive, phases[0], seeds, 5e-4, alpha, beta, c, V_TH, V_RESET,
              kappa, logits, C, counts, n_aff)
    _, S, logits2 = np_forward(W_in, W_out, b, x, alpha, beta, c)
    np.testing.assert_allclose(logits, logits2, rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(counts, S.sum(1))
    np.testing.assert_array_equal(n_aff, 0 if code == "current" else x.sum((1, 2)))


def test_predict_equals_forward_with_fixed_phases():
    rates, phases, W_in, W_out, b, _ = tiny(B=5)
    T = 40
    alpha, beta, c, kappa = consts(T)
    ph = phases[0]
    n = len(rates)
    logits = np.empty((n, W_out.shape[1]))
    C = np.empty((n, W_in.shape[1]))
    counts = np.empty_like(C)
    n_aff = np.empty(n, dtype=np.int64)
    K.predict(W_in, W_out, b, K.REGULAR, rates, ph, np.zeros(n, dtype=np.int64), 5e-4, alpha,
              beta, c, V_TH, V_RESET, kappa, logits, C, counts, n_aff)
    x = np_events(rates, np.broadcast_to(ph, rates.shape), 5e-4, T)
    _, S, logits2 = np_forward(W_in, W_out, b, x, alpha, beta, c)
    np.testing.assert_allclose(logits, logits2, rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(counts, S.sum(1))
    np.testing.assert_allclose(C, np.einsum("t,btj->bj", kappa, S), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(n_aff, x.sum((1, 2)))


# --------------------------------------------------------------------------- loss, backward


def test_softmax_xent_against_twin():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (6, 4))
    logits[0] = [2.0, 2.0, 1.0, 0.0]  # a tie goes to the first class
    y = np.array([0, 1, 2, 3, 3, 0])
    d = np.empty_like(logits)
    loss, correct = K.softmax_xent(logits, y, d)
    loss2, d2, correct2 = np_xent(logits, y)
    assert loss == pytest.approx(loss2, rel=1e-12)
    assert correct == correct2
    np.testing.assert_allclose(d, d2, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("smooth", [False, True])
@pytest.mark.parametrize("detach", [False, True])
def test_backward_against_twin(smooth, detach):
    rates, phases, W_in, W_out, b, y = tiny(seed=2)
    B, T = len(rates), 40
    gamma = 0.5
    rows = np.arange(B, dtype=np.int64)
    ptr, idx = K.regular_events(rates, rows, phases, rows, 5e-4, T)
    V, C, logits = run_forward(W_in, W_out, b, ptr, idx, B, T, gamma, smooth)
    d = np.empty_like(logits)
    K.softmax_xent(logits, y, d)
    alpha, beta, c, kappa = consts(T)
    g1, g2, g3 = np.empty_like(W_in), np.empty_like(W_out), np.empty_like(b)
    K.backward(W_in, W_out, ptr, idx, no_cur(B), alpha, beta, c, V_TH, V_RESET, gamma, smooth,
               detach, kappa, V, C, d, g1, g2, g3)
    x = np_events(rates, phases, 5e-4, T)
    w1, w2, w3 = np_backward(W_in, W_out, x, V, d, alpha, beta, c, kappa, gamma, smooth, detach)
    assert np.abs(g1).max() > 0
    np.testing.assert_allclose(g1, w1, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g2, w2, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g3, w3, rtol=RTOL, atol=ATOL)


def smooth_loss(W_in, W_out, b, ptr, idx, y, T, gamma):
    _, _, logits = run_forward(W_in, W_out, b, ptr, idx, len(y), T, gamma, smooth=True)
    return K.softmax_xent(logits, y, np.empty_like(logits))[0]


@pytest.mark.parametrize("gamma", [0.2, 1.0])
def test_bptt_gradient_equals_finite_differences_of_the_smoothed_network(gamma):
    """The analytic gradient with the surrogate derivative is the exact gradient of the
    network whose Heaviside is replaced by the surrogate's integral (reset path included)."""
    rates, phases, W_in, W_out, b, y = tiny(seed=3, B=3, n_aff=4, H=3, Kc=3, T=30)
    T = 30
    rows = np.arange(len(y), dtype=np.int64)
    ptr, idx = K.regular_events(rates, rows, phases, rows, 5e-4, T)
    V, C, logits = run_forward(W_in, W_out, b, ptr, idx, len(y), T, gamma, smooth=True)
    d = np.empty_like(logits)
    K.softmax_xent(logits, y, d)
    alpha, beta, c, kappa = consts(T)
    grads = [np.empty_like(W_in), np.empty_like(W_out), np.empty_like(b)]
    K.backward(W_in, W_out, ptr, idx, no_cur(len(y)), alpha, beta, c, V_TH, V_RESET, gamma,
               True, False, kappa, V, C, d, *grads)
    h = 1e-5
    params = [W_in, W_out, b]
    for p, g in zip(params, grads, strict=True):
        fd = np.zeros_like(p)
        for k in range(p.size):
            old = p.flat[k]
            p.flat[k] = old + h
            lp = smooth_loss(*params, ptr, idx, y, T, gamma)
            p.flat[k] = old - h
            lm = smooth_loss(*params, ptr, idx, y, T, gamma)
            p.flat[k] = old
            fd.flat[k] = (lp - lm) / (2 * h)
        assert np.abs(g).max() > 1e-6
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-9 * np.abs(fd).max())


def test_detached_reset_changes_the_gradient_when_neurons_spike():
    rates, phases, W_in, W_out, b, y = tiny(seed=4)
    T = 40
    rows = np.arange(len(y), dtype=np.int64)
    ptr, idx = K.regular_events(rates, rows, phases, rows, 5e-4, T)
    V, C, logits = run_forward(W_in, W_out, b, ptr, idx, len(y), T)
    assert (V > V_TH).any()
    d = np.empty_like(logits)
    K.softmax_xent(logits, y, d)
    alpha, beta, c, kappa = consts(T)
    out = []
    for detach in (False, True):
        g = [np.empty_like(W_in), np.empty_like(W_out), np.empty_like(b)]
        K.backward(W_in, W_out, ptr, idx, no_cur(len(y)), alpha, beta, c, V_TH, V_RESET, 1.0,
                   False, detach, kappa, V, C, d, *g)
        out.append(g)
    assert not np.allclose(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])  # readout gradient is unaffected


# --------------------------------------------------------------------------- training


def np_unpack(theta, scales, n_aff, H, Kc):
    a, b2 = n_aff * H, n_aff * H + H * Kc
    return (scales[0] * theta[:a].reshape(n_aff, H), scales[1] * theta[a:b2].reshape(H, Kc),
            scales[2] * theta[b2:])


def test_unpack_against_twin():
    n_aff, H, Kc = 3, 4, 2
    rng = np.random.default_rng(5)
    theta = rng.normal(size=n_aff * H + H * Kc + Kc)
    scales = np.array([2.0, 0.5, 3.0])
    W_in, W_out, b = np.empty((n_aff, H)), np.empty((H, Kc)), np.empty(Kc)
    K.unpack(theta, scales, n_aff, H, Kc, W_in, W_out, b)
    for got, want in zip((W_in, W_out, b), np_unpack(theta, scales, n_aff, H, Kc), strict=True):
        np.testing.assert_array_equal(got, want)


def test_adam_unpack_is_the_mlp_adam_step_then_unpack_bit_for_bit():
    """The fused step of the training loop computes what packing the gradient, the MLP's
    ``adam_step`` and ``unpack`` compute, to the last bit, over several steps."""
    n_aff, H, Kc = 5, 7, 3
    rng = np.random.default_rng(8)
    theta = rng.normal(size=n_aff * H + H * Kc + Kc)
    scales = np.array([3.0, 0.25, 1.5])
    th1, m1, v1 = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    th2, m2, v2 = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    W_in, W_out, b = np.empty((n_aff, H)), np.empty((H, Kc)), np.empty(Kc)
    for step in range(1, 5):
        g_in, g_out = rng.normal(size=(n_aff, H)), rng.normal(size=(H, Kc))
        g_b = rng.normal(size=Kc)
        K.adam_unpack(th1, g_in, g_out, g_b, scales, m1, v1, step, 0.03, W_in, W_out, b)
        grad = np.concatenate([scales[0] * g_in.ravel(), scales[1] * g_out.ravel(),
                               scales[2] * g_b])
        MK.adam_step(th2, grad, m2, v2, step, 0.03, K.ADAM_BETA1, K.ADAM_BETA2, K.ADAM_EPS)
        for a, z in ((th1, th2), (m1, m2), (v1, v2)):
            np.testing.assert_array_equal(a, z)
        for got, want in zip((W_in, W_out, b), np_unpack(th2, scales, n_aff, H, Kc),
                             strict=True):
            np.testing.assert_array_equal(got, want)


def np_adam(theta, g, m, v, t, lr, b1=K.ADAM_BETA1, b2=K.ADAM_BETA2, eps=K.ADAM_EPS):
    m += (1 - b1) * (g - m)
    v += (1 - b2) * (g * g - v)
    theta -= lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)


def test_train_epoch_against_twin():
    rng = np.random.default_rng(6)
    n, n_aff, H, Kc, T = 11, 6, 5, 3, 40
    rates = rng.uniform(0, 300, (n, n_aff))
    y = rng.integers(0, Kc, n).astype(np.int64)
    order = rng.permutation(n).astype(np.int64)
    phases = rng.random((n, n_aff))
    theta = rng.normal(size=n_aff * H + H * Kc + Kc)
    scales = np.array([20.0, 1.0, 1.0])
    alpha, beta, c, kappa = consts(T)
    gamma, lr, bs = 0.8, 0.05, 4
    th1, m1, v1 = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    status, step, loss, acc = K.train_epoch(
        th1, scales, n_aff, H, Kc, K.REGULAR, rates, y, order, phases, np.zeros(n, np.int64),
        bs, 5e-4, alpha, beta, c, V_TH, V_RESET, gamma, False, kappa, lr, m1, v1, 0)
    assert status == K.OK and step == 3
    th2, m2, v2 = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    losses, hits = [], 0
    for t, start in enumerate(range(0, n, bs), start=1):
        rows = order[start : start + bs]
        W_in, W_out, b = np_unpack(th2, scales, n_aff, H, Kc)
        x = np_events(rates[rows], phases[rows], 5e-4, T)
        V, _, logits = np_forward(W_in, W_out, b, x, alpha, beta, c)
        lo, d, correct = np_xent(logits, y[rows])
        losses.append(lo * len(rows))
        hits += correct
        g1, g2, g3 = np_backward(W_in, W_out, x, V, d, alpha, beta, c, kappa, gamma, False, False)
        g = np.concatenate([scales[0] * g1.ravel(), scales[1] * g2.ravel(), scales[2] * g3])
        np_adam(th2, g, m2, v2, t, lr)
    np.testing.assert_allclose(th1, th2, rtol=1e-9, atol=1e-12)
    assert loss == pytest.approx(sum(losses) / n, rel=1e-9)
    assert acc == pytest.approx(hits / n)


def test_train_epoch_uses_the_mlp_adam_kernel():
    # one place for the optimizer: the training loop's fused step calls the MLP's update
    assert K.adam_update is MK.adam_update and K.adam_alpha is MK.adam_alpha


def test_train_epoch_equals_the_batch_kernels_bit_for_bit():
    """The training loop runs forward, loss and backward sample by sample (each backward
    pass right after its forward pass); the parameters it reaches are those of the
    batch-wise kernels (forward, softmax_xent, backward, adam_step, unpack), to the last
    bit, for a spike code, the current code and a detached reset. (The batch kernels run
    the same per-sample code, so this checks the order of the fused loop and its Adam
    pass; against the kernels before the fusion, the whole default experiment was
    compared: all 892 records the same.)"""
    rng = np.random.default_rng(9)
    n, n_aff, H, Kc, T, bs = 13, 6, 37, 3, 60, 4  # H: past a vector width, with a tail
    rates = rng.uniform(0, 300, (n, n_aff))
    y = rng.integers(0, Kc, n).astype(np.int64)
    order = rng.permutation(n).astype(np.int64)
    phases = rng.random((n, n_aff))
    seeds = rng.integers(0, 2**32, n, dtype=np.int64)
    theta = rng.normal(size=n_aff * H + H * Kc + Kc)
    scales = np.array([20.0, 1.0, 1.0])
    alpha, beta, c, kappa = consts(T)
    gamma, lr = 0.8, 0.05
    for code, detach in ((K.REGULAR, False), (K.POISSON, True), (K.CURRENT, False)):
        th1, m1, v1 = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
        status, step, loss, acc = K.train_epoch(
            th1, scales, n_aff, H, Kc, code, rates, y, order, phases, seeds, bs, 5e-4,
            alpha, beta, c, V_TH, V_RESET, gamma, detach, kappa, lr, m1, v1, 0)
        assert status == K.OK
        th2, m2, v2 = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
        W_in, W_out, b = np.empty((n_aff, H)), np.empty((H, Kc)), np.empty(Kc)
        total, hits = 0.0, 0
        for t, start in enumerate(range(0, n, bs), start=1):
            rows = order[start:start + bs]
            B = len(rows)
            K.unpack(th2, scales, n_aff, H, Kc, W_in, W_out, b)
            ptr, idx, cur = K.events(code, rates, rows, phases, rows, seeds, 5e-4, T)
            V, C, logits, d = np.empty((B, T, H)), np.empty((B, H)), np.empty((B, Kc)), \
                np.empty((B, Kc))
            K.forward(W_in, W_out, b, ptr, idx, cur, alpha, beta, c, V_TH, V_RESET, gamma,
                      False, kappa, V, C, logits)
            lo, correct = K.softmax_xent(logits, y[rows], d)
            total += lo * B
            hits += correct
            g1, g2, g3 = np.empty((n_aff, H)), np.empty((H, Kc)), np.empty(Kc)
            K.backward(W_in, W_out, ptr, idx, cur, alpha, beta, c, V_TH, V_RESET, gamma,
                       False, detach, kappa, V, C, d, g1, g2, g3)
            g = np.concatenate([scales[0] * g1.ravel(), scales[1] * g2.ravel(),
                                scales[2] * g3])
            MK.adam_step(th2, g, m2, v2, t, lr, K.ADAM_BETA1, K.ADAM_BETA2, K.ADAM_EPS)
        np.testing.assert_array_equal(th1, th2)
        assert loss == total / n and acc == hits / n and step == t


def test_train_epoch_reports_divergence():
    rng = np.random.default_rng(7)
    n, n_aff, H, Kc, T = 4, 3, 2, 2, 10
    theta = rng.normal(size=n_aff * H + H * Kc + Kc)
    theta[-1] = np.inf
    alpha, beta, c, kappa = consts(T)
    status, *_ = K.train_epoch(
        theta, np.ones(3), n_aff, H, Kc, K.REGULAR, rng.uniform(0, 200, (n, n_aff)),
        np.array([0, 1, 0, 1]), np.arange(n), rng.random((n, n_aff)), np.zeros(n, np.int64), 2,
        5e-4, alpha, beta, c, V_TH, V_RESET, 1.0, False, kappa, 0.01, np.zeros_like(theta),
        np.zeros_like(theta), 0)
    assert status == K.DIVERGED
