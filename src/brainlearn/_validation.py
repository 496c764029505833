"""Input validation shared by both model families, so bad input gets the same ValueError
with the same message from ``MLPClassifier`` and ``SpikingClassifier``.

It is scikit-learn's validation (``validate_data``, ``check_classification_targets``,
``check_is_fitted``) plus the binary-classification checks of this package: NaN or
infinity, a wrong shape or number of features, an empty ``X``, mismatched lengths, one
class, more than two classes and continuous labels are all ``ValueError`` s that name the
problem (``NotFittedError``, raised before fitting, is a ``ValueError`` too).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["check_eval_set", "check_fit_data", "check_predict_data", "encode_labels"]


def check_fit_data(estimator, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated ``(X, y, classes)`` for ``fit``; sets ``estimator.n_features_in_``.

    Raises
    ------
    ValueError
        Bad ``X`` or ``y`` (see the module docstring), or not exactly two classes.
    """
    X, y = validate_data(estimator, X, y, dtype=np.float64, ensure_min_samples=1)
    check_classification_targets(y)
    classes = np.unique(y)
    name = type(estimator).__name__
    if len(classes) < 2:
        raise ValueError(
            f"y contains only one class ({classes.tolist()}); {name} needs exactly two classes"
        )
    if len(classes) > 2:
        shown = classes[:6].tolist()
        # the first sentence is the one scikit-learn's estimator checks expect
        raise ValueError(
            "Only binary classification is supported. The type of the target is "
            f"{type_of_target(y)}: {name} is a binary classifier, but y has "
            f"{len(classes)} classes ({shown}{', ...' if len(classes) > 6 else ''})"
        )
    return X, y, classes


def encode_labels(classes: np.ndarray, y, what: str) -> np.ndarray:
    """Labels as float64 0/1 (1 = ``classes[1]``); labels not in ``classes`` are an error."""
    y = np.asarray(y)
    known = np.isin(y, classes)
    if not known.all():
        bad = np.unique(y[~known])[:5]
        raise ValueError(
            f"{what} contains labels not seen in y: {bad.tolist()} "
            f"(classes_ = {np.asarray(classes).tolist()})"
        )
    return (y == classes[1]).astype(np.float64)


def check_eval_set(estimator, eval_set) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(X_val, y_val as 0/1)`` of a ``fit(..., eval_set=(X_val, y_val))``;
    call after ``check_fit_data`` and after setting ``classes_``."""
    if not isinstance(eval_set, tuple | list) or len(eval_set) != 2:
        raise ValueError("eval_set must be a pair (X_val, y_val)")
    X_eval = validate_data(estimator, eval_set[0], dtype=np.float64, reset=False)
    y_eval = np.asarray(eval_set[1])
    if y_eval.ndim != 1 or len(y_eval) != len(X_eval):
        raise ValueError(
            f"eval_set: y_val must be 1-D with one label per row of X_val "
            f"({X_eval.shape[0]} rows), got shape {y_eval.shape}"
        )
    return X_eval, encode_labels(estimator.classes_, y_eval, "eval_set y_val")


def check_predict_data(estimator, X) -> np.ndarray:
    """Validated ``X`` for ``predict`` and friends (fitted, same number of features)."""
    check_is_fitted(estimator)
    return validate_data(estimator, X, dtype=np.float64, reset=False)
