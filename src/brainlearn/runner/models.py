"""Estimators as the runner makes them: registry defaults deep-merged with a spec's
overrides, checked without data, and their resolved hyperparameters."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

__all__ = ["build_model", "check_model", "hyperparameters"]


def build_model(name: str, overrides: Mapping[str, Any], **extra: Any):
    """A fresh estimator of registry model ``name`` with ``overrides`` (deep-merged into the
    registry's values by :func:`brainlearn.registry.resolved_params`) and ``extra`` (e.g.
    ``random_state``) applied."""
    from ..registry import make_model

    return make_model(name, **dict(overrides), **extra)


def check_model(est) -> None:
    """Validate an estimator's constructor parameters without data: its own
    ``_check_hyperparameters()`` (ValueError or TypeError naming the parameter; for the
    spiking classifier also the number of simulation steps), so a spec (and ``--dry-run``)
    fails before a program is built."""
    check = getattr(est, "_check_hyperparameters", None)
    if check is not None:
        check()


#: constructor parameters that are not part of a run's identity: the seed comes from the
#: sweep, and ``verbose`` only prints progress
NOT_HYPERPARAMETERS = ("random_state", "verbose")
#: constructor parameters that are part of a run's identity only when they change what a
#: run computes, with the values that do not: ``n_jobs`` of the spiking classifier above 1
#: splits a prediction into runs with their own seeds (another draw of its spikes; ``-1``
#: as many as the host has cores), while None and 1 make the same runs, and the ids of the
#: runs recorded before it existed stay
IDENTITY_WHEN_SET = {"n_jobs": (None, 1)}


def hyperparameters(est) -> dict[str, Any]:
    """Every constructor parameter of ``est`` except :data:`NOT_HYPERPARAMETERS` and those
    of :data:`IDENTITY_WHEN_SET` at a value that leaves a run as it is."""
    if hasattr(est, "get_params"):
        params = dict(est.get_params(deep=False))
    else:
        params = {p: getattr(est, p) for p in inspect.signature(type(est).__init__).parameters
                  if p != "self" and hasattr(est, p)}
    for name in NOT_HYPERPARAMETERS:
        params.pop(name, None)
    for name, same in IDENTITY_WHEN_SET.items():
        # (a bool is refused by the estimator's own checks; True == 1 is not a match here)
        if name in params and not isinstance(params[name], bool) and params[name] in same:
            del params[name]
    return params
