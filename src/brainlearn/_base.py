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

Progress: the classifiers whose fits take minutes (the spiking ones) take scikit-learn's
``verbose`` (0: silent; 1: a line on stderr at most every :data:`PROGRESS_INTERVAL_S`
seconds and one at the end; 2: a line per step); :class:`FitProgress` writes the lines.

Lesions: :func:`ablation_copy` is the shared part of every ``ablated(fraction, kind,
random_state)`` (the runner's ``Ablatable`` capability): the checks of its arguments, the
copy of the fitted estimator and the random choice of what is removed; each estimator
keeps only the lines that zero its own weights.
"""

from __future__ import annotations

import copy
import inspect
import numbers
import sys
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "ABLATION_KINDS",
    "NON_NEGATIVE_INT",
    "NON_NEGATIVE_REAL",
    "POSITIVE_INT",
    "POSITIVE_REAL",
    "RANDOM_STATE",
    "PROGRESS_INTERVAL_S",
    "VERBOSE",
    "BrainlearnClassifier",
    "FitProgress",
    "Hidden",
    "Interval",
    "StrOptions",
    "ablation_copy",
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


#: what ``ablated`` removes: synapses (weights) or hidden neurons
ABLATION_KINDS = ("synapses", "neurons")

_E = TypeVar("_E")


def ablation_copy(estimator: _E, fraction, kind: str, random_state
                  ) -> tuple[_E, Callable[[Sequence[int]], list[np.ndarray]]]:
    """The shared part of ``estimator.ablated(fraction, kind, random_state)``.

    Checks that ``estimator`` is fitted and the arguments, then returns a deep copy of
    the estimator, for the caller to zero what is removed, and ``draw``: ``draw(sizes)``
    chooses ``round(fraction * sum(sizes))`` distinct elements at random, pooled over
    groups of ``sizes`` elements (the weights of several layers, the units of several
    hidden layers; one group: ``draw([n])``), and returns the indices chosen in each group,
    numbered from 0 within the group. Every call draws from one generator, resolved from
    ``random_state`` (:func:`as_generator`), so the same ``random_state`` removes the same
    elements.

    Parameters
    ----------
    estimator : fitted estimator
    fraction : float in [0, 1]
        Share of the elements of each ``draw`` removed.
    kind : {"synapses", "neurons"}
        Checked only; the caller removes accordingly.
    random_state : None, int >= 0 or numpy.random.Generator

    Returns
    -------
    new : estimator
        A deep copy of ``estimator``; ``estimator`` itself is never modified.
    draw : callable
        ``draw(sizes) -> list of ndarray``, one array of indices per group.

    Raises
    ------
    NotFittedError
        ``estimator`` is not fitted.
    ValueError
        ``fraction`` is not a number in [0, 1], ``kind`` is not one of
        :data:`ABLATION_KINDS` or ``random_state`` is invalid.
    """
    check_is_fitted(estimator)
    if not is_real(fraction) or not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be a number in [0, 1], got {fraction!r}")
    if kind not in ABLATION_KINDS:
        raise ValueError(f"unknown kind {kind!r}; valid: {', '.join(ABLATION_KINDS)}")
    rng = as_generator(random_state)

    def draw(sizes: Sequence[int]) -> list[np.ndarray]:
        total = int(sum(sizes))
        chosen = rng.choice(total, size=int(round(fraction * total)), replace=False)
        bounds = np.cumsum([0, *sizes])
        return [chosen[(chosen >= lo) & (chosen < hi)] - lo
                for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]

    return copy.deepcopy(estimator), draw


#: scikit-learn's constraint of ``verbose``: an int >= 0 or a bool
VERBOSE = ["verbose"]
#: seconds between two progress lines of a fit at ``verbose=1``
PROGRESS_INTERVAL_S = 5.0


class FitProgress:
    """Progress lines of a fit on ``stream`` (stderr by default), scikit-learn style.

    ``verbose`` 0 writes nothing; 1 writes a line at most every ``interval_s`` seconds and
    the last one; 2 or more writes every :meth:`update`. A line reads
    ``"SpikingClassifier: 300/1000 presentations (30 %), 4.1 s, train accuracy 0.91"``.
    """

    def __init__(self, verbose, name: str, total: int, unit: str,
                 interval_s: float = PROGRESS_INTERVAL_S, stream=None):
        self.level = int(verbose)
        self.name, self.total, self.unit = name, int(total), unit
        self.interval_s = interval_s
        self.stream = stream
        self.start = self._last = time.perf_counter()

    def update(self, done: int, final: bool = False, **values: float) -> None:
        """Report ``done`` of ``total`` units with ``values`` (name -> number)."""
        if self.level <= 0:
            return
        now = time.perf_counter()
        if not final and self.level < 2 and now - self._last < self.interval_s:
            return
        self._last = now
        share = f" ({100 * done / self.total:.0f} %)" if self.total else ""
        extra = "".join(f", {k.replace('_', ' ')} {v:.3g}" for k, v in values.items())
        print(f"{self.name}: {done}/{self.total} {self.unit}{share}, "
              f"{now - self.start:.1f} s{extra}", file=self.stream or sys.stderr, flush=True)


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

    def __setstate__(self, state):
        """Unpickle; a constructor parameter added after the estimator was pickled (such as
        ``SpikingClassifier``'s ``n_jobs``) takes its default, so older pickles still work."""
        super().__setstate__(state)
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if (name != "self" and param.default is not inspect.Parameter.empty
                    and name not in self.__dict__
                    # a parameter kept behind a property has its own storage
                    and not isinstance(inspect.getattr_static(type(self), name, None),
                                       property)):
                setattr(self, name, param.default)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags
