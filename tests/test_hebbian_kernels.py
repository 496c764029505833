"""The Numba kernels of the local learners against plain-NumPy twins written from the papers'
equations (Krotov & Hopfield 2019; SoftHebb, Journe et al. 2023; the delta rule)."""

from __future__ import annotations

import numpy as np
import pytest

from brainlearn.hebbian import _kernels as K

RNG = np.random.default_rng(7)


def _np_krotov(W, Xb, p, k, delta, eps, prec):
    W = W.copy()
    I = Xb @ (np.sign(W) * np.abs(W) ** (p - 1)).T  # (B, H)
    order = np.argsort(-I, axis=1, kind="stable")
    g = np.zeros_like(I)
    rows = np.arange(len(Xb))
    g[rows, order[:, 0]] = 1.0
    g[rows, order[:, k - 1]] = -delta
    S = g.T @ Xb - (g * I).sum(0)[:, None] * W
    nc = max(np.abs(S).max(), prec)
    return W + eps * S / nc


def _np_softhebb(W, Xb, tau, eta, anti):
    W = W.copy()
    U = Xb @ W.T
    Y = np.exp((U - U.max(1, keepdims=True)) / tau)
    Y /= Y.sum(1, keepdims=True)
    if anti:
        win = U.argmax(1)
        Y = -Y
        Y[np.arange(len(Xb)), win] *= -1
    S = Y.T @ Xb - (Y * U).sum(0)[:, None] * W
    S /= np.abs(S).max() + 1e-30
    rate = eta * np.sqrt(np.abs(np.linalg.norm(W, axis=1) - 1) + 1e-10)
    return W + rate[:, None] * S


def _np_code(W, X, n, centre):
    U = X @ W.T
    if centre:
        U = U - U.mean(1, keepdims=True)
    H = np.maximum(U, 0) ** n
    norm = np.linalg.norm(H, axis=1, keepdims=True)
    return np.divide(H, norm, out=np.zeros_like(H), where=norm > 0)


def _np_softmax(Z):
    Z = Z - Z.max(1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(1, keepdims=True)


def _np_readout_epoch(V, c, H, y, order, B, eta, l2):
    V, c = V.copy(), c.copy()
    for s in range(0, len(order), B):
        idx = order[s:s + B]
        P = _np_softmax(H[idx] @ V.T + c)
        T = np.eye(V.shape[0])[y[idx]]
        E = T - P
        c += eta * E.mean(0)
        V += eta * (E.T @ H[idx] / len(idx) - l2 * V)
    return V, c


@pytest.mark.parametrize("p,k", [(2.0, 2), (3.0, 2), (3.0, 5), (4.5, 3)])
def test_krotov_update_matches_numpy(p, k):
    W = RNG.standard_normal((30, 8))
    X = RNG.standard_normal((11, 8))
    want = _np_krotov(W, X, p, k, 0.4, 0.03, 1e-30)
    got = W.copy()
    top = K.krotov_update(got, X, p, k, 0.4, 0.03, 1e-30)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert top > 0
    # the largest weight change of a step is the learning rate (the step is normalised)
    assert np.abs(got - W).max() == pytest.approx(0.03)


@pytest.mark.parametrize("seed", range(5))
def test_krotov_converges_to_the_p_sphere(seed):
    """Many steps of the rule bring the units that keep winning to unit p-norm (with k = 2
    and no anti-Hebbian term, delta = 0, a unit that rarely wins is rarely updated and
    stays inside the sphere; none goes beyond it). Its own seeded generator: the outcome
    must not depend on which tests ran before it (it did, through a module-level one)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((5, 4)) * 0.3
    W0 = W.copy()
    X = rng.standard_normal((200, 4))
    for e in range(400):
        K.krotov_update(W, X[rng.permutation(200)[:20]], 3.0, 2, 0.0, 0.02 * (1 - e / 400), 1e-30)
    norms = (np.abs(W) ** 3).sum(1) ** (1 / 3)
    assert (np.abs(norms - 1) < 0.1).sum() >= 3, norms
    assert norms.max() < 1.01, norms
    assert np.any(W != W0)


@pytest.mark.parametrize("anti", [True, False])
@pytest.mark.parametrize("tau", [0.3, 2.0])
def test_softhebb_update_matches_numpy(anti, tau):
    W = RNG.standard_normal((25, 6)) * 2
    X = RNG.standard_normal((9, 6))
    want = _np_softhebb(W, X, tau, 0.05, anti)
    got = W.copy()
    K.softhebb_update(got, X, tau, 0.05, anti)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_softhebb_units_reach_the_unit_sphere():
    """Without the anti-Hebbian term every unit's norm goes to 1, the rule's fixed point."""
    W = RNG.standard_normal((4, 5)) * 3
    X = RNG.standard_normal((300, 5))
    for _ in range(600):
        K.softhebb_update(W, X[RNG.permutation(300)[:16]], 1.0, 0.05, False)
    assert np.allclose(np.linalg.norm(W, axis=1), 1.0, atol=0.05), np.linalg.norm(W, axis=1)


def test_top_two_of_k():
    row = np.array([0.1, 3.0, -1.0, 2.0, 2.5, 0.0])
    assert K.top_two_of_k(row, 2) == (1, 4)
    assert K.top_two_of_k(row, 3) == (1, 3)
    assert K.top_two_of_k(row, 6) == (1, 2)
    # ties: the lower index ranks first, as a stable sort
    assert K.top_two_of_k(np.array([1.0, 1.0, 1.0]), 2) == (0, 1)


@pytest.mark.parametrize("centre", [True, False])
@pytest.mark.parametrize("n", [1.0, 4.5])
def test_hidden_code_matches_numpy(centre, n):
    W = RNG.standard_normal((40, 7))
    X = RNG.standard_normal((13, 7))
    X[0] = 0.0  # a zero code stays zero (no division by 0)
    got = K.hidden_code(W, X, n, centre)
    np.testing.assert_allclose(got, _np_code(W, X, n, centre), rtol=1e-10, atol=1e-14)
    assert np.all(got[0] == 0)
    assert np.allclose(np.linalg.norm(got[1:], axis=1), 1.0)


def test_readout_matches_numpy_and_learns():
    H = np.abs(RNG.standard_normal((50, 12)))
    y = RNG.integers(0, 3, 50).astype(np.int64)
    V0 = RNG.standard_normal((3, 12)) * 0.1
    c0 = RNG.standard_normal(3) * 0.1
    order = RNG.permutation(50).astype(np.int64)
    want_V, want_c = _np_readout_epoch(V0, c0, H, y, order, 8, 0.3, 1e-3)
    V, c = V0.copy(), c0.copy()
    loss = K.readout_epoch(V, c, H, y, order, 8, 0.3, 1e-3)
    np.testing.assert_allclose(V, want_V, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c, want_c, rtol=1e-10, atol=1e-12)
    assert np.isfinite(loss) and loss > 0
    np.testing.assert_allclose(K.readout_proba(V, c, H), _np_softmax(H @ V.T + c), rtol=1e-12)
    # a separable problem is learned by the delta rule alone
    Hs = np.eye(3)[y] + 0.01 * H[:, :3]
    Vs, cs = np.zeros((3, 3)), np.zeros(3)
    for _ in range(50):
        K.readout_epoch(Vs, cs, Hs, y, order, 8, 0.5, 0.0)
    assert np.all(K.readout_proba(Vs, cs, Hs).argmax(1) == y)
