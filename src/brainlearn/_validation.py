"""Input validation shared by both model families, so bad input gets the same ValueError
with the same message from ``MLPClassifier`` and ``SpikingClassifier``.

It is scikit-learn's validation (``validate_data``, ``check_classification_targets``,
``check_is_fitted``) plus the classification checks of this package: NaN or infinity, a
wrong shape or number of features, an empty ``X``, mismatched lengths, one class,
labels that mix strings and numbers, continuous labels, and more than two classes for an
estimator that is binary only, are all ``ValueError`` s that name the problem
(``NotFittedError``, raised before fitting, is a ``ValueError`` too).

An estimator takes more than two classes when its tags say so (``__sklearn_tags__``,
``classifier_tags.multi_class``, True for every brainlearn classifier and scikit-learn's
default for a classifier); for the others a third class is the "Only binary classification
is supported" error that scikit-learn's estimator checks expect.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "as_c_float64",
    "check_eval_set",
    "check_fit_data",
    "check_label_types",
    "check_predict_data",
    "check_unit_interval",
    "encode_labels",
    "label_indices",
]


def check_label_types(y, what: str = "y") -> None:
    """A ValueError if the labels ``y`` mix strings and numbers (e.g. ``["a", 1]``).

    Such labels cannot be sorted (numpy raises a bare TypeError), and a plain list of
    them is silently turned into strings by numpy (``1`` would come back as ``"1"``), so
    they are refused whatever container holds them.
    """
    dtype = getattr(y, "dtype", None)  # a numpy array, a pandas Series, ...
    if dtype is not None and dtype != np.dtype(object):
        return  # one typed array: one kind of label
    if dtype is None:
        try:
            if np.asarray(y).dtype.kind not in "OSU":
                return  # a list of numbers (or bools) only
        except (TypeError, ValueError):
            pass
    try:
        values = np.asarray(y, dtype=object).ravel()
    except (TypeError, ValueError):  # ragged nesting; validate_data names the shape problem
        return
    text = number = None
    for v in values:
        if isinstance(v, str | bytes):
            text = v if text is None else text
        elif isinstance(v, numbers.Number):
            number = v if number is None else number
        if text is not None and number is not None:
            raise ValueError(
                f"{what} mixes strings and numbers as labels (e.g. {text!r} and {number!r}); "
                "use labels of one type"
            )


def _multiclass(estimator) -> bool:
    """Whether the estimator takes more than two classes: its scikit-learn tags
    (``classifier_tags.multi_class``, set by ``__sklearn_tags__``)."""
    from sklearn.utils import get_tags

    try:
        tags = get_tags(estimator)
    except (AttributeError, TypeError):  # not a scikit-learn estimator
        return False
    return bool(tags.classifier_tags is not None and tags.classifier_tags.multi_class)


def check_fit_data(estimator, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated ``(X, y, classes)`` for ``fit``; sets ``estimator.n_features_in_``.

    ``classes`` are the sorted distinct labels. More than two are accepted only if the
    estimator's tags say so (``__sklearn_tags__``: ``classifier_tags.multi_class``).

    Raises
    ------
    ValueError
        Bad ``X`` or ``y`` (see the module docstring): one class, or more than two for a
        binary-only estimator, among others.
    """
    check_label_types(y)
    X, y = validate_data(estimator, X, y, dtype=np.float64, ensure_min_samples=1)
    check_classification_targets(y)
    classes = np.unique(y)
    name = type(estimator).__name__
    multiclass = _multiclass(estimator)
    if len(classes) < 2:
        raise ValueError(
            f"y contains only one class ({classes.tolist()}); {name} needs at least two classes"
        )
    if len(classes) > 2 and not multiclass:
        shown = classes[:6].tolist()
        # the first sentence is the one scikit-learn's estimator checks expect
        raise ValueError(
            "Only binary classification is supported. The type of the target is "
            f"{type_of_target(y)}: {name} is a binary classifier, but y has "
            f"{len(classes)} classes ({shown}{', ...' if len(classes) > 6 else ''})"
        )
    return X, y, classes


def label_indices(classes: np.ndarray, y, what: str) -> np.ndarray:
    """Labels as float64 class indices (``k`` for ``classes[k]``); unknown labels are an error.

    For two classes these are 0/1 with 1 = ``classes[1]``.
    """
    check_label_types(y, what)
    y = np.asarray(y)
    known = np.isin(y, classes)
    if not known.all():
        bad = np.unique(y[~known])[:5]
        raise ValueError(
            f"{what} contains labels not seen in y: {bad.tolist()} "
            f"(classes_ = {np.asarray(classes).tolist()})"
        )
    out = np.zeros(len(y), dtype=np.float64)
    for k in range(1, len(classes)):
        out[y == classes[k]] = k
    return out


def encode_labels(classes: np.ndarray, y, what: str) -> np.ndarray:
    """Labels of a two-class problem as float64 0/1 (1 = ``classes[1]``).

    The same as :func:`label_indices` (kept for the binary-only spiking classifier).
    """
    return label_indices(classes, y, what)


def check_eval_set(estimator, eval_set) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(X_val, y_val as class indices)`` of a ``fit(..., eval_set=(X_val, y_val))``
    (0/1 for two classes); call after ``check_fit_data`` and after setting ``classes_``."""
    if not isinstance(eval_set, tuple | list) or len(eval_set) != 2:
        raise ValueError("eval_set must be a pair (X_val, y_val)")
    X_eval = validate_data(estimator, eval_set[0], dtype=np.float64, reset=False)
    y_eval = np.asarray(eval_set[1])
    if y_eval.ndim != 1 or len(y_eval) != len(X_eval):
        raise ValueError(
            f"eval_set: y_val must be 1-D with one label per row of X_val "
            f"({X_eval.shape[0]} rows), got shape {y_eval.shape}"
        )
    return X_eval, label_indices(estimator.classes_, y_eval, "eval_set y_val")


def as_c_float64(a) -> np.ndarray:
    """``a`` as a C-contiguous, writeable, aligned float64 array (copied only if needed).

    The Numba kernels (:mod:`brainlearn.mlp`, :mod:`brainlearn.surrogate`) then see one
    array type, so Numba compiles (and caches) one specialisation instead of one per memory
    layout (F-order, a read-only memmap, ...).
    """
    return np.require(a, dtype=np.float64, requirements=["C", "W", "A"])


def check_predict_data(estimator, X) -> np.ndarray:
    """Validated ``X`` for ``predict`` and friends (fitted, same number of features)."""
    check_is_fitted(estimator)
    return validate_data(estimator, X, dtype=np.float64, reset=False)


#: share of input values outside [0, 1] above which fit and predict warn
_OUTSIDE_WARN = 0.01


def check_unit_interval(X: np.ndarray, what: str) -> None:
    """Warn when much of X lies outside [0, 1] (it is clipped); error when none is inside."""
    outside = float(np.mean((X < 0.0) | (X > 1.0)))
    if outside >= 1.0:
        raise ValueError(
            f"none of the values of {what} lie in [0, 1] (range {X.min():g} to {X.max():g}); "
            "the spiking model encodes [0, 1]: scale the features into it (e.g. with "
            "sklearn.preprocessing.MinMaxScaler)"
        )
    if outside > _OUTSIDE_WARN:
        warnings.warn(
            f"{100 * outside:.1f} % of the values of {what} lie outside [0, 1] (range "
            f"{X.min():g} to {X.max():g}) and are clipped to it, which loses their "
            "information: scale the features into [0, 1] (e.g. with "
            "sklearn.preprocessing.MinMaxScaler fitted on the training data)",
            UserWarning,
            stacklevel=3,
        )
