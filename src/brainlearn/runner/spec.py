"""Experiments are data: TOML specifications of tasks x models x seeds x sizes.

A specification file looks like this (every key is checked; an unknown key, an
unknown task, model or hyperparameter, or a value of the wrong type is a
:class:`SpecError` that names the key or value and the file)::

    [experiment]
    name = "default"
    description = "what this experiment answers"
    plugins = []                 # optional: modules to import first (they may register models)
    data_home = "~/data"         # optional: where the tasks read from files (mnist,
                                 # fashion-mnist) find DATA_HOME/mnist/...; a relative path
                                 # is relative to the spec file; default $BRAINLEARN_DATA

    [options]                    # optional: analysis options (see brainlearn.runner.analyses)
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

    [tune]                       # optional: the tuning step (brainlearn.runner.tune)
    trials = 16                  # trials per (task, model, seed), the same for every model
    validation = 0.2             # share of the training split used for validation
    metric = "accuracy"          # or "balanced_accuracy"

A model entry with ``tune = true`` is tuned: its search space (declared with its
registry entry, ``brainlearn list --model NAME``) is searched on a validation split of
each run's training data, and the best configuration is refitted on the whole training
split before the test split is scored once. ``tune = true`` needs a ``[tune]`` table; a
searched parameter may not also be set in the entry's ``params``.

Sweeps may overlap: a run that several sweeps ask for (same task, model
configuration, seed and sizes) is done once, with the union of their
analyses. That lets a spec ask for an expensive analysis (say robustness) on
a few tasks of a larger comparison without fitting those models twice.

Model parameters are checked when the spec is read: unknown keys and wrong types by
the parser, values by the estimator's own ``_check_hyperparameters()`` on the registry
defaults deep-merged with the overrides (a partial ``network_params`` keeps the other
registered values). The identity of a run is defined in :mod:`brainlearn.runner.config`.

``data_home`` says where the data are, not what they are: it is not part of a run's
identity. Whether the files are there and whole is checked by ``brainlearn run``
(:func:`check_data`) before it plans or runs anything.
"""
from __future__ import annotations

import importlib
import inspect
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .analyses import ANALYSES, check_option, default_options, option_owner
from .config import DATA_VERSION, RunConfig, canonical, option_applies
from .models import build_model, check_model, hyperparameters
from .tune import TuneSettings, check_tunable, check_tune_settings

__all__ = [
    "ANALYSES",
    "DATA_VERSION",
    "DEFAULT_OPTIONS",
    "ExperimentSpec",
    "ModelEntry",
    "RunConfig",
    "SpecError",
    "canonical",
    "check_data",
    "load_spec",
    "load_specs",
    "parse_spec",
    "resolve_runs",
]

#: every option with its default (from the analysis table; a spec's [options] may override)
DEFAULT_OPTIONS: Mapping[str, Any] = default_options()

#: the analysis each option belongs to (None: every run), from the analysis table
OPTION_ANALYSIS: Mapping[str, str | None] = {k: option_owner(k) for k in DEFAULT_OPTIONS}


class SpecError(ValueError):
    """A specification file is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class ModelEntry:
    """One model configuration of a spec: a registry name, a label, overrides, and the
    estimator's resolved hyperparameters (canonical form, ``random_state`` excluded)."""

    name: str
    label: str
    params: Mapping[str, Any]
    resolved: Mapping[str, Any] = field(default_factory=dict, compare=False)
    tune: bool = False


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
    data_home: str | None = None  # [experiment] data_home, resolved against the spec's folder
    tune: TuneSettings | None = None  # [tune]


# --------------------------------------------------------------------------- helpers


def _type_name(v: Any) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(v), type(v).__name__)


class _Ctx:
    """Error helper that prefixes every message with the file name."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, msg: str) -> SpecError:
        return SpecError(f"{self.path}: {msg}")

    def table(self, v: Any, what: str) -> dict:
        if not isinstance(v, dict):
            raise self.fail(f"{what} must be a table, got {_type_name(v)}")
        return v

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

    def names(self, v: Any, key: str, valid: list[str] | tuple[str, ...], what: str
              ) -> tuple[str, ...]:
        """A non-empty array of names, each one of ``valid``."""
        out = self.str_list(v, key)
        for x in out:
            if x not in valid:
                raise self.fail(f"unknown {what} {x!r} in {key}; valid {what}s: "
                                f"{', '.join(valid)}")
        return out


_TOP_KEYS = {"experiment", "options", "models", "sweep", "tune"}
_EXPERIMENT_KEYS = {"name", "description", "plugins", "data_home"}
_MODEL_KEYS = {"name", "label", "params", "tune"}
_SWEEP_KEYS = {"name", "tasks", "models", "seeds", "n_train", "n_test", "analyses"}


# --------------------------------------------------------------------------- parsing


def parse_spec(data: Mapping[str, Any], path: str | Path = "<spec>") -> ExperimentSpec:
    """Validate the parsed TOML ``data`` of a spec file (``path`` names it in errors)."""
    path = Path(path)
    ctx = _Ctx(path)
    ctx.check_keys(data, _TOP_KEYS, "", required=("models", "sweep"))
    name, description, plugins = _parse_experiment(ctx, data.get("experiment", {}))
    data_home = _parse_data_home(ctx, data.get("experiment", {}))
    import_plugins(plugins, ctx)
    options = _parse_options(ctx, data.get("options", {}))
    tune = None
    if "tune" in data:
        try:
            tune = check_tune_settings(ctx.table(data["tune"], "[tune]"))
        except ValueError as exc:
            raise ctx.fail(str(exc)) from None
    models = _parse_models(ctx, data["models"])
    tuned = [m.label for m in models if m.tune]
    if tuned and tune is None:
        raise ctx.fail(f"model(s) {', '.join(tuned)} have tune = true but the spec has no "
                       "[tune] table (trials, validation, metric)")
    if tune is not None and not tuned:
        raise ctx.fail("[tune] is given but no model has tune = true")
    sweeps = _parse_sweeps(ctx, data["sweep"], [e.label for e in models])
    return ExperimentSpec(path, name, description, plugins, options, models, sweeps,
                          data_home, tune)


def _parse_data_home(ctx: _Ctx, exp: Mapping[str, Any]) -> str | None:
    """``[experiment] data_home``: ``~`` expanded, a relative path taken relative to the
    spec file's folder."""
    if "data_home" not in exp:
        return None
    raw = ctx.string(exp["data_home"], "experiment.data_home")
    p = Path(raw).expanduser()
    if not p.is_absolute():
        p = ctx.path.resolve().parent / p
    return str(p)


def check_data(runs: list[RunConfig]) -> None:
    """Read and check the data files of every task that reads local files (mnist,
    fashion-mnist), once per task and place: :class:`SpecError` saying which files are
    missing or damaged and where they belong. Other tasks need nothing."""
    from ..tasks import FILE_TASKS, check_task_data

    for task, home in dict.fromkeys((r.task, r.data_home) for r in runs
                                    if r.task in FILE_TASKS):
        try:
            check_task_data(task, home)
        except (OSError, ValueError) as exc:
            raise SpecError(f"task {task!r}: {exc}") from None


def _parse_experiment(ctx: _Ctx, exp: Any) -> tuple[str, str, tuple[str, ...]]:
    exp = ctx.table(exp, "[experiment]")
    ctx.check_keys(exp, _EXPERIMENT_KEYS, "experiment.")
    name = ctx.string(exp.get("name", ctx.path.stem), "experiment.name")
    description = exp.get("description", "")
    if not isinstance(description, str):
        raise ctx.fail(f"experiment.description must be a string, got {description!r}")
    plugins = ctx.str_list(exp["plugins"], "experiment.plugins") if exp.get("plugins") else ()
    return name, description, plugins


def _parse_options(ctx: _Ctx, opts: Any) -> dict[str, Any]:
    opts = ctx.table(opts, "[options]")
    ctx.check_keys(opts, set(DEFAULT_OPTIONS), "options.")
    options = default_options()
    for key, value in opts.items():
        try:
            options[key] = check_option(key, value, f"options.{key}")
        except ValueError as exc:
            raise ctx.fail(str(exc)) from None
    return options


def _parse_models(ctx: _Ctx, raw: Any) -> tuple[ModelEntry, ...]:
    from ..registry import list_models, model_spec

    if not isinstance(raw, list) or not raw:
        raise ctx.fail("[[models]] must be a non-empty array of tables")
    models: list[ModelEntry] = []
    for i, m in enumerate(raw):
        where = f"models[{i}]."
        m = ctx.table(m, f"models[{i}]")
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
        _check_param_keys(ctx, model_spec(mname), params, f"{where}params.")
        resolved = _check_param_values(ctx, mname, label, params, f"{where}params")
        tune = m.get("tune", False)
        if not isinstance(tune, bool):
            raise ctx.fail(f"{where}tune must be true or false, got {tune!r}")
        if tune:
            try:
                check_tunable(mname, params, where)
            except ValueError as exc:
                raise ctx.fail(str(exc)) from None
        models.append(ModelEntry(mname, label, dict(params), resolved, tune))
    return tuple(models)


def _parse_sweeps(ctx: _Ctx, raw: Any, labels: list[str]) -> tuple[Sweep, ...]:
    from ..tasks import list_tasks

    if not isinstance(raw, list) or not raw:
        raise ctx.fail("[[sweep]] must be a non-empty array of tables")
    sweeps: list[Sweep] = []
    for i, s in enumerate(raw):
        where = f"sweep[{i}]."
        s = ctx.table(s, f"sweep[{i}]")
        ctx.check_keys(s, _SWEEP_KEYS, where, required=("tasks", "seeds", "n_train", "n_test"))
        sname = ctx.string(s.get("name", f"sweep-{i}"), f"{where}name")
        if any(w.name == sname for w in sweeps):
            raise ctx.fail(f"duplicate sweep name {sname!r} at {where}name")
        tasks = ctx.names(s["tasks"], f"{where}tasks", list_tasks(), "task")
        smodels = (ctx.names(s["models"], f"{where}models", labels, "model label")
                   if "models" in s else tuple(labels))
        seeds_v = s["seeds"]
        if isinstance(seeds_v, int) and not isinstance(seeds_v, bool):
            seeds = tuple(range(ctx.integer(seeds_v, f"{where}seeds", minimum=1)))
        else:
            seeds = ctx.int_list(seeds_v, f"{where}seeds", minimum=0)
        n_train = ctx.int_list(s["n_train"], f"{where}n_train", minimum=1)
        n_test = ctx.integer(s["n_test"], f"{where}n_test", minimum=1)
        analyses = (ctx.names(s["analyses"], f"{where}analyses", ANALYSES, "analysis")
                    if "analyses" in s else ())
        sweeps.append(Sweep(sname, tasks, smodels, seeds, n_train, n_test, analyses))
    return tuple(sweeps)


def import_plugins(plugins: tuple[str, ...], ctx: _Ctx | None = None) -> None:
    """Import the plugin modules. With ``ctx`` (reading a spec) any failure of a plugin --
    not importable, a file path instead of a module name, a syntax error, an exception or
    ``sys.exit`` while it is imported -- is a :class:`SpecError` naming the spec and the
    plugin; without (in a worker), the error itself."""
    for mod in plugins:
        if ctx is not None and ("/" in mod or "\\" in mod or mod.endswith(".py")):
            stem = Path(mod).stem
            raise ctx.fail(
                f"plugin {mod!r} (experiment.plugins) is a file path; a plugin is a module "
                f"name: put its directory on PYTHONPATH and write {stem!r}")
        try:
            importlib.import_module(mod)
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - SyntaxError, SystemExit, anything
            if ctx is None:
                raise
            what = (f"calls sys.exit({exc.code!r})" if isinstance(exc, SystemExit)
                    else f"{type(exc).__name__}: {exc}")
            raise ctx.fail(f"cannot import plugin {mod!r} (experiment.plugins): "
                           f"{what}") from None


def _check_param_keys(ctx: _Ctx, spec, params: Mapping[str, Any], where: str) -> None:
    """Unknown hyperparameters and values whose type differs from the default are errors."""
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


def _check_param_values(ctx: _Ctx, name: str, label: str, params: Mapping[str, Any],
                        where: str) -> dict[str, Any]:
    """Build the estimator and let it check its parameters (without data); returns its
    resolved hyperparameters in canonical form."""
    try:
        est = build_model(name, params)
        check_model(est)
    except (TypeError, ValueError) as exc:
        raise ctx.fail(f"invalid {where} of model {label!r} ({name}): {exc}") from None
    try:
        return canonical(hyperparameters(est))
    except TypeError as exc:
        raise ctx.fail(f"model {label!r}: {exc}") from None


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
    return True  # objects (e.g. rule objects): the estimator validates them


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate one spec file; any problem is a :class:`SpecError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a directory, not a spec file") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); a spec "
                        "is a UTF-8 TOML file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{path}: invalid spec: arrays or tables nested too deeply for the "
                        "TOML parser (a spec needs at most three levels)") from None
    return parse_spec(data, path)


def load_specs(paths) -> list[ExperimentSpec]:
    return [load_spec(p) for p in paths]


# ----------------------------------------------------------------------- resolution


def resolve_runs(specs: list[ExperimentSpec]) -> list[RunConfig]:
    """Every run of the given specs, deduplicated, with overlapping analyses merged.

    The order is seed-major (all runs of the first seed, then the second, ...),
    so that a sweep stopped early has every task x model cell covered once.
    """
    merged: dict[tuple, dict[str, Any]] = {}
    for spec in specs:
        for slot in _spec_slots(spec):
            key = slot.pop("key")
            have = merged.get(key)
            if have is None:
                slot["order"] = (slot["order"], len(merged))
                merged[key] = have = slot
            elif have["label"] != slot["label"] and have["spec"] == spec.name:
                raise SpecError(
                    f"{spec.path}: model labels {have['label']!r} and {slot['label']!r} "
                    "name the same configuration; use one label"
                )
            have["analyses"] |= slot["analyses"]
            have["sweeps"] += slot["sweeps"]
            have["plugins"] += [p for p in slot["plugins"] if p not in have["plugins"]]
    return [_run_config(s) for s in sorted(merged.values(), key=lambda s: s["order"])]


def _spec_slots(spec: ExperimentSpec):
    """One partial run description per (sweep, model, task, seed, n_train) of a spec."""
    from ..registry import model_spec

    entries = {e.label: e for e in spec.models}
    okey = json.dumps(canonical(dict(spec.options)), sort_keys=True)
    for sw in spec.sweeps:
        for lab in sw.models:
            e = entries[lab]
            ms = model_spec(e.name)
            pkey = json.dumps(e.resolved, sort_keys=True)
            tune = _tune_identity(spec, e)
            for task in sw.tasks:
                for seed in sw.seeds:
                    for n_train in sw.n_train:
                        yield dict(
                            key=(task, e.name, pkey, seed, n_train, sw.n_test, okey,
                                 json.dumps(tune, sort_keys=True)),
                            task=task, model=e.name, label=lab, family=ms.family,
                            estimator=ms.estimator, params=dict(e.resolved), seed=seed,
                            n_train=n_train, n_test=sw.n_test, analyses=set(sw.analyses),
                            options=dict(spec.options), plugins=list(spec.plugins),
                            overrides=dict(e.params), sweeps=[f"{spec.name}/{sw.name}"],
                            order=sw.seeds.index(seed), spec=spec.name,
                            data_home=spec.data_home, tune=tune,
                        )


def _tune_identity(spec: ExperimentSpec, e: ModelEntry) -> dict[str, Any] | None:
    """What a tuned run's identity adds: the tuning settings and the searched space."""
    if not e.tune or spec.tune is None:
        return None
    from ..registry import model_spec
    from ..search import space_identity

    return {**spec.tune.identity(), "space": space_identity(model_spec(e.name).search_space)}


def _run_config(slot: dict[str, Any]) -> RunConfig:
    return RunConfig(
        task=slot["task"], model=slot["model"], label=slot["label"],
        family=slot["family"], estimator=slot["estimator"], params=slot["params"],
        seed=slot["seed"], n_train=slot["n_train"], n_test=slot["n_test"],
        analyses=tuple(a for a in ANALYSES if a in slot["analyses"]),
        options={k: v for k, v in slot["options"].items()
                 if option_applies(k, slot["analyses"])},
        overrides=slot["overrides"], plugins=tuple(slot["plugins"]),
        sweeps=tuple(dict.fromkeys(slot["sweeps"])), data_home=slot["data_home"],
        tune=slot["tune"],
    )

