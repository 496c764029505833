"""Dask-only pieces of the sweep (imported only with ``--scheduler``; needs ``distributed``).

Dask workers run tasks in a thread pool, but some modules may only be imported on a
process's main thread: ``import brian2`` installs a SIGINT handler, which Python allows
only there ("signal only works in main thread"). :class:`PreImport` imports them on
each worker's main thread (the worker's event loop) when the worker joins, so a task
later finds them already imported.
"""

from __future__ import annotations

import importlib
import logging

from distributed.diagnostics.plugin import WorkerPlugin

log = logging.getLogger(__name__)

#: imported on every worker if installed (heavy, and with import-time side effects)
ALWAYS = ("brian2",)


class PreImport(WorkerPlugin):
    """Import ``modules`` (and Brian2, if installed) on the worker's main thread."""

    name = "brainlearn-preimport"

    def __init__(self, modules):
        self.modules = list(dict.fromkeys([*modules, *ALWAYS]))

    def setup(self, worker) -> None:
        for mod in self.modules:
            try:
                importlib.import_module(mod)
            except ImportError as exc:  # the run that needs it reports the error
                if mod not in ALWAYS:
                    log.warning("worker %s: cannot import %s: %s", worker.name, mod, exc)
