"""One run's resolved configuration, and its identity.

Each run's id is a SHA-256 hash (first 16 hex digits) of its fully resolved
configuration: task, registry model name, estimator class, every hyperparameter after
overrides (the estimator's ``get_params()``), seed, n_train, n_test, the sorted
analyses, the options of those analyses (and the options of every run), the data
version and, for a tuned run only, the tuning settings and searched space. The label
is presentation and not part of the identity, nor is ``data_home``
(where the files of a task such as ``mnist`` are, not what they hold).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .analyses import ANALYSES, option_owner

__all__ = ["DATA_VERSION", "RunConfig", "canonical", "option_applies"]

#: bumped whenever the task definitions change in a way that changes the data
DATA_VERSION = "tasks-1"


def option_applies(key: str, analyses) -> bool:
    """Whether option ``key`` belongs to a run with these analyses (so to its identity):
    tuning one analysis does not invalidate runs that do not use it."""
    owner = option_owner(key)
    return owner is None or owner in analyses


def canonical(value: Any) -> Any:
    """A JSON-able, deterministic form of a hyperparameter value.

    Tuples become lists, numpy scalars Python numbers, dataclasses and objects
    with ``get_params`` a dict tagged with their class. Anything whose ``repr``
    holds a memory address cannot be hashed deterministically and is an error.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return repr(v)
        return v
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, np.ndarray):
        return canonical(value.tolist())
    cls = f"{type(value).__module__}.{type(value).__qualname__}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"__class__": cls, **canonical(fields)}
    if hasattr(value, "get_params"):
        return {"__class__": cls, **canonical(value.get_params())}
    text = repr(value)
    if " at 0x" in text:
        raise TypeError(f"cannot hash a parameter value deterministically: {text}")
    return {"__class__": cls, "repr": text}


@dataclass(frozen=True)
class RunConfig:
    """The fully resolved configuration of one run (what its id hashes)."""

    task: str
    model: str  # registry name
    label: str
    family: str
    estimator: str
    params: Mapping[str, Any]  # every hyperparameter, resolved, random_state excluded
    seed: int
    n_train: int
    n_test: int
    analyses: tuple[str, ...]
    options: Mapping[str, Any]
    data_version: str = DATA_VERSION
    overrides: Mapping[str, Any] = field(default_factory=dict, compare=False)
    plugins: tuple[str, ...] = field(default=(), compare=False)
    sweeps: tuple[str, ...] = field(default=(), compare=False)
    #: where a task read from files finds them (None: $BRAINLEARN_DATA); not the identity
    data_home: str | None = field(default=None, compare=False)
    #: the tuning step (settings and searched space, :mod:`.tune`); None: not tuned. Part
    #: of the identity only when set, so the ids of untuned runs do not change
    tune: Mapping[str, Any] | None = None
    #: where the tuning keeps its study (set by the sweep; not the identity)
    study_dir: str | None = field(default=None, compare=False)

    def identity(self) -> dict[str, Any]:
        """The part of the configuration that defines the run (hashed into its id)."""
        return {
            "task": self.task,
            "model": self.model,
            "estimator": self.estimator,
            "params": canonical(dict(self.params)),
            "seed": self.seed,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "analyses": sorted(self.analyses),
            "options": canonical({k: v for k, v in self.options.items()
                                  if option_applies(k, self.analyses)}),
            "data_version": self.data_version,
            **({"tune": canonical(dict(self.tune))} if self.tune is not None else {}),
        }

    @property
    def run_id(self) -> str:
        blob = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        d = self.identity()
        d.update(label=self.label, family=self.family, overrides=dict(self.overrides),
                 plugins=list(self.plugins),
                 sweeps=list(self.sweeps), run_id=self.run_id)
        if self.data_home is not None:
            d["data_home"] = self.data_home
        if self.study_dir is not None:
            d["study_dir"] = self.study_dir
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunConfig:
        return cls(
            task=d["task"], model=d["model"], label=d["label"], family=d["family"],
            estimator=d["estimator"], params=dict(d["params"]), seed=int(d["seed"]),
            n_train=int(d["n_train"]), n_test=int(d["n_test"]),
            analyses=tuple(a for a in ANALYSES if a in d["analyses"]),
            options=dict(d["options"]),
            data_version=d["data_version"], overrides=dict(d.get("overrides", {})),
            plugins=tuple(d.get("plugins", ())),
            sweeps=tuple(d.get("sweeps", ())), data_home=d.get("data_home"),
            tune=d.get("tune"), study_dir=d.get("study_dir"),
        )
