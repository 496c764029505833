"""Both model families reject bad input with the same ValueError and the same message
(up to the estimator's name): the checks live in one place, brainlearn._validation.
A third class is accepted only by estimators whose tags say so (``classifier_tags.multi_class``)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from brainlearn import make_task
from brainlearn._validation import check_fit_data, encode_labels, label_indices
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
    "one class": (X_OK, np.ones(40, dtype=int), r"only one class \(\[1\]\); {name} needs at"),
    "strings and ints": (
        X_OK,
        np.array(["a", 1] * 20, dtype=object),
        r"y mixes strings and numbers as labels \(e.g. 'a' and 1\)",
    ),
    "list of strings and floats": (X_OK, ["b", 2.5] * 20, "y mixes strings and numbers"),
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


def _binary_tags(self):
    tags = type(self).__mro__[1].__sklearn_tags__(self)
    tags.classifier_tags.multi_class = False
    return tags


def test_more_than_two_classes_only_where_supported():
    from sklearn.utils import get_tags

    y3 = np.arange(40) % 3
    assert get_tags(MLPClassifier()).classifier_tags.multi_class
    assert get_tags(SpikingClassifier()).classifier_tags.multi_class

    class BinarySpiking(SpikingClassifier):
        __sklearn_tags__ = _binary_tags

    message = _message(BinarySpiking, X_OK, y3).replace("BinarySpiking", "{name}")
    assert re.search("Only binary classification is supported", message)
    assert re.search(r"{name} is a binary classifier, but y has 3 classes \(\[0, 1, 2\]\)", message)
    m = MLPClassifier(epochs=2, random_state=0).fit(X_OK, y3)
    assert m.classes_.tolist() == [0, 1, 2]


def test_check_fit_data_reads_the_estimator_tags():
    class Binary(MLPClassifier):
        __sklearn_tags__ = _binary_tags

    with pytest.raises(ValueError, match="Binary is a binary classifier, but y has 4 classes"):
        check_fit_data(Binary(), X_OK, np.arange(40) % 4)
    _, _, classes = check_fit_data(MLPClassifier(), X_OK, np.arange(40) % 4)
    assert classes.tolist() == [0, 1, 2, 3]


def test_label_indices():
    classes = np.array(["a", "b", "c"])
    idx = label_indices(classes, ["c", "a", "b", "c"], "y")
    assert idx.dtype == np.float64 and idx.tolist() == [2.0, 0.0, 1.0, 2.0]
    assert encode_labels(np.array([3, 7]), [7, 3, 7], "y").tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(ValueError, match=r"eval y contains labels not seen in y: \['d'\]"):
        label_indices(classes, ["a", "d"], "eval y")
    with pytest.raises(ValueError, match="eval y mixes strings and numbers"):
        label_indices(classes, np.array(["a", 1], dtype=object), "eval y")


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
