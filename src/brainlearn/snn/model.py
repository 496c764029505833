"""``SpikingClassifier``: a Brian2 spiking network with local plastic synapses.

afferent (Gaussian receptive fields, Poisson) -> interneuron (adaptive LIF, winner-take-all
through an inhibitory pool, plastic input synapses) -> efferent (one group per class,
plastic readout synapses). See :mod:`brainlearn.snn.network` for how it is compiled once and
run fast, :mod:`brainlearn.snn.plasticity` for the rules and
:mod:`brainlearn.snn.populations` for the neurons.

Prediction
----------
Each sample is presented for ``presentation_ms`` without plasticity and without teacher.
The predicted class is the one whose efferent neurons fire most. Ties (including no
efferent spike at all) are broken by the *graded readout* ``s_c = sum_j n_j W_jc`` (the
interneuron spike counts ``n_j`` of the sample weighted by the learned readout weights onto
the efferent neurons of class ``c``), and a remaining tie goes to the first class of
``classes_``. ``predict_proba`` is ``(n_c + 0.5 s_c / (s_0 + s_1)) / (n_0 + n_1 + 0.5)``
(one half pseudo-spike shared by the graded readout), so its arg-max is the prediction.
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .._validation import check_eval_set, check_fit_data, check_predict_data, encode_labels
from .encoding import GaussianReceptiveFields
from .network import PLASTIC, NetworkSpec, RuntimeEngine, get_engine
from .params import make_params
from .plasticity import make_rule
from .populations import NetworkParams

__all__ = ["SpikingClassifier"]


def _seed_int(random_state) -> int:
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    raise ValueError(
        f"random_state must be None, an int or a numpy Generator, got {random_state!r}"
    )


class SpikingClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier: a spiking network with plastic synapses, simulated by Brian2.

    Parameters
    ----------
    hidden_rule : {"stdp", "hebbian", "rstdp"}
        Plasticity of afferent -> interneuron synapses (unsupervised feature learning).
    readout_rule : {"stdp", "hebbian", "rstdp"}
        Plasticity of interneuron -> efferent synapses. With ``"stdp"`` or ``"hebbian"``
        the readout is supervised by a teacher current into the labelled efferent group;
        with ``"rstdp"`` there is no teacher: the reward computed in the network from the
        efferent spikes against the label is the only learning signal.
    n_hidden : int
        Number of interneurons (and of inhibitory partners).
    n_per_feature : int
        Afferent neurons (receptive fields) per input feature.
    n_per_class : int
        Efferent neurons per class.
    epochs : int
        Passes over the training data.
    min_presentations : int
        Train for at least this many presentations: the number of epochs actually run is
        ``max(epochs, ceil(min_presentations / n_samples))`` (``n_epochs_``), so small data
        sets (breast-cancer, data-scarcity curves) still get a learning budget.
    hidden_epochs : int or None
        Epochs during which the interneuron layer learns (the readout learns in every
        epoch); ``None`` means all.
    chunk_size : int
        Presentations per run of the compiled program (compiled in; other data sizes are
        padded to a multiple).
    hidden_rule_params, readout_rule_params : dict, optional
        Overrides of the rules' parameter dataclasses (unknown keys are errors).
    network_params : dict, optional
        Overrides of :class:`~brainlearn.snn.populations.NetworkParams`.
    backend : {"auto", "standalone", "runtime"}
        ``"auto"``: compiled C++ standalone, runtime mode with a warning if no compiler
        works.
    random_state : int, numpy Generator or None
        Seeds initial weights, presentation order and every spike.

    Inputs are expected in ``[0, 1]``; values outside are clipped to ``[0, 1]`` by the
    encoder (documented in :mod:`brainlearn.snn.encoding`).
    """

    def __init__(
        self,
        hidden_rule: str = "stdp",
        readout_rule: str = "stdp",
        n_hidden: int = 200,
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
    ):
        self.hidden_rule = hidden_rule
        self.readout_rule = readout_rule
        self.n_hidden = n_hidden
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

    # ----------------------------------------------------------------------- set-up
    def _validate_hyperparameters(self) -> None:
        for name in ("n_hidden", "n_per_feature", "n_per_class", "epochs", "chunk_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        mp = self.min_presentations
        if isinstance(mp, bool) or not isinstance(mp, numbers.Integral) or mp < 0:
            raise ValueError(f"min_presentations must be an integer >= 0, got {mp!r}")
        if self.n_per_feature < 2:
            raise ValueError(f"n_per_feature must be >= 2, got {self.n_per_feature}")
        if self.hidden_epochs is not None and (
            isinstance(self.hidden_epochs, bool)
            or not isinstance(self.hidden_epochs, numbers.Integral)
            or self.hidden_epochs < 0
        ):
            raise ValueError(
                f"hidden_epochs must be None or an integer >= 0, got {self.hidden_epochs!r}"
            )
        for key in ("n_hidden", "n_per_feature", "n_per_class"):
            if self.network_params and key in self.network_params:
                raise ValueError(
                    f"set {key!r} as an argument of SpikingClassifier, not in network_params"
                )

    def _make_spec(self, n_features: int) -> NetworkSpec:
        net = make_params(NetworkParams, self.network_params, what="network_params")
        net = replace(
            net,
            n_hidden=int(self.n_hidden),
            n_per_feature=int(self.n_per_feature),
            n_per_class=int(self.n_per_class),
        )
        hid = make_rule(self.hidden_rule, self.hidden_rule_params)
        out = make_rule(self.readout_rule, self.readout_rule_params)
        return NetworkSpec(
            n_features=n_features,
            chunk=int(self.chunk_size),
            net=net,
            hidden_rule=hid,
            readout_rule=out,
            supervised=not out.needs_reward,
        )

    def _encoder(self) -> GaussianReceptiveFields:
        p = self.spec_.net
        return GaussianReceptiveFields(p.n_per_feature, p.rate_max_hz, p.rate_min_hz, p.sigma_scale)

    # ----------------------------------------------------------------------- running
    def _run(self, engine, spec, X, labels, learn_h, learn_r, teach, state, seed, **kw):
        """Present the rows of X in order, chunk by chunk; returns (counts dict, state)."""
        K = spec.chunk
        enc = self._encoder()
        n = len(X)
        outs: dict[str, list[np.ndarray]] = {}
        rng = np.random.default_rng(seed)
        for start in range(0, n, K):
            stop = min(start + K, n)
            m = stop - start
            rates = np.zeros((K + 1, spec.n_afferent))
            rates[:m] = enc.rates(X[start:stop])
            lab = np.full(K + 1, -1.0)
            lab[:m] = labels[start:stop]
            lh = np.zeros(K + 1)
            lh[:m] = learn_h
            lr = np.zeros(K + 1)
            lr[:m] = learn_r
            te = np.zeros(K + 1)
            te[:m] = teach
            inputs = dict(rates=rates, label=lab, learn_hidden=lh, learn_readout=lr, teach=te)
            out = engine.run(inputs, state, int(rng.integers(2**31)), **kw)
            state = {k: out.get(k, v) for k, v in state.items()}
            for k, v in out.items():
                if k.startswith("counts_"):
                    outs.setdefault(k, []).append(v[:m])
                elif k.startswith("spikes_"):
                    outs.setdefault(k, []).append(v)
            outs.setdefault("_final", []).append(None)
        counts = {k: np.concatenate(v) for k, v in outs.items() if k.startswith("counts_")}
        if kw.get("spike_monitors"):
            counts.update({k: v[0] for k, v in outs.items() if k.startswith("spikes_")})
        return counts, state

    def _state_from(self, weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        st = {
            f"{name.replace('->', '_')}.w": np.asarray(w, float).ravel()
            for name, w in weights.items()
        }
        st["interneuron.theta"] = np.asarray(self.theta_, float)
        st["efferent.Rbar"] = np.asarray(self.rbar_, float)
        return st

    def _weights_from(self, state) -> dict[str, np.ndarray]:
        spec = self.spec_
        shapes = {
            "afferent_interneuron": (spec.n_afferent, spec.net.n_hidden),
            "interneuron_efferent": (spec.net.n_hidden, spec.n_efferent),
        }
        return {
            name.replace("_", "->"): np.asarray(state[f"{name}.w"], float)
            .reshape(shapes[name])
            .copy()
            for name in PLASTIC
        }

    def _scores(self, counts_hidden, counts_eff, w_out):
        """Efferent spike counts per class and graded readout per class."""
        k = self.spec_.net.n_per_class
        n = np.stack([counts_eff[:, :k].sum(1), counts_eff[:, k:].sum(1)], axis=1)
        g = counts_hidden @ w_out
        s = np.stack([g[:, :k].sum(1), g[:, k:].sum(1)], axis=1)
        return n, s

    @staticmethod
    def _proba(n, s):
        tot = s.sum(1, keepdims=True)
        share = np.where(tot > 0, s / np.where(tot > 0, tot, 1.0), 0.5)
        return (n + 0.5 * share) / (n.sum(1, keepdims=True) + 0.5)

    def _predict_counts(self, X, weights=None, *, engine=None, spike_monitors=False):
        spec = self.spec_
        weights = self.weights_ if weights is None else weights
        engine = engine or get_engine(spec, self.backend)
        n = len(X)
        kw = {"spike_monitors": True} if spike_monitors else {}
        counts, _ = self._run(
            engine,
            spec,
            X,
            np.full(n, -1.0),
            0.0,
            0.0,
            0.0,
            self._state_from(weights),
            self.predict_seed_,
            **kw,
        )
        return counts

    # ----------------------------------------------------------------------- fit
    def prepare(self, n_features: int) -> str:
        """Build (or find in the cache) the compiled program for ``n_features`` inputs now,
        e.g. in parallel before a sweep; returns the backend that will run it."""
        self._validate_hyperparameters()
        if isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral):
            raise ValueError(f"n_features must be a positive integer, got {n_features!r}")
        if n_features < 1:
            raise ValueError(f"n_features must be a positive integer, got {n_features!r}")
        return get_engine(self._make_spec(int(n_features)), self.backend).name

    def fit(self, X, y, eval_set=None) -> SpikingClassifier:
        """Train on ``X`` (n_samples, n_features) in [0, 1] and binary labels ``y``."""
        self._validate_hyperparameters()
        for attr in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            del self.__dict__[attr]  # a refit must not mix the previous fit's state in
        X, y, classes = check_fit_data(self, X, y)
        self.classes_ = classes
        y_idx = encode_labels(classes, y, "y")
        if eval_set is not None:
            X_ev, y_ev = check_eval_set(self, eval_set)

        seed = _seed_int(self.random_state)
        rng = np.random.default_rng(seed)
        self.spec_ = spec = self._make_spec(X.shape[1])
        self.dt_ms = spec.net.dt_ms
        self.presentation_ms_ = spec.net.presentation_ms
        p = spec.net
        hw = spec.hidden_rule.w_max
        ow = spec.readout_rule.w_max
        if p.init_from_data:
            picks = rng.choice(len(X), size=p.n_hidden, replace=len(X) < p.n_hidden)
            pattern = self._encoder().rates(X[picks]).T / p.rate_max_hz
            w_in = (p.w_init_low + (p.w_init_high - p.w_init_low) * pattern) * hw
        else:
            w_in = rng.uniform(p.w_init_low, p.w_init_high, (spec.n_afferent, p.n_hidden)) * hw
        w_out = rng.uniform(p.w_out_init_low, p.w_out_init_high, (p.n_hidden, spec.n_efferent)) * ow
        self.initial_weights_ = {
            "afferent->interneuron": w_in.copy(),
            "interneuron->efferent": w_out.copy(),
        }
        self.theta_ = np.zeros(p.n_hidden)
        self.rbar_ = np.zeros(spec.n_efferent)
        self.predict_seed_ = int(rng.integers(2**31))
        self.weights_ = {k: v.copy() for k, v in self.initial_weights_.items()}

        engine = get_engine(spec, self.backend)
        self.backend_ = engine.name
        n_epochs = max(int(self.epochs), -(-int(self.min_presentations) // len(X)))
        self.n_epochs_ = n_epochs
        hidden_epochs = n_epochs if self.hidden_epochs is None else self.hidden_epochs
        history: dict[str, list] = {"samples_seen": [], "train_accuracy": []}
        if eval_set is not None:
            history["eval_accuracy"] = []
        self.weight_history_ = []
        seen = 0
        K = spec.chunk
        # every epoch is a fresh permutation; the epochs are laid end to end and cut into
        # chunks, so a training set smaller than a chunk fills whole chunks (no padding run
        # per epoch) and the number of compiled-program runs is ceil(presentations / K)
        order = np.concatenate([rng.permutation(len(X)) for _ in range(n_epochs)])
        learn_hidden = np.repeat(
            (np.arange(n_epochs) < hidden_epochs).astype(float), len(X)
        )
        for start in range(0, len(order), K):
            idx = order[start : start + K]
            state = self._state_from(self.weights_)
            counts, state = self._run(
                engine,
                spec,
                X[idx],
                y_idx[idx],
                learn_hidden[start : start + K],
                1.0,
                1.0 if spec.supervised else 0.0,
                state,
                int(rng.integers(2**31)),
            )
            self.weights_ = self._weights_from(state)
            self.theta_ = np.asarray(state["interneuron.theta"], float).copy()
            self.rbar_ = np.asarray(state["efferent.Rbar"], float).copy()
            seen += len(idx)
            # online training accuracy of the chunk: the efferent vote of the spikes
            # seen during training (without teacher: R-STDP), or the graded readout of
            # the interneuron spikes with the chunk-end weights (teacher-driven models)
            n, s = self._scores(
                counts["counts_interneuron"],
                counts["counts_efferent"],
                self.weights_["interneuron->efferent"],
            )
            if spec.supervised:
                n = np.zeros_like(n)
            pred = np.argmax(self._proba(n, s), axis=1)
            history["samples_seen"].append(seen)
            history["train_accuracy"].append(float(np.mean(pred == y_idx[idx])))
            if eval_set is not None:
                pred_ev = np.argmax(self.predict_proba(X_ev), axis=1)
                history["eval_accuracy"].append(float(np.mean(pred_ev == y_ev)))
            self.weight_history_.append({k: v.ravel().copy() for k, v in self.weights_.items()})
        self.history_ = history
        return self

    # ----------------------------------------------------------------------- predict
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n_samples, 2) in the order of ``classes_`` (see module doc)."""
        X = check_predict_data(self, X)
        c = self._predict_counts(X)
        n, s = self._scores(
            c["counts_interneuron"], c["counts_efferent"], self.weights_["interneuron->efferent"]
        )
        return self._proba(n, s)

    def predict(self, X) -> np.ndarray:
        """The class whose efferent neurons spike most (ties: graded readout, then first)."""
        proba = self.predict_proba(X)  # validates X and that the model is fitted
        return self.classes_[np.argmax(proba, axis=1)]

    # ----------------------------------------------------------------------- accessors
    def hidden_response(self, X) -> np.ndarray:
        """Interneuron spike counts per sample, shape (n_samples, n_hidden)."""
        X = check_predict_data(self, X)
        return self._predict_counts(X)["counts_interneuron"]

    def ops_per_sample(self, X) -> dict[str, float]:
        """Mean synaptic events and spikes per sample during prediction.

        A synaptic event is one spike arriving at one synapse (spike x out-degree):
        afferent -> interneuron (n_hidden), interneuron -> inhibitory (1) and -> efferent
        (2 n_per_class), inhibitory -> interneuron (n_hidden - 1), efferent -> efferent of the
        other class (n_per_class, when that mutual inhibition is on). The efferent reward
        tally of R-STDP is learning machinery and is not counted. ``spikes`` counts the
        spikes of all four populations.
        """
        X = check_predict_data(self, X)
        c = self._predict_counts(X)
        p = self.spec_.net
        fan = {
            "afferent": p.n_hidden,
            "interneuron": 1 + self.spec_.n_efferent,
            "inhibitory": p.n_hidden - 1,
            "efferent": p.n_per_class if p.w_lat_mv > 0 else 0,
        }
        events = sum(c[f"counts_{k}"].sum(1) * f for k, f in fan.items())
        spikes = sum(c[f"counts_{k}"].sum(1) for k in fan)
        return {"synaptic_events": float(np.mean(events)), "spikes": float(np.mean(spikes))}

    def record_spikes(self, X, trained: bool = True) -> dict[str, dict[str, Any]]:
        """Spike trains of every population for the few samples in X, presented as in
        predict (runtime mode, with spike monitors); ``trained=False`` uses the initial
        weights. Times in ms from the start of the first sample."""
        X = check_predict_data(self, X)
        spec = replace(self.spec_, chunk=len(X))
        weights = self.weights_ if trained else self.initial_weights_
        saved = self.spec_
        import brian2

        target = brian2.prefs.codegen.target
        try:
            # a few samples: Brian2's numpy target needs no compilation
            brian2.prefs.codegen.target = "numpy"
            self.spec_ = spec
            c = self._predict_counts(X, weights, engine=RuntimeEngine(spec), spike_monitors=True)
        finally:
            self.spec_ = saved
            brian2.prefs.codegen.target = target
        sizes = {
            "afferent": spec.n_afferent,
            "interneuron": spec.net.n_hidden,
            "inhibitory": spec.net.n_hidden,
            "efferent": spec.n_efferent,
        }
        return {
            pop: {"i": c[f"spikes_{pop}"][0], "t_ms": c[f"spikes_{pop}"][1], "n": sizes[pop]}
            for pop in sizes
        }

    def ablated(self, fraction: float, kind: str = "synapses", random_state=None):
        """A copy with a ``fraction`` of plastic synapses (``kind="synapses"``) or of
        interneurons (``kind="neurons"``: all their plastic in- and out-weights) zeroed."""
        check_is_fitted(self)
        if not 0.0 <= float(fraction) <= 1.0:
            raise ValueError(f"fraction must be a number in [0, 1], got {fraction!r}")
        if kind not in ("synapses", "neurons"):
            raise ValueError(f"unknown kind {kind!r}; valid: synapses, neurons")
        rng = np.random.default_rng(random_state)
        new = copy.deepcopy(self)
        if kind == "synapses":
            for name, w in new.weights_.items():
                flat = w.ravel()
                k = int(round(fraction * flat.size))
                flat[rng.choice(flat.size, size=k, replace=False)] = 0.0
                new.weights_[name] = flat.reshape(w.shape)
        else:
            n_hid = self.spec_.net.n_hidden
            k = int(round(fraction * n_hid))
            dead = rng.choice(n_hid, size=k, replace=False)
            new.weights_["afferent->interneuron"][:, dead] = 0.0
            new.weights_["interneuron->efferent"][dead, :] = 0.0
        return new
