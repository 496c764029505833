"""One run: load the task, fit the model, measure it, collect the analysis payloads.

:func:`execute_run` takes the plain-dict form of a :class:`~.spec.RunConfig` and
returns the :class:`~.records.RunRecord` that is saved as ``results/runs/<run-id>.json``.
It is a top-level function of picklable data, so it runs the same in this process, in a
local worker process and on a Dask worker.

Everything random is seeded from the run's seed: the data (``load_task``), the
model (``random_state=seed``), the robustness noise (``default_rng([seed, 7])``)
and the ablations (``random_state=seed``). The same configuration therefore
gives the same numbers; only timings differ.

Brian2 builds
-------------
The spiking classifier keeps its compiled standalone programs under the
directory named by the ``BRAINLEARN_CACHE`` environment variable, which the sweep
sets in each worker with :func:`use_cache_dir` (see ``run_sweep(worker_cache=...)``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import platform
import subprocess
import sys
import threading
import time
import traceback
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .._paths import CACHE_ENV
from .analyses import TABLE, Analysis, RunContext, json_list
from .config import RunConfig, canonical
from .models import build_model, hyperparameters
from .records import SCHEMA, RunRecord, warning_text
from .spec import import_plugins

__all__ = ["environment", "execute_run", "use_cache_dir"]

log = logging.getLogger(__name__)

# Brian2's device state is process-global: runs within one process never overlap.
_RUN_LOCK = threading.Lock()
_ENV_CACHE: dict[str, Any] | None = None


def use_cache_dir(path: str | os.PathLike) -> str:
    """Point ``BRAINLEARN_CACHE`` of this process at ``path`` (created if missing)."""
    p = Path(path).resolve()
    p.mkdir(parents=True, exist_ok=True)
    os.environ[CACHE_ENV] = str(p)
    return str(p)


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out + ("-dirty" if dirty else "")


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """Versions of Python and the numerical stack, the machine and the git commit."""
    global _ENV_CACHE
    if _ENV_CACHE is None:
        from .. import __version__

        _ENV_CACHE = {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": _version("numba"),
            "brian2": _version("brian2"),
            "scikit-learn": _version("scikit-learn"),
            "brainlearn": __version__,
            "platform": platform.platform(),
            "machine": platform.machine(),
            "git_commit": _git_commit(),
        }
    return dict(_ENV_CACHE)


# ------------------------------------------------------------------------ the run


def _history(est) -> dict[str, list]:
    hist = getattr(est, "history_", None) or {}
    out = {}
    for key, values in hist.items():
        vals = np.asarray(values)
        if vals.ndim != 1 or vals.dtype.kind not in "iufb":
            continue
        out[key] = json_list(vals, 6) if vals.dtype.kind == "f" else json_list(vals)
    return out


def _budget(est, n_train: int) -> dict[str, float | None]:
    """The training budget of the fit: presentations of training samples (a model's
    ``presentations_``, else the last ``samples_seen`` of its history) and epochs
    (``presentations / n_train``); None where the model reports neither."""
    pres = getattr(est, "presentations_", None)
    if pres is None:
        seen = (getattr(est, "history_", None) or {}).get("samples_seen") or []
        pres = seen[-1] if len(seen) else None
    if pres is None:
        return {"presentations": None, "epochs": None}
    return {"presentations": float(pres), "epochs": float(pres) / max(int(n_train), 1)}


def _checked_predictions(pred, y_train, n: int, cfg: RunConfig, which: str) -> np.ndarray:
    """The predictions as an array, or ValueError (the run fails, it is not recorded) when
    they are not one class label per sample: NaN, or values that are no class, would
    otherwise count as wrong answers and give a plausible-looking low accuracy."""
    pred = np.asarray(pred)
    if pred.shape != (n,):
        raise ValueError(f"{cfg.label} on {cfg.task} (seed {cfg.seed}) predicted an array of "
                         f"shape {pred.shape} for {n} {which} samples; expected ({n},)")
    if pred.dtype.kind in "fc":
        bad = int(np.sum(~np.isfinite(pred)))
        if bad:
            raise ValueError(f"{cfg.label} on {cfg.task} (seed {cfg.seed}) predicted NaN or "
                             f"infinity for {bad} of {n} {which} samples; the run is not "
                             "recorded (a non-finite prediction is no class)")
    unknown = np.setdiff1d(pred, np.unique(y_train))
    if unknown.size:
        raise ValueError(f"{cfg.label} on {cfg.task} (seed {cfg.seed}) predicted values that "
                         f"are not classes of the training labels: {unknown[:5].tolist()}")
    return pred


def execute_run(config: dict[str, Any]) -> RunRecord:
    """Run one configuration and return its record.

    Analysis failures do not lose the run: they are kept in ``record.errors``
    (the record then counts as incomplete and a rerun redoes it). The warnings the run
    raises (a model's diagnostics, such as a population that never spiked) are kept in
    ``record.warnings`` (:class:`WarningCounter`) instead of being printed by the worker, one
    entry per distinct warning with how often it came; the sweep says how many runs warned.
    """
    cfg = RunConfig.from_dict(config)
    _import_brian2()
    seen = WarningCounter()
    with _RUN_LOCK, warnings.catch_warnings():
        # the process's filters first (an "ignore" or "error" still applies), then every
        # other warning every time it comes, so ``count`` says how often; entering the
        # block also resets which warnings Python has shown, but a model may still warn
        # once per process (a missing compiler, say), so the warnings of two runs of one
        # configuration can differ with what ran before them in the process. Warnings
        # are caught process-wide: with runs in threads (jobs=1 inside a program that
        # runs others, Dask) another thread's warnings can land in this run's record
        warnings.simplefilter("always", append=True)
        warnings.showwarning = seen
        try:
            record = _execute(cfg, seen)
        except BaseException as exc:
            if seen.counts:  # the traceback of a failed run says what it warned before
                exc.add_note("warnings raised before it failed: "
                             + "; ".join(map(warning_text, seen.as_list())))
            raise
    record.warnings = seen.as_list() or None
    return record


class WarningCounter:
    """A ``warnings.showwarning`` that counts the warnings shown instead of printing them:
    :meth:`as_list` gives the ``warnings`` of a record, ``{"category", "message", "count",
    "during"}`` per distinct category, message and step of the run (``during``: one of
    :data:`.records.STEPS` or an analysis's name, set by the run as it goes), in the order they
    first came (a count, not a list of every warning: a warning raised at every sample
    stays one entry)."""

    def __init__(self):
        self.counts: dict[tuple[str, str, str], int] = {}
        self.during = "setup"

    def __call__(self, message, category, filename, lineno, file=None, line=None):
        key = (category.__name__, str(message), self.during)
        self.counts[key] = self.counts.get(key, 0) + 1

    def as_list(self) -> list[dict[str, Any]]:
        return [{"category": c, "message": m, "count": n, "during": d}
                for (c, m, d), n in self.counts.items()]


def _import_brian2() -> None:
    """Import Brian2 before a run's warnings are caught: when first imported it routes
    Python's warnings to its logger (``logging.captureWarnings``), which would take the
    rest of that run's warnings from its record; later imports change nothing. A Brian2
    that cannot be imported is left to the models that need it (they fall back or say)."""
    if "brian2" in sys.modules:
        return
    try:
        import brian2  # noqa: F401
    except Exception:  # noqa: BLE001 - reported by the spiking models when they need it
        log.info("brian2 cannot be imported here", exc_info=True)


def _execute(cfg: RunConfig, seen: WarningCounter) -> RunRecord:
    from ..tasks import load_task

    t_start = time.perf_counter()
    import_plugins(cfg.plugins)
    split = load_task(cfg.task, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.seed,
                      data_home=cfg.data_home)
    est = build_model(cfg.model, cfg.overrides, random_state=cfg.seed)
    if canonical(hyperparameters(est)) != canonical(dict(cfg.params)):
        raise RuntimeError(
            f"model {cfg.model!r} resolves to other hyperparameters here than when the "
            "sweep was planned (different brainlearn versions on the runner and the worker?)"
        )
    tuning = None
    if cfg.tune is not None:
        seen.during = "tune"
        est, tuning = _tuned_model(cfg, split)
        seen.during = "setup"
    analyses = [TABLE[name] for name in cfg.analyses]
    ctx = RunContext(est, split, cfg, np.empty(0), {})
    for a in analyses:
        if a.fit_kwargs is not None and a.applies(est):
            ctx.fit_kwargs.update(a.fit_kwargs(ctx))

    seen.during = "fit"
    t0 = time.perf_counter()
    est.fit(split.X_train, split.y_train, **ctx.fit_kwargs)
    fit_s = time.perf_counter() - t0
    seen.during = "predict test"
    t0 = time.perf_counter()
    ctx.pred_test = pred_test = _checked_predictions(
        est.predict(split.X_test), split.y_train, len(split.y_test), cfg, "test")
    predict_s = time.perf_counter() - t0
    test_accuracy = float(np.mean(pred_test == split.y_test))
    k_train = int(cfg.options.get("train_eval_samples", 0)) or split.n_train
    seen.during = "predict train"
    t0 = time.perf_counter()
    pred_train = _checked_predictions(est.predict(split.X_train[:k_train]), split.y_train,
                                      len(split.y_train[:k_train]), cfg, "training")
    train_accuracy = float(np.mean(pred_train == split.y_train[:k_train]))
    train_predict_s = time.perf_counter() - t0

    seen.during = "record"
    ctx.record = record = RunRecord(
        schema=SCHEMA,
        run_id=cfg.run_id,
        config=cfg.to_dict(),
        task=cfg.task,
        model=cfg.label,
        registry_model=cfg.model,
        family=cfg.family,
        seed=cfg.seed,
        n_train=cfg.n_train,
        n_test=cfg.n_test,
        n_train_actual=int(split.n_train),
        n_test_actual=int(split.n_test),
        n_features=int(split.X_train.shape[1]),
        metrics={"test_accuracy": test_accuracy, "train_accuracy": train_accuracy,
                 "train_accuracy_samples": int(min(k_train, split.n_train))},
        history=_history(est),
        budget=_budget(est, split.n_train),
        ops_per_sample={},
        analyses={},
        errors={},
        tuning=tuning,
    )
    if tuning is not None:
        record.metrics["validation_score"] = tuning["validation_score"]
    analysis_s = {}
    for a in analyses:
        if a.compute is not None:
            seen.during = a.name
            analysis_s[a.name] = _attempt(a, ctx)
    seen.during = "record"

    total_s = time.perf_counter() - t_start
    n_tr, n_te = max(split.n_train, 1), max(split.n_test, 1)
    record.timings = {
        "fit_s": fit_s,
        "predict_s": predict_s,
        "train_predict_s": train_predict_s,
        "fit_per_sample_s": fit_s / n_tr,
        "predict_per_sample_s": predict_s / n_te,
        "total_s": total_s,
        "analyses_s": analysis_s,
    }
    record.environment = environment()
    record.created = datetime.now(UTC).isoformat(timespec="seconds")
    record.worker = {"pid": os.getpid(), "cache_dir": os.environ.get(CACHE_ENV)}
    return record


def _tuned_model(cfg: RunConfig, split) -> tuple[Any, dict[str, Any]]:
    """The tuning step (:mod:`.tune`) on the training split: the estimator with the best
    trial's configuration (unfitted, seeded like the run) and the record's ``tuning``."""
    from ..registry import model_spec
    from ..search import space_identity
    from .tune import TuneSettings, merge_overrides, tune_run

    t = cfg.tune
    if canonical(space_identity(model_spec(cfg.model).search_space)) != canonical(t["space"]):
        raise RuntimeError(
            f"the search space of {cfg.model!r} differs here from the one the sweep planned "
            "(different brainlearn versions on the runner and the worker?)")
    settings = TuneSettings(int(t["trials"]), float(t["validation"]), str(t["metric"]))
    study = (Path(cfg.study_dir) / f"{cfg.run_id}.log") if cfg.study_dir else None
    res = tune_run(cfg.model, cfg.overrides, settings, split.X_train, split.y_train,
                   cfg.seed, study, label=cfg.label)
    est = build_model(cfg.model, merge_overrides(cfg.overrides, res.best_overrides),
                      random_state=cfg.seed)
    return est, res.to_record()


def _attempt(analysis: Analysis, ctx: RunContext) -> float:
    """Compute one analysis into the record (a failure goes to ``record.errors``, and
    the run is redone by the next sweep); returns the seconds it took."""
    t0 = time.perf_counter()
    record, cfg = ctx.record, ctx.config
    try:
        record.analyses[analysis.name] = analysis.run(ctx)
    except Exception as exc:  # kept in the record; the run is redone on the next sweep
        record.errors[analysis.name] = "".join(
            traceback.format_exception_only(type(exc), exc)).strip()
        record.errors[analysis.name + ".traceback"] = traceback.format_exc(limit=6)
        log.info("run %s (%s %s seed %d): analysis %s failed: %s", cfg.run_id,
                 cfg.task, cfg.label, cfg.seed, analysis.name, record.errors[analysis.name])
    return time.perf_counter() - t0
