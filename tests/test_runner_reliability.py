"""Issue 11, runner side: nothing wrong is silent, nothing saved is lost.

Damaged records and manifests are reported, set aside (never deleted) and their runs
redone; invalid spec values are spec errors at --dry-run already; bad --out, full disks,
non-UTF-8 specs and malformed scheduler addresses give a message and exit 2; figures
fail one at a time; workers exit when their parent is killed.
"""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainlearn.cli import main
from brainlearn.runner.records import SCHEMA, RunRecord, content_checksum
from brainlearn.runner.spec import SpecError, load_spec, parse_spec, resolve_runs
from brainlearn.runner.storage import (
    invalid_dir,
    load_records,
    record_problems,
    recorded_ids,
    runs_dir,
    selected_records,
    write_manifest,
)
from brainlearn.runner.sweep import run_sweep
from conftest import TEST_PLUGIN, subprocess_env

#: a quick spec: 2 seeds of one model on one task, no analyses (a run takes milliseconds)
QUICK = textwrap.dedent(f"""
    [experiment]
    name = "quick"
    plugins = ["{TEST_PLUGIN}"]

    [[models]]
    name = "test-centroid"

    [[sweep]]
    tasks = ["xor"]
    seeds = 3
    n_train = 20
    n_test = 20
""")


@pytest.fixture
def quick(tmp_path, test_models):
    p = tmp_path / "quick.toml"
    p.write_text(QUICK)
    return p


@pytest.fixture
def recorded(tmp_path, quick):
    """A results directory with the quick spec's three runs recorded."""
    out = tmp_path / "out"
    runs = resolve_runs([load_spec(quick)])
    write_manifest(out, [str(quick)], [r.run_id for r in runs])
    assert run_sweep(runs, out, jobs=1).ok
    return out, runs


# ------------------------------------------------------------ damaged records


def _damage(path, how):
    rec = json.loads(path.read_text())
    if how == "missing-fields":
        del rec["metrics"], rec["task"]
        path.write_text(json.dumps(rec))
    elif how == "accuracy-7.5":
        rec["metrics"]["test_accuracy"] = 7.5
        path.write_text(json.dumps(rec))
    elif how == "binary-garbage":
        path.write_bytes(b"\x89\xff\xfe\x00garbage\x00\x81" * 20)
    elif how == "not-an-object":
        path.write_text("[1, 2, 3]")
    elif how == "truncated":
        path.write_text(path.read_text()[:50])
    elif how == "edited-config":
        rec["config"]["seed"] = 99
        path.write_text(json.dumps(rec))
    elif how == "edited-metrics":  # a plausible accuracy, the config still hashes to the name
        rec["metrics"]["test_accuracy"] = 0.5 if rec["metrics"]["test_accuracy"] != 0.5 else 0.6
        path.write_text(json.dumps(rec))
    elif how == "edited-label":
        rec["model"] = rec["registry_model"] = "test-other"
        path.write_text(json.dumps(rec))
    elif how == "edited-schema":  # passed off as an old record without a checksum field
        rec["schema"] = 1
        path.write_text(json.dumps(rec))
    elif how in ("negative-timing", "nan-count"):  # with a checksum that matches the edit
        if how == "negative-timing":
            rec["timings"]["fit_s"] = -1.0
        else:
            rec["budget"]["presentations"] = math.nan
        rec["checksum"] = content_checksum(rec)
        path.write_text(json.dumps(rec))


@pytest.mark.parametrize("how", ["missing-fields", "accuracy-7.5", "binary-garbage",
                                 "not-an-object", "truncated", "edited-config",
                                 "edited-metrics", "edited-label", "edited-schema",
                                 "negative-timing", "nan-count"])
def test_a_damaged_record_is_set_aside_reported_and_its_run_redone(recorded, how, caplog):
    out, runs = recorded
    victim = runs_dir(out) / f"{runs[1].run_id}.json"
    _damage(victim, how)
    damaged = victim.read_bytes()
    others = {p.name: p.read_bytes() for p in runs_dir(out).glob("*.json") if p != victim}

    assert recorded_ids(out) == {runs[0].run_id, runs[2].run_id}
    assert f"{victim}" in caplog.text and "run will be redone" in caplog.text
    kept = invalid_dir(out) / victim.name
    assert kept.read_bytes() == damaged  # moved aside, not deleted
    assert not victim.exists()

    report = run_sweep(runs, out, jobs=1)
    assert report.done == [runs[1].run_id] and report.skipped == 2
    assert not record_problems(json.loads(victim.read_text()), runs[1].run_id)
    for name, blob in others.items():  # the valid records are untouched
        assert (runs_dir(out) / name).read_bytes() == blob


def test_a_second_damaged_copy_does_not_overwrite_the_first(recorded):
    out, runs = recorded
    victim = runs_dir(out) / f"{runs[0].run_id}.json"
    for k in range(2):
        victim.write_bytes(b"\xff" * (k + 1))
        load_records(out)
        run_sweep(runs, out, jobs=1)
    kept = sorted(p.read_bytes() for p in invalid_dir(out).iterdir())
    assert kept == [b"\xff", b"\xff\xff"]


def test_a_saved_record_carries_a_checksum_of_its_whole_content(recorded):
    out, runs = recorded
    d = json.loads((runs_dir(out) / f"{runs[0].run_id}.json").read_text())
    assert d["schema"] == SCHEMA == 2 and d["checksum"] == content_checksum(d)
    assert RunRecord.from_dict(d).to_dict() == d  # the round trip is exact
    d["metrics"]["train_accuracy"] = d["metrics"]["train_accuracy"] / 2
    assert record_problems(d) == [
        "its content does not match its checksum (edited after it was written?)"]


@pytest.mark.parametrize("warnings, ok", [
    ([{"category": "RuntimeWarning", "message": "silent", "count": 2}], True),
    ([], False),  # none is written as no field, not an empty list
    ([{"category": "RuntimeWarning", "message": "silent", "count": 0}], False),
    ([{"category": "", "message": "silent", "count": 1}], False),
    ([{"category": "RuntimeWarning", "message": "silent"}], False),
    ({"category": "RuntimeWarning", "message": "silent", "count": 1}, False),
])
def test_a_records_warnings_are_checked_and_round_trip(recorded, warnings, ok):
    out, runs = recorded
    d = json.loads((runs_dir(out) / f"{runs[0].run_id}.json").read_text())
    d["warnings"] = warnings
    d["checksum"] = content_checksum(d)
    problems = record_problems(d)
    if ok:
        assert problems == []
        assert RunRecord.from_dict(d).to_dict() == d
    else:
        assert problems == [f"field 'warnings' has a wrong type or value: {warnings!r:.60}"]


@pytest.mark.parametrize("where", ["results", "results-multiclass/results",
                                   "results-tuned/results"])
def test_the_committed_records_are_all_valid(where):
    """The shipped results (schema 1, written before records carried a checksum) pass the
    validation that damaged ones fail, and load and serialise back unchanged."""
    from pathlib import Path

    runs = Path(__file__).resolve().parent.parent / where / "runs"
    paths = sorted(runs.glob("*.json"))
    assert paths
    for p in paths:
        d = json.loads(p.read_text())
        assert record_problems(d, p.stem) == [], p
        assert RunRecord.from_dict(d, p.stem).to_dict() == d, p


@pytest.mark.parametrize("garbage", [b"\x00\xff\xfe binary", b'{"run_ids": 3}', b"[]"])
def test_a_damaged_manifest_is_set_aside_and_every_record_used(recorded, garbage, capsys):
    out, runs = recorded
    manifest = out / "results" / "manifest.json"
    manifest.write_bytes(garbage)
    assert {r.run_id for r in selected_records(out)} == {r.run_id for r in runs}
    assert (invalid_dir(out) / "manifest.json").read_bytes() == garbage
    assert main(["figures", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err


# ------------------------------------------------------------ spec values


def _spec(model: str, params: str = "", options: str = "") -> str:
    return textwrap.dedent(f"""
        [experiment]
        plugins = ["{TEST_PLUGIN}"]
        [options]
        {options}
        [[models]]
        name = "{model}"
        params = {{ {params} }}
        [[sweep]]
        tasks = ["xor"]
        seeds = [0]
        n_train = 10
        n_test = 10
        analyses = ["robustness"]
    """)


SPEC_VALUES = [
    # (model, params, options, words in the message)
    ("mlp-seed", "epochs = -5", "", ["epochs", "-5"]),
    ("mlp-seed", 'activation = "gelu"', "", ["activation", "gelu"]),
    ("test-centroid", "n_prototypes = 0", "", ["n_prototypes"]),
    ("test-centroid", "", "noise_sd = [nan]", ["options.noise_sd[0]", "finite"]),
    ("test-centroid", "", "ablation_fractions = [inf]", ["options.ablation_fractions[0]"]),
    ("snn-stdp", "n_hidden = 0", "", ["n_hidden"]),
    ("snn-stdp", "network_params = { bogus = 1 }", "", ["bogus"]),
]


@pytest.mark.parametrize("model,params,options,words", SPEC_VALUES)
def test_invalid_model_values_are_spec_errors_at_dry_run(tmp_path, test_models, capsys, model,
                                                         params, options, words):
    path = tmp_path / "bad.toml"
    path.write_text(_spec(model, params, options))
    with pytest.raises(SpecError):
        load_spec(path)
    assert main(["run", str(path), "--dry-run", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def test_a_partial_nested_override_keeps_the_registered_values(tmp_path, test_models):
    """params = {network_params = {noise_mv = 1.0}} on snn-stdp keeps w_out_mv = 160."""
    path = tmp_path / "nested.toml"
    path.write_text(_spec("snn-stdp", "network_params = { noise_mv = 1.0 }"))
    (run,) = resolve_runs([load_spec(path)])
    assert run.params["network_params"]["noise_mv"] == 1.0
    assert run.params["network_params"]["w_out_mv"] == 160.0
    assert run.overrides == {"network_params": {"noise_mv": 1.0}}


_OPTION_VALUES = st.one_of(
    st.integers(-5, 50), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3),
    st.booleans(), st.lists(st.one_of(st.floats(allow_nan=True), st.integers(-2, 3),
                                      st.text(max_size=2)), max_size=4),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(["boundary_grid", "curve_eval_samples", "noise_sd",
                            "ablation_fractions", "train_eval_samples", "weight_bins"]),
       value=_OPTION_VALUES)
def test_any_option_value_parses_to_a_valid_option_or_a_spec_error(key, value):
    from conftest import registered_test_models

    data = {"experiment": {"plugins": [TEST_PLUGIN]}, "options": {key: value},
            "models": [{"name": "test-centroid"}],
            "sweep": [{"tasks": ["xor"], "seeds": [0], "n_train": 5, "n_test": 5}]}
    with registered_test_models():
        try:
            spec = parse_spec(data, "h.toml")
        except SpecError as exc:
            assert "h.toml" in str(exc) and f"options.{key}" in str(exc)
            return
    v = spec.options[key]
    if isinstance(v, list):
        assert v and all(math.isfinite(x) and x >= 0 for x in v)
        if key == "ablation_fractions":
            assert all(x < 1 for x in v)
    else:
        assert isinstance(v, int) and not isinstance(v, bool) and v >= 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(["n_prototypes", "epochs", "learning_rate", "temperature"]),
       value=st.one_of(st.integers(-3, 5), st.floats(allow_nan=True, allow_infinity=True),
                       st.text(max_size=3), st.booleans()))
def test_any_model_value_parses_to_a_valid_model_or_a_spec_error(key, value):
    from conftest import registered_test_models

    data = {"experiment": {"plugins": [TEST_PLUGIN]},
            "models": [{"name": "test-centroid", "params": {key: value}}],
            "sweep": [{"tasks": ["xor"], "seeds": [0], "n_train": 5, "n_test": 5}]}
    with registered_test_models():
        try:
            spec = parse_spec(data, "h.toml")
        except SpecError as exc:
            assert "h.toml" in str(exc) and key in str(exc)
            return
    v = spec.models[0].resolved[key]
    assert not isinstance(v, bool) and v > 0 and math.isfinite(v)


# ------------------------------------------------------------ the command line


def test_out_that_is_a_file_or_under_a_file_exits_2(tmp_path, quick, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    for out in (f, f / "sub" / "dir"):
        for extra in ([], ["--dry-run"]):
            assert main(["run", str(quick), "--out", str(out), *extra]) == 2
            err = capsys.readouterr().err
            assert f"{f} is a file" in err and "Traceback" not in err
    assert main(["figures", str(f / "sub")]) == 2
    assert "is a file" in capsys.readouterr().err


def _read_only_dir(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        (ro / "probe").write_text("x")
    except OSError:
        return ro
    (ro / "probe").unlink()
    if os.path.isdir("/sys"):
        try:  # running as root: chmod does not stop writes; /sys is read-only to root too
            open("/sys/brainlearn-probe", "w").close()
        except OSError:
            return "/sys"
    pytest.skip("no read-only directory available here")


def test_read_only_out_exits_2_and_writes_nothing(tmp_path, quick, capsys):
    ro = _read_only_dir(tmp_path)
    assert main(["run", str(quick), "--out", str(ro), "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert f"--out {ro}: cannot write there" in err and "Traceback" not in err


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "results/runs/x.json")


def test_a_full_disk_during_run_exits_2_and_keeps_the_records(tmp_path, quick, monkeypatch,
                                                               capsys):
    from pathlib import Path

    import brainlearn.runner.storage as storage

    out = tmp_path / "out"
    real = storage.write_json_atomic
    calls = []

    def fill_up(path, obj):
        if Path(path).parent == runs_dir(out):  # a run record (not the manifest)
            calls.append(path)
        if len(calls) > 2:  # the third record finds the disk full
            _enospc()
        return real(path, obj)

    monkeypatch.setattr(storage, "write_json_atomic", fill_up)
    assert main(["run", str(quick), "--out", str(out), "-j", "1", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert "The 2 run records" in err and "intact" in err
    kept = {p.name: p.read_bytes() for p in runs_dir(out).iterdir()}
    assert len(kept) == 2 and all(not record_problems(json.loads(b)) for b in kept.values())

    monkeypatch.undo()
    assert main(["run", str(quick), "--out", str(out), "-j", "1", "--no-figures"]) == 0
    assert "2 already recorded, 1 to do" in capsys.readouterr().err
    for name, blob in kept.items():
        assert (runs_dir(out) / name).read_bytes() == blob


def test_a_full_disk_while_drawing_exits_2_and_keeps_the_records(recorded, monkeypatch,
                                                                 capsys):
    out, runs = recorded
    before = {p.name: p.read_bytes() for p in runs_dir(out).iterdir()}
    monkeypatch.setattr("matplotlib.figure.Figure.savefig", _enospc)
    assert main(["figures", str(out)]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "intact" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in runs_dir(out).iterdir()} == before


def test_a_spec_that_is_not_utf8_is_a_spec_error(tmp_path, capsys):
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('[experiment]\nname = "caf\u00e9"\n'.encode("latin-1"))
    assert main(["run", str(bad), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "UTF-8" in err and "Traceback" not in err


@pytest.mark.parametrize("address,words", [
    ("notanaddress", ["no host:port"]),
    ("tcp://host:abc", ["port 'abc'"]),
    ("foo://x", ["unknown scheme 'foo'"]),
    ("", ["empty"]),
])
def test_a_malformed_scheduler_address_exits_2(quick, tmp_path, address, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(quick), "--out", str(tmp_path), "--scheduler", address])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and "Traceback" not in err
    for w in words:
        assert w in err


# ------------------------------------------------------------ figures


def test_a_spec_without_compute_cost_draws_and_updates_the_readme(tmp_path, quick, capsys):
    """Formerly: 'Data cannot be log-scaled' after the runs, and no README update."""
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:start -->\n<!-- results:end -->\n")
    out = tmp_path / "out"
    assert main(["run", str(quick), "--out", str(out), "-j", "1", "--readme",
                 str(readme)]) == 0
    err = capsys.readouterr().err
    assert "FAILED" not in err and "Traceback" not in err
    assert (out / "figures" / "compute_cost.png").is_file()
    assert "| xor |" in readme.read_text()


def test_one_failing_figure_does_not_stop_the_others_or_the_readme(recorded, monkeypatch,
                                                                   capsys):
    out, _ = recorded
    readme = out / "README.md"
    readme.write_text("<!-- results:start -->\n<!-- results:end -->\n")

    def broken(records, out_dir):
        raise ValueError("a bug in this figure")

    monkeypatch.setattr("brainlearn.figures.accuracy.accuracy_by_task", broken)
    assert main(["figures", str(out), "--readme", str(readme)]) == 1
    err = capsys.readouterr().err
    assert "figure accuracy_by_task FAILED: ValueError: a bug in this figure" in err
    assert (out / "figures" / "compute_cost.png").is_file()
    assert "| xor |" in readme.read_text()


def test_importing_the_figures_leaves_the_matplotlib_backend_alone():
    code = textwrap.dedent("""
        import matplotlib
        matplotlib.use("svg")
        import brainlearn.figures, brainlearn.figures.build, brainlearn.figures.style
        for name in brainlearn.figures.build.FIGURES:
            brainlearn.figures.build.figure_function(name)
        print(matplotlib.get_backend())
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=subprocess_env(), timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "svg"


# ------------------------------------------------------------ processes


def test_workers_exit_when_the_run_is_killed_with_sigkill(tmp_path, quick):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "brainlearn", "run", str(quick), "--out", str(out),
           "--jobs", "2", "--no-figures"]
    proc = subprocess.Popen(cmd, env=subprocess_env(BRAINLEARN_TEST_SLEEP_S=120),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 90
    workers = []
    while time.monotonic() < deadline and len(workers) < 2:
        time.sleep(0.2)
        workers = [c for c in parent.children(recursive=True)
                   if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2, parent.children(recursive=True)
    children = parent.children(recursive=True)
    time.sleep(1.0)  # the workers are inside their (two-minute) fits
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(children, timeout=20)
    for p in alive:  # do not leave them behind if the test fails
        p.kill()
    assert not alive, [p.cmdline() for p in alive]


# ------------------------------------------------------------ capabilities


def test_a_model_without_the_extras_runs_every_analysis_or_skips_it(tmp_path, test_models):
    """A plain scikit-learn classifier (the "reference" family of issue 8) goes through
    the runner: what it cannot do is skipped with a note naming the capability."""
    from brainlearn.figures.build import build_figures
    from brainlearn.registry import register_model, unregister_model

    spec = register_model("test-logreg", "reference", "sklearn.linear_model:LogisticRegression",
                          "test-only reference", C=1.0)
    try:
        path = tmp_path / "ref.toml"
        path.write_text(QUICK.replace("test-centroid", "test-logreg").replace(
            "n_test = 20", 'n_test = 20\nanalyses = ["decision_boundaries", "learning_curves", '
                           '"spike_raster", "receptive_fields", "compute_cost", "robustness", '
                           '"weight_evolution"]'))
        runs = resolve_runs([load_spec(path)])
        assert run_sweep(runs, tmp_path, jobs=1).ok  # no analysis failed
        rec = load_records(tmp_path)[0]
    finally:
        unregister_model(spec.name)
    a = rec.analyses
    assert len(a["decision_boundaries"]["proba"]) == 41
    assert a["robustness"]["noise_accuracy"] and a["robustness"]["removed_accuracy"] == {}
    for name, needs in [("learning_curves", "eval_set"), ("spike_raster", "record_spikes"),
                        ("receptive_fields", "hidden_response"),
                        ("compute_cost", "ops_per_sample"),
                        ("weight_evolution", "weight_history_")]:
        assert needs in a[name]["skipped"], (name, a[name])
    result = build_figures(tmp_path, records=[rec])
    assert not [k for k, v in result.items() if "failed" in v], result


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    from brainlearn import _io

    p = tmp_path / "r.json"
    _io.write_json_atomic(p, {"a": 1})
    monkeypatch.setattr(_io.os, "fsync", _enospc)
    with pytest.raises(OSError, match="No space"):
        _io.write_json_atomic(p, {"a": 2})
    assert json.loads(p.read_text()) == {"a": 1}
    assert [q.name for q in tmp_path.iterdir()] == ["r.json"]
