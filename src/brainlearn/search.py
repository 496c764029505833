"""Hyperparameter search spaces: what the runner's tuning step may vary, per model.

A search space is a mapping from a parameter *path* to a dimension. A path is a
hyperparameter of the estimator (``"learning_rate"``) or, for a dict-valued
hyperparameter, a key inside it (``"network_params.w_out_mv"``,
``"readout_rule_params.eta"``). Three kinds of dimension:

- :class:`Float` ``(low, high, log=False)``: a real number in ``[low, high]``
  (log-uniform with ``log=True``);
- :class:`Int` ``(low, high, log=False)``: an integer in ``[low, high]``;
- :class:`Choice` ``(options)``: one of a few values (numbers, strings, booleans or
  tuples of them, e.g. ``hidden_layer_sizes``).

A model's space is declared with its registry entry (``register_model(...,
search_space={...})``, :mod:`brainlearn.configurations`) and printed by ``brainlearn list
--model NAME``. The tuning step of the runner (:mod:`brainlearn.runner.tune`) draws
values with Optuna's TPE sampler and passes them to the model as overrides of its
registered hyperparameters (:func:`overrides`).

Examples
--------
>>> from brainlearn.search import Float, Int, Choice, check_space, overrides
>>> space = check_space({"learning_rate": Float(1e-4, 1e-1, log=True),
...                      "network_params.w_out_mv": Float(80.0, 240.0),
...                      "hidden_layer_sizes": Choice([(32, 32), (64, 64)])})
>>> overrides({"learning_rate": 0.01, "network_params.w_out_mv": 120.0})
{'learning_rate': 0.01, 'network_params': {'w_out_mv': 120.0}}
>>> Float(1.0, 1.0)
Traceback (most recent call last):
...
ValueError: empty range: low 1.0 must be < high 1.0
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Choice", "Float", "Int", "check_space", "describe_space", "overrides",
           "space_identity"]


def _num(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {v!r}")
    return v


@dataclass(frozen=True)
class Float:
    """A real number in ``[low, high]``, log-uniform when ``log`` (then ``low > 0``)."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self):
        _num(self.low, "low")
        _num(self.high, "high")
        if not self.low < self.high:
            raise ValueError(f"empty range: low {self.low!r} must be < high {self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log scale needs low > 0, got low {self.low!r}")

    def suggest(self, trial, name: str) -> float:
        return trial.suggest_float(name, float(self.low), float(self.high), log=self.log)

    def corners(self) -> list[float]:
        return [float(self.low), float(self.high)]

    def describe(self) -> str:
        return f"{self.low:g} .. {self.high:g}" + (" (log)" if self.log else "")

    def identity(self) -> dict[str, Any]:
        return {"kind": "float", "low": float(self.low), "high": float(self.high),
                "log": self.log}


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]`` (log-uniform when ``log``, then ``low >= 1``)."""

    low: int
    high: int
    log: bool = False

    def __post_init__(self):
        for what in ("low", "high"):
            v = getattr(self, what)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ValueError(f"{what} must be an integer, got {v!r}")
        if not self.low < self.high:
            raise ValueError(f"empty range: low {self.low!r} must be < high {self.high!r}")
        if self.log and self.low < 1:
            raise ValueError(f"a log scale needs low >= 1, got low {self.low!r}")

    def suggest(self, trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)

    def corners(self) -> list[int]:
        return [self.low, self.high]

    def describe(self) -> str:
        return f"{self.low} .. {self.high} (integer" + (", log)" if self.log else ")")

    def identity(self) -> dict[str, Any]:
        return {"kind": "int", "low": self.low, "high": self.high, "log": self.log}


def _plain(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return tuple(_plain(x) for x in v)
    if v is None or isinstance(v, bool | int | float | str):
        return v
    raise ValueError(f"a choice must be a number, string, boolean, None or a tuple of them, "
                     f"got {v!r}")


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (at least two distinct values)."""

    options: tuple

    def __post_init__(self):
        opts = tuple(_plain(o) for o in self.options)
        object.__setattr__(self, "options", opts)
        if len(set(map(self._label, opts))) != len(opts):
            raise ValueError(f"choices must be distinct, got {list(opts)!r}")
        if len(opts) < 2:
            raise ValueError(f"empty range: a choice needs at least two options, got "
                             f"{list(opts)!r}")

    @staticmethod
    def _label(v: Any) -> str:
        return json.dumps(v)

    def suggest(self, trial, name: str) -> Any:
        labels = [self._label(o) for o in self.options]
        picked = trial.suggest_categorical(name, labels)
        return self.options[labels.index(picked)]

    def value_of(self, stored: Any) -> Any:
        """The option that Optuna stored as ``stored`` (its label)."""
        labels = [self._label(o) for o in self.options]
        return self.options[labels.index(stored)]

    def corners(self) -> list[Any]:
        return list(self.options)

    def describe(self) -> str:
        return "one of " + ", ".join(self._label(o) for o in self.options)

    def identity(self) -> dict[str, Any]:
        return {"kind": "choice", "options": [self._label(o) for o in self.options]}


Dimension = Float | Int | Choice


def check_space(space: Any, where: str = "search_space") -> dict[str, Dimension]:
    """``space`` as a checked ``{path: dimension}`` dict (ValueError naming the key)."""
    if not isinstance(space, Mapping):
        raise ValueError(f"{where} must be a dict of parameter -> Float/Int/Choice, got "
                         f"{type(space).__name__}")
    out: dict[str, Dimension] = {}
    for key, dim in space.items():
        if not isinstance(key, str) or not key or any(not p for p in key.split(".")):
            raise ValueError(f"{where}: invalid parameter path {key!r}")
        if not isinstance(dim, Float | Int | Choice):
            raise ValueError(f"{where}[{key!r}] must be a Float, Int or Choice, got {dim!r}")
        out[key] = dim
    return out


def overrides(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter overrides (nested dicts for dotted paths) of ``{path: value}``."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        *parents, leaf = path.split(".")
        d = out
        for p in parents:
            d = d.setdefault(p, {})
        d[leaf] = value
    return out


def describe_space(space: Mapping[str, Dimension]) -> list[str]:
    """One line per dimension: ``"path: range"``."""
    return [f"{k}: {d.describe()}" for k, d in space.items()]


def space_identity(space: Mapping[str, Dimension]) -> dict[str, Any]:
    """Plain data of a space (part of a tuned run's identity)."""
    return {k: d.identity() for k, d in sorted(space.items())}
