"""Non-spiking reference classifiers (family ``"reference"``), run next to the learners.

They answer "what does a plain, well-understood classifier reach on the same splits?" and,
for :class:`PrototypeReadoutClassifier`, "what does spiking add or cost at equal
architecture?" (issue 8). Each is a scikit-learn estimator with the brainlearn contract
(``fit(X, y, eval_set=None)``, ``predict``, ``predict_proba``, ``score``, ``random_state``,
``_check_hyperparameters``) so the runner treats it like any other model. Inputs are
standardised with the mean and standard deviation of the *training* data only
(``StandardScaler`` fitted in ``fit``). Any number of classes >= 2 is accepted.

Models
------
:class:`LogisticReference`
    L2-regularised logistic regression (multinomial for K > 2 classes), L-BFGS.
:class:`KNeighborsReference`
    k-nearest neighbours (Euclidean, uniform vote).
:class:`SVMReference`
    Support-vector machine with an RBF kernel (libsvm; one-vs-one for K > 2 classes).
:class:`PrototypeReadoutClassifier`
    The non-spiking twin of the spiking classifier's hidden layer: ``n_prototypes``
    k-means prototypes learned without labels, a winner-take-all code (the ``n_winners``
    nearest prototypes are active) and a linear (logistic-regression) readout of that code.

Training budget
---------------
Every model records what its training cost in presentations of training samples, so the
comparison tables can put data efficiency next to accuracy: ``presentations_`` (a
presentation = one training sample entering one parameter update), ``n_epochs_`` =
``presentations_ / n_samples`` and ``history_["samples_seen"]`` (one checkpoint, at the end
of ``fit``, with ``train_accuracy`` and, with an ``eval_set``, ``eval_accuracy``). How each
optimiser's work is counted is stated in each class.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._base import (
    POSITIVE_INT,
    POSITIVE_REAL,
    BrainlearnClassifier,
    Interval,
    StrOptions,
    ablation_copy,
    seed_int,
)
from ._validation import check_eval_set, check_fit_data, check_predict_data

__all__ = [
    "KNeighborsReference",
    "LogisticReference",
    "PrototypeReadoutClassifier",
    "SVMReference",
]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class ReferenceBase(BrainlearnClassifier):
    """Shared fit/predict machinery: validation, standardisation, budget and history."""
    #: fitted attributes (cleared at the start of every fit, set when it completes)
    _FITTED = ("classes_", "n_features_in_", "scaler_", "presentations_", "n_epochs_",
               "history_")

    # subclasses: _check_hyperparameters, _fit_scaled(Z, y, seed) -> presentations,
    # _proba_scaled(Z) -> (n, K) in the order of classes_, and their own fitted attributes
    _EXTRA_FITTED: tuple[str, ...] = ()

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "history_")

    def fit(self, X, y, eval_set=None):
        """Fit on ``X`` (n_samples, n_features) and labels ``y`` (two or more classes).

        ``eval_set=(X_val, y_val)`` only adds ``history_["eval_accuracy"]`` (it never
        influences training). Returns ``self``.
        """
        for attr in (*self._FITTED, *self._EXTRA_FITTED):
            self.__dict__.pop(attr, None)
        self._check_hyperparameters()
        X, y, classes = check_fit_data(self, X, y)
        try:
            self.classes_ = classes
            ev = check_eval_set(self, eval_set) if eval_set is not None else None
            seed = seed_int(self.random_state)
            from sklearn.preprocessing import StandardScaler

            scaler = StandardScaler().fit(X)
            presentations = int(self._fit_scaled(scaler.transform(X), y, seed))
            self.scaler_ = scaler
            n = len(X)
            self.presentations_ = presentations
            self.n_epochs_ = presentations / n
            history = {"samples_seen": [presentations],
                       "train_accuracy": [float(np.mean(self._predict_checked(X) == y))]}
            if ev is not None:
                X_ev, y_ev = ev
                y_ev = classes[np.asarray(y_ev).astype(np.intp)]
                history["eval_accuracy"] = [float(np.mean(self._predict_checked(X_ev) == y_ev))]
            self.history_ = history
        except BaseException:
            for attr in (*self._FITTED, *self._EXTRA_FITTED):
                self.__dict__.pop(attr, None)
            raise
        return self

    def _predict_checked(self, X) -> np.ndarray:
        proba = self._proba_scaled(self.scaler_.transform(X))
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X) -> np.ndarray:
        """Class scores in [0, 1] summing to 1, shape (n_samples, n_classes), in the order of
        ``classes_``; their arg-max is :meth:`predict`."""
        X = check_predict_data(self, X)
        return self._proba_scaled(self.scaler_.transform(X))

    def predict(self, X) -> np.ndarray:
        """The class of highest :meth:`predict_proba` (ties: the first in ``classes_``)."""
        X = check_predict_data(self, X)
        return self._predict_checked(X)

    def _n_out(self) -> int:
        """Output units of a linear readout: 1 for two classes, K otherwise."""
        return 1 if len(self.classes_) == 2 else len(self.classes_)


# --------------------------------------------------------------------------- logistic


class LogisticReference(ReferenceBase):
    """Logistic regression on standardised inputs (scikit-learn, L-BFGS).

    .. math:: p(y = c \\mid x) = \\operatorname{softmax}_c(W z + b),\\quad
              z = (x - \\mu) / \\sigma

    minimising the cross-entropy plus :math:`\\lVert W\\rVert^2 / (2C)`.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength (> 0).
    max_iter : int, default=1000
        L-BFGS iterations at most.
    random_state : int, numpy Generator or None
        Stored for the runner's contract; L-BFGS is deterministic.

    Budget: each L-BFGS iteration is a full-batch gradient, counted as one presentation of
    every training sample (``n_iter_`` iterations; line-search evaluations not counted).
    Cost: ``ops_per_sample`` counts ``d`` MACs of the standardisation and ``d`` MACs per
    output unit (1 for two classes, K otherwise).
    """

    _EXTRA_FITTED = ("model_", "n_iter_")

    def __init__(self, C: float = 1.0, max_iter: int = 1000, random_state=None):
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    _parameter_constraints = {"C": POSITIVE_REAL, "max_iter": POSITIVE_INT}

    def _fit_scaled(self, Z, y, seed) -> int:
        from sklearn.linear_model import LogisticRegression

        self.model_ = LogisticRegression(C=float(self.C), max_iter=int(self.max_iter))
        self.model_.fit(Z, y)
        self.n_iter_ = int(np.max(self.model_.n_iter_))  # L-BFGS iterations run
        return self.n_iter_ * len(Z)

    def _proba_scaled(self, Z) -> np.ndarray:
        return self.model_.predict_proba(Z)

    def ops_per_sample(self, X) -> dict[str, float]:
        """Multiply-accumulates of one prediction: standardisation plus the linear map."""
        check_predict_data(self, X)
        d = self.n_features_in_
        return {"macs": float(d + d * self._n_out())}


# --------------------------------------------------------------------------- k-NN


class KNeighborsReference(ReferenceBase):
    """k-nearest neighbours on standardised inputs (Euclidean distance, uniform vote).

    ``predict_proba`` is the share of the ``n_neighbors`` nearest training samples in each
    class (scikit-learn's ``KNeighborsClassifier``).

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours that vote (capped at the number of training samples).
    random_state : int, numpy Generator or None
        Stored for the runner's contract; k-NN is deterministic.

    Budget: storing the training set is one presentation of each sample (one epoch).
    Cost: ``ops_per_sample`` counts a brute-force search, ``d`` MACs of standardisation and
    ``n_train * d`` MACs of squared distances (the vote and the sort are not MACs).
    """

    _EXTRA_FITTED = ("model_",)

    def __init__(self, n_neighbors: int = 5, random_state=None):
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    _parameter_constraints = {"n_neighbors": POSITIVE_INT}

    def _fit_scaled(self, Z, y, seed) -> int:
        from sklearn.neighbors import KNeighborsClassifier

        self.model_ = KNeighborsClassifier(n_neighbors=min(int(self.n_neighbors), len(Z)))
        self.model_.fit(Z, y)
        return len(Z)

    def _proba_scaled(self, Z) -> np.ndarray:
        return self.model_.predict_proba(Z)

    def ops_per_sample(self, X) -> dict[str, float]:
        """Multiply-accumulates of one prediction by brute-force search."""
        check_predict_data(self, X)
        d = self.n_features_in_
        return {"macs": float(d + self.model_.n_samples_fit_ * d)}


# --------------------------------------------------------------------------- SVM


class SVMReference(ReferenceBase):
    """Support-vector machine with an RBF kernel on standardised inputs (libsvm).

    .. math:: f(x) = \\sum_{s \\in SV} \\alpha_s y_s \\exp(-\\gamma \\lVert z - z_s\\rVert^2) + b

    ``predict_proba`` is a monotone squashing of the decision values, not a calibrated
    probability (Platt scaling would refit five times on internal folds): the logistic
    function of ``f`` for two classes, a softmax of the one-vs-rest decision values
    otherwise; its arg-max is the prediction.

    Parameters
    ----------
    C : float, default=1.0
        Penalty of the margin violations (> 0).
    gamma : "scale" or float, default="scale"
        Kernel width; ``"scale"`` is ``1 / (d * var(z))`` (= ``1 / d`` on standardised
        inputs).
    random_state : int, numpy Generator or None
        Stored for the runner's contract; libsvm without probability estimates is
        deterministic.

    Budget: each SMO iteration chooses its working pair from the gradients of all samples of
    its subproblem and updates all of them, counted as one presentation of every sample of
    the subproblem (``n_iter_`` times the samples of the two classes, summed over the
    one-vs-one subproblems).
    Cost: ``ops_per_sample`` counts ``d`` MACs of standardisation, ``n_SV * d`` MACs of the
    kernel distances and one MAC per support vector and binary subproblem it enters.
    """

    _EXTRA_FITTED = ("model_",)

    def __init__(self, C: float = 1.0, gamma="scale", random_state=None):
        self.C = C
        self.gamma = gamma
        self.random_state = random_state

    _parameter_constraints = {
        "C": POSITIVE_REAL,
        "gamma": [StrOptions({"scale"}), Interval(numbers.Real, 0, None, closed="neither")],
    }

    def _fit_scaled(self, Z, y, seed) -> int:
        from sklearn.svm import SVC

        self.model_ = SVC(C=float(self.C), gamma=self.gamma, kernel="rbf",
                          decision_function_shape="ovr")
        self.model_.fit(Z, y)
        counts = [int(np.sum(y == c)) for c in self.model_.classes_]
        pairs = [(i, j) for i in range(len(counts)) for j in range(i + 1, len(counts))]
        iters = np.atleast_1d(self.model_.n_iter_)  # libsvm's order of the pairs
        return int(sum(int(it) * (counts[i] + counts[j])
                       for it, (i, j) in zip(iters, pairs, strict=True)))

    def _proba_scaled(self, Z) -> np.ndarray:
        f = self.model_.decision_function(Z)
        if f.ndim == 1:
            p1 = 1.0 / (1.0 + np.exp(-np.clip(f, -500, 500)))
            return np.column_stack([1.0 - p1, p1])
        return _softmax(f)

    def ops_per_sample(self, X) -> dict[str, float]:
        """Multiply-accumulates of one prediction (the exponentials are not MACs)."""
        check_predict_data(self, X)
        d = self.n_features_in_
        n_sv = int(self.model_.support_vectors_.shape[0])
        k = len(self.classes_)
        # one-vs-one: a support vector of class c enters the K - 1 subproblems of class c
        return {"macs": float(d + n_sv * d + n_sv * (k - 1))}


# --------------------------------------------------------------------------- the twin


class PrototypeReadoutClassifier(ReferenceBase):
    """The non-spiking twin of the spiking hidden layer: k-means prototypes, a
    winner-take-all code and a linear readout.

    1. Prototypes: k-means (Lloyd, one k-means++ initialisation, which seeds the prototypes
       at training samples much like the spiking layer's data-point initialisation) on the
       standardised training inputs, **without labels**: ``n_prototypes`` centres
       :math:`c_j` (the spiking classifier's ``n_hidden``, 200).
    2. Code: :math:`h_j(x) = 1` for the ``n_winners`` prototypes nearest to ``z`` (Euclidean)
       and 0 otherwise -- a hard k-winner-take-all. The spiking layer's soft winner-take-all
       (each hidden neuron inhibits all others through its inhibitory partner) leaves about
       two hidden neurons active per sample on the 2-D tasks (their receptive fields measured
       on xor: 0.64 active of 64 recorded hidden neurons per input point, i.e. ~2 of 200, with
       ~1.2 spikes each), hence ``n_winners = 2``. The twin keeps the winners binary where
       the spiking code counts a few spikes, and measures closeness by Euclidean distance of
       standardised inputs where the spiking layer takes the dot product of its weights with
       a Gaussian receptive-field encoding of the inputs.
    3. Readout: logistic regression (L-BFGS, ``C``) from the code to the classes -- the
       error-driven linear readout a local delta rule approximates; the spiking models'
       own readouts (teacher-driven STDP, Hebbian, reward-modulated STDP) are compared
       with each other in the spiking family.

    Parameters
    ----------
    n_prototypes : int, default=200
        Number of prototypes (capped at the number of training samples).
    n_winners : int, default=2
        Prototypes active in the code of a sample (<= ``n_prototypes``).
    C : float, default=1.0
        Inverse regularisation strength of the readout (> 0).
    max_iter : int, default=300
        Lloyd iterations at most (the readout's L-BFGS gets 1000).
    random_state : int, numpy Generator or None
        Seeds the k-means++ initialisation.

    Attributes
    ----------
    prototypes_ : ndarray (n_prototypes, n_features)
        The centres, in standardised input space.
    readout_ : LogisticRegression
        The fitted readout on the codes.
    unit_mask_ : ndarray (n_prototypes,)
        1 for a working prototype, 0 for one removed by :meth:`ablated`.
    n_iter_, kmeans_iter_ : int
        Lloyd iterations run (at most ``max_iter``).
    readout_iter_ : int
        L-BFGS iterations of the readout.

    Budget: every Lloyd iteration reassigns every training sample (one presentation each),
    and every L-BFGS iteration of the readout is a full-batch gradient (one presentation
    each): ``presentations_ = (kmeans_iter_ + readout_iter_) * n_samples``.
    Cost: ``ops_per_sample`` counts ``d`` MACs of standardisation, ``n_prototypes * d``
    MACs of distances and a dense readout of ``n_prototypes`` MACs per output unit.
    """

    _EXTRA_FITTED = ("prototypes_", "readout_", "unit_mask_", "kmeans_iter_", "readout_iter_",
                     "n_iter_")

    def __init__(self, n_prototypes: int = 200, n_winners: int = 2, C: float = 1.0,
                 max_iter: int = 300, random_state=None):
        self.n_prototypes = n_prototypes
        self.n_winners = n_winners
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    _parameter_constraints = {"n_prototypes": POSITIVE_INT, "n_winners": POSITIVE_INT,
                              "C": POSITIVE_REAL, "max_iter": POSITIVE_INT}

    def _check_more(self) -> None:
        if self.n_winners > self.n_prototypes:
            raise ValueError(
                f"n_winners must be <= n_prototypes ({self.n_prototypes}), "
                f"got {self.n_winners!r}"
            )

    def _code(self, Z, prototypes=None, mask=None) -> np.ndarray:
        P = self.prototypes_ if prototypes is None else prototypes
        m = self.unit_mask_ if mask is None else mask
        d2 = (Z**2).sum(1)[:, None] - 2.0 * Z @ P.T + (P**2).sum(1)[None, :]
        d2 = np.where(m[None, :] > 0, d2, np.inf)  # a removed prototype never wins
        k = min(int(self.n_winners), int(np.count_nonzero(m)))
        h = np.zeros_like(d2)
        if k > 0:
            win = np.argpartition(d2, k - 1, axis=1)[:, :k]
            np.put_along_axis(h, win, 1.0, axis=1)
        return h

    def _fit_scaled(self, Z, y, seed) -> int:
        from sklearn.cluster import KMeans
        from sklearn.linear_model import LogisticRegression

        k = min(int(self.n_prototypes), len(Z))
        km = KMeans(n_clusters=k, init="k-means++", n_init=1, max_iter=int(self.max_iter),
                    random_state=seed).fit(Z)
        prototypes = km.cluster_centers_.copy()
        mask = np.ones(k)
        readout = LogisticRegression(C=float(self.C), max_iter=1000)
        readout.fit(self._code(Z, prototypes, mask), y)
        self.prototypes_, self.unit_mask_, self.readout_ = prototypes, mask, readout
        self.kmeans_iter_ = self.n_iter_ = int(km.n_iter_)  # Lloyd iterations (max_iter)
        self.readout_iter_ = int(np.max(readout.n_iter_))
        return (self.kmeans_iter_ + self.readout_iter_) * len(Z)

    def _proba_scaled(self, Z) -> np.ndarray:
        return self.readout_.predict_proba(self._code(Z))

    def hidden_response(self, X) -> np.ndarray:
        """The winner-take-all code, shape (n_samples, n_prototypes): 1 for the
        ``n_winners`` nearest prototypes of each sample, 0 elsewhere."""
        X = check_predict_data(self, X)
        return self._code(self.scaler_.transform(X))

    def ops_per_sample(self, X) -> dict[str, float]:
        """Multiply-accumulates of one prediction (dense readout; the k-winner selection is
        a comparison, not a MAC)."""
        check_predict_data(self, X)
        d = self.n_features_in_
        k = self.prototypes_.shape[0]
        return {"macs": float(d + k * d + k * self._n_out())}

    def ablated(self, fraction, kind: str = "synapses", random_state=None):
        """A copy with a ``fraction`` of its synapses or hidden neurons removed.

        ``kind="synapses"``: ``round(fraction * total)`` of the weights, pooled over the
        prototype coordinates (the input -> prototype synapses, in standardised space: a
        removed one reads the feature's training mean) and the readout weights, set to 0.
        ``kind="neurons"``: that share of the prototypes removed: they never win and their
        readout weights are 0, as for a hidden neuron whose in- and out-weights are zeroed.
        """
        new, draw = ablation_copy(self, fraction, kind, random_state)
        if kind == "synapses":
            P, W = new.prototypes_, new.readout_.coef_
            in_P, in_W = draw([P.size, W.size])
            P.reshape(-1)[in_P] = 0.0
            W.reshape(-1)[in_W] = 0.0
        else:
            (dead,) = draw([new.prototypes_.shape[0]])
            new.unit_mask_ = new.unit_mask_.copy()
            new.unit_mask_[dead] = 0.0
            new.readout_.coef_[:, dead] = 0.0
        return new
