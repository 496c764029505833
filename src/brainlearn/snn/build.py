"""The compiled network programs: one C++ standalone build per network shape, cached on disk.

A build takes seconds to compile, so each shape is compiled **once** and reused by every
process and run:

- The build runs in a child Python process (``python -m brainlearn.snn.build``), so the
  caller's Brian2 device state is never touched, under a file lock, into a temporary
  directory that is published by an atomic rename: a reader sees no build or a whole one.
- The cache key (:func:`build_key`) hashes what is compiled: the description of the
  generated network (every population's equations, threshold, reset and method, every
  projection's model and pathways and connection pattern, the boundary code, the
  ``TimedArray`` names, dt, presentation and chunk), the compiler flags, the build format,
  and Brian2's and Python's versions. Parameter *values* are not compiled in (they are set on
  the program's command line), and neither are docstrings or messages: editing those keeps
  every build.
- A JSON map beside the build (``brainlearn_map.json``) records, for every variable that is
  set or read, its file name and dtype, so a fresh process can run the program without
  Brian2 having built it in that process.
- A manifest (``brainlearn_manifest.json``) written when the build finishes lists the files
  a run needs (``main``, ``static_arrays/*``, the map) with sizes and SHA-256 checksums.
  :func:`check_build` compares sizes at every use and checksums at the first use in a
  process, and again whenever a file's inode, modification or change time differs from
  the checksummed state (a file changed in place, even to the same size: any write moves
  its change time, which no user can set back); a damaged build is rebuilt. The engine
  checks before every run and again before it reads the results, so a change during a run
  is never a result. A per-run checksum would cost 2-23 ms per chunk (0.6-7.7 MB of
  program and static arrays, measured here); the stat check costs about 0.4 ms. A program
  run that exits non-zero or prints an error raises :class:`BuildCorrupted`
  (:func:`check_program_output`): it is never a result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from . import pch, program
from .graph import (
    POPULATIONS,
    STATE_VARIABLES,
    TIMED_ARRAYS,
    NetworkSpec,
    blueprint,
    build_network,
)
from .names import BrianVariable
from .pch import file_lock

__all__ = [
    "BuildCorrupted",
    "BuildError",
    "Program",
    "build_key",
    "cache_root",
    "check_build",
    "compiled_parameters",
    "ensure_built",
    "verify_build",
]

#: bump when the way a build is made or read changes (map or manifest format, seed code)
BUILD_FORMAT = 18
COMPILE_ARGS = (
    "-w",
    "-O1",  # -O3 compiles ~15 % slower here and the runs are no faster
    "-ffast-math",
    "-fno-finite-math-only",
    "-std=c++11",
)
#: ``DEPS=``: no ``make.deps`` (Brian2's makefile lists every unit's headers there for a
#: rebuild after an edit; a build here is compiled once, from scratch)
MAKE_ARGS = ("-j2", "DEPS=")
#: the directory of a cache's precompiled headers (:mod:`brainlearn.snn.pch`)
PCH_DIR = "pch"

MAP = "brainlearn_map.json"
MANIFEST = "brainlearn_manifest.json"
#: the seed of Brian2's random generator, read from the ``control.seed`` variable
SEED_CODE = "brian::_random_generators[0].seed((unsigned long) brian::{array}[0]);"
# monitors read back after a run (variable -> kind), besides the state variables
_MONITORS = {BrianVariable(pop.count_monitor, "count"): "dynamic2d" for pop in POPULATIONS}


class BuildError(RuntimeError):
    """The C++ compiler failed (or is missing): the runtime fallback applies."""


class BuildCorrupted(RuntimeError):
    """A compiled program reported an error or is damaged: its output is not a result."""


_EXIT_NO_COMPILER = 3

log = logging.getLogger("brainlearn")

#: what a compile takes when the cache holds no timed build yet (measured on 2 cores)
TYPICAL_BUILD_S = (5.0, 15.0)


# ------------------------------------------------------------------------------ key
def build_key(spec: NetworkSpec) -> str:
    """Hash of what is compiled for ``spec`` (see the module docstring)."""
    import brian2

    what = {
        "network": blueprint(spec).describe(),
        "supervised": spec.supervised,
        "n_features": spec.n_features,
        "compile_args": COMPILE_ARGS,
        "make_args": MAKE_ARGS,
        "seed_code": SEED_CODE,
        "format": BUILD_FORMAT,
        "brian2": brian2.__version__,
        "python": sys.version,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:20]


def compiled_parameters(spec: NetworkSpec) -> list[str]:
    """The network parameters (``NetworkParams`` fields) of ``spec`` whose change alters
    its build key, so compiles another program; the others are run arguments of the
    compiled program (changing them, say in a tuning trial, builds nothing). Each field is
    nudged once (a number scaled or shifted, a flag flipped) and the key compared."""
    import dataclasses

    base = build_key(spec)
    out = []
    for f in dataclasses.fields(spec.net):
        v = getattr(spec.net, f.name)
        if isinstance(v, bool):
            new = not v
        elif isinstance(v, int):
            new = v + 1
        elif isinstance(v, float):
            new = v * 1.5 if v else 1.0
        else:
            continue
        try:
            other = dataclasses.replace(spec, net=dataclasses.replace(spec.net, **{f.name: new}))
            if build_key(other) != base:
                out.append(f.name)
        except (ValueError, TypeError):  # a nudge outside the field's range
            continue
    return out


# ------------------------------------------------------------------------ step count
#: at most this many simulation steps per presentation (``presentation_ms / dt_ms``; the
#: default network takes 100): beyond it one presentation runs for minutes
MAX_STEPS_PER_PRESENTATION = 1_000_000
#: at most this many steps in one run of a program (``chunk`` presentations)
MAX_STEPS_PER_CHUNK = 1_000_000_000


def check_step_count(spec: NetworkSpec) -> int:
    """The simulation steps of one presentation, ``presentation_ms / dt_ms``; a
    ``ValueError`` naming ``dt_ms``, ``presentation_ms`` and the step count when it (or a
    chunk's ``chunk * presentation_ms / dt_ms``) exceeds :data:`MAX_STEPS_PER_PRESENTATION`
    (:data:`MAX_STEPS_PER_CHUNK`), before anything is compiled or allocated.

    Used by the engines (:func:`brainlearn.snn.engines.get_engine`) and by the runner's
    spec validation (:func:`brainlearn.runner.models.check_model`).
    """
    p = spec.net
    steps = float(p.presentation_ms) / float(p.dt_ms)
    per_chunk = steps * int(spec.chunk)
    where = f"network_params presentation_ms={p.presentation_ms!r} and dt_ms={p.dt_ms!r}"
    if not np.isfinite(steps) or steps > MAX_STEPS_PER_PRESENTATION:
        raise ValueError(
            f"{where} give presentation_ms / dt_ms = {steps:.3g} simulation steps per "
            f"presentation, more than the bound of {MAX_STEPS_PER_PRESENTATION:.0e}: raise "
            "dt_ms or shorten presentation_ms"
        )
    if per_chunk > MAX_STEPS_PER_CHUNK:
        raise ValueError(
            f"{where} with chunk_size={spec.chunk} give {per_chunk:.3g} simulation steps per "
            f"program run, more than the bound of {MAX_STEPS_PER_CHUNK:.0e}: lower "
            "chunk_size, raise dt_ms or shorten presentation_ms"
        )
    return int(round(steps))


# -------------------------------------------------------------------------- cache dir
def cache_root(home: str | os.PathLike | None = None) -> Path:
    """Directory of compiled programs: ``$BRAINLEARN_CACHE/snn`` or ``~/.cache/brainlearn/snn``
    (the same for the library and ``brainlearn run``; a temporary one, with a warning, when
    that cannot be written: :func:`brainlearn._paths.writable_cache_home`); with ``home``,
    the one of the process whose ``$BRAINLEARN_CACHE`` is ``home``."""
    from .._paths import writable_cache_home

    return (writable_cache_home() if home is None else Path(home).resolve()) / "snn"


# -------------------------------------------------------------------------- manifest
def _needed_files(build_dir: Path) -> list[Path]:
    files = [build_dir / "main", build_dir / MAP]
    static = build_dir / "static_arrays"
    if static.is_dir():
        files += sorted(f for f in static.iterdir() if f.is_file())
    return files


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(build_dir: Path, build_s: float | None = None) -> None:
    """List the files a run needs with their sizes and checksums (and, when given, the
    seconds the build took: what the next build's notice expects)."""
    files = {
        str(f.relative_to(build_dir)): {"size": f.stat().st_size, "sha256": _sha256(f)}
        for f in _needed_files(build_dir)
    }
    manifest: dict[str, Any] = {"format": BUILD_FORMAT, "files": files}
    if build_s is not None:
        manifest["build_s"] = round(float(build_s), 1)
    (build_dir / MANIFEST).write_text(json.dumps(manifest))


def expected_build_s(root: Path, last: int = 10) -> tuple[float, int] | None:
    """The median duration of the ``last`` most recent builds under ``root`` that recorded
    one, and how many there were (None: no timed build)."""
    timed = []
    for m in Path(root).glob(f"*/{MANIFEST}"):
        try:
            t = json.loads(m.read_text()).get("build_s")
            if isinstance(t, int | float) and t > 0:
                timed.append((m.stat().st_mtime, float(t)))
        except (OSError, ValueError, AttributeError):
            continue
    if not timed:
        return None
    recent = [t for _, t in sorted(timed)[-last:]]
    return statistics.median(recent), len(recent)


def build_notice(spec: NetworkSpec, root: Path, final: Path) -> str:
    """The one line said before a compile: what is compiled, how long it should take, where
    it goes."""
    what = "training (plastic)" if spec.plastic else "prediction (frozen)"
    exp = expected_build_s(root)
    if exp is None:
        lo, hi = TYPICAL_BUILD_S
        took = f"about {lo:.0f}-{hi:.0f} s"
    else:
        took = f"about {exp[0]:.0f} s (median of {exp[1]} earlier build(s) here)"
    return (f"brainlearn: compiling the Brian2 {what} program for {spec.n_features} "
            f"input(s) and {spec.n_classes} classes, once for this network shape: expect "
            f"{took}; cached in {final}")


#: (build, manifest time, the files' (inode, mtime, ctime)) whose checksums were verified
_CHECKSUMMED: set[tuple] = set()


def check_build(build_dir: Path, *, checksums: bool | None = None) -> str | None:
    """What is wrong with a build, or ``None`` if it is whole.

    Sizes are compared every time; checksums when ``checksums=True``, or with ``None`` at
    the first check of this build in this process and whenever a file's inode or
    modification or change time has moved since its checksums were verified.
    """
    build_dir = Path(build_dir)
    try:
        manifest = json.loads((build_dir / MANIFEST).read_text())
        files = manifest["files"]
        if manifest.get("format") != BUILD_FORMAT or not isinstance(files, dict):
            return "manifest of another build format"
        mtime = (build_dir / MANIFEST).stat().st_mtime
    except (OSError, ValueError, KeyError, TypeError):
        return "missing or unreadable manifest"
    stamps = []
    for name, meta in files.items():
        try:
            st = (build_dir / name).stat()
        except OSError:
            return f"missing file {name}"
        if st.st_size != meta["size"]:
            return f"{name} has {st.st_size} bytes, the build wrote {meta['size']}"
        stamps.append((name, st.st_ino, st.st_mtime_ns, st.st_ctime_ns))
    once = (str(build_dir.resolve()), mtime, tuple(stamps))
    if checksums or (checksums is None and once not in _CHECKSUMMED):
        for name, meta in files.items():
            if _sha256(build_dir / name) != meta["sha256"]:
                return f"{name} differs from the build (checksum)"
        _CHECKSUMMED.add(once)
    try:
        read_map(build_dir)
    except (OSError, ValueError, KeyError) as exc:
        return f"unreadable {MAP}: {exc}"
    return None


def verify_build(build_dir: Path, *, checksums: bool | None = None) -> bool:
    """Whether the build is whole (:func:`check_build`)."""
    return check_build(build_dir, checksums=checksums) is None


def read_map(build_dir: Path) -> dict[str, Any]:
    """The variable map of a build (what to set and read, files and dtypes)."""
    mapping = json.loads((Path(build_dir) / MAP).read_text())
    for key in ("outputs", "timed", "inputs"):
        if not isinstance(mapping.get(key), dict):
            raise KeyError(f"{MAP} lacks {key!r}")
    return mapping


def check_program_output(proc: subprocess.CompletedProcess, build_dir: Path) -> None:
    """Raise :class:`BuildCorrupted` if a program run exited non-zero or printed anything.

    A sound run prints nothing (no ``report`` is asked of Brian2); Brian2's generated code
    reports a file it cannot read or write on stdout or stderr and goes on with exit status
    0, so any output at all means the results cannot be trusted."""
    text = (proc.stdout or "") + (proc.stderr or "")
    if proc.returncode != 0 or text.strip():
        raise BuildCorrupted(
            f"the compiled network in {build_dir} failed (exit status {proc.returncode}); "
            f"its output is not used. Output: {text[-2000:]}"
        )


# ------------------------------------------------------------------------------ build
def _build_in_this_process(spec: NetworkSpec, out_dir: Path, pch_dir: Path | None = None
                           ) -> None:
    """Generate and compile the standalone project (run in a child process), with the
    precompiled header of ``pch_dir`` (:mod:`brainlearn.snn.pch`) where it can be made."""
    import brian2 as b2
    from brian2.codegen.cpp_prefs import get_compiler_and_args

    header = (contextlib.nullcontext([]) if pch_dir is None
              else pch.header(pch_dir, COMPILE_ARGS))
    with header as pch_args:
        b2.prefs.codegen.cpp.extra_compile_args_gcc = list(COMPILE_ARGS) + pch_args
        if pch_dir is not None:
            with pch.remember_flag_checks(pch_dir):
                get_compiler_and_args()  # checks the flags (Brian2 keeps them in-process)
        _generate_and_compile(spec, out_dir)


def _generate_and_compile(spec: NetworkSpec, out_dir: Path) -> None:
    """The body of :func:`_build_in_this_process` (the header's lock held around it)."""
    import brian2 as b2
    from brian2 import ms

    from .graph import run_duration_ms

    b2.prefs.devices.cpp_standalone.extra_make_args_unix = list(MAKE_ARGS)
    b2.set_device("cpp_standalone", directory=str(out_dir), build_on_run=False)
    program.die_with_parent(b2.device)
    program.instrument(b2.device)
    net, h = build_network(spec)
    # the seed of the random numbers and the presentations of this run (at most the chunk)
    # on the network's step clock: a group on Brian2's default clock (0.1 ms) would add a
    # clock whose ticks (five per step at the default dt of 0.5 ms) each walk the whole
    # schedule for nothing: 16 % of the training loop on xor, the same results bit for bit
    control = b2.NeuronGroup(1, "seed : integer\npresentations : integer", name="control",
                             clock=h[str(POPULATIONS[0])].clock)
    control.presentations = spec.chunk
    net.add(control)
    b2.device.apply_run_args()
    seed_array = b2.device.get_array_name(control.variables["seed"])
    b2.device.insert_code("main", SEED_CODE.format(array=seed_array))
    program.mark_loop_start(b2.device)
    net.run(run_duration_ms(spec) * ms, namespace={})
    program.mark_loop_end(b2.device)
    b2.device.build(directory=str(out_dir), compile=False, run=False, with_output=False)

    def dtype(obj, var):
        return np.dtype(h[obj].variables[var].dtype).str

    mapping: dict[str, Any] = {"outputs": {}, "timed": {}, "inputs": {}}
    # frozen: the state is only set, never read back
    state_kind = "array" if spec.plastic else "input"
    readable = {**dict.fromkeys(STATE_VARIABLES.values(), state_kind), **_MONITORS}
    for bv, kind in readable.items():
        if bv.obj not in h or bv.var not in h[bv.obj].variables:
            continue  # e.g. Rbar without a reward rule, no afferent -> efferent projection
        v = h[bv.obj].variables[bv.var]
        if kind == "input":
            mapping["inputs"][bv.key] = dtype(bv.obj, bv.var)
            continue
        mapping["outputs"][bv.key] = {
            "file": b2.device.get_array_filename(v),
            "dtype": np.dtype(v.dtype).str,
            "kind": kind,
            "size": len(h[bv.obj].record) if kind == "dynamic2d" else None,
        }
        if kind != "dynamic2d":
            mapping["inputs"][bv.key] = dtype(bv.obj, bv.var)
    for name in TIMED_ARRAYS:
        ta = h[name.array]
        mapping["timed"][ta.name] = {"dtype": np.dtype(ta.values.dtype).str,
                                     "shape": list(ta.values.shape)}
    mapping["spec"] = spec.describe()
    p = spec.net
    presentations = b2.device.get_array_name(control.variables["presentations"])
    program.patch_run_duration(out_dir, f"brian::{presentations}[0]",
                               p.presentation_ms * 1e-3, p.dt_ms * 1e-3)
    # the groups whose neurons at rest the program skips, with their presentation-start
    # operations
    plan = blueprint(spec)
    resting = {str(pop.name): [b.brian_name for b in plan.boundaries if b.obj == pop.name]
               for pop in plan.populations if pop.rests_at_zero}
    unpatched = program.compile_patched(b2.device, out_dir,
                                        {m["file"] for m in mapping["outputs"].values()},
                                        resting)
    if unpatched:
        mapping["unpatched"] = unpatched
    (out_dir / MAP).write_text(json.dumps(mapping, indent=1))


def _python_env() -> dict[str, str]:
    env = dict(os.environ)
    pkg_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        [pkg_parent] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return env


def _compile(spec_file: Path, out_dir: Path, pch_dir: Path) -> subprocess.CompletedProcess:
    """Generate and compile the program described by ``spec_file`` in a child process
    (with the cache's precompiled header in ``pch_dir``)."""
    from .._proc import run_tied

    # dies with this process; its own group, so the compiler under it stops with it
    return run_tied(
        [sys.executable, "-m", "brainlearn.snn.build", "build", str(spec_file), str(out_dir),
         str(pch_dir)],
        env=_python_env(),
        new_group=True,
    )


def ensure_built(spec: NetworkSpec, root: str | os.PathLike | None = None, *,
                 notice: bool = True) -> Path:
    """The directory of the whole, compiled program for ``spec``, building it if needed.

    Safe against concurrent processes: builds of one program are serialised by a file lock
    (builds of different programs run side by side) and published by an atomic rename, so
    a reader sees either no build or a complete one. A damaged build (:func:`check_build`)
    is replaced by a new one, with a warning.

    ``root``: the cache directory to build into (default :func:`cache_root`, from this
    process's ``$BRAINLEARN_CACHE``), e.g. another worker's, for a build made before the
    runs that use it (:mod:`brainlearn.runner.prebuild`).

    A compile is announced (:func:`build_notice`: what, the expected duration, the cache
    path) on the ``brainlearn`` logger at INFO and, unless that logger already writes to
    stderr, as one line on stderr; ``notice=False`` leaves that to the caller.
    """
    root = cache_root() if root is None else Path(root)
    key = build_key(spec)
    final = root / key
    if final.exists() and check_build(final) is None:
        return final
    with file_lock(root / f"{key}.lock"):
        problem = check_build(final) if final.exists() else None
        if final.exists() and problem is None:
            return final
        for stale in root.glob(f"{key}.tmp-*"):  # of a build killed midway (we hold its lock)
            shutil.rmtree(stale, ignore_errors=True)
        tmp = root / f"{key}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
        spec_file = tmp / "spec.json"
        spec_file.write_text(json.dumps(spec.describe()))
        line = build_notice(spec, root, final)
        log.info("%s", line.removeprefix("brainlearn: "))
        if notice and not (log.isEnabledFor(logging.INFO) and _logs_to_stderr()):
            print(line, file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = _compile(spec_file, tmp, root / PCH_DIR)
        build_s = time.perf_counter() - t0
        if proc.returncode != 0 or not (tmp / MAP).exists():
            shutil.rmtree(tmp, ignore_errors=True)
            err = BuildError if proc.returncode == _EXIT_NO_COMPILER else RuntimeError
            raise err("C++ standalone build failed:\n" + (proc.stderr or "")[-3000:])
        log.info("compiled %s in %.0f s", final, build_s)
        for note in json.loads((tmp / MAP).read_text()).get("unpatched", []):
            warnings.warn(f"compiled network {key} is built without a speed-up: {note}",
                          RuntimeWarning, stacklevel=2)
        write_manifest(tmp, build_s)
        if final.exists():  # damaged (or from an older build format): set aside, remove
            warnings.warn(f"compiled network {final} is damaged ({problem}); rebuilt it",
                          RuntimeWarning, stacklevel=2)
            old = root / f"{key}.old-{uuid.uuid4().hex[:8]}"
            os.replace(final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, final)
    return final


def _logs_to_stderr() -> bool:
    """Whether a handler of the ``brainlearn`` logger (or the root) writes to stderr, so
    the notice is not said twice."""
    lg: logging.Logger | None = log
    while lg is not None:
        for h in lg.handlers:
            if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is sys.stderr:
                return True
        lg = lg.parent if lg.propagate else None
    return False


def _main(argv: list[str]) -> int:
    if len(argv) in (3, 4) and argv[0] == "build":
        from .._proc import kill_own_group_on_sigterm

        kill_own_group_on_sigterm()  # the compiler stops with the process that wanted it
        # Brian2 star-imports pylab where it can (pyplot: about 0.4 s of a build, more
        # where matplotlib's font cache is not yet made); a build draws nothing, and
        # without pylab Brian2 imports the same NumPy names itself
        sys.modules.setdefault("pylab", None)
        spec = NetworkSpec.from_description(json.loads(Path(argv[1]).read_text()))
        try:
            _build_in_this_process(spec, Path(argv[2]),
                                   Path(argv[3]) if len(argv) == 4 else None)
        except Exception as exc:
            # a failing compiler (or none) is the case for the runtime fallback; any other
            # error is a bug and must surface
            if isinstance(exc, program.CompilationFailed | FileNotFoundError):
                print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
                return _EXIT_NO_COMPILER
            raise
        return 0
    print("usage: python -m brainlearn.snn.build build SPEC.json OUT_DIR [PCH_DIR]",
          file=sys.stderr)
    return 2


# ------------------------------------------------------------------------ programs
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


class Program:
    """One compiled program, as a model names it before fitting
    (:meth:`brainlearn.snn.model.SpikingClassifier.programs`): what the runner's pre-build
    (:mod:`brainlearn.runner.prebuild`) asks of it, without knowing how programs are made.

    ``home`` arguments are ``$BRAINLEARN_CACHE`` directories (another worker's cache);
    None: this process's.
    """

    #: what :meth:`build` raises when there is no working C++ compiler (the models then
    #: fall back to Brian2's runtime mode)
    NoCompiler = BuildError

    def __init__(self, spec: NetworkSpec):
        self.spec = spec
        self.key = build_key(spec)
        self.kind = "training" if spec.plastic else "inference"

    def __repr__(self) -> str:
        return f"Program({self.kind}, {self.key})"

    def is_built(self, home: str | os.PathLike | None = None) -> bool:
        """A whole build of this program is in the cache."""
        final = cache_root(home) / self.key
        return final.exists() and check_build(final) is None

    def build(self, home: str | os.PathLike | None = None, *, notice: bool = True) -> float:
        """Build the program into the cache (nothing if it is there); the seconds taken.

        Raises
        ------
        BuildError
            (:attr:`NoCompiler`) No working C++ compiler.
        """
        t0 = time.monotonic()
        ensure_built(self.spec, cache_root(home), notice=notice)
        return time.monotonic() - t0

    def memory(self) -> tuple[int, int]:
        """``(synapses, bytes)``: a lower bound of the memory the program allocates for its
        neurons and synapses, from its connection patterns and per-element variables
        (Brian2's queues and buffers come on top)."""
        d = blueprint(self.spec).describe()
        copies = int(d.get("copies", 1))
        sizes = {p["name"]: int(p["n"]) for p in d["populations"]}
        n_bytes = sum(sizes[p["name"]] * (_per_element(p["equations"]) + 2) * _VALUE_BYTES
                      for p in d["populations"])
        synapses = 0
        for q in d["projections"]:
            n = _n_synapses(q["connect"], sizes[q["source"]], sizes[q["target"]],
                            int(self.spec.net.n_per_class))
            pathways = 1 + (q.get("on_post") is not None)
            synapses += n
            n_bytes += n * (_SYNAPSE_BYTES
                            + _VALUE_BYTES * (_per_element(q["model"]) + pathways))
        return synapses * copies, n_bytes * copies

    @staticmethod
    def expected_duration(homes) -> str:
        """How long one build should take, from the builds already in the caches of
        ``homes`` (``"about 20 s"``), else the typical range."""
        for h in homes:
            exp = expected_build_s(cache_root(h))
            if exp is not None:
                return f"about {exp[0]:.0f} s"
        return f"about {TYPICAL_BUILD_S[0]:.0f}-{TYPICAL_BUILD_S[1]:.0f} s"


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
