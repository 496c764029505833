"""The on-disk cache of compiled network programs: list the builds, remove old ones.

Builds are keyed by a hash of the generated network, the compiler flags, Brian2's and
Python's versions (:func:`brainlearn.snn.build.build_key`), so a change of the network's
code or an upgrade leaves the previous builds behind, a few MB each. ``brainlearn cache``
lists them and ``brainlearn cache --clear --stale`` removes the ones nothing will use
again.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from .build import build_key, cache_root, file_lock
from .graph import NetworkSpec

__all__ = ["cached_builds", "remove_build"]


def cached_builds(*bases: str | os.PathLike) -> list[dict[str, Any]]:
    """The compiled programs found under cache bases (default: the base of
    :func:`cache_root`), e.g. ``~/.cache/brainlearn`` (the library's and the sweeps') with
    its per-worker subdirectories.

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
    return found


def remove_build(path: str | os.PathLike) -> None:
    """Delete one compiled program (under its build lock, so never one being built)."""
    build = Path(path)
    lock = build.parent / f"{build.name}.lock"
    with file_lock(lock):
        shutil.rmtree(build, ignore_errors=True)
    lock.unlink(missing_ok=True)
