"""Shared fixtures: the test-only estimator registered for the duration of a test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
TEST_PLUGIN = "_brainlearn_testmodels"


@pytest.fixture
def test_models(monkeypatch):
    """Register ``test-centroid`` (mlp) and ``test-spiking`` (snn) for one test.

    Worker processes (spawned pools, Dask workers, CLI subprocesses) import the
    plugin module named in the spec, so PYTHONPATH is extended to find it.
    """
    import _brainlearn_testmodels as tm

    from brainlearn.registry import _REGISTRY

    for s in tm.SPECS:
        _REGISTRY[s.name] = s
    path = os.pathsep.join([str(SRC), str(TESTS), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path.rstrip(os.pathsep))
    if str(TESTS) not in sys.path:
        monkeypatch.syspath_prepend(str(TESTS))
    yield tm
    for s in tm.SPECS:
        _REGISTRY.pop(s.name, None)
