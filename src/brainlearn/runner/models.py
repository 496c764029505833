"""Estimators as the runner makes them: registry defaults deep-merged with a spec's
overrides, checked without data, and their resolved hyperparameters."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Any

__all__ = ["build_model", "check_model", "hyperparameters", "resolved_params"]


def resolved_params(name: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The registry's parameters of model ``name`` deep-merged with ``overrides``."""
    from .. import registry

    fn = getattr(registry, "resolved_params", None)
    if fn is not None:
        return fn(name, dict(overrides))
    # --- SHIM: delete from here once registry.resolved_params (branch mlp-k) is merged ---
    def merge(base: Any, over: Any) -> Any:
        if isinstance(base, Mapping) and isinstance(over, Mapping):
            out = dict(base)
            for k, v in over.items():
                out[k] = merge(base[k], v) if k in base else v
            return out
        return over

    return copy.deepcopy(merge(dict(registry.model_spec(name).params), dict(overrides)))
    # --- end of SHIM ---


def build_model(name: str, overrides: Mapping[str, Any], **extra: Any):
    """A fresh estimator of registry model ``name`` with ``overrides`` (deep-merged) and
    ``extra`` (e.g. ``random_state``) applied."""
    from ..registry import model_spec

    cls = model_spec(name).estimator_class()
    return cls(**resolved_params(name, overrides), **extra)


def check_model(est) -> None:
    """Validate an estimator's constructor parameters without data: its own
    ``_check_hyperparameters()`` (ValueError or TypeError naming the parameter)."""
    check = getattr(est, "_check_hyperparameters", None)
    if check is not None:
        check()


def hyperparameters(est) -> dict[str, Any]:
    """Every constructor parameter of ``est`` except ``random_state``."""
    if hasattr(est, "get_params"):
        params = dict(est.get_params(deep=False))
    else:
        params = {p: getattr(est, p) for p in inspect.signature(type(est).__init__).parameters
                  if p != "self" and hasattr(est, p)}
    params.pop("random_state", None)
    return params
