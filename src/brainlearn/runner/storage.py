"""Results on disk: one JSON file per finished run, written atomically; the tidy summary.

Layout under an output directory ``DIR``::

    DIR/results/runs/<run-id>.json    one per finished run (complete or with analysis errors)
    DIR/results/failed/<run-id>.json  the traceback of a run that raised (redone next time)
    DIR/results/manifest.json         the run ids of the last ``brainlearn run`` (figures use them)
    DIR/results/summary.csv           tidy, one row per run
    DIR/results/stats.csv, summary.md statistics (see :mod:`brainlearn.runner.stats`)
    DIR/figures/                      every figure, PNG + SVG

A record is written to a temporary file in the same directory, flushed to
disk and renamed over its final name (``os.replace`` is atomic on POSIX), so a
process killed at any moment leaves either no record or a whole one; stray
temporary files are ignored and cleaned up.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "SUMMARY_COLUMNS",
    "load_manifest",
    "load_records",
    "read_record",
    "record_is_complete",
    "recorded_ids",
    "results_dir",
    "runs_dir",
    "selected_records",
    "summary_rows",
    "write_json_atomic",
    "write_manifest",
    "write_summary_csv",
]

log = logging.getLogger(__name__)


def results_dir(out: str | Path) -> Path:
    return Path(out) / "results"


def runs_dir(out: str | Path) -> Path:
    return results_dir(out) / "runs"


def failed_dir(out: str | Path) -> Path:
    return results_dir(out) / "failed"


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


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` via a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, sort_keys=True, allow_nan=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    try:  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # pragma: no cover - e.g. file systems without directory fsync
        pass
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_record(path: str | Path) -> dict[str, Any] | None:
    """A run record, or None (with a warning) if the file is not a valid record."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            rec = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        log.warning("ignoring unreadable record %s (%s); its run will be redone", path, exc)
        return None
    if not isinstance(rec, dict) or rec.get("run_id") != path.stem:
        log.warning("ignoring %s: not a run record of this name", path)
        return None
    return rec


def record_is_complete(rec: dict[str, Any]) -> bool:
    return not rec.get("errors")


def _record_paths(out: str | Path) -> list[Path]:
    d = runs_dir(out)
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob("*.json") if not p.name.startswith("."))


def clean_temporaries(out: str | Path) -> int:
    """Remove temporary files left by a killed writer; returns how many."""
    n = 0
    for d in (runs_dir(out), failed_dir(out), results_dir(out)):
        if d.is_dir():
            for p in d.glob(".*.tmp"):
                try:
                    p.unlink()
                    n += 1
                except OSError:  # pragma: no cover
                    pass
    return n


def load_records(out: str | Path, ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every valid record under ``out`` (or only those with the given ids), by run id."""
    wanted = set(ids) if ids is not None else None
    recs = []
    for p in _record_paths(out):
        if wanted is not None and p.stem not in wanted:
            continue
        rec = read_record(p)
        if rec is not None:
            recs.append(rec)
    return recs


def recorded_ids(out: str | Path, complete_only: bool = True) -> set[str]:
    """Ids of the runs already recorded (by default only those without analysis errors)."""
    if not complete_only:
        return {p.stem for p in _record_paths(out)}
    ids = set()
    for p in _record_paths(out):
        rec = read_record(p)
        if rec is not None and record_is_complete(rec):
            ids.add(p.stem)
    return ids


def write_manifest(out: str | Path, specs: list[str], run_ids: list[str]) -> Path:
    return write_json_atomic(results_dir(out) / "manifest.json",
                             {"specs": specs, "run_ids": list(run_ids)})


def load_manifest(out: str | Path) -> dict[str, Any] | None:
    p = results_dir(out) / "manifest.json"
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        log.warning("ignoring unreadable %s", p)
        return None


def selected_records(out: str | Path, use_all: bool = False) -> list[dict[str, Any]]:
    """The records the figures and tables describe: those of the last run's manifest
    (all records if there is no manifest or ``use_all``)."""
    manifest = None if use_all else load_manifest(out)
    ids = manifest["run_ids"] if manifest else None
    return load_records(out, ids)


# ---------------------------------------------------------------------- summary.csv

SUMMARY_COLUMNS = [
    "run_id", "task", "model", "registry_model", "family", "seed", "n_train", "n_test",
    "n_train_actual", "n_test_actual", "test_accuracy", "train_accuracy",
    "fit_s", "predict_s", "fit_per_sample_us", "predict_per_sample_us",
    "macs_per_sample", "synaptic_events_per_sample", "spikes_per_sample",
    "energy_per_sample_nj", "complete", "git_commit", "params",
]


def summary_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One tidy row per record (see :data:`SUMMARY_COLUMNS`)."""
    from .energy import energy_per_sample_pj

    rows = []
    for r in records:
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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    os.replace(tmp, path)
    return path


def read_summary_csv(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a summary.csv with numbers parsed back."""
    ints = {"seed", "n_train", "n_test", "n_train_actual", "n_test_actual"}
    floats = {"test_accuracy", "train_accuracy", "fit_s", "predict_s", "fit_per_sample_us",
              "predict_per_sample_us", "macs_per_sample", "synaptic_events_per_sample",
              "spikes_per_sample", "energy_per_sample_nj"}
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
