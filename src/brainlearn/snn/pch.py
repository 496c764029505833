"""A precompiled header of the C++ standard library, made once per cache and shared by
every build in it.

Every translation unit of a network program (:mod:`brainlearn.snn.program`) includes the
same standard headers (``<iostream>``, ``<random>``, ``<map>``, ...): about 68 000 lines
after preprocessing, for some hundred lines of the unit's own code, so parsing them is most
of a unit's compile time. GCC can read them from a precompiled header instead: a build
adds ``-include brainlearn_pch.h`` to its compiler flags, and GCC uses
``brainlearn_pch.h.gch`` beside it when that was made by the same compiler with the same
flags (it checks; when it cannot use it, it reads the header itself, whose only content is
the standard includes, so a unit compiles to the same program either way).

The header is made once per cache directory, compiler and flags (about 1.4 s, 45 MB),
under a file lock and published by an atomic rename, like the builds themselves
(:func:`brainlearn.snn.build.ensure_built`). Anything that keeps it from being made -- no
GCC (clang reads another format), a cache path the makefile could not quote, a failing
compiler, a full disk -- only means the builds parse the headers themselves: a build never
fails for it.

The same directory remembers the outcome of Brian2's compiler-flag checks
(:func:`remember_flag_checks`): Brian2 compiles a test program for every flag in every
process that builds (about 0.75 s of a build here), and the answers only change with the
compiler.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path

__all__ = ["PCH_HEADERS", "PCH_NAME", "compiler", "file_lock", "header", "header_key",
           "include_args", "remember_flag_checks"]

#: the standard headers Brian2 2.9's generated units include (``main.cpp``, ``objects.cpp``,
#: ``network.cpp``, ``run.cpp``, the code objects and ``brianlib``)
PCH_HEADERS = (
    "algorithm", "cerrno", "climits", "cmath", "csignal", "cstdlib", "ctime", "fstream",
    "iomanip", "iostream", "map", "random", "set", "sstream", "string", "tuple", "utility",
    "vector", "stdint.h", "stdlib.h", "time.h", "unistd.h", "sys/prctl.h",
)
PCH_NAME = "brainlearn_pch.h"
#: characters a path may have to go into Brian2's makefile unquoted
_SAFE_PATH = re.compile(r"[\w@%+=:,./-]+")
#: seconds a compile of the header may take before it is given up
_TIMEOUT_S = 120


def compiler() -> str:
    """The C++ compiler Brian2's makefile calls (make's ``$(CXX)``: ``$CXX``, else
    ``g++``)."""
    return os.environ.get("CXX") or "g++"


@functools.lru_cache(maxsize=8)
def _version(cxx: str) -> tuple[str, bool]:
    """The first line of ``cxx --version`` ("" when it does not run) and whether ``cxx``
    is GCC."""
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return "", False
    first = out.splitlines()[0] if out.strip() else ""
    # GCC says so in its copyright line ("Free Software Foundation"), whatever the
    # command is called (g++, c++, x86_64-linux-gnu-g++-12); clang reads another format
    named = "Free Software Foundation" in out or any(w in first for w in ("g++", "GCC", "gcc"))
    return first, bool(first) and named and "clang" not in out.lower()


def _gcc_version(cxx: str) -> str | None:
    """The first line of ``cxx --version`` if ``cxx`` is GCC, else None."""
    first, gcc = _version(cxx)
    return first if gcc else None


def _header_text() -> str:
    return "".join(f"#include <{h}>\n" for h in PCH_HEADERS)


@contextlib.contextmanager
def file_lock(path: Path, shared: bool = False):
    """An ``flock`` on ``path`` (created if needed) for the ``with`` block: exclusive, or
    shared with ``shared=True`` (held by the builds using a header, so that removing it,
    which takes it exclusively, waits for them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def header_key(flags: Sequence[str]) -> str | None:
    """The name of the header's directory for this compiler and ``flags`` (a hash of the
    compiler's version line, its command, the header and the flags); None without GCC."""
    cxx = compiler()
    version = _gcc_version(cxx)
    if version is None:
        return None
    text = _header_text()
    return hashlib.sha256("\0".join([version, cxx, text, *flags]).encode()).hexdigest()[:16]


@contextlib.contextmanager
def header(directory: str | os.PathLike, flags: Sequence[str]):
    """For the ``with`` block, the compiler arguments that make a build use the shared
    precompiled header: ``["-include.../brainlearn_pch.h"]`` (one argument: Brian2 keeps
    only arguments that compile on their own), making the header in ``directory`` (a
    cache's ``pch`` directory) first if needed; ``[]`` where it cannot be made (module
    docstring). The block holds the header's lock shared, so ``brainlearn cache --clear``
    (which takes it exclusively) waits for the build to end.

    ``flags`` are the build's compiler flags (Brian2's ``OPTIMISATIONS``); the header is
    compiled with them, so GCC accepts it for every unit of the build."""
    key = header_key(flags)
    if key is None:
        yield []
        return
    root = Path(directory).resolve()
    header_file = root / key / PCH_NAME
    if not _SAFE_PATH.fullmatch(str(header_file)):
        yield []
        return
    gch = header_file.with_name(PCH_NAME + ".gch")
    lock = root / f"{key}.lock"
    held = contextlib.ExitStack()
    try:
        if not gch.is_file():
            _make(root, key, flags)
        held.enter_context(file_lock(lock, shared=True))
    except OSError:  # the lock or the directory cannot be made
        held.close()
        yield []
        return
    with held:
        yield [f"-include{header_file}"] if gch.is_file() else []


def include_args(directory: str | os.PathLike, flags: Sequence[str]) -> list[str]:
    """The arguments of :func:`header` without holding its lock (for a caller that only
    needs the header made)."""
    with header(directory, flags) as args:
        return args


def _make(root: Path, key: str, flags: Sequence[str]) -> None:
    """Make the header ``root/key`` under its exclusive lock (nothing if it is there, or
    if the compiler fails: the builds then go without it)."""
    cxx, text = compiler(), _header_text()
    final = root / key
    try:
        with file_lock(root / f"{key}.lock"):
            if (final / (PCH_NAME + ".gch")).is_file():
                return
            shutil.rmtree(final, ignore_errors=True)  # a damaged one (no .gch)
            tmp = root / f"{key}.tmp-{uuid.uuid4().hex[:8]}"
            tmp.mkdir()
            try:
                (tmp / PCH_NAME).write_text(text)
                proc = subprocess.run(
                    [cxx, "-Wno-write-strings", *flags, "-x", "c++-header",
                     str(tmp / PCH_NAME), "-o", str(tmp / (PCH_NAME + ".gch"))],
                    capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
                if proc.returncode == 0:
                    os.replace(tmp, final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except (OSError, subprocess.SubprocessError):
        return


def _flag_file(directory: Path) -> Path | None:
    """The file of :func:`remember_flag_checks` for this compiler (None: it does not
    run)."""
    cxx = compiler()
    first, _ = _version(cxx)
    if not first:
        return None
    # Brian2 checks with distutils' compiler ($CC, else the platform's), make with $CXX
    key = hashlib.sha256("\0".join([cxx, first, os.environ.get("CC", "")]).encode()
                         ).hexdigest()[:16]
    return Path(directory) / f"flags-{key}.json"


@contextlib.contextmanager
def remember_flag_checks(directory: str | os.PathLike):
    """Inside the block, Brian2's compiler-flag checks (``brian2.codegen.cpp_prefs``) start
    from the flags known to compile with this compiler (its command and version line),
    stored in ``directory``, and the flags found to compile are stored there at the end: a
    flag is compiled once per compiler and cache, not once per build. Only successes are
    kept (a check that failed once, say for a full disk, is made again by the next build,
    never turned into a flag dropped for good). Without a readable file, or where Brian2
    keeps its answers elsewhere, the checks run as before; nothing here raises."""
    try:
        from brian2.codegen import cpp_prefs

        known = cpp_prefs._compiler_flag_compatibility
        path = _flag_file(Path(directory))
    except (ImportError, AttributeError):
        known, path = None, None
    if not isinstance(known, dict) or path is None:
        yield
        return
    try:
        stored = json.loads(path.read_text())
        known.update({(exe, flag): True for exe, flag, ok in stored if ok is True})
    except (OSError, ValueError, TypeError):
        pass
    before = dict(known)
    yield
    if known != before:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.tmp-{uuid.uuid4().hex[:8]}")
            tmp.write_text(json.dumps(sorted([exe, flag, True]
                                             for (exe, flag), ok in known.items() if ok)))
            os.replace(tmp, path)
        except OSError:
            pass
