"""The sweep builds every compiled program its runs need before the runs, each once.

A stand-in compiler (``build._compile`` replaced) writes a minimal whole build and records
which program it was asked for, so these tests count builds without compiling; the
programs themselves come from the real ``SpikingClassifier.programs`` and the real
build cache (lock, manifest, atomic publication). The last test checks against the
programs a real run of the runner asks the cache for.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

pytest.importorskip("brian2")

from brainlearn.registry import register_model, unregister_model  # noqa: E402
from brainlearn.runner.capabilities import BuildsPrograms  # noqa: E402
from brainlearn.runner.execute import execute_run  # noqa: E402
from brainlearn.runner.prebuild import needed_programs, prebuild  # noqa: E402
from brainlearn.runner.spec import load_spec, resolve_runs  # noqa: E402
from brainlearn.runner.storage import failed_dir  # noqa: E402
from brainlearn.runner.sweep import plan, run_sweep  # noqa: E402
from brainlearn.snn import build  # noqa: E402
from brainlearn.snn.model import SpikingClassifier  # noqa: E402
from conftest import subprocess_env  # noqa: E402

TINY = dict(n_hidden=6, n_per_feature=4, n_per_class=2, chunk_size=16, min_presentations=0)
TINY_TOML = "{ n_hidden = 6, n_per_feature = 4, n_per_class = 2, chunk_size = 16, " \
            "min_presentations = 0 }"


def _spec_file(tmp_path, models, tasks, seeds=2, analyses='["compute_cost"]',
               plugins="[]", tiny=True) -> Path:
    params = f"params = {TINY_TOML}\n" if tiny else ""
    blocks = "\n".join(f'[[models]]\nname = "{m}"\n{params}' for m in models)
    p = tmp_path / "spec.toml"
    p.write_text(textwrap.dedent(f"""
        [experiment]
        name = "prebuild"
        plugins = {plugins}
        """) + blocks + textwrap.dedent(f"""
        [[sweep]]
        name = "main"
        tasks = {json.dumps(tasks)}
        seeds = {seeds}
        n_train = 30
        n_test = 20
        analyses = {analyses}
        """))
    return p


@pytest.fixture
def compiler(monkeypatch):
    """A stand-in compiler: records (key, cache root) per build; fails for keys in
    ``fail`` (compiler error) or for all when ``missing`` is set (no compiler)."""

    class Compiler:
        calls: list[tuple[str, Path]] = []
        fail: set[str] = set()
        missing = False

        def __call__(self, spec_file, out_dir, pch_dir=None):
            out_dir = Path(out_dir)
            key = out_dir.name.split(".tmp-")[0]
            self.calls.append((key, out_dir.parent))
            if self.missing:
                return subprocess.CompletedProcess(["build"], build._EXIT_NO_COMPILER, "",
                                                   "FileNotFoundError: no g++ (simulated)")
            if key in self.fail:
                return subprocess.CompletedProcess(
                    ["build"], 1, "", "main.cpp:12: error: simulated compiler failure")
            (out_dir / "main").write_bytes(b"\x7fELF stand-in")
            (out_dir / build.MAP).write_text(json.dumps(
                {"outputs": {}, "timed": {}, "inputs": {}}))
            return subprocess.CompletedProcess(["build"], 0, "", "")

    c = Compiler()
    c.calls, c.fail = [], set()
    monkeypatch.setattr(build, "_compile", c)
    monkeypatch.setattr(build, "_CHECKSUMMED", set())
    return c


def _expected_keys(models, tasks) -> set[str]:
    from brainlearn import make_model
    from brainlearn.tasks import task_info

    keys = set()
    for m in models:
        for t in tasks:
            info = task_info(t)
            est = make_model(m, **TINY)
            keys |= {build.build_key(s) for s in est.program_specs(info.n_features,
                                                                   info.n_classes)}
    return keys


MODELS = ["snn-stdp", "snn-hebbian"]
TASKS = ["xor", "circle", "breast-cancer"]


def test_each_program_is_built_once_for_all_the_runs_that_share_it(tmp_path, compiler):
    runs = resolve_runs([load_spec(_spec_file(tmp_path, MODELS, TASKS))])
    assert len(runs) == 12
    expected = _expected_keys(MODELS, TASKS)
    # xor and circle share a shape; the inference program is shared by the two rules:
    # 2 rules x 2 shapes training programs + 2 inference programs
    assert len(expected) == 6
    assert set(needed_programs(runs)) == expected
    out = io.StringIO()
    rep = prebuild(runs, [tmp_path / "cache"], jobs=2, stream=out)
    assert sorted(k for k, _ in compiler.calls) == sorted(expected)
    assert {r for _, r in compiler.calls} == {build.cache_root(tmp_path / "cache")}
    assert (rep.programs, rep.built, rep.present, rep.failed) == (6, 6, 0, {})
    text = out.getvalue()
    assert "need 6 compiled programs: 0 already built, 6 to build (2 at a time, about " in text
    assert "[6/6] built the" in text and "built 6 of 6 programs in" in text
    # a second sweep over the same cache builds nothing
    again = prebuild(runs, [tmp_path / "cache"], jobs=2, stream=io.StringIO())
    assert (again.built, again.present) == (0, 6) and len(compiler.calls) == 6


def test_a_fresh_process_finds_the_programs_built(tmp_path, compiler):
    spec = _spec_file(tmp_path, MODELS, TASKS)
    runs = resolve_runs([load_spec(spec)])
    prebuild(runs, [tmp_path / "cache"], jobs=2, stream=io.StringIO())
    code = textwrap.dedent("""
        import json, sys
        from brainlearn.runner.prebuild import count_programs
        from brainlearn.runner.spec import load_spec, resolve_runs
        runs = resolve_runs([load_spec(sys.argv[1])])
        print(json.dumps(count_programs(runs, [sys.argv[2]])))
    """)
    res = subprocess.run([sys.executable, "-c", code, str(spec), str(tmp_path / "cache")],
                         capture_output=True, text=True, env=subprocess_env())
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout.strip().splitlines()[-1]) == [6, 0]


def test_separate_worker_caches_each_get_every_program(tmp_path, compiler):
    runs = resolve_runs([load_spec(_spec_file(tmp_path, ["snn-stdp"], ["xor"]))])
    homes = [tmp_path / "c" / "worker-0", tmp_path / "c" / "worker-1"]
    rep = prebuild(runs, homes, jobs=2, stream=io.StringIO())
    assert rep.built == 4
    assert {r for _, r in compiler.calls} == {build.cache_root(h) for h in homes}


def test_the_dry_run_counts_the_programs_to_build(tmp_path, compiler, monkeypatch):
    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "cache"))
    runs = resolve_runs([load_spec(_spec_file(tmp_path, MODELS, TASKS))])
    out = tmp_path / "out"
    line = plan(runs, out, jobs=2).splitlines()[-1]
    assert "need 6; 6 to build before the runs, up to 2 at a time" in line
    assert compiler.calls == [] and not out.exists()  # a dry run builds and writes nothing
    prebuild(runs[:2], [tmp_path / "cache"], jobs=1, stream=io.StringIO())  # snn-stdp, xor
    assert "need 6; 4 to build" in plan(runs, out, jobs=2).splitlines()[-1]
    assert "need 6; 12 to build in 2 worker caches" in plan(
        runs, tmp_path / "other", jobs=2, worker_cache="separate").splitlines()[-1]


def test_models_without_programs_are_left_alone(tmp_path, test_models, compiler):
    runs = resolve_runs([load_spec(_spec_file(
        tmp_path, ["test-centroid", "mlp-seed"], ["xor"], plugins='["_brainlearn_testmodels"]',
        tiny=False))])
    assert not isinstance(test_models.PrototypeCentroidClassifier(), BuildsPrograms)
    assert isinstance(SpikingClassifier(), BuildsPrograms)
    assert needed_programs(runs) == {}
    rep = prebuild(runs, [tmp_path / "cache"], jobs=2, stream=io.StringIO())
    assert rep.programs == 0 and compiler.calls == []


# ------------------------------------------------------------------ failed builds
@pytest.fixture
def building_centroid(test_models):
    """``test-building``: the test centroid classifier that also names the programs of a
    tiny spiking network for its data's shape (so a sweep pre-builds them) but fits fast
    without them."""

    class BuildingCentroid(test_models.PrototypeCentroidClassifier):
        def programs(self, n_features, n_classes=2):
            return SpikingClassifier(**TINY).programs(n_features, n_classes)

    BuildingCentroid.__module__ = __name__
    BuildingCentroid.__qualname__ = "BuildingCentroid"
    globals()["BuildingCentroid"] = BuildingCentroid
    register_model("test-building", "snn", BuildingCentroid, "test only")
    try:
        yield BuildingCentroid
    finally:
        unregister_model("test-building")
        globals().pop("BuildingCentroid", None)


def test_a_failed_build_fails_the_runs_that_need_it_and_only_those(tmp_path, compiler,
                                                                   building_centroid):
    spec = _spec_file(tmp_path, ["test-building", "test-centroid"], ["xor", "breast-cancer"],
                      analyses='["compute_cost"]', plugins='["_brainlearn_testmodels"]', tiny=False)
    runs = resolve_runs([load_spec(spec)])
    bad = SpikingClassifier(**TINY).program_specs(30, 2)[0]  # breast-cancer's training
    compiler.fail = {build.build_key(bad)}
    shown = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = run_sweep(runs, tmp_path / "out", jobs=1, stream=shown)
    doomed = {r.run_id for r in runs if r.model == "test-building" and r.task == "breast-cancer"}
    assert len(doomed) == 2
    assert set(report.failed) == doomed
    assert len(report.done) == len(runs) - 2
    text = shown.getvalue()
    assert "FAILED to build the training program" in text
    assert "simulated compiler failure" in text and "its 2 runs are not started" in text
    for run_id in doomed:
        assert "failed to build before the runs started" in report.failed[run_id]
        rec = json.loads((failed_dir(tmp_path / "out") / f"{run_id}.json").read_text())
        assert "simulated compiler failure" in rec["traceback"]
    # the failing program was tried once, not once per run
    assert [k for k, _ in compiler.calls].count(build.build_key(bad)) == 1


def test_without_a_compiler_nothing_is_failed_and_it_is_said(tmp_path, compiler):
    runs = resolve_runs([load_spec(_spec_file(tmp_path, ["snn-stdp"], ["xor"]))])
    compiler.missing = True
    out = io.StringIO()
    rep = prebuild(runs, [tmp_path / "cache"], jobs=2, stream=out)
    assert rep.failed_runs == {} and rep.no_compiler and rep.built == 0
    assert "no working C++ compiler" in out.getvalue()


# ----------------------------------------------------- against what a real run asks for
def test_the_programs_named_for_a_run_are_the_ones_the_run_asks_for(tmp_path,
                                                                    recorded_builds):
    """A real run of the runner (iris: 4 features, 3 classes; breast-cancer: 30) with the
    standalone engine stood in for: the keys it asks the build cache for are the ones the
    pre-build names for it."""
    asked = recorded_builds
    runs = resolve_runs([load_spec(_spec_file(
        tmp_path, ["snn-rstdp"], ["iris", "breast-cancer"], seeds=1,
        analyses='["compute_cost", "learning_curves"]'))])
    for cfg in runs:
        asked.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rec = execute_run(cfg.to_dict())
        assert not rec.errors, rec.errors
        named = set(needed_programs([cfg]))
        assert len(named) == 2 and set(asked) == named, cfg.task
