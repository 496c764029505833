"""Child processes that die with the process that started them.

The compiled network programs (:mod:`brainlearn.snn.engines`) and the build processes
(:mod:`brainlearn.snn.build`) are started through :func:`run_tied`. On Linux each child
asks the kernel, before it executes the program, for ``SIGKILL`` when its parent dies
(``prctl(PR_SET_PDEATHSIG)``): a sweep or a user's Python process killed by ``kill -9``
(which runs no clean-up) takes its programs with it instead of leaving them orphaned
(parent 1), burning CPU until their chunk ends. The kernel's "parent" is the *thread*
that started the child; :func:`run_tied` waits for the child in that same thread, so the
child dies exactly when nobody can read its results any more.

:func:`kill_running` stops every child still running (and, for those started with
``new_group=True``, their own children, e.g. the compiler under a build): a SIGTERM to
``brainlearn run`` during the pre-build phase ends the builds at once instead of waiting
for them (interpreter exit joins the build threads).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
from typing import Any

__all__ = ["PARENT_PID_VARIABLE", "kill_own_group_on_sigterm", "kill_running", "run_tied"]

#: the environment variable through which a program that ties itself to its parent
#: (``run_tied(..., self_tied=True)``) learns its parent's pid
PARENT_PID_VARIABLE = "BRAINLEARN_PARENT_PID"

_PR_SET_PDEATHSIG = 1
_RUNNING: set[subprocess.Popen] = set()
_LOCK = threading.Lock()


def _load_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):  # pragma: no cover - no usable libc
        return None


#: resolved before any fork: the child only calls it (no loading, no allocation)
_PRCTL = _load_prctl()


def _die_with_parent(parent: int, signum: int):
    def preexec() -> None:
        _PRCTL(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def run_tied(args: list[str], *, new_group: bool = False, self_tied: bool = False,
             **kwargs: Any) -> subprocess.CompletedProcess:
    """Like ``subprocess.run(args, capture_output=True, text=True, **kwargs)``, but the
    child dies with this process (see the module docstring) and :func:`kill_running`
    can stop it. ``new_group``: the child leads its own process group (its children are
    stopped with it by :func:`kill_running`) and gets ``SIGTERM`` when this process dies,
    on which it should kill its group (:func:`kill_own_group_on_sigterm`).

    ``self_tied``: the program asks for ``SIGKILL`` on its parent's death itself, first
    thing in its ``main``, given this process's pid in :data:`PARENT_PID_VARIABLE` (the
    compiled networks do: :func:`brainlearn.snn.program.die_with_parent`). No Python runs
    in the child then, so Python starts it without copying this process (``vfork``
    instead of ``fork``): about 1 ms per start instead of 7 for a 140 MB process."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    if self_tied and not new_group:
        env = dict(kwargs.get("env") or os.environ)
        env[PARENT_PID_VARIABLE] = str(os.getpid())
        kwargs["env"] = env
    elif _PRCTL is not None:
        signum = signal.SIGTERM if new_group else signal.SIGKILL
        kwargs["preexec_fn"] = _die_with_parent(os.getpid(), signum)
    if new_group:
        kwargs["start_new_session"] = True
    capture = kwargs.pop("capture_output")
    if capture:
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    with subprocess.Popen(args, **kwargs) as proc:
        proc.brainlearn_group = new_group
        with _LOCK:
            _RUNNING.add(proc)
        try:
            stdout, stderr = proc.communicate()
        except BaseException:
            _kill(proc)
            raise
        finally:
            with _LOCK:
                _RUNNING.discard(proc)
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        if getattr(proc, "brainlearn_group", False):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()


def kill_running() -> int:
    """Kill every child of :func:`run_tied` still running (with their process groups when
    started with ``new_group``); returns how many. Their callers see a failed process."""
    with _LOCK:
        procs = [p for p in _RUNNING if p.poll() is None]
    for proc in procs:
        _kill(proc)
    return len(procs)


def kill_own_group_on_sigterm() -> None:
    """In a child started with ``run_tied(..., new_group=True)``: on ``SIGTERM`` (sent
    when the parent dies) kill the whole process group, this process and what it started
    (e.g. ``make`` and the compiler), not only this process."""

    def handler(signum, frame):  # pragma: no cover - runs in the child
        os.killpg(os.getpgrp(), signal.SIGKILL)

    if os.getpgrp() == os.getpid():  # only as the leader of its own group
        signal.signal(signal.SIGTERM, handler)
