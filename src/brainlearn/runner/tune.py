"""The tuning step: every tuned model gets the same number of trials, on validation data.

A spec asks for it with a ``[tune]`` table and ``tune = true`` on the models to tune::

    [tune]
    trials = 16          # trials per (task, model, seed), the same for every tuned model
    validation = 0.2     # share of the training split held out for validation
    metric = "accuracy"  # or "balanced_accuracy"

    [[models]]
    name = "mlp-wide"
    tune = true

For each (task, model, seed) the run (:func:`tune_run`)

1. splits its *training* data into an inner training part and a validation part
   (stratified, seeded by the run's seed; the test split is not touched);
2. runs ``trials`` trials of Optuna's TPE sampler over the model's search space (declared
   with its registry entry, :mod:`brainlearn.search`): each trial fits the model with the
   trial's values on the inner training part and scores it on the validation part;
3. refits the best trial's configuration on the whole training split; the run then
   evaluates the test split once, like any run.

The budget is a number of trials, not of seconds: the same for every model (the record
keeps the tuning's wall time too). A trial that raises, or whose score is not finite, is
recorded as failed and the search goes on; when every trial fails the run fails.

Resuming and determinism
------------------------
The study is kept in a journal file, ``<results>/tuning/<run_id>.log``, so a killed
tuning resumes with the trials it finished (a trial left running is evaluated again with
the values it was given). Each trial's sampler is seeded by the run's seed and the
trial's number, and every fit uses the run's seed, so the same seeds give the same trials
and the same chosen configuration, whether or not the tuning was interrupted.

Trials of the spiking models reuse the compiled programs: the shipped spaces of the
Brian2 models vary only run arguments (see :mod:`brainlearn.configurations`).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .models import build_model, check_model

__all__ = ["METRICS", "TuneSettings", "TuningResult", "check_tune_settings", "merge_overrides",
           "check_tunable", "inner_split", "tune_run"]

log = logging.getLogger(__name__)

#: the validation metrics a tuning may maximise
METRICS = ("accuracy", "balanced_accuracy")


@dataclass(frozen=True)
class TuneSettings:
    """``[tune]`` of a spec: trials per run, the validation share, the metric."""

    trials: int = 16
    validation: float = 0.2
    metric: str = "accuracy"

    def identity(self) -> dict[str, Any]:
        return {"trials": self.trials, "validation": self.validation, "metric": self.metric,
                "sampler": "optuna-tpe"}


def check_tune_settings(raw: Mapping[str, Any], where: str = "tune") -> TuneSettings:
    """The :class:`TuneSettings` of a ``[tune]`` table (ValueError naming the key)."""
    allowed = {"trials", "validation", "metric"}
    for key in raw:
        if key not in allowed:
            raise ValueError(f"unknown key {where}.{key}; valid keys: "
                             f"{', '.join(sorted(allowed))}")
    trials = raw.get("trials", TuneSettings.trials)
    if isinstance(trials, bool) or not isinstance(trials, int):
        raise ValueError(f"{where}.trials must be an integer, got {trials!r}")
    if trials < 1:
        raise ValueError(f"{where}.trials must be >= 1 (a tuning needs at least one trial), "
                         f"got {trials}")
    val = raw.get("validation", TuneSettings.validation)
    if isinstance(val, bool) or not isinstance(val, int | float) or not 0.0 < val < 1.0:
        raise ValueError(f"{where}.validation must be a share strictly between 0 and 1, "
                         f"got {val!r}")
    metric = raw.get("metric", TuneSettings.metric)
    if metric not in METRICS:
        raise ValueError(f"{where}.metric must be one of {', '.join(METRICS)}, got {metric!r}")
    return TuneSettings(trials, float(val), metric)


def check_tunable(name: str, overrides: Mapping[str, Any] | None = None,
                  where: str = "") -> dict:
    """The search space of registry model ``name``, checked: not empty, every path a
    parameter of the estimator (a nested key must exist in its parameter dict), and the
    models at the ends of every range valid (``check_model``). ``overrides`` (a spec's
    ``params``) must not set a searched parameter. ValueError naming the key otherwise."""
    from ..registry import model_spec, resolved_params

    spec = model_spec(name)
    space = dict(spec.search_space)
    if not space:
        raise ValueError(f"{where}model {name!r} has no search space to tune (declare one "
                         "with register_model(..., search_space=...)), or set tune = false")
    overrides = dict(overrides or {})
    base = resolved_params(name, overrides)
    from ..search import overrides as as_overrides

    for path, dim in space.items():
        head, *rest = path.split(".")
        if head not in base and head not in _init_params(spec):
            raise ValueError(f"{where}search space of {name!r}: {path!r} is not a parameter "
                             f"of {spec.estimator}")
        if _sets(overrides, path):
            raise ValueError(f"{where}params sets {path!r}, which the tuning of {name!r} "
                             "searches: remove it from params or set tune = false")
        for value in dim.corners():
            try:
                trial = merge_overrides(overrides, as_overrides({path: value}))
                check_model(build_model(name, trial))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{where}search space of {name!r}: {path} = {value!r} "
                                 f"gives an invalid model: {exc}") from None
    return space


def _init_params(spec) -> list[str]:
    import inspect

    return [p for p in inspect.signature(spec.estimator_class().__init__).parameters
            if p != "self"]


def _sets(overrides: Mapping[str, Any], path: str) -> bool:
    d: Any = overrides
    for part in path.split("."):
        if not isinstance(d, Mapping) or part not in d:
            return False
        d = d[part]
    return True


def merge_overrides(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` merged in, nested dicts key by key (new top-level dict)."""
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge_overrides(out[k], v)
        else:
            out[k] = v
    return out


def inner_split(X, y, validation: float, seed: int):
    """``(X_fit, X_val, y_fit, y_val)``: a stratified split of the training data; a
    ValueError naming ``tune.validation`` when a class would be empty on either side."""
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    n_val = math.ceil(validation * len(y))
    if n_val < len(classes) or len(y) - n_val < len(classes) or counts.min() < 2:
        raise ValueError(
            f"tune.validation = {validation:g} of {len(y)} training samples leaves a class "
            f"without samples on the training or the validation side (classes "
            f"{len(classes)}, smallest has {counts.min()}): use a larger training set or "
            "another validation share")
    return train_test_split(X, y, test_size=validation, stratify=y, random_state=seed)


@dataclass
class TuningResult:
    """What a tuning chose and what it cost (saved in the run record's ``tuning``)."""

    trials: int
    completed: int
    failed: int
    best_values: dict[str, Any]
    best_overrides: dict[str, Any]
    validation_score: float
    metric: str
    validation: float
    n_fit: int
    n_validation: int
    #: seconds spent in the trials (all sessions of a resumed tuning), the refit excluded
    wall_s: float
    trial_log: list[dict[str, Any]]

    def to_record(self) -> dict[str, Any]:
        from .config import canonical

        return {"trials": self.trials, "completed": self.completed, "failed": self.failed,
                "best_values": canonical(self.best_values),
                "best_overrides": canonical(self.best_overrides),
                "validation_score": self.validation_score, "metric": self.metric,
                "validation": self.validation, "n_fit": self.n_fit,
                "n_validation": self.n_validation, "wall_s": self.wall_s,
                "trial_log": self.trial_log}


def _score(metric: str, y_true, y_pred) -> float:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    f = accuracy_score if metric == "accuracy" else balanced_accuracy_score
    return float(f(y_true, y_pred))


def _trial_seed(seed: int, number: int) -> int:
    return int(np.random.SeedSequence([int(seed), 9_113, int(number)]).generate_state(1)[0])


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def tune_run(name: str, overrides: Mapping[str, Any], settings: TuneSettings, X, y,
             seed: int, study_path: str | Path | None, label: str = "") -> TuningResult:
    """Search ``name``'s space (with the spec's ``overrides`` held) on an inner split of
    the training data ``X, y``; see the module docstring. ``study_path``: the journal
    file (None: in memory, not resumable)."""
    import optuna
    from optuna.trial import TrialState

    _quiet_optuna()
    space = check_tunable(name, overrides)
    X_fit, X_val, y_fit, y_val = inner_split(X, y, settings.validation, seed)
    if study_path is not None:
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        Path(study_path).parent.mkdir(parents=True, exist_ok=True)
        storage: Any = JournalStorage(JournalFileBackend(str(study_path)))
    else:
        storage = optuna.storages.InMemoryStorage()
    study_name = f"{name}-{seed}"
    study = optuna.create_study(study_name=study_name, storage=storage,
                                direction="maximize", load_if_exists=True)
    from ..search import overrides as as_overrides

    def values_of(frozen) -> dict[str, Any]:
        out = {}
        for path, dim in space.items():
            v = frozen.params[path]
            out[path] = dim.value_of(v) if hasattr(dim, "value_of") else v
        return out

    def evaluate(values: Mapping[str, Any]) -> float:
        est = build_model(name, merge_overrides(overrides, as_overrides(values)), random_state=seed)
        est.fit(X_fit, y_fit)
        score = _score(settings.metric, y_val, est.predict(X_val))
        if not math.isfinite(score):
            raise FloatingPointError(f"validation score {score!r}")
        return score

    def run_one(number: int, values: Mapping[str, Any]) -> None:
        t0 = time.perf_counter()
        try:
            # a trial's warnings (a silent population at a corner of the space, say) are
            # counted, not printed: a search visits bad settings on purpose
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                score = evaluate(values)
            if caught:
                study.set_user_attr(f"warnings_{number}", len(caught))
        except Exception as exc:  # a failed trial is recorded; the search goes on
            study.set_user_attr(f"error_{number}", f"{type(exc).__name__}: {exc}"[:300])
            study.set_user_attr(f"seconds_{number}", time.perf_counter() - t0)
            study.tell(number, state=TrialState.FAIL)
            log.warning("%s trial %d of %s (seed %d) failed: %s: %s", label or name, number,
                        name, seed, type(exc).__name__, exc)
            return
        study.set_user_attr(f"seconds_{number}", time.perf_counter() - t0)
        study.tell(number, score)

    # trials left running by a killed tuning: evaluated again with the values they got
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        run_one(t.number, values_of(t))
    while True:
        done = study.get_trials(deepcopy=False,
                                states=(TrialState.COMPLETE, TrialState.FAIL))
        if len(done) >= settings.trials:
            break
        number = len(study.get_trials(deepcopy=False))
        sampler = optuna.samplers.TPESampler(
            seed=_trial_seed(seed, number),
            n_startup_trials=max(1, min(10, settings.trials // 2)))
        study = optuna.load_study(study_name=study_name, storage=storage, sampler=sampler)
        trial = study.ask()
        values = {path: dim.suggest(trial, path) for path, dim in space.items()}
        run_one(trial.number, values)

    trials = sorted(study.get_trials(deepcopy=True), key=lambda t: t.number)
    completed = [t for t in trials if t.state == TrialState.COMPLETE]
    failed = [t for t in trials if t.state == TrialState.FAIL]
    if not completed:
        errors = [v for k, v in study.user_attrs.items() if k.startswith("error_")]
        raise RuntimeError(f"every one of the {len(failed)} tuning trials of {name!r} failed; "
                           f"first error: {errors[0] if errors else 'unknown'}")
    # the best validation score, the earliest trial on ties
    best = max(completed, key=lambda t: (t.value, -t.number))
    attrs = study.user_attrs
    best_values = values_of(best)
    trial_log = [{"number": t.number, "state": t.state.name,
                  "value": t.value if t.state == TrialState.COMPLETE else None,
                  "seconds": attrs.get(f"seconds_{t.number}"),
                  "error": attrs.get(f"error_{t.number}"),
                  "warnings": attrs.get(f"warnings_{t.number}", 0),
                  "values": _plain(values_of(t)) if t.params else None}
                 for t in trials]
    return TuningResult(
        trials=settings.trials, completed=len(completed), failed=len(failed),
        best_values=best_values, best_overrides=as_overrides(best_values),
        validation_score=float(best.value), metric=settings.metric,
        validation=settings.validation, n_fit=int(len(y_fit)), n_validation=int(len(y_val)),
        wall_s=sum(x["seconds"] or 0.0 for x in trial_log), trial_log=trial_log)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    from .config import canonical

    return canonical(dict(values))
