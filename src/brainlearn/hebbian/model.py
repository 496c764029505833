"""Non-spiking networks with local learning rules (family ``"local"``).

The non-spiking, local corner of the comparison: a hidden layer learned without labels by a
local Hebbian rule with competition between the hidden units, then a single-layer readout
learned by the delta rule. No weight change uses information that is not at the synapse
(its input, its unit's activity, and for the readout its unit's error against the label).

:class:`KrotovHopfieldClassifier`
    Krotov & Hopfield (2019): rank-based competition, the most active unit is pulled
    towards the input and the ``k``-th most active pushed away (anti-Hebbian), with the
    p-norm inner product; hidden activity :math:`h = \\max(I, 0)^n`.
:class:`SoftHebbClassifier`
    SoftHebb (Journe, Rodriguez, Guo & Moraitis 2022): soft winner-take-all (a softmax of
    the units' inputs with temperature ``tau``) and Oja-like Hebbian plasticity; hidden
    activity the "triangle" :math:`h = \\max(u - \\bar u, 0)` of the inputs.

Both papers trained their top layer by gradient descent on their own losses; here the
readout is the delta rule of a softmax layer (:func:`~brainlearn.hebbian._kernels.
delta_readout_epoch`), which is local, and the hidden activities are divided by one
constant (the mean Euclidean norm of the training samples' hidden vectors, ``h_scale_``) so
that one readout step size serves every task. Inputs are standardised with the training
data's statistics (like the other non-spiking references). ``hidden_epochs=0`` keeps the
hidden weights at their random, data-independent initialisation: the control that says what
the Hebbian rule learns.

Budget: ``presentations_ = (hidden_epochs + readout_epochs) * n_samples``.

References
----------
Krotov & Hopfield (2019) Unsupervised learning by competing hidden units. PNAS 116:7723.
Journe, Rodriguez, Guo & Moraitis (2022) Hebbian deep learning without feedback. ICLR 2023
(arXiv:2209.11883). Widrow & Hoff (1960) IRE WESCON Conv Rec 4:96.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_predict_data, encode_labels
from ..reference import (
    ReferenceBase,
    check_positive_int,
    check_positive_real,
    is_int,
    is_real,
    seed_int,
)
from . import _kernels as K

__all__ = ["KrotovHopfieldClassifier", "SoftHebbClassifier"]


def _check_nonneg_int(est, name: str) -> None:
    v = getattr(est, name)
    if not is_int(v) or v < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {v!r}")


def _check_real_range(est, name: str, lo: float, hi: float) -> None:
    v = getattr(est, name)
    if not is_real(v) or not np.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"{name} must be a number in [{lo:g}, {hi:g}], got {v!r}")


class _HebbianNet(ReferenceBase):
    """Hidden layer learned by a local rule (subclasses), delta-rule softmax readout."""

    _EXTRA_FITTED = ("weights_", "readout_weights_", "readout_bias_", "h_scale_")

    def _check_common(self) -> None:
        check_positive_int(self, "n_hidden")
        _check_nonneg_int(self, "hidden_epochs")
        check_positive_int(self, "batch_size")
        check_positive_real(self, "learning_rate")
        check_positive_int(self, "readout_epochs")
        check_positive_real(self, "readout_learning_rate")
        seed_int(self.random_state)

    # subclasses: _init_weights(rng, d), _learn_epoch(W, Z, order, lr), _features(W, Z)
    def _fit_scaled(self, Z, y, seed) -> int:
        rng = np.random.default_rng(seed)
        Z = np.ascontiguousarray(Z, dtype=np.float64)
        W = self._init_weights(rng, Z.shape[1])
        n_ep = int(self.hidden_epochs)
        for ep in range(n_ep):
            order = rng.permutation(len(Z)).astype(np.int64)
            # the learning rate falls linearly to 0 over the epochs (Krotov & Hopfield 2019)
            self._learn_epoch(W, Z, order, float(self.learning_rate) * (1.0 - ep / n_ep))
        H = self._features(W, Z)
        norms = np.linalg.norm(H, axis=1)
        scale = float(norms.mean()) if norms.size and norms.mean() > 0 else 1.0
        H = np.ascontiguousarray(H / scale)
        n_cls = len(self.classes_)
        T = np.eye(n_cls)[np.asarray(encode_labels(self.classes_, y, "y"), dtype=np.int64)]
        A = np.zeros((n_cls, H.shape[1]))
        c = np.zeros(n_cls)
        for ep in range(int(self.readout_epochs)):
            order = rng.permutation(len(Z)).astype(np.int64)
            lr = float(self.readout_learning_rate) * (1.0 - ep / int(self.readout_epochs))
            K.delta_readout_epoch(A, c, H, T, order, 32, lr)
        self.weights_, self.readout_weights_, self.readout_bias_ = W, A, c
        self.h_scale_ = scale
        return (n_ep + int(self.readout_epochs)) * len(Z)

    def _hidden(self, Z) -> np.ndarray:
        return self._features(self.weights_, np.ascontiguousarray(Z, np.float64)) / self.h_scale_

    def _proba_scaled(self, Z) -> np.ndarray:
        H = self._hidden(Z)
        return K.softmax_rows(H @ self.readout_weights_.T + self.readout_bias_)

    def hidden_response(self, X) -> np.ndarray:
        """Hidden activities, shape (n_samples, n_hidden), divided by ``h_scale_``."""
        X = check_predict_data(self, X)
        return self._hidden(self.scaler_.transform(X))

    def ops_per_sample(self, X) -> dict[str, float]:
        """Multiply-accumulates of one prediction: standardisation, the hidden layer and a
        dense readout."""
        check_predict_data(self, X)
        d, h = self.n_features_in_, self.weights_.shape[0]
        return {"macs": float(d + h * d + h * len(self.classes_))}


class KrotovHopfieldClassifier(_HebbianNet):
    """Hidden units competing by rank (Krotov & Hopfield 2019), a delta-rule readout.

    Learning (per minibatch, :func:`~brainlearn.hebbian._kernels.krotov_epoch`): with the
    currents :math:`I_\\mu = \\sum_i \\operatorname{sign}(W_{\\mu i}) |W_{\\mu i}|^{p-1} v_i`,
    the most driven unit gets :math:`g = 1`, the ``k``-th most driven :math:`g = -\\Delta`
    (``delta``), and :math:`\\Delta W_{\\mu i} \\propto g_\\mu (v_i - I_\\mu W_{\\mu i})`, the
    whole change divided by its largest entry and scaled by a learning rate that falls
    linearly to 0. The weights of each unit converge to unit p-norm. Hidden activity for
    the readout: :math:`h_\\mu = \\max(I_\\mu, 0)^{n}` (``n_power``).

    Parameters
    ----------
    n_hidden : int, default=400
    p : float, default=3.0
        The Lebesgue norm of the inner product (>= 2).
    k : int, default=7
        Rank of the unit that is pushed away (2 <= k <= n_hidden).
    delta : float, default=0.4
        Strength of the anti-Hebbian push, in [0, 1].
    n_power : float, default=2.0
        Power of the rectified hidden activity (>= 1). The paper's 4.5 was chosen for raw
        pixels; on standardised inputs it left a validation split of digits' training rows
        at 0.52, against 0.97-0.98 for powers 1-2.
    hidden_epochs : int, default=30
        Epochs of the unsupervised rule; 0 keeps the random init (the frozen control).
    batch_size : int, default=100
    learning_rate : float, default=0.04
        Initial step of the normalised update.
    readout_epochs : int, default=200
    readout_learning_rate : float, default=2.0
        Initial step of the delta rule (falls linearly to 0).
    random_state : int, numpy Generator or None
    """

    def __init__(self, n_hidden: int = 400, p: float = 3.0, k: int = 7, delta: float = 0.4,
                 n_power: float = 2.0, hidden_epochs: int = 30, batch_size: int = 100,
                 learning_rate: float = 0.04, readout_epochs: int = 200,
                 readout_learning_rate: float = 2.0, random_state=None):
        self.n_hidden = n_hidden
        self.p = p
        self.k = k
        self.delta = delta
        self.n_power = n_power
        self.hidden_epochs = hidden_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.readout_epochs = readout_epochs
        self.readout_learning_rate = readout_learning_rate
        self.random_state = random_state

    def _check_hyperparameters(self) -> None:
        self._check_common()
        _check_real_range(self, "p", 2.0, 10.0)
        if not is_int(self.k) or not 2 <= self.k <= self.n_hidden:
            raise ValueError(f"k must be an integer in [2, n_hidden={self.n_hidden}], "
                             f"got {self.k!r}")
        _check_real_range(self, "delta", 0.0, 1.0)
        _check_real_range(self, "n_power", 1.0, 10.0)

    def _init_weights(self, rng, d):
        return rng.normal(0.0, 1.0, (int(self.n_hidden), d))

    def _learn_epoch(self, W, Z, order, lr):
        K.krotov_epoch(W, Z, order, int(self.batch_size), float(self.p), int(self.k),
                       float(self.delta), lr)

    def _features(self, W, Z):
        return np.maximum(K.krotov_currents(W, Z, float(self.p)), 0.0) ** float(self.n_power)


class SoftHebbClassifier(_HebbianNet):
    """Soft winner-take-all Hebbian units (SoftHebb, Journe et al. 2022), a delta-rule
    readout.

    Learning (per minibatch, :func:`~brainlearn.hebbian._kernels.softhebb_epoch`):
    :math:`u = W x`, :math:`y = \\operatorname{softmax}(u / \\tau)` and
    :math:`\\Delta w_k = \\eta\\, y_k (x - u_k w_k)`, whose fixed points are unit-norm
    weight vectors at the soft centres of the inputs each unit wins; the learning rate falls
    linearly to 0. Hidden activity for the readout: the triangle
    :math:`h_k = \\max(u_k - \\bar u, 0)` (:math:`\\bar u` the mean over the units).

    Parameters
    ----------
    n_hidden : int, default=400
    tau : float, default=0.05
        Temperature of the soft winner-take-all (> 0; smaller is harder).
    hidden_epochs : int, default=30
        Epochs of the unsupervised rule; 0 keeps the random init (the frozen control).
    batch_size : int, default=32
    learning_rate : float, default=0.05
    readout_epochs : int, default=200
    readout_learning_rate : float, default=2.0
    random_state : int, numpy Generator or None
    """

    def __init__(self, n_hidden: int = 400, tau: float = 0.05, hidden_epochs: int = 30,
                 batch_size: int = 32, learning_rate: float = 0.05, readout_epochs: int = 200,
                 readout_learning_rate: float = 2.0, random_state=None):
        self.n_hidden = n_hidden
        self.tau = tau
        self.hidden_epochs = hidden_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.readout_epochs = readout_epochs
        self.readout_learning_rate = readout_learning_rate
        self.random_state = random_state

    def _check_hyperparameters(self) -> None:
        self._check_common()
        _check_real_range(self, "tau", 1e-6, 1e6)

    def _init_weights(self, rng, d):
        W = rng.normal(0.0, 1.0, (int(self.n_hidden), d))
        return W / np.linalg.norm(W, axis=1, keepdims=True)

    def _learn_epoch(self, W, Z, order, lr):
        K.softhebb_epoch(W, Z, order, int(self.batch_size), float(self.tau), lr)

    def _features(self, W, Z):
        U = Z @ W.T
        return np.maximum(U - U.mean(axis=1, keepdims=True), 0.0)
