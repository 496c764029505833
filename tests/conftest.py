"""Shared fixtures: the test-only estimator, registered for the duration of a test; tiny specs."""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
TEST_PLUGIN = "_brainlearn_testmodels"

ALL_ANALYSES = ('["decision_boundaries", "learning_curves", "spike_raster", "receptive_fields", '
                '"compute_cost", "robustness", "weight_evolution"]')

#: a tiny spec over the test-only models: 2 tasks x 2 models x 2 seeds + a small scarcity sweep
TINY_SPEC = textwrap.dedent(f"""
    [experiment]
    name = "tiny"
    description = "test spec"
    plugins = ["{TEST_PLUGIN}"]

    [options]
    boundary_grid = 11
    receptive_grid = 7
    noise_sd = [0.0, 0.2]
    ablation_fractions = [0.0, 0.5]

    [[models]]
    name = "test-centroid"

    [[models]]
    name = "test-spiking"
    label = "spiky"
    params = {{ epochs = 4 }}

    [[sweep]]
    name = "main"
    tasks = ["xor", "breast-cancer"]
    seeds = 2
    n_train = 60
    n_test = 50
    analyses = {ALL_ANALYSES}

    [[sweep]]
    name = "scarcity"
    tasks = ["xor"]
    seeds = 2
    n_train = [10, 30, 60]
    n_test = 50
    analyses = ["data_scarcity"]
""")


def load_experiment_script(name: str):
    """Import ``experiments/<name>.py`` (a script, not a package module) as a module."""
    import importlib.util

    path = TESTS.parent / "experiments" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def subprocess_env(**extra) -> dict[str, str]:
    """Environment for a child Python that imports this worktree's brainlearn and the plugin."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(SRC), str(TESTS), os.environ.get("PYTHONPATH", "")] if p)
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextlib.contextmanager
def registered_test_models():
    """Register ``test-centroid`` (mlp) and ``test-spiking`` (snn); remove them afterwards."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    import _brainlearn_testmodels as tm
    from brainlearn.registry import list_models, register_model, unregister_model

    old_pp = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = subprocess_env()["PYTHONPATH"]  # spawned workers import the plugin
    for s in tm.SPECS:  # importing the plugin registers them; a second use registers again
        if s.name not in list_models():
            register_model(s.name, s.family, s.estimator, s.description, **s.params)
    try:
        yield tm
    finally:
        for s in tm.SPECS:
            if s.name in list_models():
                unregister_model(s.name)
        if old_pp is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old_pp


@pytest.fixture
def test_models():
    with registered_test_models() as tm:
        yield tm


@pytest.fixture
def tiny_spec(tmp_path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY_SPEC)
    return p


@pytest.fixture(scope="session")
def fixture_results(tmp_path_factory) -> Path:
    """A results directory made by really running the tiny spec with the test models."""
    from brainlearn.runner.report import write_reports
    from brainlearn.runner.spec import load_spec, resolve_runs
    from brainlearn.runner.storage import write_manifest
    from brainlearn.runner.sweep import run_sweep

    out = tmp_path_factory.mktemp("fixture_results")
    spec_path = out / "tiny.toml"
    spec_path.write_text(TINY_SPEC)
    with registered_test_models():
        runs = resolve_runs([load_spec(spec_path)])
        write_manifest(out, [str(spec_path)], [r.run_id for r in runs])
        report = run_sweep(runs, out, jobs=1)
        assert report.ok, report
        write_reports(out)
    return out


@pytest.fixture(scope="module")
def numpy_runtime():
    """Brian2's runtime device with the numpy code generation target (no compilation),
    for the tiny-network tests; restores the previous target afterwards."""
    import brian2 as b2

    old = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"
    b2.set_device("runtime")
    yield
    b2.prefs.codegen.target = old


@pytest.fixture
def recorded_builds(monkeypatch, tmp_path):
    """The build keys of the compiled programs the model asks for (nothing is compiled: a
    fake engine, put in through the public seam ``engines.standalone_engines``, answers
    every chunk with zero spike counts)."""
    import numpy as np

    from brainlearn.snn import build, engines
    from brainlearn.snn.engines import ChunkResult
    from brainlearn.snn.graph import POPULATIONS

    asked: list[str] = []

    class FakeEngine:
        name = "standalone"

        def __init__(self, spec):
            self.spec = spec
            asked.append(build.build_key(spec))

        def run(self, inputs, state, seed):
            spec, m = self.spec, len(inputs)
            sizes = {"afferent": spec.n_afferent, "hidden": spec.net.n_hidden,
                     "inhibitory": spec.net.n_hidden, "efferent": spec.n_efferent}
            counts = {pop: np.zeros((m, spec.copies * sizes[pop])) for pop in POPULATIONS}
            return ChunkResult(counts, state)

    # the engines are kept per process and cache directory: a new directory, new engines
    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "cache"))
    with engines.standalone_engines(FakeEngine):
        yield asked


def pytest_collection_modifyitems(config, items):
    """The slow tests (compiles, subprocesses) first: spread over the workers while the
    quick ones fill the gaps, rather than one compile starting last and running alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
