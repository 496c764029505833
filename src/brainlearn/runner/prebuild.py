"""Build every compiled program a sweep needs before its runs start, each once, in parallel.

A spiking model runs C++ programs compiled once per network shape and cached on disk
(:mod:`brainlearn.snn.build`). Left to the runs, each program is compiled when a fit first
needs it: the first runs of every shape wait for their builds one after another in each
worker. So before handing out runs the sweep asks every model that can say
(:class:`~.capabilities.BuildsPrograms`: ``program_specs(n_features, n_classes)``, with the
shape of the run's task from :func:`brainlearn.tasks.task_info`) which programs its runs
will need, and builds the missing ones, each once per cache directory the workers use, up
to ``jobs`` at a time (a build is a child process, so threads are enough here). The builds
go through :func:`brainlearn.snn.build.ensure_built`, with its lock and atomic publication:
a worker that needs a program at the same moment waits for it and never sees half of it.

Failures
--------
A program that fails to compile fails the runs that need it: they are recorded as failed
with the compiler's message (the next sweep tries again) and are not handed out, since each
would only repeat the same failing build; the other runs go on. Without a working compiler
(:class:`~brainlearn.snn.build.BuildError`) nothing is failed here: a model with
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

__all__ = ["PrebuildFailed", "PrebuildReport", "Program", "check_memory", "count_programs",
           "needed_programs", "prebuild", "program_memory"]


class PrebuildFailed(RuntimeError):
    """A compiled program a run needs failed to build before the runs started."""


@dataclass
class Program:
    """One compiled program, with the runs that need it."""

    key: str
    spec: Any
    runs: list[RunConfig] = field(default_factory=list)

    def describe(self) -> str:
        kind = "training" if getattr(self.spec, "plastic", True) else "inference"
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


def needed_programs(runs: list[RunConfig], stream=None) -> dict[str, Program]:
    """The programs the runs' models name for their tasks' shapes, by build key."""
    from ..snn.build import build_key
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
    programs: dict[str, Program] = {}
    for g, cfgs in groups.items():
        cfg = cfgs[0]
        import_plugins(cfg.plugins)
        est = build_model(cfg.model, cfg.overrides, random_state=cfg.seed)
        if not isinstance(est, BuildsPrograms):
            continue
        try:
            specs = est.program_specs(*shapes[g])
        except Exception as exc:  # noqa: BLE001 - the runs report it themselves
            print(f"brainlearn: cannot name the programs of {cfg.label} on {cfg.task} "
                  f"({type(exc).__name__}: {exc}); its runs build their own",
                  file=stream or sys.stderr, flush=True)
            continue
        for spec in specs:
            key = build_key(spec)
            programs.setdefault(key, Program(key, spec)).runs.extend(cfgs)
    return programs


#: bytes per synapse beyond its variables: pre and post indices, their copies in the
#: program's static arrays, Brian2's N_incoming and N_outgoing (4 bytes each)
_SYNAPSE_BYTES = 24
#: bytes per synaptic or neuron variable (float64), and per pathway (a per-synapse delay)
_VALUE_BYTES = 8


def _n_synapses(kind: str, n_pre: int, n_post: int, n_per_class: int) -> int:
    if kind == "all":
        return n_pre * n_post
    if kind == "one_to_one":
        return n_pre
    if kind == "all_but_self":
        return n_pre * (n_post - 1)
    if kind == "other_class":
        return n_pre * (n_post - n_per_class)
    return n_pre * n_post  # an unknown pattern: at most every pair


def _per_element(model: str | None) -> int:
    """Variables of an equation block stored per neuron or synapse (not shared)."""
    return sum(1 for line in (model or "").splitlines()
               if ":" in line and "(shared)" not in line)


def program_memory(spec) -> tuple[int, int]:
    """``(synapses, bytes)``: a lower bound of the memory the compiled program of ``spec``
    (a :class:`~brainlearn.snn.graph.NetworkSpec`) allocates for its neurons and synapses,
    from its connection patterns and per-element variables (Brian2's queues and buffers
    come on top)."""
    from ..snn.graph import blueprint

    d = blueprint(spec).describe()
    copies = int(d.get("copies", 1))
    sizes = {p["name"]: int(p["n"]) for p in d["populations"]}
    n_bytes = sum(sizes[p["name"]] * (_per_element(p["equations"]) + 2) * _VALUE_BYTES
                  for p in d["populations"])
    synapses = 0
    for q in d["projections"]:
        n = _n_synapses(q["connect"], sizes[q["source"]], sizes[q["target"]],
                        int(spec.net.n_per_class))
        pathways = 1 + (q.get("on_post") is not None)
        synapses += n
        n_bytes += n * (_SYNAPSE_BYTES + _VALUE_BYTES * (_per_element(q["model"]) + pathways))
    return synapses * copies, n_bytes * copies


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return None


def check_memory(runs: list[RunConfig], limit: int | None = None) -> None:
    """ValueError naming the model, task and program when a program the runs need would
    allocate more memory (:func:`program_memory`) than ``limit`` bytes (default: this
    machine's physical memory): such a run could only be killed by the system."""
    limit = _physical_memory() if limit is None else int(limit)
    if not limit:
        return
    for prog in needed_programs(runs).values():
        synapses, need = program_memory(prog.spec)
        if need > limit:
            r = prog.runs[0]
            raise ValueError(
                f"model {r.label!r} on task {r.task!r}: its {prog.describe()} has "
                f"{synapses:.3g} synapses and needs at least {need / 2**30:.3g} GiB of memory; "
                f"this machine has {limit / 2**30:.3g} GiB. Make the network smaller "
                "(n_hidden, n_per_feature, n_per_class) or run it on a larger machine")


def _is_built(key: str, home: Path) -> bool:
    from ..snn.build import cache_root, check_build

    final = cache_root(home) / key
    return final.exists() and check_build(final) is None


def count_programs(runs: list[RunConfig], homes: list[Path]) -> tuple[int, int]:
    """``(unique programs the runs need, builds missing in the cache directories homes)``;
    reads the caches, changes nothing."""
    programs = needed_programs(runs)
    missing = sum(not _is_built(k, h) for k in programs for h in homes)
    return len(programs), missing


def _timed_build(spec, home: Path) -> float:
    from ..snn.build import cache_root, ensure_built

    t0 = time.monotonic()
    ensure_built(spec, cache_root(home), notice=False)  # prebuild() says what it builds
    return time.monotonic() - t0


def _expected(homes: list[Path]) -> str:
    """How long one build should take, from the builds already in these caches."""
    from ..snn.build import TYPICAL_BUILD_S, cache_root, expected_build_s

    for h in homes:
        exp = expected_build_s(cache_root(h))
        if exp is not None:
            return f"about {exp[0]:.0f} s"
    return f"about {TYPICAL_BUILD_S[0]:.0f}-{TYPICAL_BUILD_S[1]:.0f} s"


def _tail(exc: BaseException, lines: int = 12) -> str:
    text = str(exc).strip().splitlines() or [type(exc).__name__]
    return "\n    ".join(text[-lines:])


def prebuild(runs: list[RunConfig], homes: list[Path], jobs: int = 1,
             stream=None) -> PrebuildReport:
    """Build the programs ``runs`` need into every cache directory of ``homes`` (what the
    workers' ``BRAINLEARN_CACHE`` will be), up to ``jobs`` builds at a time, and print
    what it does. See the module docstring for failures."""
    from ..snn.build import BuildError

    stream = stream if stream is not None else sys.stderr
    report = PrebuildReport()
    t0 = time.monotonic()
    programs = needed_programs(runs, stream)
    report.programs = len(programs)
    if not programs:
        return report
    todo = [(p, Path(h)) for p in programs.values() for h in homes if not _is_built(p.key, h)]
    report.present = len(programs) * len(homes) - len(todo)
    where = f" in each of {len(homes)} worker caches" if len(homes) > 1 else ""
    n = max(1, min(int(jobs), len(todo)))
    print(f"brainlearn: the runs need {len(programs)} compiled programs{where}: "
          f"{report.present} already built, {len(todo)} to build"
          + (f" ({n} at a time, {_expected(homes)} each; cache: "
             f"{', '.join(map(str, homes))})" if todo else ""), file=stream, flush=True)
    if not todo:
        return report
    pool = cf.ThreadPoolExecutor(n, thread_name_prefix="brainlearn-build")
    try:
        futures = {pool.submit(_timed_build, p.spec, h): (p, h) for p, h in todo}
        for i, fut in enumerate(cf.as_completed(futures), 1):
            prog, home = futures[fut]
            try:
                secs = fut.result()
            except BuildError as exc:  # no working compiler: the runs fall back (or fail)
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
