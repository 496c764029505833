"""``SpikingClassifier``: a Brian2 spiking network with local plastic synapses.

afferent (Gaussian receptive fields, Poisson) -> hidden (adaptive LIF, winner-take-all
through an inhibitory pool, plastic input synapses) -> efferent (one group per class,
plastic readout synapses). See :mod:`brainlearn.snn.populations` for the neurons,
:mod:`brainlearn.snn.plasticity` for the rules, :mod:`brainlearn.snn.graph` for how they are
assembled, :mod:`brainlearn.snn.engines` and :mod:`brainlearn.snn.build` for how the network
is compiled once and run fast.

Classes
-------
Any number K >= 2 of classes, labels of any type scikit-learn accepts: one group of
``n_per_class`` efferent neurons per class, in the order of ``classes_``. In supervised
training the teacher drives the labelled group and suppresses every other one; the R-STDP
readout is rewarded when the labelled group outspikes the most active other group.

Prediction
----------
Each sample is presented for ``presentation_ms`` without plasticity and without teacher.
The predicted class is the one whose efferent neurons fire most. Ties (including no
efferent spike at all) are broken by the *graded readout* ``s_c = sum_j n_j W_jc`` (the
hidden spike counts ``n_j`` of the sample weighted by the learned readout weights onto
the efferent neurons of class ``c``; with ``skip_readout`` plus the afferent counts weighted
by the direct weights, scaled by ``w_skip_mv / (n_features w_out_mv)``), and a remaining
tie goes to the first class of ``classes_``. ``predict_proba`` is
``(n_c + 0.5 s_c / sum_k s_k) / (sum_k n_k + 0.5)`` (one half pseudo-spike shared by the
graded readout), so its arg-max is the prediction.

Activity
--------
A population that does not spike at all in more than half of the presentations
(:data:`SILENT_FRACTION`) -- the hidden neurons in training or prediction, the efferents in
prediction (and in training without a teacher) -- gives a ``RuntimeWarning`` that names it
and the parameter to change: such a network would otherwise predict the first class, or
rest on the graded readout alone, without saying so.

Inputs
------
Inputs are expected in ``[0, 1]`` (the receptive fields tile that interval); values
outside are clipped by the encoder. More than 1 % of the values outside gives a
``UserWarning`` that names the fraction (scale the data, e.g. with ``MinMaxScaler``), and
data with no value inside is an error.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np
from joblib import effective_n_jobs

from .._base import (
    NON_NEGATIVE_INT,
    POSITIVE_INT,
    VERBOSE,
    BrainlearnClassifier,
    FitProgress,
    Hidden,
    Interval,
    StrOptions,
    ablation_copy,
    is_int,
    seed_int,
)
from .._validation import (
    check_eval_set,
    check_fit_data,
    check_predict_data,
    check_unit_interval,
    encode_labels,
)
from .batched import BatchedEngine, inference_spec
from .build import BuildError, cache_root, check_step_count
from .engines import ChunkInputs, NetworkState, RuntimeEngine, get_engine
from .graph import NetworkSpec
from .names import PopulationName as Pop
from .names import WeightKey, plain_keys
from .params import flatten_groups, make_params
from .plasticity import make_rule
from .populations import NetworkParams

#: the input codes of :mod:`brainlearn.snn.encoding` this network can take, and why not the
#: others (its afferents must spike: STDP and the other local rules are driven by
#: presynaptic spikes)
SPIKING_ENCODINGS = ("population", "rate", "rate-complement", "latency")
_REFUSED_ENCODINGS = {
    "current": "direct current injection has no afferent spikes, and the local plasticity "
               "of this network (STDP, Hebbian, reward-modulated STDP, the delta rule on "
               "spike counts) learns from presynaptic spikes; use a spiking code "
               "(population, rate, rate-complement, latency) or the surrogate-gradient "
               "network (SurrogateSpikingClassifier, snn-surrogate-current)",
}

__all__ = ["SILENT_FRACTION", "SpikingClassifier"]

_W_IN, _W_OUT = WeightKey.IN, WeightKey.OUT
_W_SKIP = WeightKey.SKIP  # only with network_params["skip_readout"]

#: a population that does not spike at all in more than this fraction of the presentations
#: is reported as silent (RuntimeWarning): hidden neurons in training or prediction,
#: efferents in prediction (and in training when no teacher drives them)
SILENT_FRACTION = 0.5

_SILENT_ADVICE = {
    Pop.HIDDEN: (
        "the input drive is too weak for the hidden thresholds: raise network_params "
        "'w_in_mv' or 'rate_max_hz', or lower 'v_th_mv' (and check that inputs are scaled "
        "to [0, 1]); a sample without hidden spikes is predicted as the first class"
    ),
    Pop.EFFERENT: (
        "the hidden -> efferent drive is too weak: raise network_params 'w_out_mv' "
        "(or, without a teacher, 'w_out_init_high'); predictions then rest on the graded "
        "readout of the hidden spikes alone"
    ),
}


def _warn_if_silent(counts: dict[str, np.ndarray], populations, when: str,
                    net: NetworkParams | None = None) -> None:
    """RuntimeWarning for each population silent in > SILENT_FRACTION of presentations
    (``net``: the network, whose re-presentation settings the advice then names)."""
    for pop in populations:
        c = counts[pop]
        if len(c) == 0:
            continue
        silent = float(np.mean(c.sum(axis=1) == 0))
        if silent > SILENT_FRACTION:
            again = ""
            if pop == Pop.HIDDEN and net is not None and net.min_hidden_spikes > 0:
                again = (
                    f", even after up to {net.max_intensity_steps} re-presentations with the "
                    f"input rates raised up to {net.max_gain:g}-fold; raise network_params "
                    "'max_intensity_steps' or 'intensity_step' too"
                )
            warnings.warn(
                f"the {pop} population did not spike in {silent:.0%} of the {len(c)} "
                f"presentations {when}{again}: {_SILENT_ADVICE[pop]}",
                RuntimeWarning,
                stacklevel=3,
            )


def _engine(spec: NetworkSpec, backend: str):
    """The engine of ``spec`` (:func:`~brainlearn.snn.engines.get_engine`), made once per
    process and cache directory: making one derives the build key from the generated
    equations, which takes longer than a small prediction."""
    return _cached_engine(spec, backend, str(cache_root()))


def _inference_engine(spec: NetworkSpec) -> BatchedEngine:
    """The batched inference engine of ``spec``'s network, made once per process and cache
    directory."""
    return _cached_batched_engine(spec, str(cache_root()))


def _start_inference_build(spec: NetworkSpec, backend: str):
    """Start making the batched inference engine of ``spec`` (building its program when
    the cache lacks it) in a background thread; None for the runtime backend."""
    if backend == "runtime":
        return None
    import brian2  # noqa: F401 - its first import installs a signal handler: main thread

    pool = ThreadPoolExecutor(1, thread_name_prefix="brainlearn-inference-build")
    future = pool.submit(_inference_engine, spec)
    pool.shutdown(wait=False)
    return future


def _finish_inference_build(future, training_backend: str) -> None:
    """Wait for :func:`_start_inference_build`; its BuildError is raised only when the
    training program compiled (the compiler works: a real failure); with the runtime
    fallback, predict falls back too."""
    if future is None:
        return
    try:
        future.result()
    except BuildError:
        if training_backend == "standalone":
            raise


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


_BLAS_LOCK = threading.Lock()
_blas_users = 0
_blas_limit = None


@contextlib.contextmanager
def _one_blas_thread():
    """A context in which numpy's BLAS runs on one thread. The products of a readout are
    small, and after every call it spreads over threads, OpenBLAS keeps those threads
    spinning on their cores for a while: long enough to take the core of a run of the
    next prediction with ``n_jobs > 1`` (measured on xor, 2 cores: 120 against 79 µs per
    sample). The limit is the process's: with predictions in several threads, the first
    to enter sets it and the last to leave restores it (the other threads' BLAS calls run
    on one thread meanwhile, for the fraction of a millisecond a product takes)."""
    global _blas_users, _blas_limit
    with _BLAS_LOCK:
        if _blas_users == 0:
            _blas_limit = _blas_controller().limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


@functools.lru_cache(maxsize=16)
def _cached_engine(spec: NetworkSpec, backend: str, root: str):
    return get_engine(spec, backend)


@functools.lru_cache(maxsize=16)
def _cached_batched_engine(spec: NetworkSpec, root: str) -> BatchedEngine:
    return BatchedEngine(spec)


def _teacher_drives(spec: NetworkSpec) -> bool:
    """Whether a teacher current drives the efferents in training: a supervised readout
    other than the delta rule, whose efferents run without teacher by design (teacher_mv =
    0: their counts are the network's own answer, not the teacher's signal)."""
    return spec.supervised and spec.readout_rule.name not in ("delta", "assign")


def _warn_if_teacher_overwhelmed(spec: NetworkSpec, counts_eff, labels) -> None:
    """RuntimeWarning when, under the teacher, the other classes' efferent groups fire about
    as much as the labelled one: the hidden drive overwhelms the teacher, and the
    readout then learns the same weights for every class (the n_per_feature=4 failure on
    digits-parity of issue 9)."""
    k = spec.net.n_per_class
    per_class = counts_eff.reshape(len(counts_eff), spec.n_classes, k).sum(axis=2)
    own = per_class[np.arange(len(labels)), np.asarray(labels, dtype=int)]
    other = (per_class.sum(axis=1) - own) / (spec.n_classes - 1)
    if own.mean() > 0 and other.mean() >= 1.0 and own.mean() < 2.0 * other.mean():
        warnings.warn(
            f"during training the efferent groups of the other classes fired "
            f"{other.mean():.1f} spikes per presentation against {own.mean():.1f} for the "
            "labelled class: the hidden -> efferent drive overwhelms the teacher, so the "
            "readout cannot tell the classes apart; lower network_params 'w_out_mv' (the "
            "hidden neurons fire many spikes per sample) or raise 'suppress_mv'",
            RuntimeWarning,
            stacklevel=3,
        )


def _encoder(spec: NetworkSpec):
    return spec.encoder


def _afferent_rates(spec: NetworkSpec, X) -> np.ndarray:
    """What drives the afferents' ``rates_ta`` for the rows of ``X``: the encoded rates, or
    for the latency code the phase rates that put each afferent's one spike at its time
    (:meth:`~brainlearn.snn.encoding.LatencyCode.phase_rates`)."""
    enc = spec.encoder
    if enc.kind == "latency":
        return enc.phase_rates(X, spec.net.dt_ms)
    return enc.rates(X)


def _state(weights: dict[str, np.ndarray], theta, rbar) -> NetworkState:
    return NetworkState(w_in=weights[_W_IN], w_out=weights[_W_OUT],
                        theta_volt=np.asarray(theta, float), rbar=np.asarray(rbar, float),
                        w_skip=weights.get(_W_SKIP))


def _weights(state: NetworkState) -> dict[str, np.ndarray]:
    """Copies of the learned weights of ``state`` by their ``weights_`` names (plain
    strings: what the fitted model keeps)."""
    out = {_W_IN: state.w_in.copy(), _W_OUT: state.w_out.copy()}
    if state.w_skip is not None:
        out[_W_SKIP] = state.w_skip.copy()
    return plain_keys(out)


class SpikingClassifier(BrainlearnClassifier):
    """Classifier (K >= 2 classes): a spiking network with plastic synapses, in Brian2.

    Parameters
    ----------
    hidden_rule : {"stdp", "stdp-offset", "hebbian", "rstdp"}
        Plasticity of afferent -> hidden synapses (unsupervised feature learning);
        ``"stdp-offset"`` is the rule of Diehl & Cook (2015), meant to go with the
        per-neuron weight normalisation ``network_params["w_in_norm"]``.
    readout_rule : {"stdp", "hebbian", "rstdp", "delta", "assign"}
        Plasticity of hidden -> efferent synapses (and of the direct afferent ->
        efferent synapses when ``network_params["skip_readout"]`` is on). With ``"stdp"`` or
        ``"hebbian"`` the readout is supervised by a teacher current into the labelled
        efferent group; with ``"delta"`` the label sets each efferent neuron's target count
        and the error against its own count drives the change (set ``teacher_mv`` and
        ``suppress_mv`` to 0 so the teacher does not also drive it);
        with ``"rstdp"`` there is no teacher: the reward computed in the network from the
        efferent spikes against the label is the only learning signal. ``"assign"`` has
        no plastic readout: each hidden neuron is assigned the class it responded to most
        in the last training epoch, and the class whose hidden neurons fire most on average
        is predicted (the label assignment of Diehl & Cook 2015; the efferent neurons are
        not used).
    n_hidden : int
        Number of hidden neurons (and of inhibitory partners).
    encoding : {"population", "rate", "rate-complement"}
        Afferent code (:mod:`brainlearn.snn.encoding`): ``"population"``, Gaussian receptive
        fields, ``n_per_feature`` afferents per feature; ``"rate"``, one afferent per
        feature firing at a rate proportional to the value (for wide inputs, e.g. images);
        ``"rate-complement"``, two afferents per feature, at the rates of ``x`` and
        ``1 - x``; ``"latency"``, one afferent per feature firing once per presentation, at
        ``(1 - x)`` times the presentation (a value of 0: silent; a re-presentation at a
        raised intensity makes the spikes come earlier). Regular or Poisson spike trains
        of the rate codes: ``network_params["poisson_input"]``.
        ``"current"`` (direct current injection) is refused with a ValueError: the
        afferents must spike for the local rules to learn.
    n_per_feature : int
        Afferent neurons (receptive fields) per input feature, >= 2 (population code).
    n_per_class : int
        Efferent neurons per class.
    epochs : int
        Passes over the training data.
    min_presentations : int
        Train for at least this many presentations: the number of epochs actually run is
        ``max(epochs, ceil(min_presentations / n_samples))`` (``n_epochs_``), so small data
        sets (breast-cancer, data-scarcity curves) still get a learning budget.
    hidden_epochs : int or None
        Epochs during which the hidden layer learns (the readout learns in every
        epoch); ``None`` means all.
    chunk_size : int
        Presentations per run of the compiled program (compiled in; other data sizes are
        padded to a multiple).
    hidden_rule_params, readout_rule_params : dict, optional
        Overrides of the rules' parameter dataclasses (unknown keys and values out of
        range are errors).
    network_params : dict, optional
        Overrides of :class:`~brainlearn.snn.populations.NetworkParams`.
    backend : {"auto", "standalone", "runtime"}
        ``"auto"``: compiled C++ standalone, runtime mode with a warning if no compiler
        works.
    random_state : int, numpy Generator or None
        Seeds initial weights, presentation order and every spike.
    verbose : int
        0: a fit says nothing but the one-line notice when it compiles a program; 1: a
        progress line on stderr at most every few seconds (presentations made, seconds,
        training accuracy of the last chunk) and one at the end; 2: a line per chunk.
    n_jobs : int or None
        Runs of the compiled inference program at once in a prediction (each run is a
        process on one core): ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context, ``-1`` all processors. With more than one,
        the samples are split into runs with their own seeds, ``n_jobs`` of them at a
        time (:func:`brainlearn.snn.batched.split_runs`): where that split differs from
        ``n_jobs=1``'s, the predictions are another draw of the same network's spikes, not
        those of ``n_jobs=1`` sample by sample. Training runs sequentially; only the
        predictions inside a fit (on ``eval_set``) use it.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The labels, as given (sorted); column ``c`` of ``predict_proba`` and efferent group
        ``c`` belong to ``classes_[c]``.
    n_features_in_ : int
    spec_ : NetworkSpec
        The network that was trained (shapes, constants, rules, chunk size).
    dt_ms_ : float
        Simulation time step in ms.
    presentation_ms_ : float
        Duration of one sample's presentation in ms.
    weights_ : dict of ndarray
        Learned weights, pre x post: ``"afferent->hidden"`` (n_afferent, n_hidden) and
        ``"hidden->efferent"`` (n_hidden, K n_per_class), and with
        ``network_params["skip_readout"]`` ``"afferent->efferent"`` (n_afferent,
        K n_per_class); dimensionless in ``[0, w_max]`` of their rule.
    initial_weights_ : dict of ndarray
        The same before training.
    theta_ : ndarray of shape (n_hidden,)
        Adaptive thresholds of the hidden neurons after training, in volt.
    rbar_ : ndarray of shape (K n_per_class,)
        Reward baseline of the efferent neurons (R-STDP readout; zeros otherwise).
    predict_seed_ : int
        Seed of the spikes of every prediction (the same X gives the same prediction).
    backend_ : str
        ``"standalone"`` or ``"runtime"``: the engine that trained.
    assignments_ : ndarray of shape (n_hidden,)
        Each hidden neuron's class index (into ``classes_``): the class in whose
        presentations of the last training epoch it fired most on average. Predictions
        use it with ``readout_rule="assign"``.
    presentations_ : int
        Training presentations made, re-presentations at a raised intensity included
        (``network_params["min_hidden_spikes"]``).
    n_epochs_ : int
        Epochs run (see ``min_presentations``).
    history_ : dict of list
        One entry per chunk of ``chunk_size`` training presentations: ``"samples_seen"``
        (cumulative), ``"train_accuracy"`` (online, on the chunk's presentations) and, when
        ``eval_set`` is given to :meth:`fit`, ``"eval_accuracy"``.
    weight_history_ : list of dict
        The flattened ``weights_`` after every chunk.

    All of them are set only when a fit completes; a fit that fails or is interrupted
    leaves the estimator unfitted (``NotFittedError``).
    """

    _parameter_constraints = {
        # the rule names are checked by make_rule, whose message lists the rules
        "hidden_rule": [str],
        "readout_rule": [str],
        "n_hidden": POSITIVE_INT,
        # a refused code passes here to be refused, with the reason, by _check_more
        "encoding": [StrOptions(set(SPIKING_ENCODINGS)),
                     Hidden(StrOptions(set(_REFUSED_ENCODINGS)))],
        "n_per_feature": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_per_class": POSITIVE_INT,
        "epochs": POSITIVE_INT,
        "min_presentations": NON_NEGATIVE_INT,
        "hidden_epochs": [None, *NON_NEGATIVE_INT],
        "chunk_size": POSITIVE_INT,
        "hidden_rule_params": [None, dict],
        "readout_rule_params": [None, dict],
        "network_params": [None, dict],
        "backend": [StrOptions({"auto", "standalone", "runtime"})],
        "verbose": VERBOSE,
        "n_jobs": [None, Interval(numbers.Integral, 1, None, closed="left"),
                   Interval(numbers.Integral, None, -1, closed="right")],
    }

    def __init__(
        self,
        hidden_rule: str = "stdp",
        readout_rule: str = "stdp",
        n_hidden: int = 200,
        encoding: str = "population",
        n_per_feature: int = 16,
        n_per_class: int = 10,
        epochs: int = 1,
        min_presentations: int = 1000,
        hidden_epochs: int | None = None,
        chunk_size: int = 250,
        hidden_rule_params: dict | None = None,
        readout_rule_params: dict | None = None,
        network_params: dict | None = None,
        backend: str = "auto",
        random_state=None,
        verbose: int = 0,
        n_jobs: int | None = None,
    ):
        self.hidden_rule = hidden_rule
        self.readout_rule = readout_rule
        self.n_hidden = n_hidden
        self.encoding = encoding
        self.n_per_feature = n_per_feature
        self.n_per_class = n_per_class
        self.epochs = epochs
        self.min_presentations = min_presentations
        self.hidden_epochs = hidden_epochs
        self.chunk_size = chunk_size
        self.hidden_rule_params = hidden_rule_params
        self.readout_rule_params = readout_rule_params
        self.network_params = network_params
        self.backend = backend
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    # ----------------------------------------------------------------------- set-up
    def _check_more(self) -> None:
        """What the constraints cannot state: a refused input code (with the reason), the
        keys that are arguments and not network parameters, the rules, the network and rule
        parameters with their ranges, and the step counts."""
        if self.encoding in _REFUSED_ENCODINGS:
            raise ValueError(
                f"SpikingClassifier (hidden_rule={self.hidden_rule!r}, readout_rule="
                f"{self.readout_rule!r}) cannot take encoding={self.encoding!r}: "
                f"{_REFUSED_ENCODINGS[self.encoding]}"
            )
        given = flatten_groups(dict(self.network_params or {}), NetworkParams.GROUPS,
                               "network_params")
        for key in ("n_hidden", "encoding", "n_per_feature", "n_per_class"):
            if key in given:
                raise ValueError(
                    f"set {key!r} as an argument of SpikingClassifier, not in network_params"
                )
        check_step_count(self._make_spec(1))

    def _make_spec(self, n_features: int, n_classes: int = 2, X=None) -> NetworkSpec:
        """The network for ``n_features`` inputs and ``n_classes`` classes; the training
        rows ``X`` set the input-drive normalisation of the rate code
        (:mod:`brainlearn.snn.encoding`)."""
        net = make_params(NetworkParams, self.network_params, what="network_params")
        net = replace(
            net,
            encoding=self.encoding,
            n_hidden=int(self.n_hidden),
            n_per_feature=int(self.n_per_feature),
            n_per_class=int(self.n_per_class),
        )
        hid = make_rule(self.hidden_rule, self.hidden_rule_params)
        out = make_rule(self.readout_rule, self.readout_rule_params)
        spec = NetworkSpec(
            n_features=n_features,
            chunk=int(self.chunk_size),
            net=net,
            hidden_rule=hid,
            readout_rule=out,
            supervised=not out.needs_reward,
            n_classes=int(n_classes),
        )
        if X is not None:
            spec = replace(spec, drive_norm=spec.encoder.drive_norm(n_features, X))
        return spec

    # ----------------------------------------------------------------------- running
    @staticmethod
    def _run(engine, X, state: NetworkState, seed, *, labels=None, learn_hidden=False,
             learn_readout: bool = False, teach: bool = False, gain=None):
        """Present the rows of X in order, chunk by chunk.

        ``labels``: class index per row (None: unlabelled); ``learn_hidden``: plasticity
        of the afferent -> hidden synapses, one flag or one per row;
        ``learn_readout``: plasticity of the readout synapses; ``teach``: the teacher
        current; ``gain`` (one factor per row) multiplies the input rates
        (re-presentation at a raised intensity). The defaults present as ``predict``
        does: no label, no plasticity, no teacher.

        Returns (spike counts per population, state after the last chunk, spike trains
        of the first chunk or None)."""
        spec = engine.spec
        K = spec.chunk
        counts: dict[Pop, list[np.ndarray]] = {}
        spikes = None
        rng = np.random.default_rng(seed)
        labels = np.full(len(X), -1.0) if labels is None else np.asarray(labels)
        learn_h = np.broadcast_to(np.asarray(learn_hidden, float), (len(X),))
        for start in range(0, len(X), K):
            stop = min(start + K, len(X))
            rates = _afferent_rates(spec, X[start:stop])
            if gain is not None:
                rates = rates * np.asarray(gain, float)[start:stop, None]
            inputs = ChunkInputs.make(rates, labels[start:stop],
                                      learn_hidden=learn_h[start:stop],
                                      learn_readout=float(learn_readout),
                                      teach=float(teach))
            res = engine.run(inputs, state, int(rng.integers(2**31)))
            state = res.state
            for pop, c in res.counts.items():
                counts.setdefault(pop, []).append(c)
            if spikes is None:
                spikes = res.spikes
        return {k: np.concatenate(v) for k, v in counts.items()}, state, spikes

    @staticmethod
    def _scores(spec, counts_hidden, counts_eff, w_out, counts_aff=None, w_skip=None):
        """Efferent spike counts per class and graded readout per class, (n, K) each (with
        the direct afferent -> efferent projection, its drive is added in the same synaptic
        units)."""
        p = spec.net
        k = p.n_per_class
        K = spec.n_classes
        n = np.stack([counts_eff[:, c * k : (c + 1) * k].sum(1) for c in range(K)], axis=1)
        with _one_blas_thread():
            g = counts_hidden @ w_out
            if w_skip is not None:
                g = g + (counts_aff @ w_skip) * (p.w_skip_mv / spec.n_features) / p.w_out_mv
        s = np.stack([g[:, c * k : (c + 1) * k].sum(1) for c in range(K)], axis=1)
        return n, s

    @staticmethod
    def _proba(n, s):
        tot = s.sum(1, keepdims=True)
        share = np.where(tot > 0, s / np.where(tot > 0, tot, 1.0), 1.0 / s.shape[1])
        return (n + 0.5 * share) / (n.sum(1, keepdims=True) + 0.5)

    def _batched_engine(self, spec: NetworkSpec) -> BatchedEngine | None:
        """The compiled inference program of ``spec``'s network (:mod:`.batched`), or None
        where prediction runs sequentially (runtime backend, no working compiler)."""
        if self.backend == "runtime" or _engine(spec, self.backend).name != "standalone":
            return None
        return _inference_engine(spec)

    def _predict_counts(self, X, state: NetworkState | None = None, *, engine=None,
                        seed=None, batched: bool = True, spec: NetworkSpec | None = None):
        """Spike counts of a prediction run (no plasticity, no teacher, no label): with the
        batched inference program unless an ``engine`` is given, ``batched=False`` or no
        compiler works; otherwise presentation after presentation in ``engine``. ``spec``:
        the network (default ``spec_``)."""
        spec = self.spec_ if spec is None else spec
        if state is None:
            state = _state(self.weights_, self.theta_, self.rbar_)
        seed = self.predict_seed_ if seed is None else seed
        bengine = self._batched_engine(spec) if engine is None and batched else None
        if bengine is None:
            engine = engine or _engine(spec, self.backend)

        n_jobs = effective_n_jobs(self.n_jobs)

        def run(rows, gain, run_seed):
            if bengine is not None:
                rates = _afferent_rates(bengine.spec, X[rows])
                return bengine.counts(rates * gain[:, None], state, run_seed, n_jobs), None
            counts, _, spikes = self._run(engine, X[rows], state, run_seed, gain=gain)
            return counts, spikes

        rows = np.arange(len(X))
        counts, spikes = run(rows, np.ones(len(X)), seed)
        # re-presentation at a raised intensity of the samples that left the hidden neurons
        # (nearly) silent (NetworkParams.min_hidden_spikes; Diehl & Cook 2015)
        p = spec.net
        # (a sample without input stays silent at any intensity)
        has_input = (np.concatenate([_encoder(spec).rates(X[i:i + 1000]).sum(axis=1) > 0
                                     for i in range(0, len(X), 1000)])
                     if p.min_hidden_spikes else None)
        for level in range(1, p.max_intensity_steps + 1 if p.min_hidden_spikes else 1):
            weak = rows[(counts[Pop.HIDDEN][rows].sum(axis=1) < p.min_hidden_spikes)
                        & has_input[rows]]
            if len(weak) == 0:
                break
            again, _ = run(weak, np.full(len(weak), 1.0 + p.intensity_step * level),
                           seed + level)
            for pop in counts:
                counts[pop][weak] = again[pop]
            rows = weak
        return counts, spikes

    @staticmethod
    def _assign_scores(counts_hidden, assignments, n_classes: int) -> np.ndarray:
        """Mean spike count of the hidden neurons assigned to each class, (n, K) (the label
        assignment readout, :class:`~brainlearn.snn.plasticity.LabelAssignment`)."""
        s = np.zeros((len(counts_hidden), n_classes))
        for c in range(n_classes):
            mine = assignments == c
            if mine.any():
                s[:, c] = counts_hidden[:, mine].mean(axis=1)
        return s

    @staticmethod
    def _assignments(class_sums, class_n) -> np.ndarray:
        """Each hidden neuron's class: the one in whose presentations it fired most on
        average (classes never presented count as 0)."""
        mean = class_sums / np.maximum(class_n, 1)[:, None]
        return np.argmax(mean, axis=0)

    def _proba_with(self, spec, engine, state, seed, X, warn=False, assignments=None):
        c, _ = self._predict_counts(X, state, engine=engine, seed=seed, spec=spec)
        assign = spec.readout_rule.name == "assign"
        if warn:
            _warn_if_silent(c, (Pop.HIDDEN,) if assign else (Pop.HIDDEN, Pop.EFFERENT),
                            "of this prediction", spec.net)
        if assign:
            s = self._assign_scores(c[Pop.HIDDEN], assignments, spec.n_classes)
            return self._proba(np.zeros_like(s), s)
        n, s = self._scores(spec, c[Pop.HIDDEN], c[Pop.EFFERENT], state.w_out,
                            c[Pop.AFFERENT], state.w_skip)
        return self._proba(n, s)

    # ----------------------------------------------------------------------- fit
    def _check_shape(self, n_features, n_classes) -> None:
        if not is_int(n_features) or n_features < 1:
            raise ValueError(f"n_features must be a positive integer, got {n_features!r}")
        if not is_int(n_classes) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")

    def program_specs(self, n_features: int, n_classes: int = 2) -> list[NetworkSpec]:
        """The compiled programs that ``fit`` and ``predict`` (and ``predict_proba``, the
        ``eval_set`` checkpoints, ``hidden_response``, ``ops_per_sample`` and ``ablated``
        copies) will run for data with ``n_features`` features and ``n_classes`` classes:
        the training program and the batched inference program
        (:func:`~brainlearn.snn.batched.inference_spec`). Empty with ``backend="runtime"``,
        which compiles nothing; ``record_spikes`` runs in runtime mode and needs none.

        Each is built by :func:`brainlearn.snn.build.ensure_built` (once per cache; the
        fit's own data only changes values set on the program's command line, never the
        program), so building them beforehand, e.g. for every run of a sweep, leaves the fit
        nothing to compile."""
        self._check_hyperparameters()
        self._check_shape(n_features, n_classes)
        if self.backend == "runtime":
            return []
        spec = self._make_spec(int(n_features), int(n_classes))
        return [spec, inference_spec(spec)]

    def programs(self, n_features: int, n_classes: int = 2) -> list:
        """The compiled programs of :meth:`program_specs` as
        :class:`~brainlearn.snn.build.Program` objects (key, ``is_built()``, ``build()``,
        ``memory()``): what a sweep builds before its runs."""
        from .build import Program

        return [Program(s) for s in self.program_specs(n_features, n_classes)]

    def prepare(self, n_features: int, n_classes: int = 2) -> str:
        """Build (or find in the cache) the compiled programs for ``n_features`` inputs and
        ``n_classes`` classes now (training and batched inference, side by side), e.g.
        before a sweep; returns the backend that will run them."""
        self._check_hyperparameters()
        self._check_shape(n_features, n_classes)
        # Brian2's first import installs a signal handler, which only the main thread may do
        import brian2  # noqa: F401

        spec = self._make_spec(int(n_features), int(n_classes))
        # the training and the inference program build side by side (each in a child
        # process, under the cache's lock)
        with ThreadPoolExecutor(2) as pool:
            inference = None
            if self.backend != "runtime":
                inference = pool.submit(_inference_engine, spec)
            name = _engine(spec, self.backend).name
            if inference is not None:
                try:
                    inference.result()
                except BuildError:
                    if name == "standalone":  # the compiler works: a real failure
                        raise
        return name

    def fit(self, X, y, eval_set=None) -> SpikingClassifier:
        """Train on ``X`` (n_samples, n_features) in [0, 1] and labels ``y`` (K >= 2).

        The fitted attributes are set only when training completes: after an error or an
        interruption the estimator is unfitted."""
        self._check_hyperparameters()
        for attr in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            del self.__dict__[attr]  # a refit must not mix the previous fit's state in
        X, y, classes = check_fit_data(self, X, y)
        # what the data check records (n_features_in_, ...) is set again when the fit
        # completes, with the rest of the fitted state
        data_attrs = {k: self.__dict__.pop(k) for k in list(vars(self)) if k.endswith("_")
                      and not k.startswith("_")}
        data_attrs["classes_"] = classes
        check_unit_interval(X, "X")
        y_idx = encode_labels(classes, y, "y")
        if eval_set is not None:
            self.__dict__.update(data_attrs)  # what the eval-set check compares with
            try:
                X_ev, y_ev = check_eval_set(self, eval_set)
            finally:
                for k in data_attrs:
                    del self.__dict__[k]

        seed = seed_int(self.random_state)
        rng = np.random.default_rng(seed)
        spec = self._make_spec(X.shape[1], len(classes), X)
        p = spec.net
        hw = spec.hidden_rule.w_max
        ow = spec.readout_rule.w_max
        if p.init_from_data:
            picks = rng.choice(len(X), size=p.n_hidden, replace=len(X) < p.n_hidden)
            enc = _encoder(spec)
            # a latency afferent's weight starts at its value (the earlier, the larger)
            pattern = (np.clip(X[picks], 0.0, 1.0).T if enc.kind == "latency"
                       else enc.rates(X[picks]).T / p.rate_max_hz)
            w_in = (p.w_init_low + (p.w_init_high - p.w_init_low) * pattern) * hw
        else:
            w_in = rng.uniform(p.w_init_low, p.w_init_high, (spec.n_afferent, p.n_hidden)) * hw
        if p.w_in_norm > 0:
            # the normalisation the network applies after every presentation, applied to
            # the initial weights too (each hidden neuron's weights sum to the target)
            w_in = np.clip(w_in * (p.w_in_norm * spec.n_afferent * hw)
                           / np.maximum(w_in.sum(axis=0), 1e-12), 0.0, hw)
        w_out = rng.uniform(p.w_out_init_low, p.w_out_init_high, (p.n_hidden, spec.n_efferent)) * ow
        # drawn only when the projection exists: other models' random streams are unchanged
        w_skip = (rng.uniform(0.0, p.w_skip_init_high, (spec.n_afferent, spec.n_efferent)) * ow
                  if p.skip_readout else None)
        state = NetworkState(w_in=w_in, w_out=w_out, theta_volt=np.zeros(p.n_hidden),
                             rbar=np.zeros(spec.n_efferent), w_skip=w_skip)
        initial_weights = _weights(state)
        predict_seed = int(rng.integers(2**31))

        # the inference program of this shape builds beside the training program and the
        # training, so that the first predict finds it built
        inference = _start_inference_build(spec, self.backend)
        engine = _engine(spec, self.backend)
        n_epochs = max(int(self.epochs), -(-int(self.min_presentations) // len(X)))
        hidden_epochs = n_epochs if self.hidden_epochs is None else self.hidden_epochs
        history: dict[str, list] = {"samples_seen": [], "train_accuracy": []}
        if eval_set is not None:
            history["eval_accuracy"] = []
        weight_history = []
        seen = 0
        K = spec.chunk
        # every epoch is a fresh permutation; the epochs are laid end to end and cut into
        # chunks, so a training set smaller than a chunk fills whole chunks (no padding run
        # per epoch) and the number of compiled-program runs is ceil(presentations / K)
        order = np.concatenate([rng.permutation(len(X)) for _ in range(n_epochs)])
        learn_hidden = np.repeat(np.arange(n_epochs) < hidden_epochs, len(X))
        # the activity of the last epoch's presentations (positions >= tail_from of order)
        tail_from = len(order) - len(X)
        tail = {Pop.HIDDEN: np.zeros((len(X), p.n_hidden), np.float32),
                Pop.EFFERENT: np.zeros((len(X), spec.n_efferent), np.float32)}
        assign = spec.readout_rule.name == "assign"
        # class-wise hidden responses for the label assignment of the online training
        # accuracy, forgetting with a time constant of one epoch
        class_sums = np.zeros((len(classes), p.n_hidden))
        class_n = np.zeros(len(classes))
        # presentations to make again at a raised intensity (positions, levels):
        # NetworkParams.min_hidden_spikes (Diehl & Cook 2015); they go first in the next
        # chunk
        retry_pos = np.zeros(0, dtype=np.int64)
        retry_lvl = np.zeros(0, dtype=np.int64)
        next_pos = 0
        # total input rate of each sample (re-presentation skips samples without input)
        drive = (np.concatenate([_encoder(spec).rates(X[i:i + 1000]).sum(axis=1)
                                 for i in range(0, len(X), 1000)])
                 if p.min_hidden_spikes else None)
        progress = FitProgress(self.verbose, type(self).__name__, len(order), "presentations")
        while next_pos < len(order) or len(retry_pos):
            n_new = min(K - min(K, len(retry_pos)), len(order) - next_pos)
            pos = np.concatenate([retry_pos[:K], np.arange(next_pos, next_pos + n_new)])
            lvl = np.concatenate([retry_lvl[:K], np.zeros(n_new, dtype=np.int64)])
            retry_pos, retry_lvl = retry_pos[K:], retry_lvl[K:]
            next_pos += n_new
            idx = order[pos]
            counts, state, _ = self._run(
                engine,
                X[idx],
                state,
                int(rng.integers(2**31)),
                labels=y_idx[idx],
                learn_hidden=learn_hidden[pos],
                learn_readout=True,
                teach=spec.supervised,
                gain=None if p.min_hidden_spikes == 0 else 1.0 + p.intensity_step * lvl,
            )
            seen += len(idx)
            if p.min_hidden_spikes:
                # a sample without input (every rate 0) stays silent at any intensity
                weak = ((counts[Pop.HIDDEN].sum(axis=1) < p.min_hidden_spikes)
                        & (lvl < p.max_intensity_steps) & (drive[idx] > 0))
                retry_pos = np.concatenate([retry_pos, pos[weak]])
                retry_lvl = np.concatenate([retry_lvl, lvl[weak] + 1])
            last = pos >= tail_from
            for pop, kept in tail.items():
                kept[pos[last] - tail_from] = counts[pop][last]
            # online training accuracy of the chunk: the efferent vote of the spikes
            # seen during training (without teacher: R-STDP), or the graded readout of
            # the hidden spikes with the chunk-end weights (teacher-driven models),
            # or the label assignment of the responses so far
            if assign:
                forget = np.exp(-len(idx) / len(X))
                onehot = np.eye(len(classes))[np.asarray(y_idx[idx], dtype=np.int64)]
                with _one_blas_thread():
                    class_sums = forget * class_sums + onehot.T @ counts[Pop.HIDDEN]
                class_n = forget * class_n + onehot.sum(axis=0)
                s = self._assign_scores(counts[Pop.HIDDEN],
                                        self._assignments(class_sums, class_n), len(classes))
                n = np.zeros_like(s)
            else:
                n, s = self._scores(spec, counts[Pop.HIDDEN], counts[Pop.EFFERENT],
                                    state.w_out, counts[Pop.AFFERENT], state.w_skip)
                if spec.supervised:
                    n = np.zeros_like(n)
            pred = np.argmax(self._proba(n, s), axis=1)
            history["samples_seen"].append(seen)
            history["train_accuracy"].append(float(np.mean(pred == y_idx[idx])))
            if eval_set is not None:
                proba = self._proba_with(spec, None, state, predict_seed, X_ev,
                                         assignments=self._assignments(class_sums, class_n))
                history["eval_accuracy"].append(float(np.mean(np.argmax(proba, 1) == y_ev)))
            # presentations of the planned order made so far (re-presentations not counted)
            progress.update(next_pos, final=next_pos == len(order) and not len(retry_pos),
                            train_accuracy=history["train_accuracy"][-1])
            weight_history.append(plain_keys({k: w.ravel() for k, w in _weights(state).items()}))

        # the label assignment (Diehl & Cook 2015): from the last epoch's responses
        tail_labels = y_idx[order[tail_from:]]
        onehot = np.eye(len(classes))[np.asarray(tail_labels, dtype=np.int64)]
        with _one_blas_thread():
            tail_sums = onehot.T @ tail[Pop.HIDDEN]
        assignments = self._assignments(tail_sums, onehot.sum(axis=0))
        _warn_if_silent(
            tail,
            (Pop.HIDDEN,) if spec.supervised else (Pop.HIDDEN, Pop.EFFERENT),
            "of the last training epoch",
            p,
        )
        if _teacher_drives(spec):
            _warn_if_teacher_overwhelmed(spec, tail[Pop.EFFERENT], y_idx[order[-len(X):]])
        _finish_inference_build(inference, engine.name)
        # the fit is complete: only now does the estimator become fitted
        self.__dict__.update(data_attrs)
        self.spec_ = spec
        self.dt_ms_ = p.dt_ms
        self.presentation_ms_ = p.presentation_ms
        self.initial_weights_ = initial_weights
        self.weights_ = _weights(state)
        self.theta_ = state.theta_volt.copy()
        self.rbar_ = state.rbar.copy()
        self.predict_seed_ = predict_seed
        self.backend_ = engine.name
        self.assignments_ = assignments
        self.presentations_ = seen
        self.n_epochs_ = n_epochs
        self.history_ = history
        self.weight_history_ = weight_history
        return self

    # ----------------------------------------------------------------------- predict
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n_samples, K) in the order of ``classes_`` (module doc)."""
        X = check_predict_data(self, X)
        check_unit_interval(X, "X")
        return self._proba_with(self.spec_, None,
                                _state(self.weights_, self.theta_, self.rbar_),
                                self.predict_seed_, X, warn=True,
                                assignments=self.assignments_)

    def predict(self, X) -> np.ndarray:
        """The class whose efferent neurons spike most (ties: graded readout, then first)."""
        proba = self.predict_proba(X)  # validates X and that the model is fitted
        return self.classes_[np.argmax(proba, axis=1)]

    # ----------------------------------------------------------------------- accessors
    def hidden_response(self, X) -> np.ndarray:
        """Hidden spike counts per sample, shape (n_samples, n_hidden)."""
        X = check_predict_data(self, X)
        return self._predict_counts(X)[0][Pop.HIDDEN]

    def ops_per_sample(self, X) -> dict[str, float]:
        """Mean synaptic events and spikes per sample during prediction.

        A synaptic event is one spike arriving at one synapse (spike x out-degree):
        afferent -> hidden (n_hidden), hidden -> inhibitory (1) and -> efferent
        (K n_per_class) and, with ``k_winners``, -> every inhibitory tally (n_hidden),
        inhibitory -> hidden (n_hidden - 1), efferent -> efferent of the
        other classes ((K - 1) n_per_class, when that mutual inhibition is on), and with
        ``skip_readout`` afferent -> efferent (K n_per_class more per afferent spike). The
        efferent reward tally of R-STDP is learning machinery and is not counted.
        ``spikes`` counts the spikes of all four populations.
        """
        X = check_predict_data(self, X)
        c, _ = self._predict_counts(X)
        p = self.spec_.net
        fan = {
            Pop.AFFERENT: p.n_hidden + (self.spec_.n_efferent if p.skip_readout else 0),
            # with k_winners, every hidden spike also reaches every inhibitory
            # neuron's tally of active hidden neurons
            Pop.HIDDEN: 1 + self.spec_.n_efferent + (p.n_hidden if p.k_winners else 0),
            Pop.INHIBITORY: p.n_hidden - 1,
            Pop.EFFERENT: (self.spec_.n_classes - 1) * p.n_per_class if p.w_lat_mv > 0 else 0,
        }
        events = sum(c[k].sum(1) * f for k, f in fan.items())
        spikes = sum(c[k].sum(1) for k in fan)
        return {"synaptic_events": float(np.mean(events)), "spikes": float(np.mean(spikes))}

    def record_spikes(self, X, trained: bool = True) -> dict[str, dict[str, Any]]:
        """Spike trains of every population for the few samples in X, presented as in
        predict (runtime mode with Brian2's numpy target, with spike monitors);
        ``trained=False`` uses the initial weights. Times in ms from the start of the first
        sample."""
        X = check_predict_data(self, X)
        spec = replace(self.spec_, chunk=len(X))
        weights = self.weights_ if trained else self.initial_weights_
        engine = RuntimeEngine(spec, spike_monitors=True, codegen_target="numpy")
        _, spikes = self._predict_counts(
            X, _state(weights, self.theta_, self.rbar_), engine=engine
        )
        return plain_keys({pop: {"i": spikes[pop][0], "t_ms": spikes[pop][1], "n": n}
                           for pop, n in spec.population_sizes.items()})

    def ablated(self, fraction: float, kind: str = "synapses", random_state=None):
        """A copy with a ``fraction`` of plastic synapses (``kind="synapses"``) or of
        hidden neurons (``kind="neurons"``: all their plastic in- and out-weights) zeroed."""
        new, draw = ablation_copy(self, fraction, kind, random_state)
        if kind == "synapses":
            for name, w in new.weights_.items():
                flat = w.ravel()
                (chosen,) = draw([flat.size])
                flat[chosen] = 0.0
                new.weights_[name] = flat.reshape(w.shape)
        else:
            (dead,) = draw([self.spec_.net.n_hidden])
            new.weights_[_W_IN][:, dead] = 0.0
            new.weights_[_W_OUT][dead, :] = 0.0
        return new
