"""One run: load the task, fit the model, measure it, collect the analysis payloads.

:func:`execute_run` takes the plain-dict form of a :class:`~.spec.RunConfig` and
returns the record that is saved as ``results/runs/<run-id>.json``. It is a
top-level function of plain data, so it runs the same in this process, in a
local worker process and on a Dask worker.

Everything random is seeded from the run's seed: the data (``load_task``), the
model (``random_state=seed``), the robustness noise (``default_rng([seed, 7])``)
and the ablations (``random_state=seed``). The same configuration therefore
gives the same numbers; only timings differ.

Brian2 builds
-------------
The spiking classifier keeps its compiled standalone programs under the
directory named by the ``BRAINLEARN_CACHE`` environment variable. Each worker
process gets its own directory (``<cache root>/worker-<slot>``, stable across
invocations so later sweeps reuse the builds), set by :func:`use_cache_dir`, so
concurrent workers never build into the same tree.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import platform
import subprocess
import threading
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .spec import RunConfig, _import_plugins, canonical

__all__ = ["CACHE_ENV", "environment", "execute_run", "use_cache_dir"]

log = logging.getLogger(__name__)

#: environment variable naming the directory of Brian2 standalone builds (read by brainlearn.snn)
CACHE_ENV = "BRAINLEARN_CACHE"

#: record format version
SCHEMA = 1

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


def _arr(a, decimals: int = 5) -> list:
    """A rounded, JSON-able nested list of an array."""
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return a.astype(np.int64).tolist()
    return np.round(a.astype(np.float64), decimals).tolist()


def _positive_column(est) -> int:
    classes = list(np.asarray(est.classes_).tolist())
    return classes.index(1) if 1 in classes else len(classes) - 1


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    axis = np.linspace(0.0, 1.0, n)
    xx, yy = np.meshgrid(axis, axis)  # rows: x2, columns: x1
    return axis, np.column_stack([xx.ravel(), yy.ravel()])


# ------------------------------------------------------------------ the analyses


def _decision_boundaries(est, split, cfg: RunConfig, pred_test) -> dict:
    if split.X_test.shape[1] != 2:
        return {"skipped": f"input is {split.X_test.shape[1]}-D; boundaries need 2-D inputs"}
    g = int(cfg.options["boundary_grid"])
    axis, pts = _grid(g)
    proba = np.asarray(est.predict_proba(pts))[:, _positive_column(est)].reshape(g, g)
    k = min(int(cfg.options["boundary_points"]), len(split.y_test))
    return {
        "axis": _arr(axis),
        "proba": _arr(proba, 4),  # proba[i][j] = P(y=1 | x1=axis[j], x2=axis[i])
        "X": _arr(split.X_test[:k], 4),
        "y": _arr(split.y_test[:k]),
        "predicted": _arr(pred_test[:k]),
    }


def _receptive_fields(est, split, cfg: RunConfig) -> dict:
    if split.X_test.shape[1] != 2:
        return {"skipped": f"input is {split.X_test.shape[1]}-D; receptive fields need 2-D inputs"}
    g = int(cfg.options["receptive_grid"])
    axis, pts = _grid(g)
    h = np.asarray(est.hidden_response(pts), dtype=np.float64)
    if h.ndim != 2 or h.shape[0] != len(pts):
        raise ValueError(
            f"hidden_response returned shape {h.shape}, expected ({len(pts)}, n_hidden)")
    n_hidden = h.shape[1]
    keep = min(n_hidden, int(cfg.options["receptive_units"]))
    h = h[:, :keep].T.reshape(keep, g, g)  # unit, x2 row, x1 column
    return {"axis": _arr(axis), "n_hidden": int(n_hidden), "responses": _arr(h, 4)}


def _alternating_classes(y: np.ndarray, k: int) -> np.ndarray:
    """Indices of the first ``k`` test samples taken class by class in turn (0, 1, 0, ...),
    so a raster of a few samples shows both answers."""
    pools = [list(np.flatnonzero(y == c)) for c in np.unique(y)]
    idx: list[int] = []
    while len(idx) < k and any(pools):
        for pool in pools:
            if pool and len(idx) < k:
                idx.append(int(pool.pop(0)))
    return np.asarray(idx, dtype=np.int64)


def _spike_raster(est, split, cfg: RunConfig) -> dict:
    if cfg.family != "snn" or not hasattr(est, "record_spikes"):
        return {"skipped": "the model has no spikes (record_spikes)"}
    k = min(int(cfg.options["raster_samples"]), len(split.y_test))
    idx = _alternating_classes(split.y_test, k)
    Xs = split.X_test[idx]
    out = {"samples": len(idx), "indices": _arr(idx), "y": _arr(split.y_test[idx]),
           "presentation_ms": float(getattr(est, "presentation_ms_", float("nan"))),
           "dt_ms": float(getattr(est, "dt_ms", getattr(est, "dt_ms_", float("nan"))))}
    for when, trained in (("before", False), ("after", True)):
        rec = est.record_spikes(Xs, trained=trained)
        out[when] = {
            pop: {"i": _arr(np.asarray(d["i"]).astype(np.int64)),
                  "t_ms": _arr(d["t_ms"], 3), "n": int(d["n"])}
            for pop, d in rec.items()
        }
    return out


def _weight_evolution(est, cfg: RunConfig) -> dict:
    history = getattr(est, "weight_history_", None)
    if not history:
        return {"skipped": "the model has no plastic-weight history (weight_history_)"}
    bins = int(cfg.options["weight_bins"])
    seen = list(getattr(est, "history_", {}).get("samples_seen", []))
    initial = getattr(est, "initial_weights_", {}) or {}
    final = getattr(est, "weights_", {}) or {}
    out: dict[str, Any] = {"samples_seen": [int(s) for s in seen[: len(history)]],
                           "projections": {}}
    for proj in history[0]:
        series = [np.asarray(h[proj], dtype=np.float64).ravel() for h in history]
        init = np.asarray(initial.get(proj, series[0]), dtype=np.float64).ravel()
        fin = np.asarray(final.get(proj, series[-1]), dtype=np.float64).ravel()
        allv = np.concatenate([init, fin, *series])
        lo, hi = float(allv.min()), float(allv.max())
        if hi <= lo:
            hi = lo + 1.0
        edges = np.linspace(lo, hi, bins + 1)
        out["projections"][proj] = {
            "edges": _arr(edges),
            "initial": _arr(np.histogram(init, edges)[0]),
            "final": _arr(np.histogram(fin, edges)[0]),
            "checkpoints": [_arr(np.histogram(w, edges)[0]) for w in series],
            "mean": _arr([w.mean() for w in series]),
            "sd": _arr([w.std() for w in series]),
            "n_weights": int(fin.size),
        }
    return out


def _robustness(est, split, cfg: RunConfig, pred_test) -> dict:
    k = int(cfg.options["robustness_samples"]) or len(split.y_test)
    X, y = split.X_test[:k], split.y_test[:k]
    test_accuracy = float(np.mean(pred_test[:k] == y))  # the undisturbed model on this subset
    lo, hi = min(0.0, float(X.min())), max(1.0, float(X.max()))
    rng = np.random.default_rng([cfg.seed, 7])
    noise = []
    for sd in cfg.options["noise_sd"]:
        if sd == 0:
            noise.append(test_accuracy)
            continue
        Xn = np.clip(X + rng.normal(0.0, sd, X.shape), lo, hi)
        noise.append(float(np.mean(est.predict(Xn) == y)))
    removed: dict[str, list[float]] = {}
    for kind in ("synapses", "neurons"):
        accs = []
        for f in cfg.options["ablation_fractions"]:
            if f == 0:
                accs.append(test_accuracy)
                continue
            lesioned = est.ablated(fraction=f, kind=kind, random_state=cfg.seed)
            accs.append(float(np.mean(lesioned.predict(X) == y)))
        removed[kind] = accs
    return {
        "samples": int(len(y)),
        "noise_sd": list(cfg.options["noise_sd"]),
        "noise_accuracy": noise,
        "noise_clip": [lo, hi],
        "fractions": list(cfg.options["ablation_fractions"]),
        "removed_accuracy": removed,
    }


# ------------------------------------------------------------------------ the run


def _history(est) -> dict[str, list]:
    hist = getattr(est, "history_", None) or {}
    out = {}
    for key, values in hist.items():
        vals = np.asarray(values)
        if vals.ndim != 1 or vals.dtype.kind not in "iufb":
            continue
        out[key] = _arr(vals, 6) if vals.dtype.kind == "f" else _arr(vals)
    return out


def execute_run(config: dict[str, Any]) -> dict[str, Any]:
    """Run one configuration and return its record (plain JSON-able data).

    Analysis failures do not lose the run: they are kept in ``record["errors"]``
    (the record then counts as incomplete and a rerun redoes it).
    """
    with _RUN_LOCK:
        return _execute(RunConfig.from_dict(config))


def _execute(cfg: RunConfig) -> dict[str, Any]:
    from ..registry import make_model
    from ..tasks import load_task

    t_start = time.perf_counter()
    _import_plugins(cfg.plugins)
    split = load_task(cfg.task, n_train=cfg.n_train, n_test=cfg.n_test, seed=cfg.seed)
    est = make_model(cfg.model, **dict(cfg.overrides), random_state=cfg.seed)
    if hasattr(est, "get_params"):
        actual = dict(est.get_params(deep=False))
        actual.pop("random_state", None)
        if canonical(actual) != canonical(dict(cfg.params)):
            raise RuntimeError(
                f"model {cfg.model!r} resolves to other hyperparameters here than when the "
                "sweep was planned (different brainlearn versions on the runner and the worker?)"
            )

    fit_kwargs = {}
    if "learning_curves" in cfg.analyses:
        k = int(cfg.options["curve_eval_samples"]) or len(split.y_test)
        fit_kwargs["eval_set"] = (split.X_test[:k], split.y_test[:k])
    t0 = time.perf_counter()
    est.fit(split.X_train, split.y_train, **fit_kwargs)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred_test = np.asarray(est.predict(split.X_test))
    predict_s = time.perf_counter() - t0
    test_accuracy = float(np.mean(pred_test == split.y_test))
    k_train = int(cfg.options.get("train_eval_samples", 0)) or split.n_train
    t0 = time.perf_counter()
    train_accuracy = float(np.mean(
        np.asarray(est.predict(split.X_train[:k_train])) == split.y_train[:k_train]))
    train_predict_s = time.perf_counter() - t0

    record: dict[str, Any] = {
        "schema": SCHEMA,
        "run_id": cfg.run_id,
        "config": cfg.to_dict(),
        "task": cfg.task,
        "model": cfg.label,
        "registry_model": cfg.model,
        "family": cfg.family,
        "seed": cfg.seed,
        "n_train": cfg.n_train,
        "n_test": cfg.n_test,
        "n_train_actual": int(split.n_train),
        "n_test_actual": int(split.n_test),
        "n_features": int(split.X_train.shape[1]),
        "metrics": {"test_accuracy": test_accuracy, "train_accuracy": train_accuracy,
                    "train_accuracy_samples": int(min(k_train, split.n_train))},
        "history": _history(est),
        "ops_per_sample": {},
        "analyses": {},
        "errors": {},
    }

    analysis_s: dict[str, float] = {}

    def attempt(name, fn):
        t_a = time.perf_counter()
        try:
            record["analyses"][name] = fn()
        except Exception as exc:  # kept in the record; the run is redone on the next sweep
            record["errors"][name] = "".join(
                traceback.format_exception_only(type(exc), exc)).strip()
            record["errors"][name + ".traceback"] = traceback.format_exc(limit=6)
            log.info("run %s (%s %s seed %d): analysis %s failed: %s", cfg.run_id,
                     cfg.task, cfg.label, cfg.seed, name, record["errors"][name])
        finally:
            analysis_s[name] = time.perf_counter() - t_a

    if "compute_cost" in cfg.analyses:
        k = min(int(cfg.options["ops_samples"]), len(split.y_test))

        def ops():
            raw = est.ops_per_sample(split.X_test[:k])
            record["ops_per_sample"] = {key: float(v) for key, v in raw.items()}
            return {"samples": k}

        attempt("compute_cost", ops)
    if "learning_curves" in cfg.analyses:
        attempt("learning_curves", lambda: {
            "eval_samples": len(fit_kwargs["eval_set"][1]),
            "has_eval": "eval_accuracy" in record["history"]})
    if "decision_boundaries" in cfg.analyses:
        attempt("decision_boundaries", lambda: _decision_boundaries(est, split, cfg, pred_test))
    if "receptive_fields" in cfg.analyses:
        attempt("receptive_fields", lambda: _receptive_fields(est, split, cfg))
    if "spike_raster" in cfg.analyses:
        attempt("spike_raster", lambda: _spike_raster(est, split, cfg))
    if "weight_evolution" in cfg.analyses:
        attempt("weight_evolution", lambda: _weight_evolution(est, cfg))
    if "robustness" in cfg.analyses:
        attempt("robustness", lambda: _robustness(est, split, cfg, pred_test))

    total_s = time.perf_counter() - t_start
    n_tr, n_te = max(split.n_train, 1), max(split.n_test, 1)
    record["timings"] = {
        "fit_s": fit_s,
        "predict_s": predict_s,
        "train_predict_s": train_predict_s,
        "fit_per_sample_s": fit_s / n_tr,
        "predict_per_sample_s": predict_s / n_te,
        "total_s": total_s,
        "analyses_s": analysis_s,
    }
    record["environment"] = environment()
    record["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    record["worker"] = {"pid": os.getpid(), "cache_dir": os.environ.get(CACHE_ENV)}
    return record
