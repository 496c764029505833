"""A backprop multilayer perceptron classifier (two or more classes), trained by Numba kernels.

The class validates input, draws every random number from ``random_state`` and
hands plain arrays to the jitted kernels of :mod:`brainlearn.mlp._kernels`
(forward pass, backward pass, Adam / SGD updates, the whole training loop).

References
----------
.. [1] D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization",
   ICLR 2015 (arXiv:1412.6980).
.. [2] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
   feedforward neural networks", AISTATS 2010, pp. 249-256.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._base import (
    POSITIVE_INT,
    POSITIVE_REAL,
    BrainlearnClassifier,
    Interval,
    StrOptions,
    ablation_copy,
    as_generator,
    is_int,
)
from .._validation import (
    as_c_float64,
    check_eval_set,
    check_fit_data,
    check_predict_data,
    label_indices,
)
from . import _kernels as K

__all__ = ["MLPClassifier"]

#: rows of permutations drawn and trained per kernel call (bounds memory for large n)
_PERM_BUDGET = 4_000_000


class MLPClassifier(BrainlearnClassifier):
    r"""MLP classifier trained by backpropagation (Keras-compatible defaults), K >= 2 classes.

    A fully connected network ``d - h_1 - ... - h_k - n_out``: hidden layers with
    activation ``f`` (relu, tanh or sigmoid), then for two classes one sigmoid output
    unit (``n_out = 1``) and for ``K >= 3`` classes ``K`` softmax output units,

    .. math::

        a_0 = x,\quad z_{l+1} = W_l a_l + b_l,\quad a_{l+1} = f(z_{l+1}),\quad
        s = W_k a_k + b_k,\quad
        p(y = c_1 \mid x) = \sigma(s)\ (K = 2),\quad
        p(y = c_j \mid x) = \frac{e^{s_j}}{\sum_i e^{s_i}}\ (K \ge 3).

    Two classes train on the binary cross-entropy in its numerically stable logit form
    :math:`\ell(s, y) = \max(s, 0) - s y + \log(1 + e^{-|s|})` (Keras' sigmoid +
    ``binary_crossentropy``), K classes on the categorical cross-entropy
    :math:`\ell(s, y) = \log \sum_i e^{s_i} - s_y` (Keras' softmax +
    ``sparse_categorical_crossentropy``), averaged over minibatches of ``batch_size``
    samples drawn by reshuffling the training set every epoch. Backpropagation gives
    :math:`\delta_k = (p - \mathrm{onehot}(y))/B` (:math:`(\sigma(s) - y)/B` for two
    classes), :math:`\nabla W_l = \delta_{l+1} a_l^\top`, :math:`\nabla b_l = \delta_{l+1}`,
    :math:`\delta_l = (W_l^\top \delta_{l+1}) \odot f'(z_l)`.

    Initialisation as Keras' ``Dense`` layer: Glorot-uniform weights
    :math:`W \sim U(-r, r)`, :math:`r = \sqrt{6 / (n_{in} + n_{out})}` [2]_, zero biases.

    Optimizers: Adam [1]_ with Keras' defaults and Keras' form of the bias correction,

    .. math::

        m \leftarrow m + (1-\beta_1)(g - m),\quad v \leftarrow v + (1-\beta_2)(g^2 - v),\quad
        \theta \leftarrow \theta - \eta \frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}
        \frac{m}{\sqrt{v} + \epsilon},

    :math:`\beta_1 = 0.9, \beta_2 = 0.999, \epsilon = 10^{-7}`; or SGD with momentum
    :math:`u \leftarrow \mu u - \eta g,\ \theta \leftarrow \theta + u`.

    Computation is in float64 (Keras trains in float32).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(5,)
        Units of each hidden layer (at least one layer, each >= 1).
    activation : {"relu", "tanh", "sigmoid"}, default="relu"
        Activation of the hidden layers.
    optimizer : {"adam", "sgd"}, default="adam"
        Update rule.
    learning_rate : float, default=1e-3
        Step size :math:`\eta` (> 0).
    momentum : float, default=0.9
        Momentum :math:`\mu` of SGD, in [0, 1); unused by Adam.
    epochs : int, default=100
        Passes over the training set (>= 1).
    batch_size : int, default=32
        Samples per update (>= 1; capped at the number of training samples).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the one generator that draws the initial weights and the
        per-epoch shuffles. The same integer gives bit-identical weights.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        The labels, as given (sorted); column ``j`` of ``predict_proba`` is the
        probability of ``classes_[j]``.
    n_features_in_ : int
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape ``(n_in, n_out)`` (pre x post, as scikit-learn's
        MLP and the spiking models' ``weights_``): it is :math:`W_l^\top`. The
        output layer has one unit for two classes, ``K`` units for ``K >= 3``.
    intercepts_ : list of ndarray
        ``intercepts_[l]`` has shape ``(n_out,)``.
    history_ : dict of list
        One entry per epoch: ``"samples_seen"`` (cumulative training
        presentations), ``"loss"`` and ``"train_accuracy"`` (means over the
        epoch's minibatches, each measured before that minibatch's update, as
        Keras reports them) and, when ``eval_set`` is given to :meth:`fit`,
        ``"eval_accuracy"`` (on ``eval_set`` at the end of the epoch).
    n_updates_ : int
        Optimizer steps taken.

    Examples
    --------
    >>> from brainlearn import MLPClassifier, load_task
    >>> split = load_task("linear", n_train=500, n_test=500, seed=0)
    >>> clf = MLPClassifier(learning_rate=1e-2, random_state=0)
    >>> clf.fit(split.X_train, split.y_train).score(split.X_test, split.y_test) > 0.95
    True

    Ten classes (labels of any type scikit-learn accepts; here the digit values):

    >>> digits = load_task("digits", seed=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), learning_rate=5e-3, epochs=50,
    ...                     random_state=0).fit(digits.X_train, digits.y_train)
    >>> clf.classes_.tolist(), clf.predict_proba(digits.X_test).shape
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], (539, 10))
    >>> clf.score(digits.X_test, digits.y_test) > 0.9
    True
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None,
                                                      closed="left")],
        "activation": [StrOptions(set(K.ACTIVATIONS))],
        "optimizer": [StrOptions(set(K.OPTIMIZERS))],
        "learning_rate": POSITIVE_REAL,
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "epochs": POSITIVE_INT,
        "batch_size": POSITIVE_INT,
    }

    def __init__(
        self,
        hidden_layer_sizes=(5,),
        activation="relu",
        optimizer="adam",
        learning_rate=1e-3,
        momentum=0.9,
        epochs=100,
        batch_size=32,
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state

    # ------------------------------------------------------------------ validation

    def _hidden_sizes(self) -> tuple[int, ...]:
        h = self.hidden_layer_sizes
        if is_int(h):
            h = (h,)
        if isinstance(h, str) or not hasattr(h, "__iter__"):
            raise ValueError(f"hidden_layer_sizes must be a tuple of positive integers, got {h!r}")
        h = tuple(h)
        if len(h) == 0:
            raise ValueError("hidden_layer_sizes must name at least one hidden layer, got ()")
        for k in h:
            if not is_int(k) or k < 1:
                raise ValueError(
                    f"hidden_layer_sizes must be a tuple of positive integers, got {h!r}"
                )
        return tuple(int(k) for k in h)

    def _check_more(self) -> None:
        """The layer sizes (a tuple the declarative constraints cannot check)."""
        self._hidden_sizes()

    def _rng(self) -> np.random.Generator:
        return as_generator(self.random_state)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coefs_")

    # ------------------------------------------------------------------ parameters

    @staticmethod
    def _pack(coefs, intercepts) -> np.ndarray:
        """Flat kernel vector: per layer W_l (= coefs_[l].T, row-major) then b_l."""
        parts = []
        for W, b in zip(coefs, intercepts, strict=True):
            parts.append(np.ascontiguousarray(W.T).ravel())
            parts.append(b)
        return np.concatenate(parts).astype(np.float64, copy=False)

    @staticmethod
    def _unpack(theta, sizes):
        w_off, b_off, _ = K.param_offsets(sizes)
        coefs, intercepts = [], []
        for l in range(len(sizes) - 1):
            n_in, n_out = int(sizes[l]), int(sizes[l + 1])
            W = theta[w_off[l] : w_off[l] + n_in * n_out].reshape(n_out, n_in)
            coefs.append(np.ascontiguousarray(W.T))
            intercepts.append(theta[b_off[l] : b_off[l] + n_out].copy())
        return coefs, intercepts

    def _sizes(self) -> np.ndarray:
        return np.array(
            [c.shape[0] for c in self.coefs_] + [self.coefs_[-1].shape[1]], dtype=np.int64
        )

    def _act_code(self) -> int:
        return K.ACTIVATIONS[self.activation]

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, eval_set=None):
        """Train on ``X``, ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite real values.
        y : array-like of shape (n_samples,)
            Two or more distinct labels of one type (0/1, -1/+1, digits, strings, ...).
            Two classes train one sigmoid output, more classes a softmax output.
        eval_set : tuple (X_val, y_val), optional
            Held-out data whose accuracy is recorded after every epoch in
            ``history_["eval_accuracy"]``; it never influences training.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a bad hyperparameter or bad input (NaN/inf, wrong shape, empty
            ``X``, one class, labels mixing strings and numbers); the message
            names the problem.
        FloatingPointError
            If training diverges (the learning rate is too large): the loss or
            a weight becomes NaN or infinite, or an epoch's mean loss exceeds
            ``DIVERGENCE_LOSS`` = 1000 nats per sample (chance level is ln 2).
            The message gives the epoch; the estimator is left unfitted.
        """
        for attr in ("coefs_", "intercepts_", "history_", "classes_", "n_updates_"):
            self.__dict__.pop(attr, None)
        self._check_hyperparameters()
        X, y, classes = check_fit_data(self, X, y)
        self.classes_ = classes
        X = as_c_float64(X)
        # two classes: y in {0, 1} for the sigmoid output; more: class indices for the softmax
        y_idx = label_indices(classes, y, "y")

        if eval_set is not None:
            X_eval, y_eval = check_eval_set(self, eval_set)
            X_eval = as_c_float64(X_eval)
        else:
            X_eval, y_eval = np.empty((0, X.shape[1])), np.empty(0)

        rng = self._rng()
        hidden = self._hidden_sizes()
        n_out = 1 if len(classes) == 2 else len(classes)
        sizes = np.array([X.shape[1], *hidden, n_out], dtype=np.int64)
        coefs = []
        for l in range(len(sizes) - 1):
            limit = np.sqrt(6.0 / (sizes[l] + sizes[l + 1]))
            coefs.append(rng.uniform(-limit, limit, size=(sizes[l], sizes[l + 1])))
        intercepts = [np.zeros(int(s)) for s in sizes[1:]]
        theta = self._pack(coefs, intercepts)
        state1 = np.zeros_like(theta)
        state2 = np.zeros_like(theta)

        n = X.shape[0]
        epochs = int(self.epochs)
        loss = np.empty(epochs)
        acc = np.empty(epochs)
        ev = np.full(epochs, np.nan)
        order = np.arange(n)
        per_call = max(1, min(epochs, _PERM_BUDGET // n))
        step = 0
        done = 0
        while done < epochs:
            k = min(per_call, epochs - done)
            perms = rng.permuted(np.broadcast_to(order, (k, n)), axis=1)
            status, finished, step = K.train_epochs(
                theta,
                sizes,
                self._act_code(),
                K.OPTIMIZERS[self.optimizer],
                X,
                y_idx,
                perms,
                int(self.batch_size),
                float(self.learning_rate),
                float(self.momentum),
                K.ADAM_BETA1,
                K.ADAM_BETA2,
                K.ADAM_EPS,
                state1,
                state2,
                step,
                X_eval,
                y_eval,
                loss[done : done + k],
                acc[done : done + k],
                ev[done : done + k],
                K.DIVERGENCE_LOSS,
            )
            if status != K.OK:
                del self.classes_
                raise FloatingPointError(
                    f"training diverged in epoch {done + finished + 1} of {epochs}: the loss "
                    f"or a weight became NaN/inf, or the mean loss exceeded "
                    f"{K.DIVERGENCE_LOSS:g} (learning_rate={self.learning_rate!r}, "
                    f"optimizer={self.optimizer!r}); lower the learning rate"
                )
            done += k

        self.coefs_, self.intercepts_ = self._unpack(theta, sizes)
        self.n_updates_ = int(step)
        self.history_ = {
            "samples_seen": [n * (e + 1) for e in range(epochs)],
            "loss": loss.tolist(),
            "train_accuracy": acc.tolist(),
        }
        if eval_set is not None:
            self.history_["eval_accuracy"] = ev.tolist()
        return self

    # ------------------------------------------------------------------ inference

    def _validated(self, X) -> np.ndarray:
        return as_c_float64(check_predict_data(self, X))

    def _logits(self, X) -> np.ndarray:
        """Output logits, shape ``(n, 1)`` for two classes, ``(n, K)`` for K >= 3."""
        theta = self._pack(self.coefs_, self.intercepts_)
        return K.forward(theta, self._sizes(), self._act_code(), X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, K)`` in the order of ``classes_``.

        Two classes: ``[1 - sigmoid(s), sigmoid(s)]``; K >= 3: ``softmax(s)``.
        """
        s = self._logits(self._validated(X))
        if s.shape[1] > 1:
            e = np.exp(s - s.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        s = s[:, 0]
        p1 = np.empty_like(s)
        pos = s >= 0
        p1[pos] = 1.0 / (1.0 + np.exp(-s[pos]))
        e = np.exp(s[~pos])
        p1[~pos] = e / (1.0 + e)
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X) -> np.ndarray:
        """Predicted labels (values of ``classes_``).

        Two classes: ``classes_[1]`` where the logit is > 0; K >= 3: the class of the
        largest logit (the first of ``classes_`` on a tie).
        """
        s = self._logits(self._validated(X))
        if s.shape[1] > 1:
            return self.classes_[np.argmax(s, axis=1)]
        return self.classes_[(s[:, 0] > 0).astype(np.intp)]

    def hidden_response(self, X) -> np.ndarray:
        """Activations of the first hidden layer, shape ``(n_samples, hidden_layer_sizes[0])``."""
        X = self._validated(X)
        theta = self._pack(self.coefs_, self.intercepts_)
        return K.hidden_activations(theta, self._sizes(), self._act_code(), X, 0)

    def ops_per_sample(self, X) -> dict:
        """Multiply-accumulates of one forward pass per sample, mean over ``X``.

        A dense forward pass costs ``sum_l n_in * n_out`` MACs for every sample
        (zero weights, e.g. after :meth:`ablated`, are still multiplied), so the
        mean over ``X`` is that constant; ``X`` is validated like in :meth:`predict`.
        """
        self._validated(X)
        return {"macs": float(sum(W.size for W in self.coefs_))}

    def ablated(self, fraction, kind="synapses", random_state=None) -> MLPClassifier:
        """A copy with a ``fraction`` of its synapses or hidden neurons removed.

        Parameters
        ----------
        fraction : float in [0, 1]
            Share of the weights (``kind="synapses"``, pooled over all layers) or
            of the hidden units (``kind="neurons"``, pooled over all hidden
            layers) removed, ``round(fraction * total)`` of them, chosen at random.
        kind : {"synapses", "neurons"}
            ``"synapses"`` sets the chosen weights to 0 (biases are kept);
            ``"neurons"`` zeros all incoming and outgoing weights and the bias of
            the chosen hidden units, so they contribute nothing.
        random_state : int, numpy.random.Generator or None
            Seed of the choice.

        Returns
        -------
        MLPClassifier
            A new fitted estimator; ``self`` is not modified.
        """
        new, draw = ablation_copy(self, fraction, kind, random_state)
        if kind == "synapses":
            for W, chosen in zip(new.coefs_, draw([W.size for W in new.coefs_]), strict=True):
                W.reshape(-1)[chosen] = 0.0
        else:
            widths = [W.shape[1] for W in new.coefs_[:-1]]
            for l, units in enumerate(draw(widths)):
                new.coefs_[l][:, units] = 0.0
                new.intercepts_[l][units] = 0.0
                new.coefs_[l + 1][units, :] = 0.0
        return new
