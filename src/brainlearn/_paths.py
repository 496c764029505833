"""Where brainlearn keeps things on disk: one function per location.

Under an output directory ``DIR`` (``brainlearn run --out DIR``)::

    DIR/results/runs/<run-id>.json    one record per finished run
    DIR/results/failed/<run-id>.json  the traceback of a run that raised (redone next time)
    DIR/results/invalid/              records or manifests that failed validation, set aside
    DIR/results/manifest.json         the run ids of the last ``brainlearn run``
    DIR/figures/                      every figure, PNG + SVG

Compiled Brian2 programs live in one cache, the same for ``brainlearn run`` and for the
library (``SpikingClassifier.fit``), so a program built by one is used by the other:
:func:`cache_home`, ``$BRAINLEARN_CACHE`` if set, else ``~/.cache/brainlearn``. A sweep's
workers use it too (with ``--worker-cache separate``, one ``worker-<n>`` folder each under
it). When that directory cannot be created or written, :func:`writable_cache_home` falls back
to a temporary one (``$TMPDIR/brainlearn-cache-<user>``) with a warning: everything works,
but its programs are compiled again after the temporary directory is cleaned.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "cache_home",
    "failed_dir",
    "figures_dir",
    "invalid_dir",
    "manifest_path",
    "results_dir",
    "runs_dir",
    "writable_cache_home",
]

log = logging.getLogger("brainlearn")

#: environment variable naming the directory of compiled Brian2 programs
CACHE_ENV = "BRAINLEARN_CACHE"


def cache_home() -> Path:
    """The build cache of this process: ``$BRAINLEARN_CACHE``, else ``~/.cache/brainlearn``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "brainlearn"


def _writable(d: Path) -> str | None:
    """Why ``d`` cannot be used as a cache (None: it can): created if missing, probed."""
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=d, prefix=".brainlearn-probe-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


#: configured cache -> the directory used (itself, or the fallback), probed once a process
_CHECKED: dict[Path, Path] = {}


def writable_cache_home() -> Path:
    """:func:`cache_home`, created; if it cannot be written, a temporary cache
    (``$TMPDIR/brainlearn-cache-<user>``) with a ``RuntimeWarning`` that says why and how
    to choose another place. Checked once per process and configured directory."""
    want = cache_home()
    if want in _CHECKED:
        return _CHECKED[want]
    why = _writable(want)
    use = want
    if why is not None:
        try:
            user = os.getlogin()
        except OSError:
            user = str(os.getuid()) if hasattr(os, "getuid") else "user"
        use = Path(tempfile.gettempdir()) / f"brainlearn-cache-{user}"
        why_tmp = _writable(use)
        if why_tmp is not None:  # even the fallback fails: a private fresh directory
            use = Path(tempfile.mkdtemp(prefix="brainlearn-cache-"))
        msg = (f"the cache of compiled programs {want} cannot be written ({why}); using "
               f"{use} instead, whose programs are compiled again once it is cleaned. Set "
               f"{CACHE_ENV} to a writable directory to keep them")
        log.warning("%s", msg)
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    _CHECKED[want] = use
    return use


def results_dir(out: str | os.PathLike) -> Path:
    return Path(out) / "results"


def runs_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "runs"


def failed_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "failed"


def invalid_dir(out: str | os.PathLike) -> Path:
    return results_dir(out) / "invalid"


def manifest_path(out: str | os.PathLike) -> Path:
    return results_dir(out) / "manifest.json"


def figures_dir(out: str | os.PathLike) -> Path:
    return Path(out) / "figures"
