"""Run the missing runs of a set of specs: in this process, in local processes, or on Dask.

The parent process plans the runs, skips those already recorded, builds the compiled
programs the rest need (:mod:`.prebuild`: each once, in parallel), hands the runs
to an executor (:mod:`.executors`) and writes each record atomically as soon as it
comes back, so a sweep killed at any moment (even ``kill -9``) loses at most the runs
in flight. Runs are handed out seed-major, at most as many at a time as the executor
takes, so that an optional time budget can stop the sweep between runs; a later sweep
resumes where it stopped. A worker process that dies fails only the runs it held: the
pool is replaced and the sweep goes on.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import sys
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._io import write_json_atomic
from .._paths import cache_home, failed_dir, runs_dir, tuning_dir, writable_cache_home
from .config import RunConfig
from .executors import open_executor, reopen, worker_caches
from .prebuild import count_programs, prebuild
from .progress import Progress, Projection, fmt_s
from .records import warning_kind, warning_text
from .storage import clean_temporaries, load_records, recorded_ids, write_record

__all__ = ["SweepReport", "plan", "run_sweep"]

log = logging.getLogger(__name__)


def load_shipped_timings() -> list[tuple[str, str, int, float]]:
    """The timings shipped with the package (:func:`.timings.load_shipped_timings`),
    imported when a plan needs them: importing :mod:`.timings` with the package would make
    ``python -m brainlearn.runner.timings`` (``make timings``) warn that the module was
    imported before it ran."""
    from .timings import load_shipped_timings as load

    return load()


@dataclass
class SweepReport:
    planned: int = 0
    skipped: int = 0  # already recorded
    done: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # recorded with analysis errors
    failed: dict[str, str] = field(default_factory=dict)  # run id -> error
    not_started: int = 0  # stopped by the time budget
    elapsed_s: float = 0.0
    warnings: dict[str, list] = field(default_factory=dict)  # run id -> its record's warnings

    def warnings_summary(self, most: int = 3) -> str | None:
        """One line on the warnings the runs of this sweep raised (None when none did):
        how many runs, how many warnings, the ``most`` frequent kinds (a message up to its
        first colon, numbers as ``#``)."""
        if not self.warnings:
            return None
        kinds: dict[str, int] = defaultdict(int)
        for ws in self.warnings.values():
            for w in ws:
                kinds[f"{w['category']}: {warning_kind(w['message'])}"] += w["count"]
        total = sum(kinds.values())
        top = sorted(kinds.items(), key=lambda kv: -kv[1])[:most]
        shown = "; ".join(f"{n} x {k}" for k, n in top)
        more = f"; {len(kinds) - most} other kinds" if len(kinds) > most else ""
        runs, s_runs = len(self.warnings), "s" if len(self.warnings) != 1 else ""
        return (f"{runs} run{s_runs} raised {total} warning{'s' if total != 1 else ''} "
                f"({shown}{more}); each record keeps its own under 'warnings' "
                "(brainlearn -v run prints them as they come)")

    @property
    def ok(self) -> bool:
        return not self.failed and not self.incomplete


# ------------------------------------------------------------------------ plan


def plan(runs: list[RunConfig], out: str | Path, jobs: int = 1,
         worker_cache: str = "shared") -> str:
    """A table of the planned runs per model: how many, how many recorded, and the time
    the missing ones are projected to take (from the timings of recorded runs); and how
    many compiled programs the missing runs need and how many of them a sweep would build
    first (:mod:`.prebuild`)."""
    records = load_records(out, move_invalid=False)  # a dry run changes nothing on disk
    have = {r.run_id for r in records if r.complete}
    projection = Projection(max(jobs, 1))
    timed = 0
    for rec in records:
        cfg = RunConfig.from_dict(rec.config)
        t = (rec.timings or {}).get("total_s")
        if t is not None:
            projection.add(cfg, float(t))
            timed += 1
    # models without timings here: those measured for the committed results, shipped
    shipped = Projection(max(jobs, 1))
    for label, task, n_train, secs in load_shipped_timings():
        shipped.add_timing(label, task, n_train, secs)
    rows = defaultdict(lambda: [0, 0, 0.0, 0])  # runs, recorded, projected s, unknown
    from_shipped = 0
    for r in runs:
        row = rows[r.label]
        row[0] += 1
        if r.run_id in have:
            row[1] += 1
            continue
        est = projection.estimate(r) if projection.by_label.get(r.label) else None
        if est is None:
            for alias in dict.fromkeys((r.label, r.model)):  # a label, else the registry name
                if shipped.by_label.get(alias):
                    est = shipped.estimate(replace(r, label=alias))
                    from_shipped += 1
                    break
        if est is None:
            row[3] += 1
        else:
            row[2] += est
    lines = [f"{'model':<16}{'runs':>6}{'recorded':>10}{'to do':>7}  projected"]
    for label, (n, rec, secs, unknown) in rows.items():
        proj = fmt_s(secs) + (f" + {unknown} unknown" if unknown else "")
        lines.append(f"{label:<16}{n:>6}{rec:>10}{n - rec:>7}  {proj}")
    total = sum(v[2] for v in rows.values()) / max(jobs, 1)
    unknown = sum(v[3] for v in rows.values())
    source = f"from {timed} recorded runs"
    if from_shipped:
        source += (f"; {from_shipped} runs from the timings shipped with brainlearn, "
                   "measured where the committed results were made")
    lines.append(
        f"projected wall time with {jobs} worker(s): {fmt_s(total)}"
        + (f" plus {unknown} runs of models without recorded timings" if unknown else "")
        + f" ({source}; the builds below come first)")
    todo = [r for r in runs if r.run_id not in have]
    homes = worker_caches(cache_home(), jobs, None, worker_cache)
    n_programs, missing = count_programs(todo, homes)
    where = f" in {len(homes)} worker caches" if len(homes) > 1 else ""
    lines.append(f"compiled programs: the runs to do need {n_programs}; {missing} to build"
                 f"{where} before the runs, up to {max(jobs, 1)} at a time "
                 f"(cache: {cache_home()})")
    return "\n".join(lines)


# ------------------------------------------------------------------------ sweep


class _Recorder:
    """Writes what comes back from the executor: a record, or a failure note."""

    def __init__(self, out: Path, report: SweepReport, projection: Projection,
                 progress: Progress):
        self.out, self.report, self.projection, self.progress = (
            out, report, projection, progress)

    def take(self, cfg: RunConfig, fut) -> bool:
        """Record the outcome of ``fut``; returns whether its worker process died."""
        try:
            rec = fut.result()
        except Exception as exc:  # the run raised: keep the traceback, go on
            self.failed(cfg, exc)
            return isinstance(exc, cf.process.BrokenProcessPool)
        write_record(self.out, rec)
        stale = failed_dir(self.out) / f"{cfg.run_id}.json"
        if stale.exists():
            stale.unlink()
        self.projection.add(cfg, float((rec.timings or {}).get("total_s", 0.0)))
        if rec.warnings:
            self.report.warnings[cfg.run_id] = rec.warnings
            if log.isEnabledFor(logging.INFO):
                for w in rec.warnings:
                    self.progress.say(f"{cfg.task} {cfg.label} seed {cfg.seed}: "
                                      f"{warning_text(w)}")
        if rec.complete:
            self.report.done.append(cfg.run_id)
        else:
            self.report.incomplete.append(cfg.run_id)
            bad = ", ".join(k for k in rec.errors if not k.endswith(".traceback"))
            self.progress.say(f"INCOMPLETE {cfg.task} {cfg.label} seed {cfg.seed}: "
                              f"analyses failed: {bad} (the run is redone next time)")
        return False

    def failed(self, cfg: RunConfig, exc: BaseException) -> None:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.report.failed[cfg.run_id] = f"{type(exc).__name__}: {exc}"
        write_json_atomic(failed_dir(self.out) / f"{cfg.run_id}.json",
                          {"run_id": cfg.run_id, "config": cfg.to_dict(),
                           "error": self.report.failed[cfg.run_id], "traceback": tb})
        self.progress.say(f"FAILED {cfg.task} {cfg.label} seed {cfg.seed} n_train "
                          f"{cfg.n_train} ({cfg.run_id}): {self.report.failed[cfg.run_id]}")

    def lost(self, cfgs) -> None:
        """Runs whose worker process died with them."""
        for cfg in cfgs:
            self.report.failed[cfg.run_id] = "its worker process died"
        self.progress.say("brainlearn: a worker process died; starting a new pool (the runs "
                          "it held are redone next time)")


class _Budget:
    """Stops handing out runs once the elapsed time plus the projected time of the next
    run would exceed ``seconds``."""

    def __init__(self, seconds: float | None, projection: Projection):
        self.seconds, self.projection = seconds, projection
        self.start = time.monotonic()
        self.stopped = False

    def allows(self, cfg: RunConfig) -> bool:
        if self.stopped:
            return False
        if self.seconds is not None:
            nxt = self.projection.estimate(cfg) or 0.0
            self.stopped = time.monotonic() - self.start + nxt > self.seconds
        return not self.stopped


class _Loop:
    """Keeps the executor full, records what finishes, replaces a broken local pool."""

    def __init__(self, executor, pending: list[RunConfig], recorder: _Recorder,
                 budget: _Budget, reopen_pool):
        self.executor, self.pending, self.recorder, self.budget = (
            executor, pending, recorder, budget)
        self.reopen_pool = reopen_pool
        self.in_flight: dict[Any, RunConfig] = {}

    def run(self) -> None:
        while self.pending or self.in_flight:
            while (self.pending and len(self.in_flight) < self.executor.capacity
                   and self.budget.allows(self.pending[0])):
                cfg = self.pending.pop(0)
                self.in_flight[self.executor.submit(cfg.to_dict())] = cfg
            if not self.in_flight:
                break
            broken = False
            for fut in self.executor.wait(list(self.in_flight)):
                cfg = self.in_flight.pop(fut)
                broken |= self.recorder.take(cfg, fut)
                self._advance(1, f"{cfg.task}/{cfg.label}")
            if broken:  # a worker process died (crash, out of memory): new pool, go on
                lost = list(self.in_flight.values())
                self.in_flight.clear()
                self.recorder.lost(lost)
                self._advance(len(lost), "")
                self.executor = self.reopen_pool(self.executor)

    def _advance(self, n: int, note: str) -> None:
        rest = self.recorder.projection.remaining(self.pending + list(self.in_flight.values()))
        self.recorder.progress.advance(n, note, rest)


def run_sweep(
    runs: list[RunConfig],
    out: str | Path,
    jobs: int = 1,
    scheduler: str | None = None,
    budget_s: float | None = None,
    progress: bool | None = None,
    stream=None,
    worker_cache: str = "shared",
    prebuild_programs: bool = True,
) -> SweepReport:
    """Do every run of ``runs`` that is not yet recorded under ``out``.

    Parameters
    ----------
    jobs : int
        Local worker processes (1: in this process).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:port``); overrides ``jobs``.
    budget_s : float, optional
        Stop handing out new runs once the elapsed time plus the projected
        time of the next run would exceed this many seconds.
    progress : bool, optional
        Show a tqdm bar (default: only when ``stream`` is a terminal).
    worker_cache : {"shared", "separate"}
        Local workers' ``BRAINLEARN_CACHE``: one directory for all (the spiking model
        serialises its builds with a file lock and publishes them by atomic rename, and
        gives every run its own results directory, so workers never collide and each
        program is compiled once), or one directory per worker (``worker-<slot>``: no
        sharing at all: every program is compiled into every worker's directory). Dask
        workers always get their own directory (hosts may share a network home where locks
        are unreliable).
    prebuild_programs : bool
        Before the runs, build every compiled program they need, each once per cache
        directory, ``jobs`` at a time (:mod:`.prebuild`; not on Dask). The runs that need a
        program that fails to build are recorded as failed and not started.

    Raises
    ------
    OSError
        When a record cannot be written (say the disk is full); the records written
        before stay intact and the runs in flight are stopped.
    """
    stream = stream if stream is not None else sys.stderr
    out = Path(out)
    runs_dir(out).mkdir(parents=True, exist_ok=True)
    clean_temporaries(out)
    report = SweepReport(planned=len(runs))
    have = recorded_ids(out)
    # a tuned run keeps its study beside the records, so a killed tuning resumes
    todo = [replace(r, study_dir=str(tuning_dir(out))) if r.tune is not None
            else r for r in runs if r.run_id not in have]
    report.skipped = len(runs) - len(todo)
    print(
        f"brainlearn: {len(runs)} runs planned, {report.skipped} already recorded, "
        f"{len(todo)} to do"
        + (f" on Dask at {scheduler}" if scheduler is not None else
           f" with {jobs} process(es)")
        + (f", time budget {fmt_s(budget_s)}" if budget_s else ""),
        file=stream, flush=True,
    )
    if not todo:
        return report

    cache_root = writable_cache_home()
    started = time.monotonic()  # the builds count against the time budget
    homes = worker_caches(cache_root, jobs, scheduler, worker_cache)
    not_built = {}
    if prebuild_programs and homes is not None:
        not_built = prebuild(todo, homes, jobs, stream).failed_runs
    elif prebuild_programs:
        print("brainlearn: no pre-build on Dask: each worker builds the programs it needs "
              "in its own cache", file=stream, flush=True)
    executor = open_executor(todo, cache_root, jobs, scheduler, worker_cache)
    projection = Projection(executor.parallel)
    shown = Progress(len(todo) - len(not_built), stream, progress)
    budget = _Budget(budget_s, projection)
    budget.start = started
    recorder = _Recorder(out, report, projection, shown)
    for cfg in todo:
        if cfg.run_id in not_built:
            recorder.failed(cfg, not_built[cfg.run_id])
    loop = _Loop(executor, [r for r in todo if r.run_id not in not_built], recorder, budget,
                 lambda ex: reopen(ex, cache_root, worker_cache))
    cancel = False
    try:
        loop.run()
    except BaseException:
        cancel = True
        raise
    finally:
        shown.close()
        loop.executor.close(cancel=cancel or budget.stopped)
        report.elapsed_s = time.monotonic() - budget.start

    report.not_started = len(loop.pending)
    if budget.stopped:
        rest = projection.remaining(loop.pending)
        print(f"brainlearn: time budget reached; {len(loop.pending)} runs not started "
              f"(projected {fmt_s(rest)} more). Run the same command again to continue.",
              file=stream, flush=True)
    return report
