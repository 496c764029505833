"""Frozen parameter dataclasses with units in their names, and strict construction.

Every parameter set of the spiking side is a frozen dataclass whose field names carry
their unit (``tau_m_ms``, ``v_th_mv``, ``rate_max_hz``). :func:`make_params` builds one
from a mapping and rejects unknown keys with a message that names the key, so a typo in
an experiment file is an error, not a silently ignored setting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["make_params", "params_dict"]


def make_params(cls: type[T], overrides: Mapping[str, Any] | None = None, *, what: str = "") -> T:
    """An instance of the dataclass ``cls`` with ``overrides`` applied.

    Raises
    ------
    ValueError
        If a key of ``overrides`` is not a field of ``cls`` (the message names the key and
        lists the valid ones), or a value is not a finite number where a number is expected.
    """
    overrides = dict(overrides or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    label = what or cls.__name__
    for key, value in overrides.items():
        if key not in fields:
            raise ValueError(
                f"unknown parameter {key!r} for {label}; valid parameters: "
                f"{', '.join(sorted(fields))}"
            )
        default = getattr(cls, key, None)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"parameter {key!r} of {label} must be a bool, got {value!r}")
        elif isinstance(default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"parameter {key!r} of {label} must be a number, got {value!r}")
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"parameter {key!r} of {label} must be finite, got {value!r}")
            if isinstance(default, int) and not isinstance(value, int):
                raise ValueError(f"parameter {key!r} of {label} must be an integer, got {value!r}")
    return cls(**overrides)


def params_dict(p) -> dict[str, Any]:
    """The fields of a parameter dataclass as a plain dict (for hashing and pickling)."""
    return dataclasses.asdict(p)
