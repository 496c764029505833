"""Results on disk: one JSON record per finished run, validated on read; the tidy summary.

Layout: see :mod:`brainlearn._paths`. Every file is written atomically
(:mod:`brainlearn._io`), so a process killed at any moment leaves either no record or a
whole one; stray temporary files are ignored and cleaned up.

Every record is validated when it is read (:func:`.records.record_problems`: its fields,
their types and ranges, its checksum, and that its configuration hashes to its name). A
record that is not valid (undecodable bytes, missing fields, an accuracy of 7.5, a
checksum that its content no longer matches, ...) is reported, moved aside to
``results/invalid/`` (never deleted) and treated as absent, so the next sweep redoes its
run. A damaged ``manifest.json`` is set aside the same way.
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

from .._io import atomic_open, remove_temporaries, write_json_atomic, write_text_atomic
from .._paths import failed_dir, invalid_dir, manifest_path, results_dir, runs_dir
from .records import SUMMARY_COLUMNS, InvalidRecord, RunRecord, SummaryRow, record_problems

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
    "write_record",
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


def read_record(path: str | Path, move_invalid: bool = True) -> RunRecord | None:
    """A valid run record, or None. An invalid one (:func:`.records.record_problems`) is
    reported and, with ``move_invalid``, set aside (:func:`set_aside`) so its run is redone."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            return RunRecord.from_json(fh.read(), run_id=path.stem)
    except OSError as exc:
        log.warning("cannot read record %s (%s); its run will be redone", path, exc.strerror)
        return None
    except InvalidRecord as exc:
        why = str(exc)
    if move_invalid:
        set_aside(path, why + "; its run will be redone")
    else:
        log.warning("%s is not a valid record (%s); its run will be redone", path, why)
    return None


def write_record(out: str | Path, record: RunRecord) -> Path:
    """Save a record as ``results/runs/<run-id>.json`` (atomically), sealed with its
    checksum at the current schema (:meth:`.records.RunRecord.sealed`)."""
    return write_json_atomic(runs_dir(out) / f"{record.run_id}.json",
                             record.sealed().to_dict())


def record_is_complete(rec: RunRecord) -> bool:
    return rec.complete


def _record_paths(out: str | Path) -> list[Path]:
    d = runs_dir(out)
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob("*.json") if not p.name.startswith("."))


def clean_temporaries(out: str | Path) -> int:
    """Remove temporary files left by a killed writer; returns how many."""
    return remove_temporaries(runs_dir(out), failed_dir(out), results_dir(out))


def load_records(out: str | Path, ids: Iterable[str] | None = None,
                 move_invalid: bool = True) -> list[RunRecord]:
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
    return {r.run_id for r in load_records(out, move_invalid=move_invalid)
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
                     move_invalid: bool = True) -> list[RunRecord]:
    """The records the figures and tables describe: those of the last run's manifest
    (all records if there is no manifest or ``use_all``)."""
    manifest = None if use_all else load_manifest(out, move_invalid)
    ids = manifest["run_ids"] if manifest else None
    return load_records(out, ids, move_invalid)


# ---------------------------------------------------------------------- summary.csv

def summary_rows(records: Iterable[RunRecord]) -> list[SummaryRow]:
    """One tidy row per record (see :data:`.records.SUMMARY_COLUMNS`), sorted by task,
    family, model, n_train and seed."""
    rows = [SummaryRow.from_record(r) for r in records]
    rows.sort(key=lambda row: (row.task, row.family, row.model, row.n_train, row.seed))
    return rows


def write_summary_csv(records: Iterable[RunRecord], path: str | Path) -> Path:
    rows = summary_rows(records)
    with atomic_open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS)
        w.writeheader()
        for row in rows:
            w.writerow(row.csv_fields())
    return Path(path)


def read_summary_csv(path: str | Path) -> list[SummaryRow]:
    """The rows of a summary.csv, numbers parsed back."""
    with open(path, newline="", encoding="utf-8") as fh:
        return [SummaryRow.from_csv(row) for row in csv.DictReader(fh)]
