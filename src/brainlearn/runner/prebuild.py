"""Build every compiled program a sweep needs before its runs start, each once, in parallel.

A spiking model runs C++ programs compiled once per network shape and cached on disk.
Left to the runs, each program is compiled when a fit first needs it: the first runs of
every shape wait for their builds one after another in each worker. So before handing out
runs the sweep asks every model that can say (:class:`~.capabilities.BuildsPrograms`:
``programs(n_features, n_classes)``, with the shape of the run's task from
:func:`brainlearn.tasks.task_info`) which programs its runs will need, and builds the
missing ones, each once per cache directory the workers use, up to ``jobs`` at a time (a
build is a child process, so threads are enough here). The runner knows a program only
through that object (its key, ``is_built``, ``build``, ``memory``); the spiking package's
build (its lock and atomic publication) lets a worker that needs a program at the same
moment wait for it, and never see half of it.

Failures
--------
A program that fails to compile fails the runs that need it: they are recorded as failed
with the compiler's message (the next sweep tries again) and are not handed out, since each
would only repeat the same failing build; the other runs go on. Without a working compiler
(the program's ``NoCompiler`` exception) nothing is failed here: a model with
``backend="auto"`` falls back to Brian2's runtime mode in its runs, with its warning, as it
would without the pre-build (and one with ``"standalone"`` fails there with that error).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._proc import kill_running
from .capabilities import BuildsPrograms
from .config import RunConfig, canonical
from .progress import fmt_s

__all__ = ["NeededProgram", "PrebuildFailed", "PrebuildReport", "check_memory",
           "count_programs", "needed_programs", "prebuild"]


class PrebuildFailed(RuntimeError):
    """A compiled program a run needs failed to build before the runs started."""


@dataclass
class NeededProgram:
    """One compiled program (a model's program object, see
    :class:`~.capabilities.BuildsPrograms`), with the runs that need it."""

    program: Any
    runs: list[RunConfig] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.program.key

    def describe(self) -> str:
        kind = getattr(self.program, "kind", "compiled")
        labels = sorted({r.label for r in self.runs})
        tasks = sorted({r.task for r in self.runs})
        some = ", ".join(labels[:3]) + (f" +{len(labels) - 3}" if len(labels) > 3 else "")
        return f"{kind} program {self.key} ({some} on {', '.join(tasks)})"


@dataclass
class PrebuildReport:
    programs: int = 0  # unique programs the runs need
    present: int = 0  # builds already in the cache (program x cache directory)
    built: int = 0
    elapsed_s: float = 0.0
    failed: dict[str, BaseException] = field(default_factory=dict)  # key -> error
    no_compiler: str | None = None
    #: run id -> the error of the program it needs that failed
    failed_runs: dict[str, PrebuildFailed] = field(default_factory=dict)


def needed_programs(runs: list[RunConfig], stream=None) -> dict[str, NeededProgram]:
    """The programs the runs' models name for their tasks' shapes, by key."""
    from ..tasks import task_info
    from .models import build_model
    from .spec import import_plugins

    groups: dict[str, list[RunConfig]] = {}
    shapes: dict[str, tuple[int, int]] = {}
    for cfg in runs:
        info = task_info(cfg.task)
        g = json.dumps([cfg.model, cfg.estimator, canonical(dict(cfg.params)),
                        info.n_features, info.n_classes], sort_keys=True)
        groups.setdefault(g, []).append(cfg)
        shapes[g] = (info.n_features, info.n_classes)
    programs: dict[str, NeededProgram] = {}
    for g, cfgs in groups.items():
        cfg = cfgs[0]
        import_plugins(cfg.plugins)
        est = build_model(cfg.model, cfg.overrides, random_state=cfg.seed)
        if not isinstance(est, BuildsPrograms):
            continue
        try:
            named = est.programs(*shapes[g])
        except Exception as exc:  # noqa: BLE001 - the runs report it themselves
            print(f"brainlearn: cannot name the programs of {cfg.label} on {cfg.task} "
                  f"({type(exc).__name__}: {exc}); its runs build their own",
                  file=stream or sys.stderr, flush=True)
            continue
        for prog in named:
            programs.setdefault(prog.key, NeededProgram(prog)).runs.extend(cfgs)
    return programs


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return None


def check_memory(runs: list[RunConfig], limit: int | None = None) -> None:
    """ValueError naming the model, task and program when a program the runs need would
    allocate more memory (the program's ``memory()``) than ``limit`` bytes (default: this
    machine's physical memory): such a run could only be killed by the system."""
    limit = _physical_memory() if limit is None else int(limit)
    if not limit:
        return
    for prog in needed_programs(runs).values():
        synapses, need = prog.program.memory()
        if need > limit:
            r = prog.runs[0]
            raise ValueError(
                f"model {r.label!r} on task {r.task!r}: its {prog.describe()} has "
                f"{synapses:.3g} synapses and needs at least {need / 2**30:.3g} GiB of memory; "
                f"this machine has {limit / 2**30:.3g} GiB. Make the network smaller "
                "(n_hidden, n_per_feature, n_per_class) or run it on a larger machine")


def count_programs(runs: list[RunConfig], homes: list[Path]) -> tuple[int, int]:
    """``(unique programs the runs need, builds missing in the cache directories homes)``;
    reads the caches, changes nothing."""
    programs = needed_programs(runs)
    missing = sum(not p.program.is_built(h) for p in programs.values() for h in homes)
    return len(programs), missing


def _tail(exc: BaseException, lines: int = 12) -> str:
    text = str(exc).strip().splitlines() or [type(exc).__name__]
    return "\n    ".join(text[-lines:])


def prebuild(runs: list[RunConfig], homes: list[Path], jobs: int = 1,
             stream=None) -> PrebuildReport:
    """Build the programs ``runs`` need into every cache directory of ``homes`` (what the
    workers' ``BRAINLEARN_CACHE`` will be), up to ``jobs`` builds at a time, and print
    what it does. See the module docstring for failures."""
    stream = stream if stream is not None else sys.stderr
    report = PrebuildReport()
    t0 = time.monotonic()
    programs = needed_programs(runs, stream)
    report.programs = len(programs)
    if not programs:
        return report
    todo = [(p, Path(h)) for p in programs.values() for h in homes
            if not p.program.is_built(h)]
    report.present = len(programs) * len(homes) - len(todo)
    where = f" in each of {len(homes)} worker caches" if len(homes) > 1 else ""
    n = max(1, min(int(jobs), len(todo)))
    print(f"brainlearn: the runs need {len(programs)} compiled programs{where}: "
          f"{report.present} already built, {len(todo)} to build"
          + (f" ({n} at a time, {todo[0][0].program.expected_duration(homes)} each; cache: "
             f"{', '.join(map(str, homes))})" if todo else ""), file=stream, flush=True)
    if not todo:
        return report
    pool = cf.ThreadPoolExecutor(n, thread_name_prefix="brainlearn-build")
    try:
        # prebuild() says what it builds: no notice per program
        futures = {pool.submit(p.program.build, h, notice=False): (p, h) for p, h in todo}
        for i, fut in enumerate(cf.as_completed(futures), 1):
            prog, home = futures[fut]
            try:
                secs = fut.result()
            except prog.program.NoCompiler as exc:  # the runs fall back (or fail)
                report.no_compiler = str(exc)
                print(f"brainlearn: [{i}/{len(todo)}] no working C++ compiler for the "
                      f"{prog.describe()}: models with backend 'auto' run in Brian2's "
                      f"runtime mode (much slower).\n    {_tail(exc, 4)}",
                      file=stream, flush=True)
                continue
            except Exception as exc:  # noqa: BLE001 - reported, and its runs are failed
                report.failed[prog.key] = exc
                print(f"brainlearn: [{i}/{len(todo)}] FAILED to build the {prog.describe()}"
                      f"{' into ' + str(home) if len(homes) > 1 else ''}; its "
                      f"{len(prog.runs)} runs are not started and are recorded as failed:"
                      f"\n    {type(exc).__name__}: {_tail(exc)}", file=stream, flush=True)
                continue
            report.built += 1
            print(f"brainlearn: [{i}/{len(todo)}] built the {prog.describe()} in "
                  f"{fmt_s(secs)}", file=stream, flush=True)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): stop the builds now
        pool.shutdown(wait=False, cancel_futures=True)
        kill_running()
        raise
    pool.shutdown(wait=True)
    report.elapsed_s = time.monotonic() - t0
    for key, exc in report.failed.items():
        prog = programs[key]
        for cfg in prog.runs:
            if cfg.run_id not in report.failed_runs:
                err = PrebuildFailed(f"the {prog.describe()} this run needs failed to "
                                     f"build before the runs started: "
                                     f"{_tail(exc, 1)[:300]}")
                err.__cause__ = exc
                report.failed_runs[cfg.run_id] = err
    print(f"brainlearn: built {report.built} of {len(todo)} programs in "
          f"{fmt_s(report.elapsed_s)}"
          + (f"; {len(report.failed)} failed ({len(report.failed_runs)} runs not started)"
             if report.failed else ""), file=stream, flush=True)
    return report
