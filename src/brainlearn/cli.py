"""The ``brainlearn`` command line: run experiments, rebuild figures, list what exists.

::

    brainlearn run [SPEC ...] [--out DIR] [--jobs N] [--scheduler ADDRESS] [--budget MIN]
                   [--dry-run] [--worker-cache shared|separate] [--readme README.md]
                   [--results-page RESULTS.md] [--no-figures]
    brainlearn figures [DIR] [--all] [--readme README.md] [--results-page RESULTS.md]
    brainlearn list
    brainlearn cache [BASE ...] [--clear] [--stale]

``run`` with no SPEC runs the ``default`` experiment; a SPEC is a path or the name of a
spec shipped with the package (``brainlearn/experiments/*.toml``, listed by ``brainlearn
list``) or of one in ``experiments/`` of the checkout around the working directory.
Results go to ``DIR/results`` and figures to ``DIR/figures`` (DIR defaults to the
repository root when run inside a checkout, else the working directory). ``--readme``
rewrites the generated blocks of that README and of its results page (``--results-page``,
else ``RESULTS.md`` beside the README when it exists): the long tables on the page, the
short summaries in the README, each block in the one file that holds it.

Exit codes: 0 success; 1 some runs failed or are incomplete (they are redone by the
next ``run``) or a figure failed (the others are drawn); 2 a usage or specification
error (the message names the file and the key), including an output directory that
cannot be written or a disk that fills up (the records written so far are kept);
130 interrupted (finished runs are kept).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from ._paths import CACHE_ENV, cache_home, failed_dir, results_dir, runs_dir
from ._readme import locate_blocks, markers, results_page_for

__all__ = ["main"]

log = logging.getLogger("brainlearn")

DEFAULT_SPEC = "default"


class UsageError(Exception):
    """A problem with the command line or its inputs: exit code 2, no traceback."""


# ------------------------------------------------------------------ locations


def repo_root(start: Path | None = None) -> Path | None:
    """The brainlearn checkout containing ``start`` (default: cwd), if any."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "experiments").is_dir() and (d / "pyproject.toml").is_file():
            return d
    return None


#: the experiment specs shipped inside the package (package data)
SHIPPED_SPECS = Path(__file__).resolve().parent / "experiments"


def experiment_dirs() -> list[Path]:
    """Where experiment names are looked up, in order: ``experiments/`` of the checkout
    around the working directory (specs of your own), then the specs shipped with the
    package (``brainlearn/experiments``)."""
    root = repo_root()
    dirs = [root / "experiments"] if root is not None else []
    return [*dirs, SHIPPED_SPECS]


def find_spec(name_or_path: str) -> Path:
    """A spec given as a path, or as a name (``default``) looked up in :func:`experiment_dirs`."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.suffix == ".toml" or os.sep in name_or_path:
        raise UsageError(f"spec file not found: {name_or_path}")
    searched = []
    for d in experiment_dirs():
        cand = d / f"{name_or_path}.toml"
        searched.append(str(cand))
        if cand.is_file():
            return cand
    raise UsageError(
        f"no experiment named {name_or_path!r}; looked for: {', '.join(searched)}. "
        "Give a path to a .toml spec, or one of the names `brainlearn list` shows."
    )


def default_out() -> Path:
    """Results go under the repository root when run inside a checkout, else under cwd."""
    return repo_root() or Path.cwd()


def out_dir(arg: str | None, writable: bool) -> Path:
    """The output directory (``--out`` or :func:`default_out`), created and checked
    writable when ``writable``; a clear UsageError when it is a file, lies under a file,
    or cannot be written."""
    out = Path(arg) if arg else default_out()
    for d in (out, *out.parents):
        _check_link(out, d)
        if d.exists():
            if not d.is_dir():
                raise UsageError(f"--out {out}: {d} is a file, not a directory")
            break
    for d in (results_dir(out), runs_dir(out), failed_dir(out), out / "figures"):
        _check_link(out, d)
    if not writable:
        return out
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out, prefix=".brainlearn-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there ({exc.strerror or exc}); give a "
                         "writable directory with --out DIR") from None
    return out


def _check_link(out: Path, path: Path) -> None:
    """A UsageError when ``path`` is a symbolic link that leads nowhere (a loop, or a
    target that does not exist): nothing could be read or written through it."""
    import errno

    if not path.is_symlink():
        return
    try:
        os.stat(path)
    except OSError as exc:
        why = ("is a symbolic link loop" if exc.errno == errno.ELOOP
               else f"is a symbolic link to {os.readlink(path)!r}, which does not exist")
        raise UsageError(f"--out {out}: {path} {why}; remove it (or point it at a "
                         "directory) or give another --out") from None


def _list_specs() -> list[tuple[str, Path, str]]:
    import tomllib

    seen, out = set(), []
    for d in experiment_dirs():
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.toml")):
            if p.stem in seen:
                continue
            seen.add(p.stem)
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError,
                    RecursionError) as exc:
                out.append((p.stem, p, f"(unreadable: {exc})"))
                continue
            exp = data.get("experiment", {}) if isinstance(data, dict) else {}
            desc = exp.get("description", "") if isinstance(exp, dict) else ""
            if "sweep" not in data:
                desc = "(not a runner spec) " + str(desc)
            out.append((p.stem, p, str(desc)))
    return out


# ------------------------------------------------------------------ commands


def _cmd_run(args) -> int:
    from .runner.executors import SchedulerUnavailable
    from .runner.spec import SpecError, check_data, load_spec, resolve_runs
    from .runner.storage import ResultsBusy, sweep_lock

    _check_readme(args)
    paths = [find_spec(n) for n in (args.specs or [DEFAULT_SPEC])]
    try:
        runs = resolve_runs([load_spec(p) for p in paths])
        check_data(runs)  # the files of mnist-like tasks: there and whole, before anything
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    out = out_dir(args.out, writable=not args.dry_run)
    _cap_jobs(args, len(runs))
    _check_memory(runs)
    if not args.dry_run:
        _check_cache(out)
    if args.dry_run:
        from .runner.sweep import plan

        print(plan(runs, out, jobs=args.jobs, worker_cache=args.worker_cache))
        return 0
    try:
        with sweep_lock(out), _disk_errors(out):
            report = _sweep(args, paths, runs, out)
            bad_figures = _after_runs(args, out, use_all=False, draw=not args.no_figures)
    except ResultsBusy as exc:
        raise UsageError(str(exc)) from None
    except SchedulerUnavailable as exc:
        raise UsageError(str(exc)) from None
    bad = len(report.failed) + len(report.incomplete)
    print(
        f"brainlearn: {len(report.done)} runs done, {report.skipped} already recorded, "
        f"{len(report.failed)} failed, {len(report.incomplete)} incomplete, "
        f"{report.not_started} not started, in {report.elapsed_s:.0f}s; "
        f"results in {results_dir(out)}",
        file=sys.stderr,
    )
    warned = report.warnings_summary()
    if warned:
        print(f"brainlearn: {warned}", file=sys.stderr)
    if bad:
        print(f"brainlearn: tracebacks in {failed_dir(out)} and in the records' "
              "'errors'; run the same command again to redo those runs", file=sys.stderr)
    return 1 if bad or bad_figures else 0


def _check_cache(out: Path) -> None:
    """The sweep's build cache must be writable (the workers compile into it)."""
    from ._paths import CACHE_ENV, cache_problem, configured_cache_home

    root = configured_cache_home()
    problem = cache_problem(root)
    if problem is not None:
        where = f"${CACHE_ENV}={root}" if os.environ.get(CACHE_ENV) else str(root)
        raise UsageError(f"cannot write the build cache {where}: {problem}; set "
                         f"${CACHE_ENV} to a writable directory")


def _check_memory(runs) -> None:
    """A network too large for this machine's memory is a usage error, at --dry-run too."""
    from .runner.prebuild import check_memory

    try:
        check_memory(runs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _cap_jobs(args, n_runs: int) -> None:
    """More local workers than runs, or than CPUs, only cost memory (each worker holds its
    own interpreter, Brian2 and data): ``--jobs`` is capped to both, with a note."""
    cpus = _default_jobs()
    if args.scheduler is not None:  # Dask's workers decide
        args.jobs = args.jobs or cpus
        return
    explicit = args.jobs is not None
    args.jobs = args.jobs if explicit else cpus
    capped = max(1, min(args.jobs, n_runs, cpus))
    if capped < args.jobs and not explicit:  # the default: fewer runs than CPUs
        args.jobs = capped
    elif capped < args.jobs:
        why = []
        if n_runs < args.jobs:
            why.append(f"{n_runs} runs planned")
        if cpus < args.jobs:
            why.append(f"{cpus} CPUs available; more workers would share them and each "
                       "holds its own memory")
        print(f"brainlearn: note: --jobs {args.jobs} capped to {capped} "
              f"({'; '.join(why)})", file=sys.stderr)
        args.jobs = capped


def _spec_label(path: Path) -> str:
    """How the manifest names a spec: a shipped one by its name (the same in every clone
    and install), another by its path."""
    path = Path(path).resolve()
    if path.parent == Path(SHIPPED_SPECS).resolve():
        return path.stem
    return str(path)


def _sweep(args, paths: list[Path], runs, out: Path):
    import datetime

    from .runner.storage import record_sweep, write_manifest
    from .runner.sweep import run_sweep

    write_manifest(out, [_spec_label(p) for p in paths], [r.run_id for r in runs])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    report = run_sweep(
        runs, out, jobs=args.jobs, scheduler=args.scheduler,
        budget_s=None if args.budget is None else 60.0 * args.budget,
        worker_cache=args.worker_cache,
    )
    # the wall time of the runs the tables describe (the README says it from here)
    record_sweep(out, {
        "planned": report.planned, "done": len(report.done), "skipped": report.skipped,
        "failed": len(report.failed), "not_started": report.not_started,
        "elapsed_s": round(max(report.elapsed_s, 0.01), 2), "jobs": args.jobs,
        "scheduler": args.scheduler is not None, "cpus": os.cpu_count(),
        "load_at_start": load,
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    })
    return report


def _after_runs(args, out: Path, use_all: bool, draw: bool) -> int:
    """Tables, figures and the README block from the saved records; returns how many
    figures failed (each is reported; the others and the README are still done)."""
    from .runner.report import selection_notes, write_reports

    write_reports(out, use_all=use_all)
    for note in selection_notes(out, use_all=use_all):
        print(f"brainlearn: note: {note}", file=sys.stderr)
    failed = 0
    if draw:
        failed = sum("failed" in v for v in _figures(out, use_all=use_all).values())
    if args.readme:
        _readme(args, out)
    return failed


@contextlib.contextmanager
def _disk_errors(out: Path):
    """An OSError while writing results (a full disk, a read-only file system) becomes a
    UsageError that says what was kept."""
    try:
        yield
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        n = len(list(runs_dir(out).glob("*.json"))) if runs_dir(out).is_dir() else 0
        raise UsageError(
            f"cannot write{where}: {exc.strerror or exc}. The {n} run records under "
            f"{runs_dir(out)} are intact (each is written whole or not at all); free some "
            "space (or fix the permissions) and run the same command again to resume"
        ) from None


def _figures(out: Path, use_all: bool) -> dict:
    from .figures.build import build_figures
    from .figures.style import use_file_backend

    use_file_backend()
    t0 = time.perf_counter()
    result = build_figures(out, use_all=use_all, jobs=min(_default_jobs(), 4))
    drawn = [k for k, v in result.items() if "paths" in v]
    for name, v in result.items():
        if "skipped" in v:
            print(f"brainlearn: figure {name} skipped: {v['skipped']}", file=sys.stderr)
        if "failed" in v:
            log.info("figure %s: %s", name, v["traceback"])
            print(f"brainlearn: figure {name} FAILED: {v['failed']} (the other figures and "
                  "the tables are written; -v shows the traceback)", file=sys.stderr)
    print(f"brainlearn: {len(drawn)} figures written to {out / 'figures'} "
          f"in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return result


def _cmd_figures(args) -> int:
    from .runner.storage import load_records

    _check_readme(args)
    out = out_dir(args.dir, writable=False)
    if not runs_dir(out).is_dir() or not load_records(out):
        if (results_dir(out) / "seed_replication.json").is_file():
            from .figures.build import build_figures
            from .figures.style import use_file_backend

            use_file_backend()
            with _disk_errors(out):
                build_figures(out, records=[], names=["seed_replication"])
            print(f"brainlearn: seed_replication figure written; no saved runs under "
                  f"{runs_dir(out)} for the other figures: run `brainlearn run` first",
                  file=sys.stderr)
            return 0
        raise UsageError(f"no saved runs under {runs_dir(out)}; run `brainlearn run` first")
    with _disk_errors(out):
        failed = _after_runs(args, out, use_all=args.all, draw=True)
    return 1 if failed else 0


def _results_page(args) -> Path | None:
    """The results page beside ``--readme``: ``--results-page``, else ``RESULTS.md`` in the
    README's directory when it exists, else None."""
    if getattr(args, "results_page", None):
        return Path(args.results_page)
    return results_page_for(args.readme) if args.readme else None


def _check_readme(args) -> None:
    """Fail before any work if the README (with its results page) to update has no results
    markers, or holds a block twice."""
    if not args.readme:
        if getattr(args, "results_page", None):
            raise UsageError("--results-page needs --readme (the README it belongs to)")
        return
    files = [Path(args.readme)] + [p for p in [_results_page(args)] if p is not None]
    try:
        where = locate_blocks(files)
    except OSError as exc:
        raise UsageError(f"--readme {args.readme}: {exc.filename}: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"--readme {args.readme}: {exc}") from None
    if "results" not in where:
        start_m, end_m = markers("results")
        raise UsageError(f"--readme {args.readme}: markers {start_m} ... {end_m} not found in "
                         + " or ".join(map(str, files)))


def _readme(args, out: Path) -> None:
    from .runner.report import update_readme_from_results

    page = _results_page(args)
    try:
        changed = update_readme_from_results(args.readme, out, results_page=page)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    what = args.readme + (f" and {page}" if page is not None else "")
    print(f"brainlearn: {what} {'updated' if changed else 'already up to date'}",
          file=sys.stderr)


def _cmd_list_model(name: str) -> int:
    import json

    from .registry import make_model, model_spec, resolved_params
    from .search import describe_space

    try:
        s = model_spec(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"{s.name} ({s.family}): {s.description}")
    print(f"estimator: {s.estimator}")
    print("registered hyperparameters:")
    for k, v in sorted(resolved_params(name).items()):
        print(f"  {k} = {json.dumps(v, default=repr)}")
    print("search space (what [tune] of an experiment varies):")
    for line in describe_space(s.search_space) or ["(none: the model is not tuned)"]:
        print(f"  {line}")
    est = make_model(name)
    if hasattr(est, "_make_spec"):  # a Brian2 network: what a change would compile again
        from .snn.build import compiled_parameters

        fields = compiled_parameters(est._make_spec(2, 2))
        print("compiled into its programs (a change builds another program; every other "
              "network and rule parameter is a run argument): encoding, chunk_size, "
              + ", ".join(fields))
    return 0


def _cmd_list(args) -> int:
    from .registry import list_models, model_spec
    from .tasks import DATA_ENV, list_tasks, task_info

    if getattr(args, "model", None):
        return _cmd_list_model(args.model)
    print("tasks:")
    for t in list_tasks():
        info = task_info(t)
        kind = (f"real, read from local files (${DATA_ENV}/{t}/)" if info.kind == "files"
                else info.kind)
        print(f"  {t:<16} {info.n_classes:>2} classes, {info.n_features:>2} features, {kind}")
    print("models:")
    for m in list_models():
        s = model_spec(m)
        tuned = " [searchable]" if s.search_space else ""
        print(f"  {m:<16} {s.family:<12} {s.description}{tuned}")
    print("experiments:")
    specs = _list_specs()
    if not specs:
        print("  (none found; looked in " + ", ".join(map(str, experiment_dirs())) + ")")
    for name, path, desc in specs:
        print(f"  {name:<16} {path}")
        if desc:
            print(f"  {'':<16} {desc.strip()}")
    return 0


def _cache_bases(args) -> list[Path]:
    if args.bases:
        return [Path(b) for b in args.bases]
    bases = [cache_home()]
    # where `brainlearn run` kept its builds before it shared the library's cache
    legacy = default_out() / ".brainlearn_cache"
    if legacy.is_dir() and legacy not in bases:
        bases.append(legacy)
    return bases


def _cmd_cache(args) -> int:
    from .snn.cache import cached_builds, remove_build

    bases = _cache_bases(args)
    builds = [b for b in cached_builds(*bases) if b["stale"] or not args.stale]
    what = ("stale compiled programs and headers" if args.stale
            else "compiled programs (and the precompiled headers they share)")
    print(f"{what} under {', '.join(map(str, bases))}:")
    for b in builds:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(b["last_used"]))
        print(f"  {b['path']}  {b['bytes'] / 1e6:6.1f} MB  last used {used}"
              f"{'  (stale)' if b['stale'] else ''}")
    total = sum(b["bytes"] for b in builds) / 1e6
    print(f"{len(builds)} build(s), {total:.1f} MB")
    if args.clear:
        for b in builds:
            remove_build(b["path"])
        print(f"removed {len(builds)} build(s), {total:.1f} MB")
    return 0


# ------------------------------------------------------------------ parser


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {v}")
    return v


def _scheduler_address(text: str) -> str:
    from .runner.executors import check_scheduler_address

    try:
        return check_scheduler_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(
        prog="brainlearn",
        description="Spiking networks with local plastic synapses against backprop, on the "
                    "same tasks (two or more classes, synthetic and real data): run "
                    "declarative experiments, rebuild figures, list tasks, models and "
                    "experiments.",
    )
    p.add_argument("--version", action="version", version=f"brainlearn {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log more (per-figure notes)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser(
        "run", help="run experiments (default: the default comparison) and rebuild figures",
        description="Run every not-yet-recorded run of the given experiment specs, then write "
                    "results/summary.csv, stats.csv, summary.md and every figure. Runs already "
                    "recorded under DIR are skipped; a killed sweep resumes where it stopped.",
    )
    r.add_argument("specs", nargs="*", metavar="SPEC",
                   help="spec files, or names of experiments/*.toml (default: "
                        f"{DEFAULT_SPEC!r})")
    r.add_argument("--out", metavar="DIR",
                   help="output directory for results/ and figures/ (default: the repository "
                        "root when inside a checkout, else the current directory)")
    r.add_argument("--jobs", "-j", type=_positive_int, default=None, metavar="N",
                   help="local worker processes (default: the number of CPUs, here "
                        f"{_default_jobs()}); 1 runs in this process. More than the runs "
                        "or the CPUs is capped to them, with a note")
    r.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler_address,
                   help="run on an existing Dask distributed cluster, e.g. tcp://host:8786 "
                        "(needs: pip install 'brainlearn[dask]'); overrides --jobs")
    r.add_argument("--budget", type=_positive_float, metavar="MIN",
                   help="stop starting new runs when the next would end after MIN minutes; "
                        "run again to continue")
    r.add_argument("--worker-cache", choices=["shared", "separate"], default="shared",
                   help="BRAINLEARN_CACHE of local workers (compiled Brian2 programs): one "
                        "directory for all, builds serialised by a file lock (default), or one "
                        "per worker (worker-<n>, every worker compiles its own). The root is "
                        f"the library's cache: ${CACHE_ENV}, else ~/.cache/brainlearn")
    r.add_argument("--dry-run", action="store_true",
                   help="print the planned runs per model, how many are recorded, and the "
                        "projected time of the rest (from recorded timings); run nothing")
    r.add_argument("--readme", metavar="PATH",
                   help="at the end, rewrite the generated blocks (<!-- NAME:start --> ... "
                        "<!-- NAME:end -->) of this README and of its results page from the "
                        "saved results; it or the page must hold the results block")
    r.add_argument("--results-page", metavar="PATH",
                   help="the results page beside --readme that holds the long tables "
                        "(default: RESULTS.md in the README's directory, when it exists)")
    r.add_argument("--no-figures", action="store_true",
                   help="write the tables but do not rebuild the figures")
    r.set_defaults(func=_cmd_run)

    f = sub.add_parser(
        "figures", help="rebuild every figure and table from saved results (no model runs)",
        description="Rebuild results/summary.csv, stats.csv, summary.md and every figure in "
                    "DIR/figures from the saved run records only.",
    )
    f.add_argument("dir", nargs="?", metavar="DIR",
                   help="the directory holding results/ (default: the repository root when "
                        "inside a checkout, else the current directory)")
    f.add_argument("--all", action="store_true",
                   help="use every saved run, not only those of the last `brainlearn run`")
    f.add_argument("--readme", metavar="PATH",
                   help="also rewrite the generated blocks (<!-- NAME:start --> ... "
                        "<!-- NAME:end -->) of this README and of its results page")
    f.add_argument("--results-page", metavar="PATH",
                   help="the results page beside --readme that holds the long tables "
                        "(default: RESULTS.md in the README's directory, when it exists)")
    f.set_defaults(func=_cmd_figures)

    ls = sub.add_parser("list", help="list tasks, models and experiments",
                        description="List the tasks, the registered models and the experiment "
                                    "specs that `brainlearn run NAME` finds; with --model, one "
                                    "model's hyperparameters and search space.")
    ls.add_argument("--model", metavar="NAME",
                    help="show this model's registered hyperparameters and the search space "
                         "its tuning step ([tune] of a spec) uses")
    ls.set_defaults(func=_cmd_list)

    c = sub.add_parser(
        "cache", help="list or remove compiled Brian2 programs (the build cache)",
        description="List the compiled network programs (size, last use, stale or not) "
                    "and optionally remove them. A build is stale when this code, Brian2 or "
                    "Python has changed since it was compiled: nothing will use it again. "
                    "Default bases: $BRAINLEARN_CACHE or ~/.cache/brainlearn (used by "
                    "`brainlearn run` and by the library alike), and a checkout's "
                    ".brainlearn_cache left by older versions.",
    )
    c.add_argument("bases", nargs="*", metavar="BASE", help="cache directories to look in")
    c.add_argument("--stale", action="store_true", help="only the stale builds")
    c.add_argument("--clear", action="store_true",
                   help="remove the listed builds (they are rebuilt when needed, ~25 s each)")
    c.set_defaults(func=_cmd_cache)
    return p


def _terminate(signum, frame):
    """SIGTERM stops a sweep like Ctrl-C: workers are stopped, finished runs are kept."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="brainlearn: %(message)s")
    old_term = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"brainlearn: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("brainlearn: interrupted; finished runs are saved, run again to resume",
              file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, old_term)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
