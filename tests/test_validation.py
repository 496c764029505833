"""Both model families reject bad input with the same ValueError and the same message
(up to the estimator's name): the checks live in one place, brainlearn._validation."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from brainlearn import make_task
from brainlearn.mlp.model import MLPClassifier
from brainlearn.snn.model import SpikingClassifier

X_OK, Y_OK = make_task("linear", 40, seed=0)
X_NAN = X_OK.copy()
X_NAN[3, 1] = np.nan
X_INF = X_OK.copy()
X_INF[5, 0] = np.inf

BAD = {
    "nan": (X_NAN, Y_OK, "Input X contains NaN"),
    "inf": (X_INF, Y_OK, "Input X contains infinity"),
    "1-D X": (X_OK[:, 0], Y_OK, "Expected 2D array, got 1D array"),
    "y too short": (X_OK, Y_OK[:-3], "inconsistent numbers of samples: \\[40, 37\\]"),
    "empty X": (np.empty((0, 2)), np.empty(0), "0 sample"),
    "no features": (np.empty((40, 0)), Y_OK, "0 feature"),
    "y NaN": (X_OK, np.where(np.arange(40) == 2, np.nan, Y_OK), "Input y contains NaN"),
    "one class": (X_OK, np.ones(40, dtype=int), r"only one class \(\[1\]\); {name} needs"),
    "three classes": (X_OK, np.arange(40) % 3, "{name} is a binary classifier, but y has 3"),
    "continuous y": (X_OK, np.linspace(0, 1, 40), "Unknown label type"),
    "strings in X": (np.array([["a", "b"]] * 40), Y_OK, "could not convert string to float"),
}

FAMILIES = {"mlp": MLPClassifier, "snn": SpikingClassifier}


def _message(cls, X, y) -> str:
    with pytest.raises(ValueError) as info:
        cls().fit(X, y)
    return str(info.value).replace(cls.__name__, "{name}")


@pytest.mark.parametrize("case", list(BAD))
def test_both_families_raise_the_same_value_error(case):
    X, y, match = BAD[case]
    messages = {fam: _message(cls, X, y) for fam, cls in FAMILIES.items()}
    assert messages["mlp"] == messages["snn"]
    assert re.search(match, messages["mlp"]), messages["mlp"]


@pytest.mark.parametrize("cls", list(FAMILIES.values()), ids=list(FAMILIES))
def test_unfitted_models_raise_not_fitted_error(cls):
    for method in ("predict", "predict_proba", "hidden_response", "ops_per_sample"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(cls(), method)(X_OK)
    assert issubclass(NotFittedError, ValueError)


@pytest.mark.parametrize("cls", list(FAMILIES.values()), ids=list(FAMILIES))
def test_bad_eval_set_is_named(cls):
    with pytest.raises(ValueError, match="eval_set must be a pair"):
        cls().fit(X_OK, Y_OK, eval_set=X_OK)
    with pytest.raises(ValueError, match="labels not seen in y: \\[7\\]"):
        cls().fit(X_OK, Y_OK, eval_set=(X_OK, np.full(40, 7)))
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 2"):
        cls().fit(X_OK, Y_OK, eval_set=(np.ones((4, 3)), np.zeros(4)))
