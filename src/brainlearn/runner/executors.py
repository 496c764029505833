"""Where runs execute: in this process, in a pool of local processes, or on Dask.

Every executor has the same small interface: ``capacity`` (runs in flight at once),
``parallel`` (runs that really execute at the same time, for time projections),
``submit(config_dict) -> future``, ``wait(futures) -> done futures``, and
``close(cancel)``. :func:`open_executor` picks one.

Local workers watch their parent: if the process that started them dies (even by
``kill -9``, which runs no clean-up), they notice within :data:`PARENT_POLL_S` seconds
and exit, instead of idling forever.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import re
import threading
import time
from pathlib import Path

from .._paths import CACHE_ENV, cache_home
from .config import RunConfig
from .execute import execute_run, use_cache_dir

__all__ = ["DASK_CONNECT_TIMEOUT", "WORKER_CACHE_MODES", "SchedulerUnavailable",
           "check_scheduler_address", "open_executor", "worker_caches"]

#: how local workers share BRAINLEARN_CACHE (see run_sweep)
WORKER_CACHE_MODES = ("shared", "separate")

#: how often a local worker checks that its parent is alive
PARENT_POLL_S = 1.0

#: thread pools of numerical libraries, pinned to one thread per worker process so that
#: N workers on N cores do not oversubscribe them (unless the user set them)
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

#: how long to try reaching a Dask scheduler before giving up
DASK_CONNECT_TIMEOUT = "20s"

#: address schemes of Dask's comm layer
_DASK_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


def _worker_cache(cache_root: Path, slot: int, mode: str) -> Path:
    if mode not in WORKER_CACHE_MODES:
        raise ValueError(f"worker_cache must be one of {WORKER_CACHE_MODES}, got {mode!r}")
    return cache_root if mode == "shared" else cache_root / f"worker-{slot}"


def worker_caches(cache_root: Path, jobs: int = 1, scheduler: str | None = None,
                  mode: str = "shared") -> list[Path] | None:
    """The ``BRAINLEARN_CACHE`` directories the runs of :func:`open_executor` will use (one
    when shared, one per local worker when separate), or None on Dask, whose workers keep
    their caches on their own hosts."""
    if scheduler is not None:
        return None
    slots = range(max(int(jobs), 1)) if jobs > 1 else range(1)
    return sorted({_worker_cache(Path(cache_root), s, mode) for s in slots})


# ------------------------------------------------------------------ in this process


class _Inline:
    """Runs in this process, one at a time."""

    capacity = parallel = 1

    def __init__(self, cache_root: Path, mode: str):
        self._old = os.environ.get(CACHE_ENV)
        use_cache_dir(_worker_cache(cache_root, 0, mode))

    def submit(self, cfg: dict) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(execute_run(cfg))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller like a pool would
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            fut.set_exception(exc)
        return fut

    def wait(self, futures):
        return set(futures)

    def close(self, cancel: bool = False) -> None:
        if self._old is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = self._old


# ------------------------------------------------------------------ local processes


def _watch_parent(parent_pid: int, poll_s: float) -> None:
    """Exit this process as soon as ``parent_pid`` is no longer its parent (it died)."""
    while True:
        time.sleep(poll_s)
        if os.getppid() != parent_pid:
            os._exit(3)  # no clean-up to do: the parent that wanted the results is gone


def _init_local_worker(slots, cache_root: str, mode: str, parent_pid: int,
                       poll_s: float) -> None:
    threading.Thread(target=_watch_parent, args=(parent_pid, poll_s), daemon=True,
                     name="brainlearn-parent-watch").start()
    slot = slots.get()
    use_cache_dir(_worker_cache(Path(cache_root), slot, mode))


class _Local:
    """A pool of ``jobs`` fresh (spawned) processes, each with its own cache slot."""

    def __init__(self, jobs: int, cache_root: Path, mode: str):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        slots = ctx.Queue()
        for i in range(jobs):
            slots.put(i)
        self.capacity = self.parallel = jobs
        # spawned children inherit os.environ when they start (on demand): keep the
        # limits in the environment for the pool's lifetime
        self._saved = {v: os.environ.get(v) for v in _THREAD_VARS}
        for v in _THREAD_VARS:
            os.environ.setdefault(v, "1")
        self.pool = cf.ProcessPoolExecutor(
            max_workers=jobs, mp_context=ctx, initializer=_init_local_worker,
            initargs=(slots, str(cache_root), mode, os.getpid(), PARENT_POLL_S),
        )

    def submit(self, cfg: dict):
        return self.pool.submit(execute_run, cfg)

    def wait(self, futures):
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return done

    def close(self, cancel: bool = False) -> None:
        if cancel:  # interrupted or out of budget: stop the runs in flight too
            workers = list(getattr(self.pool, "_processes", {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for proc in workers:
                if proc.is_alive():
                    proc.terminate()
            for proc in workers:
                proc.join(timeout=10)
        else:
            self.pool.shutdown(wait=True)
        for v, old in self._saved.items():
            if old is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = old


# ------------------------------------------------------------------ Dask

_ORIGINAL_CACHE: list[str | None] = []


def _dask_run(cfg: dict) -> dict:
    """Task function on a Dask worker: a cache directory per worker, then the run."""
    from distributed import get_worker

    if not _ORIGINAL_CACHE:
        _ORIGINAL_CACHE.append(os.environ.get(CACHE_ENV))
    root = Path(_ORIGINAL_CACHE[0]) if _ORIGINAL_CACHE[0] else cache_home()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(get_worker().name)).strip("_") or "worker"
    use_cache_dir(root / f"dask-{name}")
    return execute_run(cfg)


def check_scheduler_address(address: str) -> str:
    """``address`` if it looks like a Dask scheduler address (``tcp://host:port``,
    ``tls://...``, ``inproc://...``; ``host:port`` means tcp), else ValueError saying why."""
    if not isinstance(address, str) or not address.strip():
        raise ValueError("the scheduler address is empty; give one like tcp://host:8786")
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in _DASK_SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r} in scheduler address {address!r}; "
                         f"valid: {', '.join(s + '://' for s in _DASK_SCHEMES)}")
    if scheme == "inproc":
        return address
    host, colon, port = rest.rpartition(":")
    if not colon or not host:
        raise ValueError(f"scheduler address {address!r} has no host:port "
                         "(e.g. tcp://host:8786)")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"scheduler address {address!r}: port {port!r} is not a number "
                         "in 1..65535")
    return address


class SchedulerUnavailable(RuntimeError):
    """The Dask scheduler of ``--scheduler`` cannot be used: the ``distributed`` package is
    missing or the scheduler cannot be reached (a usage error, not a failed run)."""


class _Dask:
    def __init__(self, address: str):
        check_scheduler_address(address)
        try:
            from distributed import Client
        except ImportError:
            raise SchedulerUnavailable(
                "--scheduler needs the dask distributed package: "
                "pip install 'brainlearn[dask]' (or: pip install distributed)"
            ) from None
        try:
            self.client = Client(address, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerUnavailable(
                f"cannot connect to the Dask scheduler at {address}: {exc}") from None
        n = sum(self.client.nthreads().values())
        self.capacity = max(1, 2 * n)
        self.parallel = max(1, n)
        self._prepared: set[str] = set()

    def prepare(self, runs: list[RunConfig]) -> None:
        """Import the runs' plugins and estimator modules on each worker's main thread."""
        from ._dask import PreImport

        modules = {p for r in runs for p in r.plugins}
        modules |= {r.estimator.partition(":")[0] for r in runs}
        if modules <= self._prepared:
            return
        self._prepared |= modules
        self.client.register_plugin(PreImport(sorted(self._prepared)))

    def submit(self, cfg: dict):
        return self.client.submit(_dask_run, cfg, pure=False, key=f"brainlearn-run-{cfg['run_id']}")

    def wait(self, futures):
        from distributed import wait

        return set(wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self, cancel: bool = False) -> None:
        self.client.close()


def open_executor(runs: list[RunConfig], cache_root: Path, jobs: int = 1,
                  scheduler: str | None = None, worker_cache: str = "shared"):
    """The executor for these settings: Dask when ``scheduler`` is given (its workers
    import the runs' modules first), a local pool for ``jobs > 1``, else this process."""
    if scheduler is not None:
        executor = _Dask(scheduler)
        executor.prepare(runs)
        return executor
    if jobs > 1:
        return _Local(jobs, cache_root, worker_cache)
    return _Inline(cache_root, worker_cache)


def reopen(executor, cache_root: Path, worker_cache: str):
    """A fresh local pool after a worker process died (the old one is broken)."""
    executor.close(cancel=True)
    return _Local(executor.capacity, cache_root, worker_cache)
