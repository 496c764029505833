"""Atomic file writes: the one way brainlearn writes a file that must never be seen half-done.

The data go to a temporary file in the same directory (``.<name>.<pid>.<random>.tmp``),
are flushed and fsync'ed, and the temporary file is renamed over the final name
(``os.replace``, atomic on POSIX); then the directory is fsync'ed so the rename itself
survives a power cut. A process killed at any moment therefore leaves either the old
file or the new one, never a mixture; if the write fails (say the disk is full) the
temporary file is removed and the old file is left as it was. Stray temporaries of a
killed writer match ``.*.tmp`` and are cleaned up by :func:`remove_temporaries`.

Nothing is written through a link: the temporary file is created exclusively (``O_EXCL``:
never an existing file or a link someone placed there), and the rename replaces a
symbolic link at the final name by the new file instead of writing where it points. An
error while writing (a full disk) names the final file, not the temporary one.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_open",
    "remove_temporaries",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
]

#: glob of the temporary files written here (dot-files, so directory listings skip them)
TEMPORARY_GLOB = ".*.tmp"


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems without directory fsync
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", *, newline: str | None = None,
                durable: bool = True) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the ``with`` block ends normally.

    ``mode`` is ``"w"`` (text, UTF-8) or ``"wb"``. If the block raises, the temporary file
    is removed and ``path`` is untouched. ``durable`` fsyncs the file and its directory.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    kw: dict[str, Any] = {} if mode == "wb" else {"encoding": "utf-8", "newline": newline}
    created = False
    try:
        with open(tmp, mode.replace("w", "x"), **kw) as fh:
            created = True
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if created:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if exc.filename is None or str(exc.filename) == str(tmp):
            # say which file could not be written (a full disk: the temporary's name
            # means nothing to the user)
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    if durable:
        _fsync_dir(path.parent)


def write_bytes_atomic(path: str | os.PathLike, data: bytes, durable: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb", durable=durable) as fh:
        fh.write(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str, durable: bool = True) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path, "w", durable=durable) as fh:
        fh.write(text)
    return Path(path)


def write_json_atomic(path: str | os.PathLike, obj: Any, durable: bool = True) -> Path:
    """Write ``obj`` as indented, key-sorted JSON (plus a newline) to ``path`` atomically."""
    text = json.dumps(obj, indent=1, sort_keys=True, allow_nan=True) + "\n"
    return write_text_atomic(path, text, durable=durable)


def remove_temporaries(*directories: str | os.PathLike) -> int:
    """Remove the temporary files a killed writer left in ``directories``; returns how many."""
    n = 0
    for d in map(Path, directories):
        if not d.is_dir():
            continue
        for p in d.glob(TEMPORARY_GLOB):
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
    return n
