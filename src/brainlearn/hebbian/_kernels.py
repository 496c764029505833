"""Numba kernels of the non-spiking local learners (:mod:`brainlearn.hebbian.model`).

Plain functions over float64 arrays, updating weights in place; each has a NumPy twin in
``tests/test_hebbian_kernels.py`` that it is checked against. Shapes: ``W`` (n_hidden,
n_features) hidden weights, one row per unit; ``X`` (n_samples, n_features) inputs;
``order`` the sample indices of one epoch, cut into minibatches of ``batch``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "delta_readout_epoch",
    "krotov_currents",
    "krotov_epoch",
    "softhebb_epoch",
    "softmax_rows",
]


@njit(cache=True)
def krotov_currents(W, X, p):
    """Input currents ``I = X (sign(W) |W|^(p-1))^T``, shape (n_samples, n_hidden): the
    p-norm inner product of Krotov & Hopfield (2019) between each unit's weights and each
    input."""
    Wp = np.sign(W) * np.abs(W) ** (p - 1.0)
    return X @ Wp.T


@njit(cache=True)
def krotov_epoch(W, X, order, batch, p, k, delta, lr):
    """One epoch of the Krotov & Hopfield (2019) rule, in place; returns nothing.

    Per minibatch ``B``: currents :math:`I_{\\mu b} = \\langle W_\\mu, v_b\\rangle_p`; the unit
    of largest current gets :math:`g = 1`, the ``k``-th largest :math:`g = -\\Delta`, all
    others 0; the change

    .. math:: \\Delta W_{\\mu i} = \\sum_{b \\in B} g_{\\mu b}\\,(v_{bi} - I_{\\mu b} W_{\\mu i})

    is divided by its largest absolute entry and scaled by ``lr`` (the normalised update of
    the paper's code)."""
    n_hidden, n_feat = W.shape
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        V = X[idx]
        cur = krotov_currents(W, V, p)  # (b, n_hidden)
        ds = np.zeros((n_hidden, n_feat))
        for b in range(len(idx)):
            ranks = np.argsort(-cur[b])
            top = ranks[0]
            for i in range(n_feat):
                ds[top, i] += V[b, i] - cur[b, top] * W[top, i]
            if k >= 2 and k <= n_hidden and delta != 0.0:
                kth = ranks[k - 1]
                for i in range(n_feat):
                    ds[kth, i] -= delta * (V[b, i] - cur[b, kth] * W[kth, i])
        nc = np.max(np.abs(ds))
        if nc < 1e-30:
            nc = 1e-30
        W += (lr / nc) * ds


@njit(cache=True)
def softmax_rows(Z):
    """Row-wise softmax of ``Z`` (a new array)."""
    out = np.empty_like(Z)
    for r in range(Z.shape[0]):
        m = np.max(Z[r])
        s = 0.0
        for c in range(Z.shape[1]):
            out[r, c] = np.exp(Z[r, c] - m)
            s += out[r, c]
        for c in range(Z.shape[1]):
            out[r, c] /= s
    return out


@njit(cache=True)
def softhebb_epoch(W, X, order, batch, tau, lr):
    """One epoch of SoftHebb (Journe, Rodriguez, Guo & Moraitis 2022), in place.

    Per minibatch: :math:`u = W x`, the soft winner-take-all
    :math:`y = \\operatorname{softmax}(u / \\tau)` and the change
    :math:`\\Delta w_k = \\eta\\, \\bar{(y_k (x - u_k w_k))}` (mean over the batch)."""
    n_hidden, n_feat = W.shape
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        V = X[idx]
        U = V @ W.T  # (b, n_hidden)
        Y = softmax_rows(U / tau)
        ds = Y.T @ V  # sum_b y_kb x_b
        for kk in range(n_hidden):
            s = 0.0
            for b in range(len(idx)):
                s += Y[b, kk] * U[b, kk]
            for i in range(n_feat):
                ds[kk, i] -= s * W[kk, i]
        W += (lr / len(idx)) * ds


@njit(cache=True)
def delta_readout_epoch(A, c, H, T, order, batch, lr):
    """One epoch of the delta rule of a softmax readout, in place.

    Per minibatch: :math:`o = \\operatorname{softmax}(A h + c)` and, for every synapse,
    :math:`\\Delta A_{ki} = \\eta\\, \\overline{(t_k - o_k)\\, h_i}`,
    :math:`\\Delta c_k = \\eta\\, \\overline{(t_k - o_k)}` (``T`` one-hot targets): the change of
    each weight depends only on its input, its output unit's error and the label (the
    gradient of the cross-entropy of a single layer)."""
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        Hb = H[idx]
        O = softmax_rows(Hb @ A.T + c)
        E = T[idx] - O  # (b, K)
        A += (lr / len(idx)) * (E.T @ Hb)
        for kk in range(A.shape[0]):
            s = 0.0
            for b in range(len(idx)):
                s += E[b, kk]
            c[kk] += lr * s / len(idx)
