"""Experiments are data: TOML specifications of tasks x models x seeds x sizes.

A specification file looks like this (every key is checked; an unknown key, an
unknown task, model or hyperparameter, or a value of the wrong type is a
:class:`SpecError` that names the key or value and the file)::

    [experiment]
    name = "default"
    description = "what this experiment answers"
    plugins = []                 # optional: modules to import first (they may register models)

    [options]                    # optional: sizes of the analysis payloads (see DEFAULT_OPTIONS)
    boundary_grid = 41

    [[models]]                   # the model configurations; label defaults to the name
    name = "snn-stdp"            # a registry name (brainlearn.list_models())
    label = "snn-stdp"           # unique label used in results, tables and figures
    params = { n_hidden = 50 }   # overrides of the registered hyperparameters

    [[sweep]]                    # one or more blocks of tasks x models x seeds x sizes
    name = "comparison"
    tasks = ["xor", "moons"]     # brainlearn.list_tasks()
    models = ["snn-stdp"]        # labels of [[models]]; default: all of them
    seeds = [0, 1, 2]            # a list, or an integer n meaning 0 .. n-1
    n_train = [1000]             # a list or one integer
    n_test = 1000
    analyses = ["learning_curves", "compute_cost"]

Sweeps may overlap: a run that several sweeps ask for (same task, model
configuration, seed and sizes) is done once, with the union of their
analyses. That lets a spec ask for an expensive analysis (say robustness) on
a few tasks of a larger comparison without fitting those models twice.

Run identity
------------
Each run's id is a SHA-256 hash (first 16 hex digits) of its fully resolved
configuration: task, registry model name, estimator class, every
hyperparameter after overrides (the estimator's ``get_params()``), seed,
n_train, n_test, the sorted analyses, the options of those analyses and the data
version.
The label is presentation and not part of the identity.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ANALYSES",
    "DATA_VERSION",
    "DEFAULT_OPTIONS",
    "ExperimentSpec",
    "ModelEntry",
    "RunConfig",
    "SpecError",
    "canonical",
    "load_spec",
    "load_specs",
    "parse_spec",
    "resolve_runs",
]

#: analyses a run can be asked for (each feeds the figure of the same name)
ANALYSES = (
    "decision_boundaries",
    "learning_curves",
    "spike_raster",
    "receptive_fields",
    "data_scarcity",
    "compute_cost",
    "robustness",
    "weight_evolution",
)

#: bumped whenever the task definitions change in a way that changes the data
DATA_VERSION = "tasks-1"

#: sizes of the analysis payloads; a spec's [options] table may override them
DEFAULT_OPTIONS: dict[str, Any] = {
    # decision_boundaries: points per axis of the probability grid over [0,1]^2
    "boundary_grid": 41,
    # decision_boundaries: test points stored with the grid (for the scatter)
    "boundary_points": 200,
    # receptive_fields: points per axis of the grid on which hidden responses are recorded
    "receptive_grid": 21,
    # receptive_fields: at most this many hidden units are stored
    "receptive_units": 64,
    # spike_raster: number of test samples whose spikes are recorded before and after learning
    "raster_samples": 3,
    # compute_cost: test samples over which operations per sample are counted
    "ops_samples": 200,
    # training accuracy: measured on the first this many training samples (0 = all)
    "train_eval_samples": 0,
    # learning_curves: test samples used as the eval_set during training (0 = all)
    "curve_eval_samples": 0,
    # robustness: test samples used for the noise and ablation measurements (0 = all)
    "robustness_samples": 0,
    # robustness: standard deviations of the Gaussian noise added to the test inputs
    "noise_sd": [0.0, 0.05, 0.1, 0.2, 0.3],
    # robustness: fractions of synapses / hidden neurons removed after training
    "ablation_fractions": [0.0, 0.1, 0.25, 0.5, 0.75],
    # weight_evolution: number of histogram bins per checkpoint
    "weight_bins": 30,
}


#: the analysis each option belongs to: only the options of a run's analyses are part of
#: its identity, so tuning one analysis does not invalidate runs that do not use it
OPTION_ANALYSIS: dict[str, str | None] = {
    "train_eval_samples": None,  # every run (None: part of every run's identity)
    "boundary_grid": "decision_boundaries",
    "boundary_points": "decision_boundaries",
    "receptive_grid": "receptive_fields",
    "receptive_units": "receptive_fields",
    "raster_samples": "spike_raster",
    "ops_samples": "compute_cost",
    "curve_eval_samples": "learning_curves",
    "robustness_samples": "robustness",
    "noise_sd": "robustness",
    "ablation_fractions": "robustness",
    "weight_bins": "weight_evolution",
}


def _option_applies(key: str, analyses) -> bool:
    owner = OPTION_ANALYSIS.get(key)
    return owner is None or owner in analyses


class SpecError(ValueError):
    """A specification file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class ModelEntry:
    """One model configuration of a spec: a registry name, a label, overrides."""

    name: str
    label: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Sweep:
    name: str
    tasks: tuple[str, ...]
    models: tuple[str, ...]  # labels
    seeds: tuple[int, ...]
    n_train: tuple[int, ...]
    n_test: int
    analyses: tuple[str, ...]


@dataclass(frozen=True)
class ExperimentSpec:
    """A parsed and validated specification file."""

    path: Path
    name: str
    description: str
    plugins: tuple[str, ...]
    options: Mapping[str, Any]
    models: tuple[ModelEntry, ...]
    sweeps: tuple[Sweep, ...]


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
                                  if _option_applies(k, self.analyses)}),
            "data_version": self.data_version,
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
            sweeps=tuple(d.get("sweeps", ())),
        )


# --------------------------------------------------------------------------- helpers


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


def _type_name(v: Any) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(v), type(v).__name__)


class _Ctx:
    """Error helper that prefixes every message with the file name."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, msg: str) -> SpecError:
        return SpecError(f"{self.path}: {msg}")

    def check_keys(self, table: Mapping, allowed: set[str], where: str,
                   required: tuple[str, ...] = ()) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(
                    f"unknown key {where}{key!r}; allowed keys: {', '.join(sorted(allowed))}"
                )
        for key in required:
            if key not in table:
                raise self.fail(f"missing key {where}{key!r}")

    def string(self, v: Any, key: str) -> str:
        if not isinstance(v, str) or not v:
            raise self.fail(f"{key} must be a non-empty string, got {_type_name(v)} {v!r}")
        return v

    def integer(self, v: Any, key: str, minimum: int | None = None) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(f"{key} must be an integer, got {_type_name(v)} {v!r}")
        if minimum is not None and v < minimum:
            raise self.fail(f"{key} must be >= {minimum}, got {v}")
        return v

    def str_list(self, v: Any, key: str) -> tuple[str, ...]:
        if not isinstance(v, list) or not v:
            raise self.fail(
                f"{key} must be a non-empty array of strings, got {_type_name(v)} {v!r}")
        return tuple(self.string(x, f"{key}[{i}]") for i, x in enumerate(v))

    def int_list(self, v: Any, key: str, minimum: int | None = None) -> tuple[int, ...]:
        if isinstance(v, int) and not isinstance(v, bool):
            return (self.integer(v, key, minimum),)
        if not isinstance(v, list) or not v:
            raise self.fail(
                f"{key} must be an integer or a non-empty array of integers, "
                f"got {_type_name(v)} {v!r}"
            )
        out = tuple(self.integer(x, f"{key}[{i}]", minimum) for i, x in enumerate(v))
        if len(set(out)) != len(out):
            raise self.fail(f"{key} has repeated values: {list(out)}")
        return out


_TOP_KEYS = {"experiment", "options", "models", "sweep"}
_EXPERIMENT_KEYS = {"name", "description", "plugins"}
_MODEL_KEYS = {"name", "label", "params"}
_SWEEP_KEYS = {"name", "tasks", "models", "seeds", "n_train", "n_test", "analyses"}


def _check_option(ctx: _Ctx, key: str, value: Any) -> Any:
    default = DEFAULT_OPTIONS[key]
    where = f"options.{key}"
    if isinstance(default, list):
        if not isinstance(value, list) or not value:
            raise ctx.fail(f"{where} must be a non-empty array of numbers, got {value!r}")
        out = []
        for i, x in enumerate(value):
            if isinstance(x, bool) or not isinstance(x, int | float) or x < 0:
                raise ctx.fail(f"{where}[{i}] must be a number >= 0, got {x!r}")
            out.append(float(x))
        if key == "ablation_fractions" and any(x >= 1 for x in out):
            raise ctx.fail(f"{where} values must be < 1, got {value!r}")
        return out
    zero_ok = key in ("curve_eval_samples", "robustness_samples", "train_eval_samples")
    return ctx.integer(value, where, minimum=0 if zero_ok else 1)


def parse_spec(data: Mapping[str, Any], path: str | Path = "<spec>") -> ExperimentSpec:
    """Validate the parsed TOML ``data`` of a spec file (``path`` names it in errors)."""
    from ..registry import list_models, model_spec
    from ..tasks import list_tasks

    path = Path(path)
    ctx = _Ctx(path)
    ctx.check_keys(data, _TOP_KEYS, "", required=("models", "sweep"))

    exp = data.get("experiment", {})
    if not isinstance(exp, dict):
        raise ctx.fail(f"[experiment] must be a table, got {_type_name(exp)}")
    ctx.check_keys(exp, _EXPERIMENT_KEYS, "experiment.")
    name = ctx.string(exp.get("name", path.stem), "experiment.name")
    description = exp.get("description", "")
    if not isinstance(description, str):
        raise ctx.fail(f"experiment.description must be a string, got {description!r}")
    plugins = ctx.str_list(exp["plugins"], "experiment.plugins") if exp.get("plugins") else ()
    _import_plugins(plugins, ctx)

    opts = data.get("options", {})
    if not isinstance(opts, dict):
        raise ctx.fail(f"[options] must be a table, got {_type_name(opts)}")
    ctx.check_keys(opts, set(DEFAULT_OPTIONS), "options.")
    options = dict(DEFAULT_OPTIONS)
    for key, value in opts.items():
        options[key] = _check_option(ctx, key, value)

    raw_models = data["models"]
    if not isinstance(raw_models, list) or not raw_models:
        raise ctx.fail("[[models]] must be a non-empty array of tables")
    models: list[ModelEntry] = []
    for i, m in enumerate(raw_models):
        where = f"models[{i}]."
        if not isinstance(m, dict):
            raise ctx.fail(f"models[{i}] must be a table, got {_type_name(m)}")
        ctx.check_keys(m, _MODEL_KEYS, where, required=("name",))
        mname = ctx.string(m["name"], f"{where}name")
        if mname not in list_models():
            raise ctx.fail(
                f"unknown model {mname!r} at {where}name; valid models: {', '.join(list_models())}"
            )
        label = ctx.string(m.get("label", mname), f"{where}label")
        if any(e.label == label for e in models):
            raise ctx.fail(f"duplicate model label {label!r} at {where}label")
        params = m.get("params", {})
        if not isinstance(params, dict):
            raise ctx.fail(f"{where}params must be a table, got {_type_name(params)} {params!r}")
        _check_params(ctx, model_spec(mname), params, f"{where}params.")
        models.append(ModelEntry(mname, label, dict(params)))
    labels = [e.label for e in models]

    raw_sweeps = data["sweep"]
    if not isinstance(raw_sweeps, list) or not raw_sweeps:
        raise ctx.fail("[[sweep]] must be a non-empty array of tables")
    sweeps: list[Sweep] = []
    for i, s in enumerate(raw_sweeps):
        where = f"sweep[{i}]."
        if not isinstance(s, dict):
            raise ctx.fail(f"sweep[{i}] must be a table, got {_type_name(s)}")
        ctx.check_keys(s, _SWEEP_KEYS, where, required=("tasks", "seeds", "n_train", "n_test"))
        sname = ctx.string(s.get("name", f"sweep-{i}"), f"{where}name")
        if any(w.name == sname for w in sweeps):
            raise ctx.fail(f"duplicate sweep name {sname!r} at {where}name")
        tasks = ctx.str_list(s["tasks"], f"{where}tasks")
        for t in tasks:
            if t not in list_tasks():
                raise ctx.fail(
                    f"unknown task {t!r} in {where}tasks; valid tasks: {', '.join(list_tasks())}"
                )
        smodels = ctx.str_list(s["models"], f"{where}models") if "models" in s else tuple(labels)
        for lab in smodels:
            if lab not in labels:
                raise ctx.fail(
                    f"unknown model label {lab!r} in {where}models; labels defined in "
                    f"[[models]]: {', '.join(labels)}"
                )
        seeds_v = s["seeds"]
        if isinstance(seeds_v, int) and not isinstance(seeds_v, bool):
            seeds = tuple(range(ctx.integer(seeds_v, f"{where}seeds", minimum=1)))
        else:
            seeds = ctx.int_list(seeds_v, f"{where}seeds", minimum=0)
        n_train = ctx.int_list(s["n_train"], f"{where}n_train", minimum=1)
        n_test = ctx.integer(s["n_test"], f"{where}n_test", minimum=1)
        analyses = ctx.str_list(s["analyses"], f"{where}analyses") if "analyses" in s else ()
        for a in analyses:
            if a not in ANALYSES:
                raise ctx.fail(
                    f"unknown analysis {a!r} in {where}analyses; valid analyses: "
                    f"{', '.join(ANALYSES)}"
                )
        sweeps.append(Sweep(sname, tasks, smodels, seeds, n_train, n_test, tuple(analyses)))

    return ExperimentSpec(path, name, description, plugins, options, tuple(models), tuple(sweeps))


def _import_plugins(plugins: tuple[str, ...], ctx: _Ctx | None = None) -> None:
    import importlib

    for mod in plugins:
        try:
            importlib.import_module(mod)
        except ImportError as exc:
            if ctx is None:
                raise
            raise ctx.fail(f"cannot import plugin {mod!r} (experiment.plugins): {exc}") from None


def _check_params(ctx: _Ctx, spec, params: Mapping[str, Any], where: str) -> None:
    """Unknown hyperparameters and values whose type differs from the default are errors."""
    import inspect

    try:
        cls = spec.estimator_class()
    except ImportError as exc:
        raise ctx.fail(f"model {spec.name!r}: cannot import its estimator ({exc})") from None
    sig = inspect.signature(cls.__init__).parameters
    valid = [p for p in sig if p != "self"]
    for key, value in params.items():
        if key == "random_state":
            raise ctx.fail(
                f"{where}random_state is not allowed: the seed comes from the sweep's seeds"
            )
        if key not in valid:
            raise ctx.fail(
                f"unknown parameter {where}{key} for model {spec.name!r} ({cls.__name__}); "
                f"valid parameters: {', '.join(valid)}"
            )
        default = spec.params.get(key, sig[key].default)
        if default is inspect.Parameter.empty or default is None or value is None:
            continue
        if not _same_kind(default, value):
            raise ctx.fail(
                f"wrong type for {where}{key}: got {_type_name(value)} {value!r}, expected "
                f"{_type_name(default)} like the default {default!r}"
            )


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int | np.integer):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float | np.floating):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list | tuple):
        return isinstance(value, list)
    if isinstance(default, Mapping):
        return isinstance(value, dict)
    return True  # objects (e.g. rule objects): the estimator validates them in fit


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate one spec file; any problem is a :class:`SpecError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from None
    return parse_spec(data, path)


def load_specs(paths) -> list[ExperimentSpec]:
    return [load_spec(p) for p in paths]


# ----------------------------------------------------------------------- resolution


def _resolved_params(spec_path: Path, entry: ModelEntry) -> dict[str, Any]:
    from ..registry import make_model

    try:
        est = make_model(entry.name, **entry.params)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{spec_path}: model {entry.label!r}: {exc}") from None
    if hasattr(est, "get_params"):
        params = dict(est.get_params(deep=False))
    else:
        import inspect

        params = {p: getattr(est, p) for p in inspect.signature(type(est).__init__).parameters
                  if p != "self" and hasattr(est, p)}
    params.pop("random_state", None)
    try:
        return canonical(params)
    except TypeError as exc:
        raise SpecError(f"{spec_path}: model {entry.label!r}: {exc}") from None


def resolve_runs(specs: list[ExperimentSpec]) -> list[RunConfig]:
    """Every run of the given specs, deduplicated, with overlapping analyses merged.

    The order is seed-major (all runs of the first seed, then the second, ...),
    so that a sweep stopped early has every task x model cell covered once.
    """
    from ..registry import model_spec

    merged: dict[tuple, dict[str, Any]] = {}
    for spec in specs:
        entries = {e.label: e for e in spec.models}
        resolved = {lab: _resolved_params(spec.path, e) for lab, e in entries.items()}
        for sw in spec.sweeps:
            for lab in sw.models:
                e = entries[lab]
                ms = model_spec(e.name)
                params = resolved[lab]
                pkey = json.dumps(params, sort_keys=True)
                okey = json.dumps(canonical(dict(spec.options)), sort_keys=True)
                for task in sw.tasks:
                    for seed in sw.seeds:
                        for n_train in sw.n_train:
                            key = (task, e.name, pkey, seed, n_train, sw.n_test, okey)
                            slot = merged.get(key)
                            if slot is None:
                                merged[key] = slot = dict(
                                    task=task, model=e.name, label=lab, family=ms.family,
                                    estimator=ms.estimator, params=params, seed=seed,
                                    n_train=n_train, n_test=sw.n_test, analyses=set(),
                                    options=dict(spec.options), plugins=list(spec.plugins),
                                    overrides=dict(e.params),
                                    sweeps=[], order=(sw.seeds.index(seed), len(merged)),
                                    spec=spec.name,
                                )
                            elif slot["label"] != lab and slot["spec"] == spec.name:
                                raise SpecError(
                                    f"{spec.path}: model labels {slot['label']!r} and {lab!r} "
                                    "name the same configuration; use one label"
                                )
                            slot["analyses"] |= set(sw.analyses)
                            slot["sweeps"].append(f"{spec.name}/{sw.name}")
                            for p in spec.plugins:
                                if p not in slot["plugins"]:
                                    slot["plugins"].append(p)
    runs = []
    for slot in sorted(merged.values(), key=lambda s: s["order"]):
        slot["options"] = {k: v for k, v in slot["options"].items()
                           if _option_applies(k, slot["analyses"])}
        runs.append(RunConfig(
            task=slot["task"], model=slot["model"], label=slot["label"],
            family=slot["family"], estimator=slot["estimator"], params=slot["params"],
            seed=slot["seed"], n_train=slot["n_train"], n_test=slot["n_test"],
            analyses=tuple(a for a in ANALYSES if a in slot["analyses"]),
            options=slot["options"], overrides=slot["overrides"],
            plugins=tuple(slot["plugins"]),
            sweeps=tuple(dict.fromkeys(slot["sweeps"])),
        ))
    return runs
