"""The first minute (issue 20): what takes time is said (a compile notice with its expected
duration and the cache path), one build cache for the runner and the library with a fallback
when it cannot be written, timings shipped for the dry run's projection, and step counts
bounded before anything is compiled. No real compile happens here (a stand-in compiler)."""

from __future__ import annotations

import json
import logging
import subprocess
import textwrap
import warnings
from pathlib import Path

import pytest

from brainlearn import _paths
from brainlearn.snn import build
from brainlearn.snn.graph import NetworkSpec
from brainlearn.snn.plasticity import STDP, OjaHebbian
from brainlearn.snn.populations import NetworkParams

ROOT = Path(__file__).resolve().parent.parent


def _spec(**net):
    base = dict(dt_ms=0.5, presentation_ms=10.0, n_per_feature=3, n_hidden=3, n_per_class=2)
    base.update(net)
    return NetworkSpec(n_features=2, chunk=3, net=NetworkParams(**base), hidden_rule=STDP(),
                       readout_rule=OjaHebbian(), supervised=True)


@pytest.fixture
def fake_compiler(monkeypatch):
    calls = []

    def compile_(spec_file, out_dir, pch_dir=None):
        calls.append(Path(out_dir))
        (Path(out_dir) / "main").write_bytes(b"\x7fELF stand-in")
        (Path(out_dir) / build.MAP).write_text(json.dumps(
            {"outputs": {}, "timed": {}, "inputs": {}}))
        return subprocess.CompletedProcess(["build"], 0, "", "")

    monkeypatch.setattr(build, "_compile", compile_)
    monkeypatch.setattr(build, "_CHECKSUMMED", set())
    return calls


# ------------------------------------------------------------------ 1. say what takes time


def test_a_compile_is_announced_with_its_duration_and_cache_path(tmp_path, monkeypatch,
                                                                 capsys, fake_compiler,
                                                                 caplog):
    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "cache"))
    spec = _spec()
    with caplog.at_level(logging.INFO, logger="brainlearn"):
        final = build.ensure_built(spec)
    err = capsys.readouterr().err
    (line,) = [ln for ln in err.splitlines() if "compiling" in ln]
    assert line.startswith("brainlearn: compiling the Brian2 training (plastic) program")
    lo, hi = build.TYPICAL_BUILD_S
    assert f"expect about {lo:.0f}-{hi:.0f} s" in line and str(final) in line
    assert any("compiling" in r.getMessage() for r in caplog.records)  # and logged
    # the duration is kept with the build, and the next compile expects it
    assert json.loads((final / build.MANIFEST).read_text())["build_s"] >= 0
    json_path = final / build.MANIFEST
    manifest = json.loads(json_path.read_text())
    json_path.write_text(json.dumps(dict(manifest, build_s=37.0)))
    build.ensure_built(_spec(n_hidden=4))
    line = [ln for ln in capsys.readouterr().err.splitlines() if "compiling" in ln][0]
    assert "expect about 37 s (median of 1 earlier build(s) here)" in line
    # a program already built is used silently; notice=False leaves the notice to the caller
    build.ensure_built(spec)
    build.ensure_built(_spec(n_hidden=5), notice=False)
    assert "compiling" not in capsys.readouterr().err
    assert len(fake_compiler) == 3


# --------------------------------------------------------- 2. one cache, and its fallback


def test_the_runner_and_the_library_share_one_cache(tmp_path, monkeypatch):
    from brainlearn.runner.spec import load_spec, resolve_runs
    from brainlearn.runner.sweep import plan

    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "one"))
    assert build.cache_root() == tmp_path / "one" / "snn"
    spec = tmp_path / "s.toml"
    spec.write_text(textwrap.dedent("""
        [[models]]
        name = "ref-knn"
        [[sweep]]
        tasks = ["xor"]
        seeds = [0]
        n_train = 10
        n_test = 10
    """))
    text = plan(resolve_runs([load_spec(spec)]), tmp_path / "out")
    assert f"(cache: {tmp_path / 'one'})" in text
    monkeypatch.delenv("BRAINLEARN_CACHE")
    assert _paths.cache_home() == Path.home() / ".cache" / "brainlearn"
    assert f"(cache: {Path.home() / '.cache' / 'brainlearn'})" in plan(
        resolve_runs([load_spec(spec)]), tmp_path / "out")  # not DIR/.brainlearn_cache


def test_an_unwritable_cache_falls_back_to_a_temporary_one_with_a_warning(tmp_path,
                                                                          monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("BRAINLEARN_CACHE", str(blocker / "cache"))  # under a file: unwritable
    monkeypatch.setattr(_paths, "_WARNED", set())
    with pytest.warns(RuntimeWarning, match="cannot be written.*BRAINLEARN_CACHE") as rec:
        root = build.cache_root()
    assert str(blocker / "cache") in str(rec[0].message)
    assert not root.is_relative_to(blocker) and root.parent.is_dir()
    probe = root / "probe"
    probe.mkdir(parents=True, exist_ok=True)  # the fallback is writable
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once per process
        assert build.cache_root() == root


def test_a_sweep_with_an_unwritable_cache_runs_with_a_warning(tmp_path, monkeypatch,
                                                              test_models):
    from brainlearn.runner.spec import load_spec, resolve_runs
    from brainlearn.runner.storage import load_records
    from brainlearn.runner.sweep import run_sweep
    from conftest import TEST_PLUGIN

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("BRAINLEARN_CACHE", str(blocker / "cache"))
    monkeypatch.setattr(_paths, "_WARNED", set())
    spec = tmp_path / "s.toml"
    spec.write_text(textwrap.dedent(f"""
        [experiment]
        plugins = ["{TEST_PLUGIN}"]
        [[models]]
        name = "test-centroid"
        [[sweep]]
        tasks = ["xor"]
        seeds = [0]
        n_train = 10
        n_test = 10
    """))
    with pytest.warns(RuntimeWarning, match="cannot be written"):
        report = run_sweep(resolve_runs([load_spec(spec)]), tmp_path / "out", jobs=1)
    assert report.ok
    (rec,) = load_records(tmp_path / "out")
    assert not Path(rec.worker["cache_dir"]).is_relative_to(blocker)


# ------------------------------------------------------- 5. timings shipped for --dry-run


def test_the_shipped_timings_are_those_of_the_committed_results():
    from brainlearn.runner.timings import (
        DEFAULT_SOURCES,
        SHIPPED_TIMINGS,
        collect_timings,
        dumps,
    )

    assert SHIPPED_TIMINGS.is_file()
    outs = [ROOT / o for o in DEFAULT_SOURCES]
    if not all((o / "results" / "runs").is_dir() for o in outs):
        pytest.skip("not a checkout with the committed results")
    fresh = dumps(collect_timings(outs, names=list(DEFAULT_SOURCES)))
    assert SHIPPED_TIMINGS.read_text(encoding="utf-8") == fresh, (
        "src/brainlearn/timings.json is out of date: run `make timings`")


@pytest.mark.parametrize("spec", ["default", "multiclass", "local", "tuned"])
def test_a_dry_run_without_records_projects_from_the_shipped_timings(tmp_path, monkeypatch,
                                                                      spec):
    """Every experiment whose results are committed is projected from the shipped timings
    on a plain install (issue 20, item 5)."""
    from brainlearn.cli import SHIPPED_SPECS
    from brainlearn.runner import sweep
    from brainlearn.runner.spec import load_spec, resolve_runs

    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "cache"))
    runs = resolve_runs([load_spec(SHIPPED_SPECS / f"{spec}.toml")])
    text = sweep.plan(runs, tmp_path / "empty", jobs=2)
    assert "without recorded timings" not in text
    assert f"{len(runs)} runs from the timings shipped with brainlearn" in text
    total = text.splitlines()[-2]
    assert "projected wall time with 2 worker(s): 0s" not in total
    # with no shipped file the runs are reported as not timed, not as taking 0 s
    monkeypatch.setattr(sweep, "load_shipped_timings", lambda: [])
    assert f"0s plus {len(runs)} runs of models without recorded timings" in sweep.plan(
        runs, tmp_path / "empty", jobs=2)


def test_the_timings_module_runs_without_a_warning_that_it_was_imported_first():
    """``make timings`` runs ``python -m brainlearn.runner.timings``: the runner's package
    must not import the module before it runs (runpy would warn)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m",
                           "brainlearn.runner.timings", "--help"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeWarning" not in proc.stderr
    assert "usage:" in proc.stdout


def test_the_timings_file_is_package_data():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"timings.json"' in text


# ---------------------------------------------------------------- step-count bound


def test_a_step_count_beyond_the_bound_is_an_error_naming_the_parameters():
    assert build.check_step_count(_spec()) == 20
    with pytest.raises(ValueError, match=r"presentation_ms=86000000.0 and dt_ms=1e-06 .*"
                                         r"8.6e\+13 simulation steps per presentation"):
        build.check_step_count(_spec(dt_ms=1e-6, presentation_ms=8.6e7))
    big = NetworkSpec(n_features=2, chunk=100_000, net=NetworkParams(
        dt_ms=0.01, presentation_ms=1000.0, n_per_feature=3, n_hidden=3, n_per_class=2),
        hidden_rule=STDP(), readout_rule=OjaHebbian(), supervised=True)
    with pytest.raises(ValueError, match="chunk_size=100000 .* steps per program run"):
        build.check_step_count(big)


def test_fit_and_the_spec_refuse_too_many_steps_before_compiling(tmp_path, fake_compiler):
    import numpy as np

    from brainlearn import SpikingClassifier
    from brainlearn.cli import main

    huge = {"dt_ms": 1e-6, "presentation_ms": 8.6e7}
    X = np.random.default_rng(0).random((12, 2))
    with pytest.raises(ValueError, match="steps per presentation"):
        SpikingClassifier(network_params=huge, random_state=0).fit(X, np.arange(12) % 2)
    assert fake_compiler == []  # refused before any build
    spec = tmp_path / "huge.toml"
    spec.write_text(textwrap.dedent("""
        [[models]]
        name = "snn-stdp"
        params = { network_params = { dt_ms = 1e-6, presentation_ms = 8.6e7 } }
        [[sweep]]
        tasks = ["xor"]
        seeds = [0]
        n_train = 10
        n_test = 10
    """))
    assert main(["run", str(spec), "--dry-run", "--out", str(tmp_path / "o")]) == 2


def test_a_grid_search_over_n_hidden_builds_each_program_once(recorded_builds):
    """GridSearchCV over two n_hidden values, 2 folds and the refit (5 fits): every fit of
    one value runs the same two programs (training and inference), so each is built once
    per value and process, whatever the number of folds."""
    import numpy as np
    from sklearn.model_selection import GridSearchCV

    from brainlearn import SpikingClassifier

    rng = np.random.default_rng(0)
    X = rng.random((24, 2))
    y = (X[:, 0] > 0.5).astype(int)
    base = SpikingClassifier(n_per_feature=4, n_per_class=2, chunk_size=16,
                             min_presentations=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fake engine never spikes
        GridSearchCV(base, {"n_hidden": [4, 6]}, cv=2).fit(X, y)
    expected = {k for n in (4, 6) for k in (
        build.build_key(s) for s in base.set_params(n_hidden=n).program_specs(2, 2))}
    assert len(expected) == 4
    assert set(recorded_builds) == expected
    assert len(recorded_builds) == len(expected)  # each program asked for once


def test_verbose_spiking_fit_reports_its_presentations(recorded_builds, capsys):
    """``verbose=2``: one progress line per chunk of the compiled program, counting the
    presentations up to all of them (a fake engine answers: nothing is compiled)."""
    import warnings

    import numpy as np

    from brainlearn.snn.model import SpikingClassifier

    rng = np.random.default_rng(0)
    X, y = rng.random((30, 2)), np.arange(30) % 2
    model = SpikingClassifier(n_hidden=4, n_per_feature=2, n_per_class=1, chunk_size=16,
                              epochs=2, min_presentations=0, random_state=0, verbose=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the fake network is silent
        model.fit(X, y)
    lines = [ln for ln in capsys.readouterr().err.splitlines()
             if ln.startswith("SpikingClassifier:")]
    done = [int(ln.split(": ")[1].split("/")[0]) for ln in lines]
    assert done == [16, 32, 48, 60]
    assert all("/60 presentations" in ln and "train accuracy" in ln for ln in lines)
