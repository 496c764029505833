"""A small, real estimator with the brainlearn estimator contract, for the runner's tests.

``PrototypeCentroidClassifier`` maps an input through Gaussian bumps around
``n_prototypes`` training points drawn at random (its "hidden units") and learns one
centroid per class in that hidden space, online, over ``epochs`` passes; it predicts
the class of the nearest centroid (``predict_proba`` is a softmax of negative squared
distances). It is quick, deterministic given ``random_state``, and learns XOR-like
tasks, so the runner's figures get genuine curves. ``SpikingPrototypeClassifier`` (the
same with ``spiking=True``) also offers the spiking capabilities of
:mod:`brainlearn.runner.capabilities` (``record_spikes``, ``weight_history_``,
``dt_ms_``), built from the same numbers, so the SNN figures can be tested without Brian2.

Importing this module registers two models (``test-centroid``, family mlp, and
``test-spiking``, family snn) in brainlearn's registry; specs list it as a plugin
so worker processes import it too. For fault injection, fit reads the environment:
``BRAINLEARN_TEST_FAIL_SEED`` (fit raises for that seed), ``BRAINLEARN_TEST_SLEEP_S``
(fit sleeps that long; ``"seed:seconds"`` for one seed only) and
``BRAINLEARN_TEST_DIE_SEED`` (the process exits at once, as on a crash),
``BRAINLEARN_TEST_WARN`` (fit raises a ``RuntimeWarning`` with that text, naming the seed) and
``BRAINLEARN_TEST_PROGRAM_S`` (fit runs a child program, ``sleep``, that long, started the
way the spiking models start their compiled programs: :func:`brainlearn._proc.run_tied`).
"""

from __future__ import annotations

import copy
import os
import signal
import time
import warnings
from types import MappingProxyType

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from brainlearn.registry import ModelSpec, list_models, register_model

WIDTH = 0.15


class PrototypeCentroidClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, n_prototypes=12, epochs=3, learning_rate=0.2, temperature=0.05,
                 spiking=False, random_state=None):
        self.n_prototypes = n_prototypes
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.temperature = temperature
        self.spiking = spiking
        self.random_state = random_state

    # -- internals
    def _hidden(self, X, prototypes=None, mask=None):
        P = self.prototypes_ if prototypes is None else prototypes
        d2 = ((X[:, None, :] - P[None, :, :]) ** 2).sum(-1)
        h = np.exp(-d2 / (2 * WIDTH**2 * X.shape[1]))
        m = self.unit_mask_ if mask is None else mask
        return h * m

    def _proba(self, X, centroids):
        h = self._hidden(np.asarray(X, dtype=float))
        d2 = ((h[:, None, :] - centroids.T[None, :, :]) ** 2).sum(-1)
        z = -d2 / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    # -- contract
    def _check_hyperparameters(self):
        for name in ("n_prototypes", "epochs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        for name in ("learning_rate", "temperature"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < np.inf:
                raise ValueError(f"{name} must be a finite number > 0, got {v!r}")

    def fit(self, X, y, eval_set=None):
        self._check_hyperparameters()
        warn = os.environ.get("BRAINLEARN_TEST_WARN")
        if warn is not None:
            warnings.warn(f"{warn} (seed {self.random_state}): a diagnostic", RuntimeWarning,
                          stacklevel=2)
        fail = os.environ.get("BRAINLEARN_TEST_FAIL_SEED")
        if fail is not None and int(fail) == self.random_state:
            raise RuntimeError(f"injected failure for seed {fail}")
        die = os.environ.get("BRAINLEARN_TEST_DIE_SEED")
        if die is not None and int(die) == self.random_state:
            os._exit(9)  # the process vanishes, as on a segfault
        sleep = os.environ.get("BRAINLEARN_TEST_SLEEP_S", "0")  # "seconds" or "seed:seconds"
        seed, _, secs = sleep.rpartition(":")
        if not seed or int(seed) == self.random_state:
            time.sleep(float(secs))
        program_s = os.environ.get("BRAINLEARN_TEST_PROGRAM_S")
        if program_s is not None:
            from brainlearn._proc import run_tied

            run_tied(["sleep", program_s])
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError("need two classes")
        self.n_features_in_ = X.shape[1]
        rng = np.random.default_rng(self.random_state)
        k = min(self.n_prototypes, len(X))
        self.prototypes_ = X[rng.choice(len(X), size=k, replace=False)]
        self.unit_mask_ = np.ones(k)
        yi = np.searchsorted(self.classes_, y)
        C = rng.uniform(0.0, 0.1, size=(k, 2))  # hidden -> class weights
        self.initial_weights_ = {"afferent->hidden": self.prototypes_.copy(),
                                 "hidden->efferent": C.copy()}
        H = self._hidden(X)
        self.history_ = {"samples_seen": [], "train_accuracy": []}
        if eval_set is not None:
            self.history_["eval_accuracy"] = []
        self.weight_history_ = []
        seen = 0
        for _ in range(self.epochs):
            for i in rng.permutation(len(X)):
                c = yi[i]
                C[:, c] += self.learning_rate * (H[i] - C[:, c])
            seen += len(X)
            self.history_["samples_seen"].append(seen)
            self.history_["train_accuracy"].append(
                float(np.mean(self.classes_[self._proba(X, C).argmax(1)] == y)))
            if eval_set is not None:
                Xe, ye = eval_set
                self.history_["eval_accuracy"].append(
                    float(np.mean(self.classes_[self._proba(Xe, C).argmax(1)] == np.asarray(ye))))
            self.weight_history_.append({"afferent->hidden": self.prototypes_.ravel().copy(),
                                         "hidden->efferent": C.ravel().copy()})
        self.centroids_ = C
        self.weights_ = {"afferent->hidden": self.prototypes_.copy(),
                         "hidden->efferent": C.copy()}
        if self.spiking:
            self.presentation_ms_ = 50.0
            self.dt_ms_ = 0.5
        else:
            del self.weight_history_, self.initial_weights_, self.weights_
        return self

    def predict_proba(self, X):
        return self._proba(X, self.centroids_)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(1)]

    def hidden_response(self, X):
        return self._hidden(np.asarray(X, dtype=float))

    def ops_per_sample(self, X):
        k, d = self.prototypes_.shape
        if not self.spiking:
            return {"macs": float(k * d + 2 * k)}
        h = self.hidden_response(X)
        spikes = (h > 0.3).sum(1)
        return {"synaptic_events": float(np.mean(spikes * 2 + d * 5)),
                "spikes": float(np.mean(spikes + 1))}

    def ablated(self, fraction, kind, random_state=None):
        rng = np.random.default_rng(random_state)
        new = copy.deepcopy(self)
        if kind == "synapses":
            new.centroids_ = new.centroids_ * (rng.random(new.centroids_.shape) >= fraction)
        elif kind == "neurons":
            k = len(new.unit_mask_)
            new.unit_mask_ = new.unit_mask_.copy()
            new.unit_mask_[rng.permutation(k)[: int(round(fraction * k))]] = 0.0
        else:
            raise ValueError(f"unknown kind {kind!r}")
        return new


class SpikingPrototypeClassifier(PrototypeCentroidClassifier):
    """The same model with made-up but consistent spikes: a spiking model for the runner."""

    def __init__(self, n_prototypes=12, epochs=3, learning_rate=0.2, temperature=0.05,
                 spiking=True, random_state=None):
        super().__init__(n_prototypes, epochs, learning_rate, temperature, spiking,
                         random_state)

    def record_spikes(self, X, trained=True):
        X = np.asarray(X, dtype=float)
        C = self.centroids_ if trained else self.initial_weights_["hidden->efferent"]
        out = {p: {"i": [], "t_ms": []} for p in ("afferent", "hidden", "efferent")}
        n_aff = 5 * X.shape[1]
        for s, x in enumerate(X):
            t0 = s * self.presentation_ms_
            for f, v in enumerate(x):
                centre = int(np.clip(round(v * 4), 0, 4))
                for rep in range(3):
                    out["afferent"]["i"].append(f * 5 + centre)
                    out["afferent"]["t_ms"].append(t0 + 5 + 10 * rep)
            h = self._hidden(x[None, :])[0]
            for u in np.flatnonzero(h > 0.3):
                out["hidden"]["i"].append(int(u))
                out["hidden"]["t_ms"].append(t0 + 10 + 20 * (1 - h[u]))
            c = int(self._proba(x[None, :], C).argmax(1)[0])
            out["efferent"]["i"].append(c)
            out["efferent"]["t_ms"].append(t0 + 30)
        sizes = {"afferent": n_aff, "hidden": len(self.prototypes_), "efferent": 2}
        return {p: {"i": np.asarray(d["i"], dtype=np.int64), "t_ms": np.asarray(d["t_ms"]),
                    "n": sizes[p]} for p, d in out.items()}


# Like brian2, whose import installs a SIGINT handler: Python allows that only in the main
# thread, and Dask workers run tasks in other threads (the runner must import such
# modules on the workers' main thread first).
signal.signal(signal.SIGINT, signal.getsignal(signal.SIGINT))

_EST = f"{__name__}:PrototypeCentroidClassifier"
_SPIKING = f"{__name__}:SpikingPrototypeClassifier"

SPECS = [
    ModelSpec("test-centroid", "mlp", _EST, MappingProxyType({"n_prototypes": 12}),
              "test-only prototype/centroid classifier"),
    ModelSpec("test-spiking", "snn", _SPIKING,
              MappingProxyType({"n_prototypes": 10, "spiking": True}),
              "test-only prototype/centroid classifier with fake-but-consistent spikes"),
]

for _s in SPECS:
    if _s.name not in list_models():
        register_model(_s.name, _s.family, _s.estimator, _s.description, **_s.params)
