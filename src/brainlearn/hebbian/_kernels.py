"""Numba kernels of the non-spiking local learners: two Hebbian hidden-layer rules, the
hidden code and a delta-rule readout.

Every function works on plain float64/int64 arrays; the estimators in
:mod:`brainlearn.hebbian.model` validate input, draw the random numbers and call them.
Each kernel has a plain-NumPy twin in ``tests/test_hebbian_kernels.py`` that it must
agree with.

Shapes: ``W`` (n_hidden, d) are the input -> hidden weights (row ``mu`` is the receptive
field of hidden unit ``mu``), ``Xb`` (B, d) a minibatch, ``H`` (n, n_hidden) hidden codes,
``V`` (K, n_hidden) and ``c`` (K,) the readout.

Krotov & Hopfield (2019)
------------------------
D. Krotov and J. J. Hopfield, "Unsupervised learning by competing hidden units", PNAS 116
(16), 7723-7731 (2019). The input current of unit ``mu`` is measured with the Lebesgue
``p``-norm's metric, :math:`I_\\mu = \\langle W_\\mu, v\\rangle_p =
\\sum_i \\operatorname{sign}(W_{\\mu i}) |W_{\\mu i}|^{p-1} v_i`; the units are ranked by
``I`` and the update of a minibatch is

.. math:: \\Delta W_{\\mu i} = \\varepsilon \\frac{S_{\\mu i}}{\\max_{\\mu i} |S_{\\mu i}|},
          \\qquad S_{\\mu i} = \\sum_{b} g(Q^b_\\mu)\\,\\bigl(v^b_i - I^b_\\mu W_{\\mu i}\\bigr)

with :math:`g = 1` for the most driven unit, :math:`g = -\\Delta` for the ``k``-th most
driven one (the anti-Hebbian term) and 0 otherwise. The weights of each unit converge to
the unit sphere of the ``p``-norm. (Normalising by the largest entry of ``S`` is how the
paper's code sets the step size; ``varepsilon`` is annealed linearly to 0 by the caller.)

SoftHebb (Journe, Rodriguez, Guo & Moraitis, ICLR 2023)
--------------------------------------------------------
A. Journe, H. G. Rodriguez, Q. Guo and T. Moraitis, "Hebbian deep learning without
feedback", ICLR 2023 (rule of Moraitis et al. 2022, "SoftHebb: Bayesian inference in
unsupervised Hebbian soft winner-take-all networks"). With :math:`u = W x` and a soft
winner-take-all :math:`y = \\operatorname{softmax}(u / \\tau)`:

.. math:: \\Delta w_k = \\eta_k \\frac{S_k}{\\max |S|}, \\qquad
          S_k = \\sum_b \\tilde y^b_k \\bigl(x^b - u^b_k w_k\\bigr), \\qquad
          \\eta_k = \\eta\\,\\bigl(\\lvert \\lVert w_k\\rVert - 1\\rvert + 10^{-10}\\bigr)^{1/2}

where :math:`\\tilde y_k = y_k` for the winner (the unit of largest ``u``) and, with the
anti-Hebbian variant of the ICLR paper, :math:`\\tilde y_k = -y_k` for every other unit
(without it, :math:`\\tilde y = y`). The weight-norm dependent rate :math:`\\eta_k` slows a
unit down as its weights reach the unit sphere, the rule's fixed point.

Hidden code and readout
-----------------------
:func:`hidden_code`: :math:`h_\\mu = \\operatorname{relu}(u_\\mu - m)^n` with ``u = W x``
(the ordinary dot product, as the paper's classifier), ``m = 0`` (Krotov & Hopfield's
rectified power) or ``m`` = the mean of ``u`` over the hidden units (SoftHebb's
"triangle" activation), then divided by its Euclidean norm (a divisive normalisation of
the layer, which keeps the readout's step size independent of ``n``).

:func:`readout_epoch`: one pass of a softmax readout :math:`p = \\operatorname{softmax}(Vh + c)`
trained by the delta rule, each synapse changing with its presynaptic activity and its
postsynaptic error only:

.. math:: \\Delta V_{ck} = \\frac{\\eta}{B} \\sum_b (t^b_c - p^b_c)\\,h^b_k - \\eta\\lambda V_{ck},
          \\qquad \\Delta c_c = \\frac{\\eta}{B} \\sum_b (t^b_c - p^b_c)

(``t`` the one-hot label). This is the gradient of the cross-entropy for a single layer,
so no error is propagated through any other layer.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "hidden_code",
    "krotov_update",
    "readout_epoch",
    "readout_proba",
    "softhebb_update",
    "top_two_of_k",
]


# the two products may reorder their sums (``reassoc``) so that Numba vectorises them,
# ~4 x faster; the result can differ from the NumPy twins' in the last bits only
_FAST = {"reassoc", "contract"}


@njit(cache=True, fastmath=_FAST)
def _dot_rows(A, B):
    """``A @ B.T`` by loops over contiguous rows (no BLAS: no thread pool to contend for
    on a shared machine)."""
    n, d = A.shape
    m = B.shape[0]
    out = np.empty((n, m))
    for s in range(n):
        for j in range(m):
            acc = 0.0
            for i in range(d):
                acc += A[s, i] * B[j, i]
            out[s, j] = acc
    return out


@njit(cache=True, fastmath=_FAST)
def _dot_t(G, X):
    """``G.T @ X`` by loops, skipping the zero entries of ``G``."""
    B, m = G.shape
    d = X.shape[1]
    out = np.zeros((m, d))
    for b in range(B):
        for j in range(m):
            g = G[b, j]
            if g != 0.0:
                for i in range(d):
                    out[j, i] += g * X[b, i]
    return out


@njit(cache=True)
def top_two_of_k(row, k):
    """Indices of the largest and of the ``k``-th largest entry of ``row`` (``k >= 2``;
    ties: the lower index ranks first)."""
    idx = np.full(k, -1, dtype=np.int64)
    val = np.full(k, -np.inf)
    for j in range(row.shape[0]):
        v = row[j]
        if idx[k - 1] >= 0 and v <= val[k - 1]:
            continue
        pos = k - 1
        while pos > 0 and (idx[pos - 1] < 0 or v > val[pos - 1]):
            val[pos] = val[pos - 1]
            idx[pos] = idx[pos - 1]
            pos -= 1
        val[pos] = v
        idx[pos] = j
    return idx[0], idx[k - 1]


@njit(cache=True)
def krotov_update(W, Xb, p, k, delta, eps, prec):
    """One minibatch step of Krotov & Hopfield's rule, in place on ``W``.

    Returns the largest ``|S|`` of the step (before the ``prec`` floor).
    """
    n_hidden, d = W.shape
    B = Xb.shape[0]
    Wp = np.empty_like(W)
    for m in range(n_hidden):
        for i in range(d):
            w = W[m, i]
            if p == 2.0:
                a = np.abs(w)
            elif p == 3.0:
                a = w * w
            else:
                a = np.abs(w) ** (p - 1.0)
            Wp[m, i] = a if w >= 0.0 else -a
    current = _dot_rows(Xb, Wp)  # (B, n_hidden)
    g = np.zeros((B, n_hidden))
    for b in range(B):
        first, kth = top_two_of_k(current[b], k)
        g[b, first] = 1.0
        g[b, kth] = -delta
    xx = np.zeros(n_hidden)
    for b in range(B):
        for m in range(n_hidden):
            xx[m] += g[b, m] * current[b, m]
    S = _dot_t(g, Xb)
    nc = 0.0
    for m in range(n_hidden):
        for i in range(d):
            S[m, i] -= xx[m] * W[m, i]
            a = np.abs(S[m, i])
            if a > nc:
                nc = a
    top = nc
    if nc < prec:
        nc = prec
    for m in range(n_hidden):
        for i in range(d):
            W[m, i] += eps * S[m, i] / nc
    return top


@njit(cache=True)
def softhebb_update(W, Xb, temperature, eta, anti_hebbian):
    """One minibatch step of the SoftHebb rule, in place on ``W``. Returns the largest
    ``|S|`` of the step."""
    n_hidden, d = W.shape
    B = Xb.shape[0]
    U = _dot_rows(Xb, W)  # (B, n_hidden)
    Y = np.empty_like(U)
    for b in range(B):
        best = 0
        mx = U[b, 0]
        for m in range(1, n_hidden):
            if U[b, m] > mx:
                mx = U[b, m]
                best = m
        tot = 0.0
        for m in range(n_hidden):
            e = np.exp((U[b, m] - mx) / temperature)
            Y[b, m] = e
            tot += e
        for m in range(n_hidden):
            y = Y[b, m] / tot
            Y[b, m] = -y if (anti_hebbian and m != best) else y
    yu = np.zeros(n_hidden)
    for b in range(B):
        for m in range(n_hidden):
            yu[m] += Y[b, m] * U[b, m]
    S = _dot_t(Y, Xb)
    nc = 0.0
    for m in range(n_hidden):
        for i in range(d):
            S[m, i] -= yu[m] * W[m, i]
            a = np.abs(S[m, i])
            if a > nc:
                nc = a
    top = nc
    nc += 1e-30
    for m in range(n_hidden):
        norm = 0.0
        for i in range(d):
            norm += W[m, i] * W[m, i]
        rate = eta * np.sqrt(np.abs(np.sqrt(norm) - 1.0) + 1e-10)
        for i in range(d):
            W[m, i] += rate * S[m, i] / nc
    return top


@njit(cache=True)
def hidden_code(W, X, power, centre):
    """``relu(W x - m)^power`` per row of ``X``, divided by its Euclidean norm (a row of
    zeros stays zero); ``m`` = the mean over the hidden units when ``centre``, else 0."""
    U = _dot_rows(X, W)
    n, n_hidden = U.shape
    H = np.zeros((n, n_hidden))
    for s in range(n):
        m = 0.0
        if centre:
            for j in range(n_hidden):
                m += U[s, j]
            m /= n_hidden
        tot = 0.0
        for j in range(n_hidden):
            a = U[s, j] - m
            if a > 0.0:
                h = a**power
                H[s, j] = h
                tot += h * h
        if tot > 0.0:
            r = 1.0 / np.sqrt(tot)
            for j in range(n_hidden):
                H[s, j] *= r
    return H


@njit(cache=True)
def readout_proba(V, c, H):
    """Softmax of ``H V^T + c``, shape (n, K)."""
    Z = _dot_rows(H, V)
    n, K = Z.shape
    P = np.empty((n, K))
    for s in range(n):
        mx = -np.inf
        for q in range(K):
            Z[s, q] += c[q]
            if Z[s, q] > mx:
                mx = Z[s, q]
        tot = 0.0
        for q in range(K):
            e = np.exp(Z[s, q] - mx)
            P[s, q] = e
            tot += e
        for q in range(K):
            P[s, q] /= tot
    return P


@njit(cache=True)
def readout_epoch(V, c, H, y, order, batch_size, eta, l2):
    """One epoch of the delta-rule readout over the samples in ``order`` (minibatches of
    ``batch_size``; the last may be smaller), in place on ``V`` and ``c``.

    ``y`` holds class indices (int64). Returns the mean cross-entropy of the epoch's
    minibatches before each step.
    """
    n = order.shape[0]
    K = V.shape[0]
    loss = 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        B = stop - start
        Hb = H[order[start:stop]]
        P = readout_proba(V, c, Hb)
        E = -P
        for b in range(B):
            t = y[order[start + b]]
            loss -= np.log(max(P[b, t], 1e-300))
            E[b, t] += 1.0
        G = _dot_t(E, Hb)  # (K, n_hidden)
        for q in range(K):
            sc = 0.0
            for b in range(B):
                sc += E[b, q]
            c[q] += eta * sc / B
            for j in range(V.shape[1]):
                V[q, j] += eta * (G[q, j] / B - l2 * V[q, j])
    return loss / n
