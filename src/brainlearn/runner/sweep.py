"""Run the missing runs of a set of specs: in this process, in local processes, or on Dask.

The parent process plans the runs, skips those already recorded, hands the rest
to an executor and writes each record atomically as soon as it comes back, so a
sweep killed at any moment (even ``kill -9``) loses at most the runs in flight.
Runs are handed out seed-major, at most as many at a time as there are workers,
so that an optional time budget can stop the sweep between runs; a later sweep
resumes where it stopped.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import math
import multiprocessing
import os
import re
import statistics
import sys
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .execute import CACHE_ENV, execute_run, use_cache_dir
from .spec import RunConfig
from .storage import (
    clean_temporaries,
    failed_dir,
    record_is_complete,
    recorded_ids,
    runs_dir,
    write_json_atomic,
)

__all__ = ["SweepReport", "default_cache_root", "plan", "run_sweep"]

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    planned: int = 0
    skipped: int = 0  # already recorded
    done: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # recorded with analysis errors
    failed: dict[str, str] = field(default_factory=dict)  # run id -> error
    not_started: int = 0  # stopped by the time budget
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.incomplete


#: how local workers share BRAINLEARN_CACHE (see run_sweep)
WORKER_CACHE_MODES = ("shared", "separate")


def default_cache_root(out: str | Path) -> Path:
    """Root of the per-worker Brian2 build directories: $BRAINLEARN_CACHE, else
    DIR/.brainlearn_cache."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path(out) / ".brainlearn_cache"


# ------------------------------------------------------------------- executors


def _worker_cache(cache_root: Path, slot: int, mode: str) -> Path:
    if mode not in WORKER_CACHE_MODES:
        raise ValueError(f"worker_cache must be one of {WORKER_CACHE_MODES}, got {mode!r}")
    return cache_root if mode == "shared" else cache_root / f"worker-{slot}"


def _init_local_worker(slots, cache_root: str, mode: str) -> None:
    slot = slots.get()
    use_cache_dir(_worker_cache(Path(cache_root), slot, mode))


class _Inline:
    """Runs in this process, one at a time."""

    def __init__(self, cache_root: Path, mode: str):
        self.capacity = 1
        self._old = os.environ.get(CACHE_ENV)
        use_cache_dir(_worker_cache(cache_root, 0, mode))

    def submit(self, cfg: dict) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(execute_run(cfg))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller like a pool would
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            fut.set_exception(exc)
        return fut

    def wait(self, futures):
        return set(futures)

    def close(self, cancel: bool = False) -> None:
        if self._old is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = self._old


#: thread pools of numerical libraries, pinned to one thread per worker process so that
#: N workers on N cores do not oversubscribe them (unless the user set them)
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class _Local:
    """A pool of ``jobs`` fresh (spawned) processes, each with its own cache directory."""

    def __init__(self, jobs: int, cache_root: Path, mode: str):
        ctx = multiprocessing.get_context("spawn")
        slots = ctx.Queue()
        for i in range(jobs):
            slots.put(i)
        self.capacity = jobs
        # spawned children inherit os.environ when they start (on demand): keep the
        # limits in the environment for the pool's lifetime
        self._saved = {v: os.environ.get(v) for v in _THREAD_VARS}
        for v in _THREAD_VARS:
            os.environ.setdefault(v, "1")
        self.pool = cf.ProcessPoolExecutor(
            max_workers=jobs, mp_context=ctx, initializer=_init_local_worker,
            initargs=(slots, str(cache_root), mode),
        )

    def submit(self, cfg: dict):
        return self.pool.submit(execute_run, cfg)

    def wait(self, futures):
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return done

    def close(self, cancel: bool = False) -> None:
        if cancel:  # interrupted or out of budget: stop the runs in flight too
            workers = list(getattr(self.pool, "_processes", {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for proc in workers:
                if proc.is_alive():
                    proc.terminate()
            for proc in workers:
                proc.join(timeout=10)
        else:
            self.pool.shutdown(wait=True)
        for v, old in self._saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


_ORIGINAL_CACHE: list[str | None] = []


def _dask_run(cfg: dict) -> dict:
    """Task function on a Dask worker: a cache directory per worker, then the run."""
    from distributed import get_worker

    if not _ORIGINAL_CACHE:
        _ORIGINAL_CACHE.append(os.environ.get(CACHE_ENV))
    root = _ORIGINAL_CACHE[0] or str(Path.home() / ".cache" / "brainlearn")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(get_worker().name)).strip("_") or "worker"
    use_cache_dir(Path(root) / f"dask-{name}")
    return execute_run(cfg)


#: how long to try reaching a Dask scheduler before giving up
DASK_CONNECT_TIMEOUT = "20s"


class _Dask:
    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise RuntimeError(
                "--scheduler needs the dask distributed package: "
                "pip install 'brainlearn[dask]' (or: pip install distributed)"
            ) from None
        try:
            self.client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise RuntimeError(
                f"cannot connect to the Dask scheduler at {address}: {exc}") from None
        n = sum(self.client.nthreads().values())
        self.capacity = max(1, 2 * n)
        self._prepared: set[str] = set()

    def prepare(self, runs: list[RunConfig]) -> None:
        """Import the runs' plugins and estimator modules on each worker's main thread."""
        from ._dask import PreImport

        modules = {p for r in runs for p in r.plugins}
        modules |= {r.estimator.partition(":")[0] for r in runs}
        if modules <= self._prepared:
            return
        self._prepared |= modules
        self.client.register_plugin(PreImport(sorted(self._prepared)))

    def submit(self, cfg: dict):
        return self.client.submit(_dask_run, cfg, pure=False, key=f"brainlearn-run-{cfg['run_id']}")

    def wait(self, futures):
        from distributed import wait

        return set(wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self, cancel: bool = False) -> None:
        self.client.close()


# ------------------------------------------------------------------ projection


class _Projection:
    """Estimated seconds of the runs still to do, from the durations of finished ones
    (a run of the same model, task and size; else of the same model, scaled by size)."""

    def __init__(self, parallel: int):
        self.parallel = parallel
        self.by_key: dict[tuple, list[float]] = defaultdict(list)
        self.by_label: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.all: list[float] = []

    def add(self, cfg: RunConfig, seconds: float) -> None:
        self.by_key[(cfg.label, cfg.task, cfg.n_train)].append(seconds)
        self.by_label[cfg.label].append((cfg.n_train, seconds))
        self.all.append(seconds)

    def estimate(self, cfg: RunConfig) -> float | None:
        """Median durations (robust to the first run of a program, which compiles it)."""
        same = self.by_key.get((cfg.label, cfg.task, cfg.n_train))
        if same:
            return statistics.median(same)
        lab = self.by_label.get(cfg.label)
        if lab:  # scale by training-set size (cost grows about linearly with it)
            return statistics.median(s * max(cfg.n_train, 1) / max(n, 1) for n, s in lab)
        if self.all:
            return statistics.median(self.all)
        return None

    def remaining(self, cfgs) -> float | None:
        if not self.all:
            return None
        return sum(self.estimate(c) or 0.0 for c in cfgs) / self.parallel


#: without a terminal (no progress bar), a status line at most this often
STATUS_EVERY_S = 60.0


def _fmt_s(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "?"
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


# ------------------------------------------------------------------------ plan


def plan(runs: list[RunConfig], out: str | Path, jobs: int = 1) -> str:
    """A table of the planned runs per model: how many, how many recorded, and the time
    the missing ones are projected to take (from the timings of recorded runs)."""
    from .storage import load_records

    have = recorded_ids(out)
    projection = _Projection(max(jobs, 1))
    timed = 0
    for rec in load_records(out):
        cfg = RunConfig.from_dict(rec["config"])
        t = rec.get("timings", {}).get("total_s")
        if t is not None:
            projection.add(cfg, float(t))
            timed += 1
    rows = defaultdict(lambda: [0, 0, 0.0, 0])  # runs, recorded, projected s, unknown
    for r in runs:
        row = rows[r.label]
        row[0] += 1
        if r.run_id in have:
            row[1] += 1
            continue
        est = projection.estimate(r) if projection.by_label.get(r.label) else None
        if est is None:
            row[3] += 1
        else:
            row[2] += est
    lines = [f"{'model':<16}{'runs':>6}{'recorded':>10}{'to do':>7}  projected"]
    for label, (n, rec, secs, unknown) in rows.items():
        proj = _fmt_s(secs) + (f" + {unknown} unknown" if unknown else "")
        lines.append(f"{label:<16}{n:>6}{rec:>10}{n - rec:>7}  {proj}")
    total = sum(v[2] for v in rows.values()) / max(jobs, 1)
    unknown = sum(v[3] for v in rows.values())
    lines.append(
        f"projected wall time with {jobs} worker(s): {_fmt_s(total)}"
        + (f" plus {unknown} runs of models without recorded timings" if unknown else "")
        + f" (from {timed} recorded runs; one-time builds included in their timings)")
    return "\n".join(lines)


# ------------------------------------------------------------------------ sweep


def run_sweep(
    runs: list[RunConfig],
    out: str | Path,
    jobs: int = 1,
    scheduler: str | None = None,
    budget_s: float | None = None,
    progress: bool | None = None,
    stream=None,
    worker_cache: str = "shared",
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
        sharing at all, every worker compiles its own programs). Dask workers always get
        their own directory (hosts may share a network home where locks are unreliable).
    """
    stream = stream if stream is not None else sys.stderr
    out = Path(out)
    runs_dir(out).mkdir(parents=True, exist_ok=True)
    clean_temporaries(out)
    report = SweepReport(planned=len(runs))
    have = recorded_ids(out)
    todo = [r for r in runs if r.run_id not in have]
    report.skipped = len(runs) - len(todo)
    tty = bool(getattr(stream, "isatty", lambda: False)())
    show_bar = tty if progress is None else progress

    def say(msg: str) -> None:
        if bar is not None:
            bar.write(msg, file=stream)
        else:
            print(msg, file=stream, flush=True)

    bar = None
    print(
        f"brainlearn: {len(runs)} runs planned, {report.skipped} already recorded, "
        f"{len(todo)} to do"
        + (f" on Dask at {scheduler}" if scheduler else f" with {jobs} process(es)")
        + (f", time budget {_fmt_s(budget_s)}" if budget_s else ""),
        file=stream, flush=True,
    )
    if not todo:
        return report

    cache_root = default_cache_root(out)
    if scheduler:
        executor: Any = _Dask(scheduler)
        executor.prepare(todo)
    elif jobs > 1:
        executor = _Local(jobs, cache_root, worker_cache)
    else:
        executor = _Inline(cache_root, worker_cache)
    parallel = 1 if isinstance(executor, _Inline) else (
        jobs if isinstance(executor, _Local) else max(1, executor.capacity // 2))
    projection = _Projection(parallel)

    if show_bar:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), unit="run", file=stream, dynamic_ncols=True,
                   desc="runs", smoothing=0.1)

    start = time.monotonic()
    pending = list(todo)
    in_flight: dict[Any, RunConfig] = {}
    finished = 0
    last_note = start
    stopped_by_budget = False
    cancel = False
    try:
        while pending or in_flight:
            while pending and len(in_flight) < executor.capacity and not stopped_by_budget:
                cfg = pending[0]
                if budget_s is not None:
                    elapsed = time.monotonic() - start
                    nxt = projection.estimate(cfg) or 0.0
                    if elapsed + nxt > budget_s:
                        stopped_by_budget = True
                        break
                pending.pop(0)
                in_flight[executor.submit(cfg.to_dict())] = cfg
            if not in_flight:
                break
            broken = False
            for fut in executor.wait(list(in_flight)):
                cfg = in_flight.pop(fut)
                finished += 1
                try:
                    rec = fut.result()
                except Exception as exc:  # the run raised: keep the traceback, go on
                    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                    report.failed[cfg.run_id] = f"{type(exc).__name__}: {exc}"
                    write_json_atomic(failed_dir(out) / f"{cfg.run_id}.json",
                                      {"run_id": cfg.run_id, "config": cfg.to_dict(),
                                       "error": report.failed[cfg.run_id], "traceback": tb})
                    say(f"FAILED {cfg.task} {cfg.label} seed {cfg.seed} n_train {cfg.n_train}"
                        f" ({cfg.run_id}): {report.failed[cfg.run_id]}")
                    if isinstance(exc, cf.process.BrokenProcessPool):
                        broken = True
                else:
                    write_json_atomic(runs_dir(out) / f"{cfg.run_id}.json", rec)
                    stale = failed_dir(out) / f"{cfg.run_id}.json"
                    if stale.exists():
                        stale.unlink()
                    projection.add(cfg, float(rec.get("timings", {}).get("total_s", 0.0)))
                    if record_is_complete(rec):
                        report.done.append(cfg.run_id)
                    else:
                        report.incomplete.append(cfg.run_id)
                        bad = ", ".join(k for k in rec["errors"] if not k.endswith(".traceback"))
                        say(f"INCOMPLETE {cfg.task} {cfg.label} seed {cfg.seed}: "
                            f"analyses failed: {bad} (the run is redone next time)")
                rest = projection.remaining(pending + list(in_flight.values()))
                if bar is not None:
                    bar.set_postfix_str(f"{cfg.task}/{cfg.label} projected left {_fmt_s(rest)}",
                                        refresh=False)
                    bar.update(1)
                elif time.monotonic() - last_note >= STATUS_EVERY_S and finished < len(todo):
                    last_note = time.monotonic()
                    say(f"brainlearn: {finished}/{len(todo)} runs in "
                        f"{_fmt_s(last_note - start)}, projected remaining {_fmt_s(rest)}")
            if broken:  # a worker process died (crash, out of memory): new pool, go on
                for cfg in in_flight.values():
                    report.failed[cfg.run_id] = "its worker process died"
                    if bar is not None:
                        bar.update(1)
                finished += len(in_flight)
                in_flight.clear()
                say("brainlearn: a worker process died; starting a new pool (the runs it "
                    "held are redone next time)")
                executor.close(cancel=True)
                executor = _Local(jobs, cache_root, worker_cache)
    except BaseException:
        cancel = True
        raise
    finally:
        if bar is not None:
            bar.close()
        executor.close(cancel=cancel or stopped_by_budget)
        report.elapsed_s = time.monotonic() - start

    report.not_started = len(pending)
    if stopped_by_budget:
        rest = projection.remaining(pending)
        print(f"brainlearn: time budget reached; {len(pending)} runs not started "
              f"(projected {_fmt_s(rest)} more). Run the same command again to continue.",
              file=stream, flush=True)
    return report
