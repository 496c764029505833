r"""``SurrogateSpikingClassifier``: the spiking network of the spiking side, trained by
backpropagation through time with surrogate gradients.

The fourth corner of the comparison (issue 13): the same neurons and input code as
:class:`~brainlearn.snn.model.SpikingClassifier`, the same learning algorithm as
:class:`~brainlearn.mlp.model.MLPClassifier`. The kernels (simulation, BPTT, training loop)
are in :mod:`brainlearn.surrogate._kernels`, whose docstring has the equations.

References
----------
.. [1] E. O. Neftci, H. Mostafa and F. Zenke, "Surrogate gradient learning in spiking
   neural networks", IEEE Signal Processing Magazine 36(6), 51-63, 2019.
.. [2] F. Zenke and S. Ganguli, "SuperSpike: supervised learning in multilayer spiking
   neural networks", Neural Computation 30(6), 1514-1541, 2018.
.. [3] F. Zenke and T. P. Vogels, "The remarkable robustness of surrogate gradient learning
   for instilling complex function in spiking neural networks", Neural Computation 33(4),
   899-925, 2021.
.. [4] D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization", ICLR 2015.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
import zlib
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._base import (
    POSITIVE_INT,
    POSITIVE_REAL,
    VERBOSE,
    BrainlearnClassifier,
    FitProgress,
    Interval,
    StrOptions,
    ablation_copy,
    as_generator,
    is_real,
)
from .._validation import (
    as_c_float64,
    check_eval_set,
    check_fit_data,
    check_predict_data,
    check_unit_interval,
    label_indices,
)
from ..snn.encoding import ENCODINGS, make_encoder
from ..snn.names import PopulationName, WeightKey, plain_keys
from ..snn.params import flatten_groups, make_params
from ..snn.populations import NetworkParams
from . import _kernels as K

__all__ = ["SurrogateSpikingClassifier"]

#: the fields of the spiking side's NetworkParams that this model uses (all others belong to
#: mechanisms it does not have: inhibition, homeostasis, teacher, local-rule weight scales)
USED_NETWORK_PARAMS = (
    "dt_ms",
    "presentation_ms",
    "poisson_input",
    "rate_max_hz",
    "rate_min_hz",
    "sigma_scale",
    "tau_m_ms",
    "tau_e_ms",
    "v_th_mv",
    "v_reset_mv",
)

LR_SCHEDULES = ("constant", "cosine")

#: training rows used to scale the initial readout weights
_INIT_ROWS = 256


def _weights(w_in, w_out) -> dict[str, np.ndarray]:
    """The two weight matrices by their ``weights_`` names (plain strings, as the spiking
    classifier keys its weights)."""
    return plain_keys({WeightKey.IN: w_in, WeightKey.OUT: w_out})


#: the kernel's code for an encoder (kind, poisson_input)
def _kernel_code(kind: str, poisson: bool) -> int:
    if kind == "current":
        return K.CURRENT
    if kind == "latency":
        return K.LATENCY
    return K.POISSON if poisson else K.REGULAR


def _row_seeds(X: np.ndarray, seed: int) -> np.ndarray:
    """One Poisson seed per row of ``X`` (int64 in [0, 2**32)), a hash of the row's values
    and ``seed``: a sample's prediction does not depend on its position or the batch."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    out = np.empty(len(X), dtype=np.int64)
    for r in range(len(X)):
        out[r] = zlib.crc32(X[r].tobytes(), seed & 0xFFFFFFFF)
    return out


class SurrogateSpikingClassifier(BrainlearnClassifier):
    r"""Spiking classifier trained by backpropagation through time with surrogate gradients.

    Network: the input code ``encoding``, one of the shared encoder objects of
    :mod:`brainlearn.snn.encoding` (their equations and papers are there) -> ``n_hidden``
    current-based LIF neurons with the constants of
    :class:`~brainlearn.snn.populations.NetworkParams`. Input codes:

    - rate codes (``"population"``: Gaussian receptive fields, ``n_per_feature`` per
      feature; ``"rate"``, ``"rate-complement"``): spike trains at the encoded rates,
      regular (``poisson_input=False``, the default: one random phase per afferent and
      presentation in training, a phase per afferent fixed at fit time in prediction) or
      Poisson (``network_params={"poisson_input": True}``: fresh Bernoulli spikes in every
      training presentation, in prediction a seed per sample fixed by its values and the
      fit), so predictions are deterministic and each sample's does not depend on the rest
      of the batch;
    - ``"current"``: direct current injection, no afferent spikes: every time step adds
      :math:`W^{in\top} r(x)\,dt` to the synaptic variable :math:`g` (the rate code's mean
      drive, noise-free, plus a bias input);
    - ``"latency"``: one spike per afferent at :math:`(1 - x_f)` times the presentation.

    The LIF dynamics:

    .. math::

        \tau_m \dot v = -v + g,\quad \tau_e \dot g = -g,\quad
        g \mathrel{+}= W^{in}_{ij} \text{ per afferent spike},\quad
        v > v_{th} \Rightarrow \text{spike},\ v \leftarrow v_{reset},

    integrated exactly in steps of ``dt_ms`` over ``presentation_ms`` (state reset to rest
    at the start of each presentation) -> one non-spiking leaky readout unit per class with
    the same synapse and membrane, driven by the hidden spikes through :math:`W^{out}`.

    Output: the logit of class :math:`k` is the readout membrane potential averaged over the
    presentation, :math:`z_k = \frac1T\sum_t u_k[t] + b_k`, and
    ``predict_proba = softmax(z)``. Why the time-averaged membrane potential of a
    non-spiking unit rather than output spike counts: it is a graded, differentiable
    function of every hidden spike (a silent output neuron would have no gradient and spike
    counts give ties), it turns directly into the logits of a softmax cross-entropy, and its
    average, unlike the maximum over time, gets a gradient from every time step. Being
    linear, it equals :math:`z = W^{out\top} C + b` with :math:`C_j` hidden neuron
    :math:`j`'s spike count weighted by how early in the presentation each spike came
    (:mod:`~brainlearn.surrogate._kernels`).

    Training: softmax cross-entropy over the K classes, minibatches of ``batch_size``
    samples simulated together, reshuffled every epoch; BPTT through the membrane, synaptic
    and reset dynamics with the Heaviside's derivative replaced by the fast-sigmoid
    surrogate :math:`\sigma'(x) = \gamma / (2(1 + \gamma|x|)^2)`, :math:`x = v - v_{th}`
    (SuperSpike [2]_, [1]_); Adam [4]_ (the MLP's kernel, Keras' defaults) with step
    ``learning_rate`` on the weights in units of their initial spread (so one step size
    suits both layers).

    Initialisation: :math:`W^{in}_{ij} \sim N(0, s_{in}^2)` with
    :math:`s_{in} = \text{init\_gain}\cdot v_{th} / (\tau_e\,\overline{\lVert r\rVert})`,
    :math:`\overline{\lVert r\rVert}` the mean over training samples of the Euclidean norm of
    the afferent rates: the stationary drive :math:`\sum_i r_i W_{ij}\tau_e` of a neuron then
    spreads over neurons with standard deviation ``init_gain`` thresholds, whatever the
    number of features or the encoder. :math:`W^{out}_{jk} \sim N(0, s_{out}^2)` with
    :math:`s_{out} = 1/\sqrt{\overline{\lVert C\rVert^2}}` over (at most 256) training
    samples, so the initial logits have unit spread; zero biases.

    Not modelled (this network learns its features by gradient instead): the spiking
    side's refractory period, adaptive threshold, inhibitory winner-take-all, teacher and
    Dale's law (weights here have either sign).

    Parameters
    ----------
    n_hidden : int, default=200
        Hidden LIF neurons.
    encoding : {"population", "rate", "rate-complement", "current", "latency"}
        Input code, default "population" (:func:`~brainlearn.snn.encoding.make_encoder`):
        Gaussian receptive fields, a rate code, a rate code with on/off channels, direct
        current injection or a time-to-first-spike code (above). The rate codes' spike
        statistics (regular or Poisson) are ``network_params["poisson_input"]``.
    n_per_feature : int, default=16
        Receptive fields per feature (population code only; >= 2).
    network_params : dict, optional
        Overrides of :class:`~brainlearn.snn.populations.NetworkParams` among
        ``USED_NETWORK_PARAMS`` (time step, presentation, regular or Poisson spike trains,
        rates, receptive-field width, LIF constants); the other fields are not used by this
        model and are refused.
    surrogate_steepness : float, default=1.0
        :math:`\gamma` in 1/mV (> 0): the surrogate derivative falls to a quarter of its
        peak at :math:`|v - v_{th}| = 1/\gamma`.
    detach_reset : bool, default=False
        Leave the reset out of the backward pass (Zenke & Vogels 2021 [3]_).
    init_gain : float, default=2.0
        Spread of the initial input drive in thresholds (> 0).
    learning_rate : float, default=3e-2
        Adam step size (> 0), in units of the initial weight spread.
    lr_schedule : {"constant", "cosine"}, default="cosine"
        ``"cosine"``: the step size of epoch :math:`e` (0-based) of :math:`E` is
        ``learning_rate`` :math:`\cdot \tfrac12 (1 + \cos(\pi e / E))` (cosine annealing
        without restarts, Loshchilov & Hutter 2017), so the last epochs fine-tune.
    epochs : int, default=30
        Passes over the training set (>= 1).
    batch_size : int, default=32
        Samples per update (>= 1; capped at the number of training samples).
    random_state : int, numpy.random.Generator or None
        Seeds initial weights, shuffles and spike phases; the same integer gives
        bit-identical weights.
    verbose : int
        0: silent; 1: a progress line on stderr at most every few seconds (epochs, seconds,
        the epoch's loss and training accuracy) and one at the end; 2: a line per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The labels, sorted; ``predict_proba`` columns follow this order.
    n_features_in_ : int
    weights_ : dict
        ``"afferent->hidden"`` (n_afferents, n_hidden) and ``"hidden->efferent"``
        (n_hidden, K) in mV, the names of the spiking side's projections.
    intercept_ : ndarray of shape (K,)
        Readout biases :math:`b` (mV).
    initial_weights_ : dict
        The weights before training, same keys.
    weight_history_ : list of dict
        The flattened weights after each epoch (aligned with ``history_["samples_seen"]``).
    history_ : dict of list
        Per epoch: ``"samples_seen"``, ``"loss"`` and ``"train_accuracy"`` (means over the
        epoch's minibatches, each measured before that minibatch's update) and, with an
        ``eval_set``, ``"eval_accuracy"`` at the end of the epoch.
    n_updates_ : int
        Adam steps taken.
    phases_ : ndarray of shape (n_afferents,)
        Spike-train phases used in prediction (regular rate codes).
    noise_seed_ : int
        Seed of the Poisson spike trains in prediction (with the values of each sample).
    encoder_ : encoder object
        The input code (:mod:`brainlearn.snn.encoding`); a latency code's window is the
        training presentation, whatever :meth:`at_presentation` sets later.
    dt_ms_, presentation_ms_ : float
        Time step and presentation length.
    net_params_ : NetworkParams
        The resolved network constants.

    Examples
    --------
    >>> from brainlearn import load_task
    >>> from brainlearn.surrogate.model import SurrogateSpikingClassifier
    >>> split = load_task("linear", n_train=300, n_test=300, seed=0)
    >>> clf = SurrogateSpikingClassifier(n_hidden=50, epochs=5, random_state=0)
    >>> clf.fit(split.X_train, split.y_train).score(split.X_test, split.y_test) > 0.9
    True
    """

    _parameter_constraints = {
        "n_hidden": POSITIVE_INT,
        "encoding": [StrOptions(set(ENCODINGS))],
        "n_per_feature": [Interval(numbers.Integral, 2, None, closed="left")],
        "network_params": [None, dict],
        "surrogate_steepness": POSITIVE_REAL,
        "detach_reset": ["boolean"],
        "init_gain": POSITIVE_REAL,
        "learning_rate": POSITIVE_REAL,
        "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "epochs": POSITIVE_INT,
        "batch_size": POSITIVE_INT,
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        n_hidden=200,
        encoding="population",
        n_per_feature=16,
        network_params=None,
        surrogate_steepness=1.0,
        detach_reset=False,
        init_gain=2.0,
        learning_rate=3e-2,
        lr_schedule="cosine",
        epochs=30,
        batch_size=32,
        random_state=None,
        verbose=0,
    ):
        self.n_hidden = n_hidden
        self.encoding = encoding
        self.n_per_feature = n_per_feature
        self.network_params = network_params
        self.surrogate_steepness = surrogate_steepness
        self.detach_reset = detach_reset
        self.init_gain = init_gain
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ validation

    def _net(self) -> NetworkParams:
        overrides = flatten_groups(dict(self.network_params or {}), NetworkParams.GROUPS,
                                   "network_params")
        if "n_hidden" in overrides or "n_per_feature" in overrides:
            raise ValueError(
                "set n_hidden and n_per_feature as arguments of SurrogateSpikingClassifier, "
                "not in network_params"
            )
        p = make_params(NetworkParams, overrides, what="network_params")
        for key in overrides:
            if key not in USED_NETWORK_PARAMS:
                raise ValueError(
                    f"network_params key {key!r} is not used by SurrogateSpikingClassifier; "
                    f"used: {', '.join(USED_NETWORK_PARAMS)}"
                )
        p = dataclasses.replace(p, n_hidden=int(self.n_hidden),
                                n_per_feature=int(self.n_per_feature))
        if not isinstance(p.poisson_input, bool | np.bool_):
            raise ValueError(
                f"network_params 'poisson_input' must be a bool, got {p.poisson_input!r}")
        for key in ("dt_ms", "presentation_ms", "tau_m_ms", "tau_e_ms", "sigma_scale"):
            if not getattr(p, key) > 0:
                raise ValueError(f"network_params {key!r} must be > 0, got {getattr(p, key)!r}")
        if not p.presentation_ms >= p.dt_ms:
            raise ValueError("network_params: presentation_ms must be >= dt_ms")
        if not 0 <= p.rate_min_hz < p.rate_max_hz:
            raise ValueError("network_params: need 0 <= rate_min_hz < rate_max_hz")
        if p.rate_max_hz * p.dt_ms * 1e-3 > 1.0:
            raise ValueError(
                "network_params: rate_max_hz * dt must be <= 1 (at most one spike per step), "
                f"got {p.rate_max_hz} Hz x {p.dt_ms} ms"
            )
        if not p.v_th_mv > p.v_reset_mv:
            raise ValueError("network_params: v_th_mv must be > v_reset_mv")
        return p

    def _check_more(self) -> None:
        """The network parameters: known keys used by this model, their ranges."""
        self._net()

    def _encoder(self, p: NetworkParams):
        """The shared encoder object of ``encoding`` (:mod:`brainlearn.snn.encoding`)."""
        return make_encoder(self.encoding, n_per_feature=int(self.n_per_feature),
                            rate_max_hz=p.rate_max_hz, rate_min_hz=p.rate_min_hz,
                            sigma_scale=p.sigma_scale, window_ms=p.presentation_ms)

    @staticmethod
    def _drive_of(encoder, X) -> np.ndarray:
        """The kernels' ``drive`` of the rows of ``X`` (:mod:`~brainlearn.surrogate._kernels`,
        "Afferent input"): first-spike times in s for the latency code, rates in Hz else."""
        if encoder.kind == "latency":
            return as_c_float64(encoder.spike_times_ms(X) * 1e-3)
        return as_c_float64(encoder.rates(X))

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "weights_")

    # ------------------------------------------------------------------ data

    def _check_fit_data(self, X, y):
        """Validated ``(X, y, classes, y as class indices)``, K >= 2 classes of any label type
        (the checks and messages every estimator of the package shares)."""
        X, y, classes = check_fit_data(self, X, y)
        return X, y, classes, label_indices(classes, y, "y").astype(np.int64)

    def _check_eval_set(self, eval_set):
        X_ev, y_ev = check_eval_set(self, eval_set)
        return as_c_float64(X_ev), y_ev.astype(np.int64)

    # ------------------------------------------------------------------ simulation

    def _constants(self, p: NetworkParams):
        alpha, beta, c = K.lif_constants(p.dt_ms, p.tau_m_ms, p.tau_e_ms)
        n_steps = int(round(p.presentation_ms / p.dt_ms))
        return alpha, beta, c, K.readout_kernel(n_steps, alpha, beta, c)

    def _run_predict(self, drive, seeds, weights=None, bias=None):
        """(logits, hidden spike counts, afferent spike counts) of every row of ``drive``
        (:meth:`_drive`), ``seeds`` the rows' Poisson seeds."""
        p = self.net_params_
        W_in = as_c_float64((weights or self.weights_)[WeightKey.IN])
        W_out = as_c_float64((weights or self.weights_)[WeightKey.OUT])
        b = as_c_float64(self.intercept_ if bias is None else bias)
        alpha, beta, c, kappa = self._constants(p)
        n = drive.shape[0]
        logits = np.empty((n, W_out.shape[1]))
        counts = np.empty((n, W_in.shape[1]))
        n_aff = np.empty(n, dtype=np.int64)
        K.predict(W_in, W_out, b, self.code_, as_c_float64(drive), self.phases_, seeds,
                  p.dt_ms * 1e-3, alpha, beta, c, p.v_th_mv, p.v_reset_mv, kappa, logits,
                  np.empty_like(counts), counts, n_aff)
        return logits, counts, n_aff

    def _drive(self, X, what: str = "X") -> tuple[np.ndarray, np.ndarray]:
        """``(drive, seeds)`` of the rows of ``X`` for the kernels."""
        check_unit_interval(X, what)  # the encoder clips to [0, 1]: say so, as fit does
        return self._drive_of(self.encoder_, X), _row_seeds(X, self.noise_seed_)

    @property
    def code_(self) -> int:
        """The kernels' input code (:data:`~brainlearn.surrogate._kernels.REGULAR`, ...)."""
        return _kernel_code(self.encoder_.kind, bool(self.net_params_.poisson_input))

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, eval_set=None):
        """Train on ``X`` (n_samples, n_features), values expected in [0, 1] (the encoder
        clips; more than 1 % of the values outside warns and none inside is an error, as
        for :class:`~brainlearn.snn.model.SpikingClassifier`), and labels ``y`` of K >= 2
        classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        eval_set : tuple (X_val, y_val), optional
            Held-out data whose accuracy is recorded after every epoch in
            ``history_["eval_accuracy"]``; it never influences training.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad hyperparameter or input (the message names it).
        FloatingPointError
            If training diverges (NaN or infinite loss or weight); the estimator is left
            unfitted.
        """
        for attr in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            del self.__dict__[attr]  # a refit must not mix the previous fit's state in
        self._check_hyperparameters()
        X, _, classes, y_idx = self._check_fit_data(X, y)
        check_unit_interval(X, "X")
        X = as_c_float64(X)
        net = self._net()
        rng = as_generator(self.random_state)
        encoder = self._encoder(net)
        drive = self._drive_of(encoder, X)
        rates = as_c_float64(encoder.rates(X))  # mean rates (Hz), for the initial scale
        code = _kernel_code(encoder.kind, bool(net.poisson_input))
        n, n_aff = rates.shape
        H, n_cls = int(self.n_hidden), len(classes)
        alpha, beta, c, kappa = self._constants(net)
        dt_s = net.dt_ms * 1e-3

        # --- initialisation (class docstring)
        phases = rng.random(n_aff)
        r_norm = float(np.mean(np.sqrt(np.sum(rates**2, axis=1))))
        s_in = float(self.init_gain) * net.v_th_mv / (net.tau_e_ms * 1e-3 * max(r_norm, 1e-12))
        theta_in = rng.standard_normal((n_aff, H))
        theta_out = rng.standard_normal((H, n_cls))
        W_in = s_in * theta_in
        rows = rng.choice(n, size=min(n, _INIT_ROWS), replace=False)
        C = np.empty((len(rows), H))
        rows = np.sort(rows)
        # drawn after the draws of the regular code, and only for Poisson trains, so that a
        # seed gives the regular code the weights it gave before the Poisson code existed
        noise_seed = int(rng.integers(2**32)) if code == K.POISSON else 0
        K.predict(W_in, np.zeros((H, 1)), np.zeros(1), code, drive[rows], phases,
                  _row_seeds(X[rows], noise_seed), dt_s, alpha, beta, c, net.v_th_mv,
                  net.v_reset_mv, kappa, np.empty((len(rows), 1)), C,
                  np.empty((len(rows), H)), np.empty(len(rows), dtype=np.int64))
        c_norm = float(np.sqrt(np.mean(np.sum(C**2, axis=1))))
        s_out = 1.0 / c_norm if c_norm > 0 else 1.0 / np.sqrt(H)
        scales = np.array([s_in, s_out, 1.0])
        theta = np.concatenate([theta_in.ravel(), theta_out.ravel(), np.zeros(n_cls)])
        initial = _weights(W_in.copy(), s_out * theta_out)

        # state needed by the prediction helpers during training (eval_set); removed again
        # if the fit does not complete, so fitted state exists only after a completed fit
        self.classes_ = classes
        self.net_params_ = net
        self.phases_ = phases
        self.noise_seed_ = noise_seed
        self.encoder_ = encoder
        try:
            self._train(drive, y_idx, eval_set, theta, scales, initial, rng)
        except BaseException:
            for attr in ("classes_", "net_params_", "phases_", "noise_seed_", "encoder_"):
                self.__dict__.pop(attr, None)
            raise
        return self

    def _train(self, drive, y_idx, eval_set, theta, scales, initial, rng) -> None:
        """The epochs of :meth:`fit`; sets the fitted attributes when they complete."""
        net = self.net_params_
        n, n_aff = drive.shape
        H, n_cls = int(self.n_hidden), len(self.classes_)
        alpha, beta, c, kappa = self._constants(net)
        dt_s = net.dt_ms * 1e-3
        if eval_set is not None:
            X_ev, y_ev = self._check_eval_set(eval_set)
            drive_ev, seeds_ev = self._drive(X_ev, "eval_set X")

        m = np.zeros_like(theta)
        v = np.zeros_like(theta)
        step = 0
        epochs = int(self.epochs)
        history: dict[str, list] = {"samples_seen": [], "loss": [], "train_accuracy": []}
        if eval_set is not None:
            history["eval_accuracy"] = []
        weight_history = []
        W_in_e = np.empty((n_aff, H))
        W_out_e = np.empty((H, n_cls))
        b_e = np.empty(n_cls)
        progress = FitProgress(self.verbose, type(self).__name__, epochs, "epochs")
        for epoch in range(epochs):
            lr = float(self.learning_rate)
            if self.lr_schedule == "cosine":
                lr *= 0.5 * (1.0 + np.cos(np.pi * epoch / epochs))
            order = rng.permutation(n).astype(np.int64)
            # this epoch's spike-train randomness: phases (regular; drawn for every code, as
            # before the other codes existed) and seeds (Poisson only)
            ph = rng.random((n, n_aff))
            seeds = (rng.integers(0, 2**32, n, dtype=np.int64) if self.code_ == K.POISSON
                     else np.zeros(n, dtype=np.int64))
            status, step, loss, acc = K.train_epoch(
                theta, scales, n_aff, H, n_cls, self.code_, drive, y_idx, order, ph, seeds,
                int(self.batch_size), dt_s, alpha, beta, c, net.v_th_mv, net.v_reset_mv,
                float(self.surrogate_steepness), bool(self.detach_reset), kappa,
                lr, m, v, step,
            )
            if status != K.OK:
                raise FloatingPointError(
                    f"training diverged in epoch {epoch + 1} of {epochs}: the loss or a "
                    f"weight became NaN/inf (learning_rate={self.learning_rate!r}); "
                    "lower the learning rate"
                )
            K.unpack(theta, scales, n_aff, H, n_cls, W_in_e, W_out_e, b_e)
            history["samples_seen"].append(n * (epoch + 1))
            history["loss"].append(float(loss))
            history["train_accuracy"].append(float(acc))
            weight_history.append(_weights(W_in_e.ravel().copy(), W_out_e.ravel().copy()))
            if eval_set is not None:
                w = _weights(W_in_e, W_out_e)
                logits, _, _ = self._run_predict(drive_ev, seeds_ev, w, b_e)
                history["eval_accuracy"].append(float(np.mean(np.argmax(logits, 1) == y_ev)))
            progress.update(epoch + 1, final=epoch + 1 == epochs, loss=float(loss),
                            train_accuracy=float(acc))

        self.weights_ = _weights(W_in_e.copy(), W_out_e.copy())
        self.intercept_ = b_e.copy()
        self.initial_weights_ = initial
        self.weight_history_ = weight_history
        self.history_ = history
        self.n_updates_ = int(step)
        self.dt_ms_ = float(net.dt_ms)
        self.presentation_ms_ = float(net.presentation_ms)

    # ------------------------------------------------------------------ inference

    def _logits(self, X) -> np.ndarray:
        X = check_predict_data(self, X)  # validates X and that the model is fitted
        return self._run_predict(*self._drive(X))[0]

    def decision_function(self, X) -> np.ndarray:
        """Logits :math:`z` (time-averaged readout potentials plus bias, mV), (n, K); for
        two classes, as scikit-learn's convention, the 1-D ``z_1 - z_0``."""
        z = self._logits(X)
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def predict_proba(self, X) -> np.ndarray:
        """``softmax`` of the logits, shape (n_samples, K) in the order of ``classes_``."""
        z = self._logits(X)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The class of the largest logit (ties: the first of ``classes_``)."""
        z = self._logits(X)
        return self.classes_[np.argmax(z, axis=1)]

    # ------------------------------------------------------------------ analyses

    def hidden_response(self, X) -> np.ndarray:
        """Hidden spike counts per sample in prediction, (n_samples, n_hidden)."""
        X = check_predict_data(self, X)
        return self._run_predict(*self._drive(X))[1]

    def ops_per_sample(self, X) -> dict[str, float]:
        """Mean operations of one prediction per sample of ``X``.

        ``synaptic_events``: spikes x out-degree, afferent -> hidden (``n_hidden``) plus
        hidden -> readout (K), counted as the spiking side counts them; with the current
        code (no afferent spikes) the input layer counts instead its multiply-accumulates,
        ``n_hidden`` per non-zero input, once per sample (the current is constant over the
        presentation, so :math:`W^{in\top} x` is computed once). ``spikes``: afferent plus
        hidden spikes. ``neuron_updates``: membrane and synapse state updates,
        ``T (n_hidden + K)`` per sample (constant; the spiking side does not report its own).
        """
        X = check_predict_data(self, X)
        drive, seeds = self._drive(X)
        _, counts, n_aff = self._run_predict(drive, seeds)
        H = counts.shape[1]
        n_cls = len(self.classes_)
        hidden = counts.sum(axis=1)
        n_in = (drive != 0).sum(axis=1) if self.code_ == K.CURRENT else n_aff
        events = n_in * H + hidden * n_cls
        n_steps = int(round(self.presentation_ms_ / self.dt_ms_))
        return {
            "synaptic_events": float(np.mean(events)),
            "spikes": float(np.mean(n_aff + hidden)),
            "neuron_updates": float(n_steps * (H + n_cls)),
        }

    def record_spikes(self, X, trained: bool = True) -> dict[str, dict[str, Any]]:
        """Afferent and hidden ("hidden") spike trains of the samples in ``X``, presented
        one after another as in prediction (times in ms from the start of the first); the
        readout units do not spike. ``trained=False`` uses the initial weights."""
        X = check_predict_data(self, X)
        p = self.net_params_
        w = self.weights_ if trained else self.initial_weights_
        W_in = as_c_float64(w[WeightKey.IN])
        W_out = as_c_float64(w[WeightKey.OUT])
        alpha, beta, c, kappa = self._constants(p)
        drive, seeds = self._drive(X)
        n, n_steps, H = len(X), len(kappa), W_in.shape[1]
        rows = np.arange(n, dtype=np.int64)
        ptr, idx, cur = K.events(self.code_, drive, rows, self.phases_.reshape(1, -1),
                                 np.zeros(n, dtype=np.int64), seeds, p.dt_ms * 1e-3, n_steps)
        V = np.empty((n, n_steps, H))
        K.forward(W_in, W_out, np.zeros(W_out.shape[1]), ptr, idx, cur, alpha, beta, c,
                  p.v_th_mv, p.v_reset_mv, float(self.surrogate_steepness), False, kappa, V,
                  np.empty((n, H)), np.empty((n, W_out.shape[1])))
        step_of_event = np.repeat(np.arange(n * n_steps), np.diff(ptr))
        b, t, j = np.nonzero(V > p.v_th_mv)
        return plain_keys({
            PopulationName.AFFERENT: {"i": idx.copy(), "t_ms": step_of_event * p.dt_ms,
                                      "n": int(drive.shape[1])},
            PopulationName.HIDDEN: {"i": j, "t_ms": (b * n_steps + t) * p.dt_ms,
                                         "n": int(H)},
        })

    def at_presentation(self, presentation_ms):
        """A copy of the fitted model that presents every sample for ``presentation_ms``
        (a multiple of ``dt_ms``, > 0) instead of the training presentation, with the
        trained weights: accuracy against presentation time without retraining. The
        readout still averages its membrane over the (new) presentation; a latency code
        keeps its training window, so afferents whose spike would come after the end of a
        shorter presentation stay silent. ``self`` is unchanged."""
        check_is_fitted(self)
        if not is_real(presentation_ms) or not np.isfinite(presentation_ms) \
                or presentation_ms < self.dt_ms_:
            raise ValueError(f"presentation_ms must be a number >= dt_ms ({self.dt_ms_}), got "
                             f"{presentation_ms!r}")
        new = copy.deepcopy(self)
        new.net_params_ = dataclasses.replace(self.net_params_,
                                              presentation_ms=float(presentation_ms))
        new.presentation_ms_ = float(presentation_ms)
        return new

    def ablated(self, fraction, kind="synapses", random_state=None):
        """A copy with a ``fraction`` of the synapses of each projection
        (``kind="synapses"``) or of the hidden neurons (``kind="neurons"``: all their in- and
        out-weights) set to zero; ``self`` is unchanged."""
        new, draw = ablation_copy(self, fraction, kind, random_state)
        if kind == "synapses":
            for w in new.weights_.values():
                (chosen,) = draw([w.size])
                w.reshape(-1)[chosen] = 0.0
        else:
            (dead,) = draw([new.weights_[WeightKey.IN].shape[1]])
            new.weights_[WeightKey.IN][:, dead] = 0.0
            new.weights_[WeightKey.OUT][dead, :] = 0.0
        return new
