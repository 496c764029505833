"""Numba kernels of the backprop MLP: forward pass, backward pass, optimizer steps, training loop.

Every function here works on plain float64/int64 arrays; the estimator in
:mod:`brainlearn.mlp.model` validates input and calls them. Each kernel has a
plain-NumPy twin in ``tests/test_mlp_kernels.py`` that it must agree with.

Parameter layout
----------------
A network with layer sizes ``sizes = [d, h_1, ..., h_k, n_out]`` has ``L = k + 1``
dense layers; ``n_out = 1`` for two classes (one logit, sigmoid output) and ``n_out = K``
for ``K >= 3`` classes (one logit per class, softmax output). All parameters live in one
flat vector ``theta``; layer ``l`` (0-based) owns the weight matrix ``W_l`` of shape
``(sizes[l+1], sizes[l])``, stored row-major at
``theta[w_off[l] : w_off[l] + sizes[l+1] * sizes[l]]``, and the bias ``b_l`` of length
``sizes[l+1]`` at ``theta[b_off[l] : ...]`` (see :func:`param_offsets`). The optimizers
then act on one vector, and their state (Adam's moments, SGD's velocity) has the shape
of ``theta``.

Equations
---------
Forward, for hidden layers ``l < L - 1`` and the output layer ``L - 1``::

    a_0 = x
    z_{l+1} = W_l a_l + b_l,   a_{l+1} = f(z_{l+1})        (hidden, f = relu | tanh | sigmoid)
    s = z_L = W_{L-1} a_{L-1} + b_{L-1}                     (output logits)

Two classes (``n_out = 1``, labels ``y`` in {0, 1}): ``p = sigmoid(s)`` and the binary
cross-entropy on the logit, in its numerically stable form (no ``log`` of a probability
that may round to 0 or 1)::

    l(s, y) = max(s, 0) - s y + log(1 + exp(-|s|))          dl/ds = sigmoid(s) - y

``K >= 3`` classes (``n_out = K``, label ``y`` = the class index in 0..K-1, passed as a
float64 holding an integer): ``p = softmax(s)`` and the categorical cross-entropy, by the
log-sum-exp with the largest logit ``m = max_k s_k`` taken out (every ``exp`` is <= 1)::

    l(s, y) = m + log(sum_k exp(s_k - m)) - s_y             dl/ds_k = p_k - [k = y]

Either loss is averaged over the minibatch of size ``B``. Backward (backpropagation)::

    delta_L = (p - y) / B           (p - onehot(y) for K classes)
    grad W_l = delta_{l+1} a_l^T,      grad b_l = delta_{l+1}
    delta_l = (W_l^T delta_{l+1}) * f'(z_l)                 (l >= 1)

with ``relu'(z) = [z > 0]`` (0 at ``z = 0``, as TensorFlow), ``tanh' = 1 - a^2``,
``sigmoid' = a (1 - a)``.

Adam (Kingma & Ba 2015, "Adam: A method for stochastic optimization", ICLR;
Algorithm 1 with the "more efficient" ordering of their Section 2, which is the
form Keras implements)::

    t <- t + 1
    m <- m + (1 - beta1) (g - m),   v <- v + (1 - beta2) (g^2 - v)
    alpha_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)
    theta <- theta - alpha_t m / (sqrt(v) + eps)

Keras defaults: ``beta1 = 0.9``, ``beta2 = 0.999``, ``eps = 1e-7``.

SGD with (heavy-ball) momentum, in the form Keras implements::

    u <- momentum u - lr g,   theta <- theta + u
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: activation codes of the hidden layers (the estimator maps names to these)
RELU, TANH, SIGMOID = 0, 1, 2
ACTIVATIONS = {"relu": RELU, "tanh": TANH, "sigmoid": SIGMOID}

#: optimizer codes
ADAM, SGD = 0, 1
OPTIMIZERS = {"adam": ADAM, "sgd": SGD}

#: Keras' Adam defaults
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-7

#: training status codes returned by :func:`train_epochs`
OK, DIVERGED = 0, 1

#: an epoch whose mean training loss exceeds this many nats per sample counts as diverged
#: (chance level is ln K: 0.69 for two classes, 2.3 for ten): the logits are then in the
#: thousands with the wrong sign.
#: A step size far too large usually ends there, with finite but useless weights (a
#: saturating tanh/sigmoid layer keeps the loss finite), not at NaN.
DIVERGENCE_LOSS = 1e3

#: LLVM fast-math flags of the minibatch loops: reassociation lets the sums over a
#: minibatch vectorise; "nnan"/"ninf" are deliberately left out so that NaN and inf
#: still propagate and the divergence checks stay valid.
_FASTMATH = {"reassoc", "contract", "arcp", "nsz"}


# --------------------------------------------------------------------------- layout


@njit(cache=True)
def param_offsets(sizes):
    """Offsets of every layer's weights and biases in ``theta``, and its total length.

    Returns ``(w_off, b_off, n_params)``; layer ``l`` stores ``W_l`` (row-major,
    ``sizes[l+1] x sizes[l]``) followed by ``b_l``.
    """
    n_layers = sizes.shape[0] - 1
    w_off = np.empty(n_layers, dtype=np.int64)
    b_off = np.empty(n_layers, dtype=np.int64)
    pos = 0
    for l in range(n_layers):
        w_off[l] = pos
        pos += sizes[l + 1] * sizes[l]
        b_off[l] = pos
        pos += sizes[l + 1]
    return w_off, b_off, pos


@njit(cache=True)
def node_offsets(sizes):
    """Offsets of each layer's units in a flat per-sample activation buffer (input first)."""
    n_off = np.empty(sizes.shape[0] + 1, dtype=np.int64)
    n_off[0] = 0
    for l in range(sizes.shape[0]):
        n_off[l + 1] = n_off[l] + sizes[l]
    return n_off


# --------------------------------------------------------------------------- scalars


@njit(cache=True)
def _sigmoid(z):
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# --------------------------------------------------------------------------- minibatches
#
# Activations of a minibatch of B samples are kept unit-major: row ``n_off[l] + j`` of the
# 2-D buffers ``Z`` (pre-activations) and ``A`` (activations) holds unit j of layer l for all
# B samples (columns), so the innermost loops run over samples and vectorise even for
# layers of a few units. Row ``n_off[L]`` of ``A`` holds the output logits.


@njit(cache=True, fastmath=_FASTMATH)
def _load_batch(X, rows, start, stop, A):
    """Copy rows ``rows[start:stop]`` of ``X`` into the input rows of ``A`` (transposed)."""
    for c in range(stop - start):
        r = rows[start + c]
        for i in range(X.shape[1]):
            A[i, c] = X[r, i]


# The loops index the 2-D buffers directly (``Z[row, c]``) rather than through row views:
# a view costs a reference-count round trip per creation, which at these tiny layer sizes
# is a sizeable share of the work.


@njit(cache=True, fastmath=_FASTMATH)
def _forward_batch(theta, sizes, w_off, b_off, n_off, act, B, Z, A):
    """Forward pass of the ``B`` samples whose inputs are in ``A[:d, :B]``; fills ``Z``, ``A``."""
    n_layers = sizes.shape[0] - 1
    for l in range(n_layers):
        n_in = sizes[l]
        n_out = sizes[l + 1]
        src = n_off[l]
        last = l == n_layers - 1
        for j in range(n_out):
            o = n_off[l + 1] + j
            bj = theta[b_off[l] + j]
            for c in range(B):
                Z[o, c] = bj
            row = w_off[l] + j * n_in
            for i in range(n_in):
                w = theta[row + i]
                for c in range(B):
                    Z[o, c] += w * A[src + i, c]
            if last:
                for c in range(B):
                    A[o, c] = Z[o, c]
            elif act == RELU:
                for c in range(B):
                    A[o, c] = 0.0 if Z[o, c] < 0.0 else Z[o, c]  # NaN stays NaN
            elif act == TANH:
                for c in range(B):
                    A[o, c] = math.tanh(Z[o, c])
            else:
                for c in range(B):
                    A[o, c] = _sigmoid(Z[o, c])


@njit(cache=True, fastmath=_FASTMATH)
def _output_delta(A, D, out_row, y, rows, start, B, inv_b):
    """Set ``D[out_row, :B]`` to dL/ds = (sigmoid(s) - y) / B; return (summed loss, hits).

    The loss terms ``log(1 + exp(-|s|))`` are summed as the log of the product of
    ``1 + exp(-|s|)`` (each factor in [1, 2]; the product is flushed into the sum before
    it could overflow): one ``log`` per minibatch instead of one ``log1p`` per sample.
    """
    linear = 0.0
    logs = 0.0
    prod = 1.0
    hits = 0
    for c in range(B):
        s = A[out_row, c]
        t = y[rows[start + c]]
        e = math.exp(-abs(s))
        linear += max(s, 0.0) - s * t
        prod *= 1.0 + e
        if prod > 1e300:
            logs += math.log(prod)
            prod = 1.0
        p = 1.0 / (1.0 + e) if s >= 0.0 else e / (1.0 + e)
        D[out_row, c] = (p - t) * inv_b
        if (s > 0.0) == (t > 0.5):
            hits += 1
    return linear + logs + math.log(prod), hits


@njit(cache=True, fastmath=_FASTMATH)
def _output_delta_softmax(A, D, out_row, n_out, y, rows, start, B, inv_b):
    """Set ``D[out_row : out_row + K, :B]`` to dL/ds = (softmax(s) - onehot(y)) / B.

    ``y`` holds class indices (0..K-1, as float64). Returns (summed categorical
    cross-entropy, hits), a hit being a sample whose largest logit (the first on a
    tie) is its label's. A NaN or infinite logit makes the loss NaN (divergence).
    """
    total = 0.0
    hits = 0
    for c in range(B):
        t = int(y[rows[start + c]])
        m = A[out_row, c]
        best = 0
        for k in range(1, n_out):
            if A[out_row + k, c] > m:
                m = A[out_row + k, c]
                best = k
        ssum = 0.0
        for k in range(n_out):
            e = math.exp(A[out_row + k, c] - m)
            D[out_row + k, c] = e
            ssum += e
        total += m + math.log(ssum) - A[out_row + t, c]
        scale = inv_b / ssum
        for k in range(n_out):
            D[out_row + k, c] *= scale
        D[out_row + t, c] -= inv_b
        if best == t:
            hits += 1
    return total, hits


@njit(cache=True, fastmath=_FASTMATH)
def _backward_batch(theta, sizes, w_off, b_off, n_off, act, B, Z, A, D, grad):
    """Backpropagate dL/ds in ``D[n_off[L]:, :B]``; add the batch gradient to ``grad``."""
    n_layers = sizes.shape[0] - 1
    for l in range(n_layers - 1, -1, -1):
        n_in = sizes[l]
        n_out = sizes[l + 1]
        src = n_off[l]
        # grad W_l = delta_{l+1} a_l^T, grad b_l = delta_{l+1} (summed over the batch)
        for j in range(n_out):
            o = n_off[l + 1] + j
            acc = 0.0
            for c in range(B):
                acc += D[o, c]
            grad[b_off[l] + j] += acc
            row = w_off[l] + j * n_in
            for i in range(n_in):
                acc = 0.0
                for c in range(B):
                    acc += D[o, c] * A[src + i, c]
                grad[row + i] += acc
        if l > 0:
            # delta_l = (W_l^T delta_{l+1}) * f'(z_l)
            for i in range(n_in):
                for c in range(B):
                    D[src + i, c] = 0.0
            for j in range(n_out):
                o = n_off[l + 1] + j
                row = w_off[l] + j * n_in
                for i in range(n_in):
                    w = theta[row + i]
                    for c in range(B):
                        D[src + i, c] += w * D[o, c]
            for i in range(n_in):
                u = src + i
                if act == RELU:
                    for c in range(B):
                        if not Z[u, c] > 0.0:
                            D[u, c] = 0.0
                elif act == TANH:
                    for c in range(B):
                        D[u, c] *= 1.0 - A[u, c] * A[u, c]
                else:
                    for c in range(B):
                        D[u, c] *= A[u, c] * (1.0 - A[u, c])


#: rows of a forward pass done at once outside training
_CHUNK = 256


@njit(cache=True)
def forward(theta, sizes, act, X):
    """Output logits of every row of ``X``, shape ``(n, n_out)``."""
    return _forward_rows(theta, sizes, act, X, sizes.shape[0] - 1)


@njit(cache=True)
def hidden_activations(theta, sizes, act, X, layer):
    """Activations ``a_{layer+1}`` of hidden layer ``layer`` (0-based), shape ``(n, h)``."""
    return _forward_rows(theta, sizes, act, X, layer + 1)


@njit(cache=True)
def _forward_rows(theta, sizes, act, X, level):
    w_off, b_off, _ = param_offsets(sizes)
    n_off = node_offsets(sizes)
    n = X.shape[0]
    Z = np.empty((n_off[-1], _CHUNK))
    A = np.empty((n_off[-1], _CHUNK))
    rows = np.arange(n)
    width = sizes[level]
    out = np.empty((n, width))
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        _load_batch(X, rows, start, stop, A)
        _forward_batch(theta, sizes, w_off, b_off, n_off, act, stop - start, Z, A)
        for k in range(width):
            for c in range(stop - start):
                out[start + c, k] = A[n_off[level] + k, c]
    return out


@njit(cache=True)
def loss_and_grad(theta, sizes, act, X, y):
    """Mean cross-entropy over the rows of ``X`` and its gradient w.r.t. ``theta``.

    This is the forward and backward pass of one minibatch: binary cross-entropy on the
    logit for ``n_out = 1`` (``y`` in {0, 1} as float64), categorical cross-entropy on
    the softmax for ``n_out = K >= 2`` (``y`` = class indices as float64).
    """
    w_off, b_off, n_params = param_offsets(sizes)
    n_off = node_offsets(sizes)
    n = X.shape[0]
    Z = np.empty((n_off[-1], n))
    A = np.empty((n_off[-1], n))
    D = np.empty((n_off[-1], n))
    grad = np.zeros(n_params)
    rows = np.arange(n)
    _load_batch(X, rows, 0, n, A)
    _forward_batch(theta, sizes, w_off, b_off, n_off, act, n, Z, A)
    if sizes[-1] == 1:
        total, _ = _output_delta(A, D, n_off[-2], y, rows, 0, n, 1.0 / n)
    else:
        total, _ = _output_delta_softmax(A, D, n_off[-2], sizes[-1], y, rows, 0, n, 1.0 / n)
    _backward_batch(theta, sizes, w_off, b_off, n_off, act, n, Z, A, D, grad)
    return total / n, grad


# --------------------------------------------------------------------------- optimizers


@njit(cache=True, inline="always")
def adam_alpha(lr, t, beta1, beta2):
    """Adam's step size at step ``t`` (>= 1) with the bias correction folded in."""
    return lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)


@njit(cache=True, inline="always")
def adam_update(theta, m, v, k, g, alpha, beta1, beta2, eps):
    """Adam's update of parameter ``k`` with gradient ``g`` and step size ``alpha``
    (:func:`adam_alpha`), in place; returns the new ``theta[k]``. The one definition of
    the update: :func:`adam_step` and the surrogate network's fused step use it."""
    m[k] += (g - m[k]) * (1.0 - beta1)
    v[k] += (g * g - v[k]) * (1.0 - beta2)
    theta[k] -= alpha * m[k] / (math.sqrt(v[k]) + eps)
    return theta[k]


@njit(cache=True)
def adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps):
    """One Adam update in place (Keras' form, module docstring); ``t`` is the new step (>= 1).

    Kingma & Ba (2015), Algorithm 1 with the bias correction folded into the step size.
    """
    alpha = adam_alpha(lr, t, beta1, beta2)
    for k in range(theta.shape[0]):
        adam_update(theta, m, v, k, grad[k], alpha, beta1, beta2, eps)


@njit(cache=True)
def sgd_step(theta, grad, velocity, lr, momentum):
    """One SGD-with-momentum update in place: ``u <- momentum u - lr g``, ``theta <- theta + u``."""
    for k in range(theta.shape[0]):
        velocity[k] = momentum * velocity[k] - lr * grad[k]
        theta[k] += velocity[k]


# --------------------------------------------------------------------------- training loop


@njit(cache=True)
def _accuracy(theta, sizes, w_off, b_off, n_off, act, X, y, Z, A):
    """Fraction of rows of ``X`` whose predicted class equals ``y``.

    The predicted class is ``logit > 0`` for one output, else the largest logit (the
    first on a tie).
    """
    n = X.shape[0]
    chunk = Z.shape[1]
    rows = np.arange(n)
    out_row = n_off[sizes.shape[0] - 1]
    n_out = sizes[-1]
    hits = 0
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        _load_batch(X, rows, start, stop, A)
        _forward_batch(theta, sizes, w_off, b_off, n_off, act, stop - start, Z, A)
        for c in range(stop - start):
            if n_out == 1:
                if (A[out_row, c] > 0.0) == (y[start + c] > 0.5):
                    hits += 1
            else:
                best = 0
                for k in range(1, n_out):
                    if A[out_row + k, c] > A[out_row + best, c]:
                        best = k
                if best == int(y[start + c]):
                    hits += 1
    return hits / n


@njit(cache=True)
def train_epochs(
    theta,
    sizes,
    act,
    optimizer,
    X,
    y,
    perms,
    batch_size,
    lr,
    momentum,
    beta1,
    beta2,
    eps,
    state1,
    state2,
    step,
    X_eval,
    y_eval,
    loss_out,
    acc_out,
    eval_out,
    max_loss,
):
    """Train ``theta`` in place for ``perms.shape[0]`` epochs of minibatch gradient descent.

    Parameters
    ----------
    theta : float64 (n_params,)
        Flat parameters (see the module docstring), updated in place.
    sizes : int64 (L + 1,)
        Layer sizes ``[d, h_1, ..., h_k, n_out]``: ``n_out = 1`` trains a sigmoid output
        on the binary cross-entropy, ``n_out = K >= 2`` a softmax on the categorical one.
    act, optimizer : int
        Hidden activation code (:data:`ACTIVATIONS`) and optimizer code (:data:`OPTIMIZERS`).
    X, y : float64 (n, d), float64 (n,)
        Training data; labels in {0, 1} for ``n_out = 1``, else class indices
        0..K-1 (as float64).
    perms : int64 (n_epochs, n)
        One permutation of ``range(n)`` per epoch (drawn by the caller from its
        seeded generator); epoch ``e`` visits rows ``perms[e]`` in minibatches of
        ``batch_size`` (the last one may be smaller), one update per minibatch.
    lr, momentum, beta1, beta2, eps : float
        Optimizer constants (``momentum`` for SGD; the betas and eps for Adam).
    state1, state2 : float64 (n_params,)
        Optimizer state, updated in place: Adam's first and second moments, or
        SGD's velocity (``state2`` unused).
    step : int
        Number of updates done before this call (Adam's ``t``).
    X_eval, y_eval : float64 (m, d), float64 (m,)
        Held-out data whose accuracy is recorded after every epoch (``m = 0``: none).
    loss_out, acc_out, eval_out : float64 (n_epochs,)
        Filled per epoch: the mean training loss and training accuracy over the
        epoch's minibatches, each measured before that minibatch's update (as
        Keras reports them), and the accuracy on ``X_eval`` at the end of the epoch.
    max_loss : float
        Divergence threshold of the epoch's mean loss (:data:`DIVERGENCE_LOSS`).

    Returns
    -------
    status : int
        :data:`OK`, or :data:`DIVERGED` if a minibatch loss or a parameter became
        NaN or infinite, or the epoch's mean loss exceeded ``max_loss`` (training
        stops there).
    epochs_done : int
        Epochs completed (the diverging epoch is not counted).
    step : int
        Updates done in total.
    """
    w_off, b_off, n_params = param_offsets(sizes)
    n_off = node_offsets(sizes)
    out_row = n_off[sizes.shape[0] - 1]
    n_out = sizes[-1]
    n = X.shape[0]
    batch_size = min(batch_size, n)
    Z = np.empty((n_off[-1], batch_size))
    A = np.empty((n_off[-1], batch_size))
    D = np.empty((n_off[-1], batch_size))
    grad = np.empty(n_params)
    for e in range(perms.shape[0]):
        rows = perms[e]
        total_loss = 0.0
        hits = 0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            B = stop - start
            _load_batch(X, rows, start, stop, A)
            _forward_batch(theta, sizes, w_off, b_off, n_off, act, B, Z, A)
            if n_out == 1:
                batch_loss, batch_hits = _output_delta(A, D, out_row, y, rows, start, B, 1.0 / B)
            else:
                batch_loss, batch_hits = _output_delta_softmax(
                    A, D, out_row, n_out, y, rows, start, B, 1.0 / B
                )
            if not math.isfinite(batch_loss):
                return DIVERGED, e, step
            total_loss += batch_loss
            hits += batch_hits
            grad[:] = 0.0
            _backward_batch(theta, sizes, w_off, b_off, n_off, act, B, Z, A, D, grad)
            step += 1
            if optimizer == ADAM:
                adam_step(theta, grad, state1, state2, step, lr, beta1, beta2, eps)
            else:
                sgd_step(theta, grad, state1, lr, momentum)
        for k in range(n_params):
            if not math.isfinite(theta[k]):
                return DIVERGED, e, step
        if total_loss / n > max_loss:
            return DIVERGED, e, step
        loss_out[e] = total_loss / n
        acc_out[e] = hits / n
        if X_eval.shape[0] > 0:
            eval_out[e] = _accuracy(theta, sizes, w_off, b_off, n_off, act, X_eval, y_eval, Z, A)
    return OK, perms.shape[0], step
