"""The on-disk cache of compiled network programs: list the builds, remove old ones.

Builds are keyed by a hash of the generated network, the compiler flags, Brian2's and
Python's versions (:func:`brainlearn.snn.build.build_key`), so a change of the network's
code or an upgrade leaves the previous builds behind, a few MB each. ``brainlearn cache``
lists them and ``brainlearn cache --clear --stale`` removes the ones nothing will use
again. The precompiled headers the builds share (:mod:`brainlearn.snn.pch`, about 45 MB,
one per compiler and flags) are listed with them, as ``pch/<key>``.

Every run of a program writes its inputs and results into its own directory
``runs/run-<host>-<pid>-<random>`` of the build (:func:`run_prefix`), removed when the run
ends. A process killed in the middle of a chunk (``kill -9``) cannot remove its directory;
the next engine that uses the build removes the directories of this host whose process is
gone (:func:`remove_stale_runs`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
from pathlib import Path
from typing import Any

from . import pch
from .build import COMPILE_ARGS, PCH_DIR, build_key, cache_root, file_lock
from .graph import NetworkSpec

__all__ = ["cached_builds", "remove_build", "remove_stale_runs", "run_prefix"]


def cached_builds(*bases: str | os.PathLike) -> list[dict[str, Any]]:
    """The compiled programs found under cache bases (default: the base of
    :func:`cache_root`), e.g. ``~/.cache/brainlearn`` (the library's and the sweeps') with
    its per-worker subdirectories, and the precompiled headers their builds share
    (``pch/<key>``, stale when this compiler and the builds' flags would use another one;
    left alone where this process cannot tell, with no GCC on its path).

    Each entry: ``key``, ``path``, ``bytes`` (disk use), ``last_used`` (POSIX time of the
    newest of the build and its last run) and ``stale``: the build's key is not what this
    code, Brian2 and Python would compile for the same network today, so nothing will use
    it again.
    """
    bases = bases or (cache_root().parent,)
    found = []
    for base in map(Path, bases):
        if not base.is_dir():
            continue
        for marker in sorted(base.rglob("brainlearn_map.json")):
            build = marker.parent
            if build.parent.name != "snn":
                continue
            files = [f for f in build.rglob("*") if f.is_file()]
            used = max([build.stat().st_mtime] + [
                d.stat().st_mtime for d in (build / "runs",) if d.exists()])
            try:
                desc = json.loads((build / "spec.json").read_text())
                stale = build_key(NetworkSpec.from_description(desc)) != build.name
            except (OSError, ValueError, KeyError, TypeError):
                stale = True  # no readable description: not a build this code can match
            found.append({"key": build.name, "path": build, "stale": stale, "last_used": used,
                          "bytes": sum(f.stat().st_size for f in files)})
        found += _cached_headers(base)
    return found


def _cached_headers(base: Path) -> list[dict[str, Any]]:
    """The precompiled headers under ``base`` (entries as :func:`cached_builds`'); stale:
    not the one this compiler and the builds' flags would use."""
    dirs = [g.parent for g in sorted(base.rglob(pch.PCH_NAME + ".gch"))
            if g.parent.parent.name == PCH_DIR and g.parent.parent.parent.name == "snn"]
    # None: no GCC here (another host's compiler, CXX not set): unknown, not stale
    current = pch.header_key(COMPILE_ARGS) if dirs else None
    found = []
    for d in dirs:
        gch = d / (pch.PCH_NAME + ".gch")
        stale = current is not None and d.name != current
        found.append({"key": f"{PCH_DIR}/{d.name}", "path": d, "stale": stale,
                      "last_used": gch.stat().st_mtime,
                      "bytes": sum(f.stat().st_size for f in d.iterdir() if f.is_file())})
    return found


def remove_build(path: str | os.PathLike) -> None:
    """Delete one compiled program (under its build lock, so never one being built)."""
    build = Path(path)
    lock = build.parent / f"{build.name}.lock"
    with file_lock(lock):
        shutil.rmtree(build, ignore_errors=True)
    lock.unlink(missing_ok=True)


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


def run_prefix() -> str:
    """The name prefix of this process's run directories: ``run-<host>-<pid>-``."""
    return f"run-{_host()}-{os.getpid()}-"


_RUN_DIR = re.compile(r"run-(?P<host>[A-Za-z0-9_.]+)-(?P<pid>\d+)-[a-z0-9_]+")


_OLD_RUN_DIR = re.compile(r"run-[a-z0-9_]{8}")


def _age_s(path: Path) -> float:
    import time

    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def remove_stale_runs(build: str | os.PathLike) -> int:
    """Remove the run directories of ``build`` left by processes of this host that no
    longer exist (killed mid-chunk); returns how many. Directories of other hosts (a
    shared network cache) and of live processes are left alone."""
    runs = Path(build) / "runs"
    if not runs.is_dir():
        return 0
    host, n = _host(), 0
    for d in runs.iterdir():
        m = _RUN_DIR.fullmatch(d.name)
        if m is None:
            # the unnamed directories of earlier versions: stale once a day old
            if not (_OLD_RUN_DIR.fullmatch(d.name) and _age_s(d) > 86400):
                continue
        elif m["host"] != host or _alive(int(m["pid"])):
            continue
        shutil.rmtree(d, ignore_errors=True)
        n += not d.exists()
    return n
