"""The estimator base of brainlearn's classifiers: declarative parameter constraints in
scikit-learn's style, one ``random_state`` rule, the estimator tags.

Every classifier declares its hyperparameters' valid values in ``_parameter_constraints``
with scikit-learn's ``Interval`` and ``StrOptions`` (the constants below name the common
ones) and, where a constraint cannot say it (a tuple of layer sizes, an order between two
parameters), checks the rest in ``_check_more``. ``_check_hyperparameters()`` runs both
without data: ``fit`` calls it first, and the runner calls it on every model of a spec, so
a bad value is an error naming the parameter before anything runs. An invalid value raises
scikit-learn's ``InvalidParameterError``, a ``ValueError`` (and ``TypeError``).

``random_state`` is None (fresh entropy), an int >= 0 or a :class:`numpy.random.Generator`
everywhere (:data:`RANDOM_STATE`); :func:`as_generator` and :func:`seed_int` resolve it in
``fit``. More than two classes: the estimator tags (``__sklearn_tags__``,
``classifier_tags.multi_class``), read by :func:`brainlearn._validation.check_fit_data`.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions

__all__ = [
    "NON_NEGATIVE_INT",
    "NON_NEGATIVE_REAL",
    "POSITIVE_INT",
    "POSITIVE_REAL",
    "RANDOM_STATE",
    "BrainlearnClassifier",
    "Interval",
    "StrOptions",
    "as_generator",
    "is_int",
    "is_real",
    "seed_int",
]

#: None, an int >= 0 or a numpy Generator
RANDOM_STATE = [None, Interval(numbers.Integral, 0, None, closed="left"), np.random.Generator]
#: an integer >= 1
POSITIVE_INT = [Interval(numbers.Integral, 1, None, closed="left")]
#: an integer >= 0
NON_NEGATIVE_INT = [Interval(numbers.Integral, 0, None, closed="left")]
#: a finite number > 0
POSITIVE_REAL = [Interval(numbers.Real, 0, None, closed="neither")]
#: a finite number >= 0
NON_NEGATIVE_REAL = [Interval(numbers.Real, 0, None, closed="left")]


def is_int(value) -> bool:
    """An integer that is not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
    """A real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_random_state(random_state) -> None:
    if (random_state is None or isinstance(random_state, np.random.Generator)
            or (is_int(random_state) and random_state >= 0)):
        return
    raise ValueError(f"random_state must be None, an int >= 0 or a numpy Generator, got "
                     f"{random_state!r}")


def as_generator(random_state) -> np.random.Generator:
    """The numpy Generator of ``random_state`` (see the module docstring)."""
    _check_random_state(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def seed_int(random_state) -> int:
    """An int seed (for scikit-learn or a compiled program) from ``random_state``: the int
    itself, a draw of the Generator, or fresh entropy for None."""
    _check_random_state(random_state)
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] % (2**31))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    return int(random_state)


class BrainlearnClassifier(ClassifierMixin, BaseEstimator):
    """The base of brainlearn's classifiers (see the module docstring). Subclasses declare
    ``_parameter_constraints`` (merged with ``random_state``'s) and may add ``_check_more``.
    """

    _parameter_constraints: dict = {"random_state": RANDOM_STATE}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("_parameter_constraints")
        if own is not None and "random_state" not in own:
            cls._parameter_constraints = {**own, "random_state": RANDOM_STATE}

    def _check_hyperparameters(self) -> None:
        """Check every constructor parameter, without data (a ValueError naming it)."""
        self._validate_params()
        # scikit-learn's intervals take True and False as the numbers 1 and 0: a bool
        # given for a number is a mistake here
        for name, constraints in self._parameter_constraints.items():
            value = getattr(self, name, None)
            if (isinstance(value, bool | np.bool_) and "boolean" not in constraints
                    and any(isinstance(c, Interval) for c in constraints)):
                raise ValueError(f"The {name!r} parameter of {type(self).__name__} must be a "
                                 f"number, not a boolean. Got {value!r} instead.")
        self._check_more()

    def _check_more(self) -> None:
        """What the declarative constraints cannot state (subclasses override)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
