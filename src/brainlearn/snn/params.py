"""Frozen parameter dataclasses with units in their names, strict construction, range checks.

Every parameter set of the spiking side is a frozen dataclass whose field names carry
their unit (``tau_m_ms``, ``v_th_mv``, ``rate_max_hz``). :func:`make_params` builds one
from a mapping and rejects unknown keys with a message that names the key, so a typo in
an experiment file is an error, not a silently ignored setting. Each dataclass checks its
ranges in ``__post_init__`` with :func:`check_range` (a ``ValueError`` that names the
parameter), so an impossible setting (a zero time constant, a negative learning rate) never
reaches the network, where it would make it silent or wild without an error.

Upper bounds
------------
The bounds are generous limits of what is still a model of a neuron, not tuning ranges:
voltages and synaptic scales at most :data:`MAX_MV` (10 V, about 700 times the default
threshold: beyond it a single spike drives any neuron past threshold many times over and the
network's output no longer depends on its weights), time constants at most
:data:`MAX_TIME_MS` (a day), dimensionless weights and learning rates at most
:data:`MAX_SCALE`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from typing import Any, TypeVar

from .names import LEGACY_NAMES, renamed

T = TypeVar("T")

__all__ = ["MAX_MV", "MAX_SCALE", "MAX_TIME_MS", "check_range", "flatten_groups", "make_params",
           "params_dict"]

#: largest voltage or synaptic scale accepted, in mV (10 V)
MAX_MV = 1e4
#: largest time constant or duration accepted, in ms (one day)
MAX_TIME_MS = 8.64e7
#: largest dimensionless weight bound, reference count or learning rate accepted
MAX_SCALE = 1e6


def flatten_groups(overrides: Mapping[str, Any], groups: Mapping[str, tuple[str, ...]],
                   label: str) -> dict[str, Any]:
    """``overrides`` with every group given as a dict (``{"hidden": {"v_th_mv": 12}}``)
    replaced by its flat keys (``{"v_th_mv": 12}``); flat keys pass as they are. A parameter
    given twice (flat and in its group) takes the later value in the mapping's order, as a
    dict literal would, so a grouped override given to ``make_model`` applies over the
    configuration's flat value. A group under its name before release 0.1.0
    (``"interneuron"``) is read as the group's with a ``FutureWarning``.

    Raises
    ------
    ValueError
        Naming the group and the key, if a group's key belongs to another group (or to
        none), or a group is not a dict.
    """
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if key in LEGACY_NAMES and LEGACY_NAMES[key] in groups and key not in groups:
            renamed(key, LEGACY_NAMES[key])
            key = LEGACY_NAMES[key]
        if key not in groups:
            flat.pop(key, None)
            flat[key] = value
            continue
        if not isinstance(value, Mapping):
            raise ValueError(f"group {key!r} of {label} must be a dict of its parameters, got "
                             f"{value!r}")
        for name, v in value.items():
            if name not in groups[key]:
                owner = [g for g, names in groups.items() if name in names]
                hint = (f" (it belongs to {owner[0]!r})" if owner
                        else f"; the parameters of {key!r}: {', '.join(groups[key])}")
                raise ValueError(f"unknown parameter {name!r} in group {key!r} of "
                                 f"{label}{hint}")
            flat.pop(name, None)
            flat[name] = v
    return flat


def make_params(cls: type[T], overrides: Mapping[str, Any] | None = None, *, what: str = "") -> T:
    """An instance of the dataclass ``cls`` with ``overrides`` applied (a class with a
    ``GROUPS`` table, such as ``NetworkParams``, also takes its parameters grouped:
    :func:`flatten_groups`).

    Raises
    ------
    ValueError
        If ``overrides`` is not a mapping, a key is not a field of ``cls`` (the message
        names the key and lists the valid ones), a value is not a finite number where a
        number is expected, or a value is out of its range (the dataclass's own check).
    """
    label = what or cls.__name__
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ValueError(
            f"{label} must be a dict of parameter overrides, got {type(overrides).__name__} "
            f"{overrides!r}"
        )
    overrides = dict(overrides or {})
    groups = getattr(cls, "GROUPS", None)
    if groups:
        overrides = flatten_groups(overrides, groups, label)
    fields = {f.name: f for f in dataclasses.fields(cls)}
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
    try:
        return cls(**overrides)
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from None


def check_range(
    p,
    name: str,
    *,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    integer: bool = False,
) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``getattr(p, name)`` is a finite number
    (an integer with ``integer=True``) with ``> gt``, ``>= ge`` and ``<= le``."""
    v = getattr(p, name)
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(v, numbers.Integral if integer else numbers.Real) and not isinstance(
        v, bool
    )
    if not ok_type or not math.isfinite(v):
        raise ValueError(f"{name} must be {kind}, got {v!r}")
    if gt is not None and not v > gt:
        raise ValueError(f"{name} must be > {gt}, got {v!r}")
    if ge is not None and not v >= ge:
        raise ValueError(f"{name} must be >= {ge}, got {v!r}")
    if le is not None and not v <= le:
        raise ValueError(f"{name} must be <= {le:g}, got {v!r}")


def check_ordered(p, low: str, high: str) -> None:
    """Raise ``ValueError`` naming both unless ``p.low <= p.high``."""
    if not getattr(p, low) <= getattr(p, high):
        raise ValueError(
            f"{low} must be <= {high}, got {low}={getattr(p, low)!r} > {high}={getattr(p, high)!r}"
        )


def params_dict(p) -> dict[str, Any]:
    """The fields of a parameter dataclass as a plain dict (for hashing and pickling)."""
    return dataclasses.asdict(p)
