"""Non-spiking networks that learn with local rules only (family ``"local"``).

A hidden layer learns without labels by a Hebbian rule with competition between its
units, and a single-layer readout learns from the labels by the delta rule on the hidden
code. No error travels through more than one layer: every synapse changes with the
activity on its two sides (and, for the readout, the error of its own output unit). They
fill the non-spiking, local-learning corner of the comparison next to the k-means twin
(``ref-kmeans``).

Models
------
:class:`KrotovHopfieldClassifier`
    Krotov & Hopfield (2019), "Unsupervised learning by competing hidden units" (PNAS):
    Hebbian learning in the Lebesgue ``p``-norm with a rank-based anti-Hebbian term.
:class:`SoftHebbClassifier`
    Journe, Rodriguez, Guo & Moraitis (ICLR 2023), "Hebbian deep learning without
    feedback": the soft winner-take-all Hebbian rule (SoftHebb) with its anti-Hebbian
    variant and weight-norm dependent learning rate.

The equations are in :mod:`brainlearn.hebbian._kernels`. Both papers train their readout
by gradient descent through the readout layer alone (Krotov & Hopfield with a power loss
on ``tanh`` outputs, Journe et al. with cross-entropy and Adam); here the readout is a
softmax layer trained by the per-synapse delta rule with plain SGD, which is that same
single-layer gradient and a local rule.

Learning off
------------
``hidden_epochs=0`` keeps the hidden weights at their random, data-independent
initialisation (drawn from ``random_state`` alone): the same model with hidden learning
switched off, the control that says what the Hebbian rule adds.

Training budget
---------------
A presentation is one training sample entering one parameter update:
``presentations_ = (hidden_epochs + readout_epochs) * n_samples``. ``history_`` has one
checkpoint, at the end of ``fit`` (as the other non-spiking references).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._base import (
    NON_NEGATIVE_INT,
    NON_NEGATIVE_REAL,
    POSITIVE_INT,
    POSITIVE_REAL,
    Interval,
)
from .._validation import check_predict_data
from ..reference import ReferenceBase
from . import _kernels as K

__all__ = ["KrotovHopfieldClassifier", "SoftHebbClassifier"]


#: the hyperparameters every local net has (its hidden layer's size and learning, the
#: delta-rule readout); each model adds its rule's
_COMMON = {
    "n_hidden": POSITIVE_INT,
    "hidden_epochs": NON_NEGATIVE_INT,
    "batch_size": POSITIVE_INT,
    "learning_rate": POSITIVE_REAL,
    "activation_power": POSITIVE_REAL,
    "readout_epochs": POSITIVE_INT,
    "readout_learning_rate": POSITIVE_REAL,
    "readout_batch_size": POSITIVE_INT,
    "readout_l2": NON_NEGATIVE_REAL,
}


class _LocalNet(ReferenceBase):
    """A Hebbian hidden layer (subclasses: ``_init_hidden``, ``_hidden_epoch``,
    ``_centre``) and a delta-rule softmax readout; inputs standardised as the references."""

    _EXTRA_FITTED = ("weights_", "initial_weights_", "readout_weights_", "readout_bias_",
                     "hidden_epochs_")
    _centre = False

    def _code(self, Z, W=None) -> np.ndarray:
        W = self.weights_ if W is None else W
        return K.hidden_code(W, np.ascontiguousarray(Z), float(self.activation_power),
                             self._centre)

    def _fit_scaled(self, Z, y, seed) -> int:
        rng = np.random.default_rng(seed)
        Z = np.ascontiguousarray(Z, dtype=np.float64)
        n, d = Z.shape
        W = np.ascontiguousarray(self._init_hidden(rng, int(self.n_hidden), d))
        W0 = W.copy()
        E = int(self.hidden_epochs)
        for epoch in range(E):
            self._hidden_epoch(W, Z, rng.permutation(n).astype(np.int64), epoch, E)
        yi = np.searchsorted(self.classes_, y).astype(np.int64)
        H = self._code(Z, W)
        n_cls = len(self.classes_)
        V = np.zeros((n_cls, W.shape[0]))
        c = np.zeros(n_cls)
        R = int(self.readout_epochs)
        for epoch in range(R):
            eta = float(self.readout_learning_rate) * (1.0 - epoch / R)  # linear annealing
            K.readout_epoch(V, c, H, yi, rng.permutation(n).astype(np.int64),
                            int(self.readout_batch_size), eta, float(self.readout_l2))
        self.weights_, self.initial_weights_ = W, W0
        self.readout_weights_, self.readout_bias_ = V, c
        self.hidden_epochs_ = E
        return (E + R) * n

    def _proba_scaled(self, Z) -> np.ndarray:
        return K.readout_proba(self.readout_weights_, self.readout_bias_, self._code(Z))

    def hidden_response(self, X) -> np.ndarray:
        """The normalised hidden code, shape (n_samples, n_hidden)."""
        X = check_predict_data(self, X)
        return self._code(self.scaler_.transform(X))

    def ops_per_sample(self, X) -> dict[str, float]:
        """Multiply-accumulates of one prediction: standardisation, the input -> hidden
        currents and the dense readout (the power and normalisation are not MACs)."""
        check_predict_data(self, X)
        d, h = self.n_features_in_, self.weights_.shape[0]
        return {"macs": float(d + h * d + h * len(self.classes_))}

    def _minibatches(self, order, n):
        B = int(self.batch_size)
        for start in range(0, n, B):
            yield order[start:start + B]


class KrotovHopfieldClassifier(_LocalNet):
    """Krotov & Hopfield's competing hidden units, with a delta-rule readout.

    Hidden layer (unsupervised): ``n_hidden`` units whose weights learn by the rule of
    Krotov & Hopfield (2019, PNAS 116: 7723), in minibatches of ``batch_size`` with the
    step ``learning_rate * (1 - epoch / hidden_epochs)``: the most driven unit (currents
    measured in the Lebesgue ``p``-norm) moves towards the input, the ``k``-th most
    driven one away from it with strength ``delta``
    (:func:`~brainlearn.hebbian._kernels.krotov_update`). The weights start as standard
    normal draws, independent of the data (as in the paper's code).

    Hidden code: the paper's rectified power :math:`h_\\mu = \\operatorname{relu}(W_\\mu
    \\cdot z)^n` (``n = activation_power``) of the standardised input ``z``, divided by
    its norm over the layer.

    Readout (supervised, local): a softmax layer on the code trained by the delta rule
    (SGD on the cross-entropy of this single layer, ``readout_epochs`` epochs, step
    annealed linearly to 0, L2 decay ``readout_l2``). The paper trains its readout by
    gradient descent on a power loss of ``tanh`` outputs; the delta rule is the local
    rule for the same single-layer readout.

    Parameters
    ----------
    n_hidden : int, default=1000
    p : float, default=3.0
        The Lebesgue norm of the currents and of the weights' fixed point (>= 1).
    k : int, default=2
        Rank of the unit that gets the anti-Hebbian update (2 <= k <= n_hidden).
    delta : float, default=0.4
        Strength of the anti-Hebbian update (>= 0).
    hidden_epochs : int, default=100
        Epochs of hidden learning; 0 keeps the random initial weights (learning off).
    batch_size : int, default=100
    learning_rate : float, default=0.1
        Initial step of the hidden rule (the largest weight change of a minibatch).
    activation_power : float, default=2.0
        ``n`` of the rectified power code (the paper uses 4.5 on MNIST; on the validation
        splits here 2 did better, for the learned and the random weights alike).
    readout_epochs : int, default=100
    readout_learning_rate : float, default=2.0
        Initial step of the delta rule (the code has unit norm).
    readout_batch_size : int, default=16
    readout_l2 : float, default=1e-5
    random_state : int, numpy Generator or None
        Seeds the initial weights and the orders of presentation.

    Attributes
    ----------
    weights_, initial_weights_ : ndarray (n_hidden, n_features)
        Hidden weights after and before learning (standardised input space).
    readout_weights_ : ndarray (n_classes, n_hidden)
    readout_bias_ : ndarray (n_classes,)
    hidden_epochs_ : int
    """

    def __init__(self, n_hidden: int = 1000, p: float = 3.0, k: int = 2, delta: float = 0.4,
                 hidden_epochs: int = 100, batch_size: int = 100, learning_rate: float = 0.1,
                 activation_power: float = 2.0, readout_epochs: int = 100,
                 readout_learning_rate: float = 2.0, readout_batch_size: int = 16,
                 readout_l2: float = 1e-5, random_state=None):
        self.n_hidden = n_hidden
        self.p = p
        self.k = k
        self.delta = delta
        self.hidden_epochs = hidden_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.activation_power = activation_power
        self.readout_epochs = readout_epochs
        self.readout_learning_rate = readout_learning_rate
        self.readout_batch_size = readout_batch_size
        self.readout_l2 = readout_l2
        self.random_state = random_state

    _parameter_constraints = {
        **_COMMON,
        "p": [Interval(numbers.Real, 1, None, closed="left")],
        "k": [Interval(numbers.Integral, 2, None, closed="left")],
        "delta": NON_NEGATIVE_REAL,
    }

    def _check_more(self) -> None:
        if self.k > self.n_hidden:
            raise ValueError(f"k must be <= n_hidden ({self.n_hidden}), got {self.k!r}")

    def _init_hidden(self, rng, n_hidden, d) -> np.ndarray:
        return rng.standard_normal((n_hidden, d))

    def _hidden_epoch(self, W, Z, order, epoch, n_epochs) -> None:
        eps = float(self.learning_rate) * (1.0 - epoch / n_epochs)
        for idx in self._minibatches(order, len(Z)):
            K.krotov_update(W, np.ascontiguousarray(Z[idx]), float(self.p), int(self.k),
                            float(self.delta), eps, 1e-30)


class SoftHebbClassifier(_LocalNet):
    """SoftHebb: a soft winner-take-all Hebbian hidden layer, with a delta-rule readout.

    Hidden layer (unsupervised): ``n_hidden`` units, :math:`u = W z`, soft winner-take-all
    :math:`y = \\operatorname{softmax}(u / \\tau)` (``tau = temperature``) and the update
    :math:`\\Delta w_k \\propto \\tilde y_k (z - u_k w_k)` of Moraitis et al. (2022) in the
    form of Journe et al. (ICLR 2023): the anti-Hebbian variant (every unit but the winner
    gets :math:`-y_k`) when ``anti_hebbian``, the step normalised by its largest entry and
    scaled per unit by :math:`\\eta (|\\lVert w_k\\rVert - 1| + 10^{-10})^{1/2}`
    (``eta = learning_rate``), which anneals each unit as its weights reach the unit
    sphere (:func:`~brainlearn.hebbian._kernels.softhebb_update`). The weights start as
    normal draws of standard deviation ``init_scale / sqrt(n_features)``, independent of
    the data (the paper's code uses 25).

    Hidden code: the "triangle" activation of the paper,
    :math:`h_k = \\operatorname{relu}(u_k - \\bar u)^n` (``n = activation_power``,
    :math:`\\bar u` the mean over the layer), divided by its norm over the layer.

    Readout (supervised, local): as :class:`KrotovHopfieldClassifier` (the paper trains a
    linear classifier with Adam on the cross-entropy; here SGD by the delta rule).

    Parameters
    ----------
    n_hidden : int, default=1000
    temperature : float, default=2.0
        Softmax temperature ``tau`` of the soft winner-take-all (> 0), in units of the
        standardised inputs' currents.
    anti_hebbian : bool, default=True
    init_scale : float, default=25.0
    hidden_epochs : int, default=30
        Epochs of hidden learning; 0 keeps the random initial weights (learning off).
    batch_size : int, default=32
    learning_rate : float, default=0.3
    activation_power : float, default=2.0
    readout_epochs, readout_learning_rate, readout_batch_size, readout_l2, random_state
        As :class:`KrotovHopfieldClassifier`.

    Attributes
    ----------
    As :class:`KrotovHopfieldClassifier`.
    """

    _centre = True

    def __init__(self, n_hidden: int = 1000, temperature: float = 2.0,
                 anti_hebbian: bool = True, init_scale: float = 25.0,
                 hidden_epochs: int = 30, batch_size: int = 32, learning_rate: float = 0.3,
                 activation_power: float = 2.0, readout_epochs: int = 100,
                 readout_learning_rate: float = 2.0, readout_batch_size: int = 16,
                 readout_l2: float = 1e-5, random_state=None):
        self.n_hidden = n_hidden
        self.temperature = temperature
        self.anti_hebbian = anti_hebbian
        self.init_scale = init_scale
        self.hidden_epochs = hidden_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.activation_power = activation_power
        self.readout_epochs = readout_epochs
        self.readout_learning_rate = readout_learning_rate
        self.readout_batch_size = readout_batch_size
        self.readout_l2 = readout_l2
        self.random_state = random_state

    _parameter_constraints = {
        **_COMMON,
        "temperature": POSITIVE_REAL,
        "init_scale": POSITIVE_REAL,
        "anti_hebbian": ["boolean"],
    }

    def _init_hidden(self, rng, n_hidden, d) -> np.ndarray:
        return rng.standard_normal((n_hidden, d)) * (float(self.init_scale) / np.sqrt(d))

    def _hidden_epoch(self, W, Z, order, epoch, n_epochs) -> None:
        for idx in self._minibatches(order, len(Z)):
            K.softhebb_update(W, np.ascontiguousarray(Z[idx]), float(self.temperature),
                              float(self.learning_rate), bool(self.anti_hebbian))

