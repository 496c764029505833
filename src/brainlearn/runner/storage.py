"""Results on disk: one JSON record per finished run, validated on read; the tidy summary.

Layout: see :mod:`brainlearn._paths`. Every file is written atomically
(:mod:`brainlearn._io`), so a process killed at any moment leaves either no record or a
whole one; stray temporary files are ignored and cleaned up.

Every record is validated when it is read (:func:`record_problems`: its fields, their
types and ranges, and that its configuration hashes to its name). A record that is not
valid (undecodable bytes, missing fields, an accuracy of 7.5, ...) is reported, moved
aside to ``results/invalid/`` (never deleted) and treated as absent, so the next sweep
redoes its run. A damaged ``manifest.json`` is set aside the same way.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._io import atomic_open, remove_temporaries, write_json_atomic, write_text_atomic
from .._paths import failed_dir, invalid_dir, manifest_path, results_dir, runs_dir

__all__ = [
    "SUMMARY_COLUMNS",
    "failed_dir",
    "invalid_dir",
    "load_manifest",
    "load_records",
    "read_record",
    "record_problems",
    "record_is_complete",
    "recorded_ids",
    "results_dir",
    "runs_dir",
    "selected_records",
    "summary_rows",
    "set_aside",
    "write_json_atomic",
    "record_sweep",
    "write_manifest",
    "write_summary_csv",
    "write_text_atomic",
]

log = logging.getLogger(__name__)


class ResultsBusy(RuntimeError):
    """Another process is running a sweep into the same results directory."""


@contextlib.contextmanager
def sweep_lock(out: str | Path):
    """Hold ``results/.sweep.lock`` for the duration of a sweep (advisory, non-blocking).

    Two sweeps into one directory would do the same runs twice; the second one is
    refused instead. The lock dies with its process, so a killed sweep leaves none.
    """
    import fcntl

    path = results_dir(out) / ".sweep.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():  # never create or lock a file a link points at
        path.unlink()
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ResultsBusy(
                f"another brainlearn run is writing into {results_dir(out)}; wait for it "
                "or use another --out") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_count(v: Any, minimum: int = 0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


#: required top-level fields of a record, with their check
_FIELDS = {
    "run_id": lambda v: isinstance(v, str),
    "config": lambda v: isinstance(v, dict),
    "task": lambda v: isinstance(v, str) and bool(v),
    "model": lambda v: isinstance(v, str) and bool(v),
    "family": lambda v: isinstance(v, str),
    "seed": _is_count,
    "n_train": lambda v: _is_count(v, 1),
    "n_test": lambda v: _is_count(v, 1),
    "metrics": lambda v: isinstance(v, dict),
    "analyses": lambda v: isinstance(v, dict),
    "errors": lambda v: isinstance(v, dict),
}
#: optional top-level fields (absent or of this kind)
_OPTIONAL = {
    "n_train_actual": lambda v: _is_count(v, 1),
    "n_test_actual": lambda v: _is_count(v, 1),
    "history": lambda v: isinstance(v, dict),
    "ops_per_sample": lambda v: isinstance(v, dict) and all(
        v2 is None or _is_number(v2) for v2 in v.values()),
    "timings": lambda v: isinstance(v, dict),
    "environment": lambda v: isinstance(v, dict),
}


def record_problems(rec: Any, run_id: str | None = None) -> list[str]:
    """What is wrong with a run record (empty when it is valid): required fields and their
    types, accuracies in [0, 1], and that its configuration hashes to its ``run_id`` (and to
    the file's name ``run_id``, when given)."""
    if not isinstance(rec, dict):
        return [f"not a JSON object but {type(rec).__name__}"]
    problems = [f"missing field {k!r}" for k in _FIELDS if k not in rec]
    problems += [f"field {k!r} has a wrong type or value: {rec[k]!r:.60}"
                 for k, ok in (*_FIELDS.items(), *_OPTIONAL.items()) if k in rec and not ok(rec[k])]
    if problems:
        return problems
    if run_id is not None and rec["run_id"] != run_id:
        problems.append(f"run_id {rec['run_id']!r} is not the file's name {run_id!r}")
    for key in ("test_accuracy", "train_accuracy"):
        v = rec["metrics"].get(key)
        if v is None and key == "train_accuracy":
            continue
        if not _is_number(v) or not 0.0 <= v <= 1.0:
            problems.append(f"metrics.{key} must be a number in [0, 1], got {v!r:.60}")
    from .config import RunConfig

    try:
        cfg = RunConfig.from_dict(rec["config"])
        cfg_id = cfg.run_id
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problems.append(f"config is not a run configuration ({type(exc).__name__}: {exc})")
    else:
        if cfg_id != rec["run_id"]:
            problems.append(f"config hashes to {cfg_id}, not to its run_id {rec['run_id']}")
        if (cfg.task, cfg.seed, cfg.n_train, cfg.n_test) != (
                rec["task"], rec["seed"], rec["n_train"], rec["n_test"]):
            problems.append("task, seed or sizes differ from those of its config")
    return problems


def set_aside(path: str | Path, why: str) -> Path | None:
    """Move a damaged results file into ``results/invalid/`` (never deleting it; a name
    already taken there gets a numbered suffix) and report it; returns the new path, or
    None when it could not be moved (then it is only reported)."""
    path = Path(path)
    target_dir = (path.parent if path.parent.name == "results" else path.parent.parent
                  ) / "invalid"
    target = target_dir / path.name
    n = 1
    while target.exists():
        target = target_dir / f"{path.name}.{n}"
        n += 1
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
    except OSError as exc:
        log.warning("%s is damaged (%s) and could not be moved aside (%s)", path, why,
                    exc.strerror)
        return None
    log.warning("%s is damaged (%s); moved to %s", path, why, target)
    return target


def read_record(path: str | Path, move_invalid: bool = True) -> dict[str, Any] | None:
    """A valid run record, or None. An invalid one is reported and, with
    ``move_invalid``, set aside (:func:`set_aside`) so its run is redone."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            rec = json.loads(fh.read().decode("utf-8"))
        problems = record_problems(rec, run_id=path.stem)
    except OSError as exc:
        log.warning("cannot read record %s (%s); its run will be redone", path, exc.strerror)
        return None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        problems = [f"not JSON text: {exc}"]
    if not problems:
        return rec
    why = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
    if move_invalid:
        set_aside(path, why + "; its run will be redone")
    else:
        log.warning("%s is not a valid record (%s); its run will be redone", path, why)
    return None


def record_is_complete(rec: dict[str, Any]) -> bool:
    return not rec.get("errors")


def _record_paths(out: str | Path) -> list[Path]:
    d = runs_dir(out)
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob("*.json") if not p.name.startswith("."))


def clean_temporaries(out: str | Path) -> int:
    """Remove temporary files left by a killed writer; returns how many."""
    return remove_temporaries(runs_dir(out), failed_dir(out), results_dir(out))


def load_records(out: str | Path, ids: Iterable[str] | None = None,
                 move_invalid: bool = True) -> list[dict[str, Any]]:
    """Every valid record under ``out`` (or only those with the given ids), by run id;
    invalid ones are reported (and set aside, with ``move_invalid``)."""
    wanted = set(ids) if ids is not None else None
    recs = []
    for p in _record_paths(out):
        if wanted is not None and p.stem not in wanted:
            continue
        rec = read_record(p, move_invalid)
        if rec is not None:
            recs.append(rec)
    return recs


def recorded_ids(out: str | Path, complete_only: bool = True,
                 move_invalid: bool = True) -> set[str]:
    """Ids of the runs validly recorded (by default only those without analysis errors)."""
    return {r["run_id"] for r in load_records(out, move_invalid=move_invalid)
            if record_is_complete(r) or not complete_only}


def write_manifest(out: str | Path, specs: list[str], run_ids: list[str]) -> Path:
    """Name the runs the figures and tables describe. The wall time of the sweep that did
    them (:func:`record_sweep`) is kept while the runs stay the same."""
    m: dict[str, Any] = {"specs": specs, "run_ids": list(run_ids)}
    old = load_manifest(out, move_invalid=False)
    if old and isinstance(old.get("sweep"), dict) and set(old["run_ids"]) == set(run_ids):
        m["sweep"] = old["sweep"]
    return write_json_atomic(manifest_path(out), m)


def record_sweep(out: str | Path, sweep: dict[str, Any]) -> Path | None:
    """Add what the last sweep did and how long it took (plain data) to the manifest; a
    sweep that did no run (everything was recorded) leaves the earlier entry."""
    m = load_manifest(out, move_invalid=False)
    if m is None or not sweep.get("done"):
        return None
    return write_json_atomic(manifest_path(out), {**m, "sweep": sweep})


def load_manifest(out: str | Path, move_invalid: bool = True) -> dict[str, Any] | None:
    """The last run's manifest, or None when there is none or it is damaged (a damaged one
    is reported and, with ``move_invalid``, set aside; the figures then use every record)."""
    p = manifest_path(out)
    if not p.is_file():
        return None
    try:
        m = json.loads(p.read_bytes().decode("utf-8"))
        ok = (isinstance(m, dict) and isinstance(m.get("run_ids"), list)
              and all(isinstance(i, str) for i in m["run_ids"])
              and isinstance(m.get("specs", []), list))
        why = "" if ok else "not a manifest (an object with a list of run_ids)"
    except OSError as exc:
        log.warning("cannot read %s (%s); using every record", p, exc.strerror)
        return None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        why = f"not JSON text: {exc}"
    if not why:
        return m
    if move_invalid:
        set_aside(p, why + "; using every record")
    else:
        log.warning("%s is damaged (%s); using every record", p, why)
    return None


def selected_records(out: str | Path, use_all: bool = False,
                     move_invalid: bool = True) -> list[dict[str, Any]]:
    """The records the figures and tables describe: those of the last run's manifest
    (all records if there is no manifest or ``use_all``)."""
    manifest = None if use_all else load_manifest(out, move_invalid)
    ids = manifest["run_ids"] if manifest else None
    return load_records(out, ids, move_invalid)


# ---------------------------------------------------------------------- summary.csv

SUMMARY_COLUMNS = [
    "run_id", "task", "model", "registry_model", "family", "seed", "n_train", "n_test",
    "n_train_actual", "n_test_actual", "test_accuracy", "train_accuracy",
    "fit_s", "predict_s", "fit_per_sample_us", "predict_per_sample_us",
    "macs_per_sample", "synaptic_events_per_sample", "spikes_per_sample",
    "energy_per_sample_nj", "presentations", "epochs", "complete", "git_commit", "params",
]


def summary_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One tidy row per record (see :data:`SUMMARY_COLUMNS`)."""
    from .contributions import record_budget
    from .energy import energy_per_sample_pj

    rows = []
    for r in records:
        budget = record_budget(r)
        t = r.get("timings", {})
        ops = r.get("ops_per_sample", {})
        energy = energy_per_sample_pj(r.get("family", ""), ops)
        rows.append({
            "run_id": r["run_id"],
            "task": r["task"],
            "model": r["model"],
            "registry_model": r.get("registry_model", r["model"]),
            "family": r.get("family", ""),
            "seed": r["seed"],
            "n_train": r["n_train"],
            "n_test": r["n_test"],
            "n_train_actual": r.get("n_train_actual", r["n_train"]),
            "n_test_actual": r.get("n_test_actual", r["n_test"]),
            "test_accuracy": r["metrics"]["test_accuracy"],
            "train_accuracy": r["metrics"].get("train_accuracy"),
            "fit_s": t.get("fit_s"),
            "predict_s": t.get("predict_s"),
            "fit_per_sample_us": _scale(t.get("fit_per_sample_s"), 1e6),
            "predict_per_sample_us": _scale(t.get("predict_per_sample_s"), 1e6),
            "macs_per_sample": ops.get("macs"),
            "synaptic_events_per_sample": ops.get("synaptic_events"),
            "spikes_per_sample": ops.get("spikes"),
            "energy_per_sample_nj": _scale(energy, 1e-3),
            "presentations": budget["presentations"],
            "epochs": budget["epochs"],
            "complete": record_is_complete(r),
            "git_commit": (r.get("environment") or {}).get("git_commit"),
            "params": json.dumps(r.get("config", {}).get("params", {}), sort_keys=True),
        })
    rows.sort(key=lambda row: (row["task"], row["family"], row["model"], row["n_train"],
                               row["seed"]))
    return rows


def _scale(v, factor):
    return None if v is None else float(v) * factor


def write_summary_csv(records: Iterable[dict[str, Any]], path: str | Path) -> Path:
    rows = summary_rows(records)
    with atomic_open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return Path(path)


def read_summary_csv(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a summary.csv with numbers parsed back."""
    ints = {"seed", "n_train", "n_test", "n_train_actual", "n_test_actual"}
    floats = {"test_accuracy", "train_accuracy", "fit_s", "predict_s", "fit_per_sample_us",
              "predict_per_sample_us", "macs_per_sample", "synaptic_events_per_sample",
              "spikes_per_sample", "energy_per_sample_nj", "presentations", "epochs"}
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            parsed: dict[str, Any] = {}
            for k, v in row.items():
                if k in ints:
                    parsed[k] = int(v)
                elif k in floats:
                    parsed[k] = float(v) if v != "" else None
                elif k == "complete":
                    parsed[k] = v == "True"
                else:
                    parsed[k] = v
            out.append(parsed)
    return out
