"""Sweeps: records are written atomically, resumed after crashes, deterministic, and the same
in this process, in local worker processes and on a Dask cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from brainlearn.runner.execute import execute_run
from brainlearn.runner.spec import load_spec, resolve_runs
from brainlearn.runner.storage import (
    failed_dir,
    load_records,
    read_summary_csv,
    recorded_ids,
    runs_dir,
    summary_rows,
    write_json_atomic,
    write_summary_csv,
)
from brainlearn.runner.sweep import run_sweep
from conftest import subprocess_env

#: parts of a record that legitimately differ between two runs of one configuration (a
#: model may warn once per process, so the warnings depend on what ran before a run there)
VOLATILE = {"timings", "environment", "created", "worker", "checksum", "warnings"}


def numbers(rec):
    return {k: v for k, v in rec.to_dict().items() if k not in VOLATILE}


def by_id(out):
    return {r.run_id: numbers(r) for r in load_records(out)}


@pytest.fixture
def runs(tiny_spec, test_models):
    return resolve_runs([load_spec(tiny_spec)])


def test_a_sweep_records_every_run_with_its_payloads(tmp_path, runs):
    report = run_sweep(runs, tmp_path, jobs=1)
    assert report.ok and len(report.done) == len(runs) and report.skipped == 0
    recs = {r.run_id: r for r in load_records(tmp_path)}
    assert set(recs) == {r.run_id for r in runs}
    for cfg in runs:
        rec = recs[cfg.run_id]
        assert rec.config["run_id"] == cfg.run_id
        assert (rec.task, rec.model, rec.seed, rec.n_train) == (
            cfg.task, cfg.label, cfg.seed, cfg.n_train)
        assert 0.0 <= rec.metrics["test_accuracy"] <= 1.0
        assert set(rec.timings) >= {"fit_s", "predict_s", "predict_per_sample_s"}
        assert set(rec.environment) >= {"python", "numpy", "numba", "brian2", "git_commit"}
        assert rec.history["samples_seen"]
        a = rec.analyses
        if "decision_boundaries" in cfg.analyses:
            if cfg.task == "xor":
                assert np.asarray(a["decision_boundaries"]["proba"]).shape == (11, 11)
                assert np.asarray(a["receptive_fields"]["responses"]).shape[1:] == (7, 7)
            else:  # 30-D: no map over the input square
                assert "skipped" in a["decision_boundaries"]
            assert len(rec.history["eval_accuracy"]) == len(rec.history["samples_seen"])
            assert rec.ops_per_sample
            rob = a["robustness"]
            assert len(rob["noise_accuracy"]) == 2 and rob["samples"] == 50
            assert rob["removed_accuracy"]["synapses"][0] == rec.metrics["test_accuracy"]
            if cfg.family == "snn":
                assert {"before", "after"} <= set(a["spike_raster"])
                assert a["weight_evolution"]["projections"]
            else:
                assert "skipped" in a["spike_raster"] and "skipped" in a["weight_evolution"]


def test_rerun_skips_recorded_runs(tmp_path, runs):
    run_sweep(runs, tmp_path, jobs=1)
    stamps = {p.name: p.stat().st_mtime_ns for p in runs_dir(tmp_path).iterdir()}
    report = run_sweep(runs, tmp_path, jobs=1)
    assert report.skipped == len(runs) and not report.done
    assert stamps == {p.name: p.stat().st_mtime_ns for p in runs_dir(tmp_path).iterdir()}


def test_a_failing_run_is_recorded_as_failed_and_redone_next_time(tmp_path, runs, monkeypatch):
    monkeypatch.setenv("BRAINLEARN_TEST_FAIL_SEED", "1")
    report = run_sweep(runs, tmp_path, jobs=1)
    seed1 = {r.run_id for r in runs if r.seed == 1}
    assert set(report.failed) == seed1
    assert recorded_ids(tmp_path) == {r.run_id for r in runs} - seed1
    failed = json.loads((failed_dir(tmp_path) / f"{next(iter(seed1))}.json").read_text())
    assert "injected failure" in failed["traceback"]
    before = {p.name: p.read_bytes() for p in runs_dir(tmp_path).iterdir()}

    monkeypatch.delenv("BRAINLEARN_TEST_FAIL_SEED")
    report = run_sweep(runs, tmp_path, jobs=1)
    assert set(report.done) == seed1 and report.skipped == len(runs) - len(seed1)
    assert not any(failed_dir(tmp_path).iterdir())  # the failure notes are cleared
    for name, blob in before.items():  # records of the first sweep are untouched
        assert (runs_dir(tmp_path) / name).read_bytes() == blob


def test_a_run_with_a_failed_analysis_is_kept_but_redone(tmp_path, runs, monkeypatch,
                                                          test_models):
    cls = test_models.PrototypeCentroidClassifier
    monkeypatch.setattr(cls, "ablated", lambda self, **kw: 1 / 0)
    report = run_sweep(runs, tmp_path, jobs=1)
    with_rob = {r.run_id for r in runs if "robustness" in r.analyses}
    assert set(report.incomplete) == with_rob
    rec = next(r for r in load_records(tmp_path) if r.run_id in with_rob)
    assert "ZeroDivisionError" in rec.errors["robustness"]
    assert "decision_boundaries" in rec.analyses  # the rest of the run is kept
    monkeypatch.undo()
    report = run_sweep(runs, tmp_path, jobs=1)
    assert set(report.done) == with_rob and report.ok


def test_same_config_gives_the_same_numbers(tmp_path, runs):
    run_sweep(runs, tmp_path / "a", jobs=1)
    run_sweep(runs, tmp_path / "b", jobs=1)
    a, b = by_id(tmp_path / "a"), by_id(tmp_path / "b")
    assert a.keys() == b.keys() and a == b


def test_local_processes_give_the_same_numbers_and_separate_caches(tmp_path, runs,
                                                                  monkeypatch):
    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "cache"))  # the library's cache
    run_sweep(runs, tmp_path / "one", jobs=1)
    report = run_sweep(runs, tmp_path / "two", jobs=2, worker_cache="separate")
    assert report.ok
    assert by_id(tmp_path / "one") == by_id(tmp_path / "two")
    workers = {(r.worker["pid"], r.worker["cache_dir"]) for r in
               load_records(tmp_path / "two")}
    caches = {c for _, c in workers}
    pids = {p for p, _ in workers}
    assert len(caches) == len(pids)  # one Brian2 build/cache directory per worker process
    assert all(c.startswith(str(tmp_path / "cache" / "worker-")) for c in caches)
    # shared (the default): one directory, the same numbers
    run_sweep(runs, tmp_path / "three", jobs=2)
    assert by_id(tmp_path / "three") == by_id(tmp_path / "one")
    assert {r.worker["cache_dir"] for r in load_records(tmp_path / "three")} == {
        str(tmp_path / "cache")}


def test_records_are_written_atomically_and_debris_is_ignored(tmp_path, runs):
    run_sweep(runs[:2], tmp_path, jobs=1)
    d = runs_dir(tmp_path)
    # what a writer killed mid-write leaves behind: a temporary file, a truncated record
    (d / f".{runs[2].run_id}.json.123.tmp").write_text('{"run_id": "')
    (d / f"{runs[3].run_id}.json").write_text('{"run_id": "trunc')
    assert recorded_ids(tmp_path) == {runs[0].run_id, runs[1].run_id}
    report = run_sweep(runs[:4], tmp_path, jobs=1)
    assert set(report.done) == {runs[2].run_id, runs[3].run_id}
    assert not list(d.glob(".*.tmp"))
    assert recorded_ids(tmp_path) == {r.run_id for r in runs[:4]}


def test_write_json_atomic_replaces_whole_files(tmp_path):
    p = tmp_path / "x" / "r.json"
    write_json_atomic(p, {"a": 1})
    write_json_atomic(p, {"a": [1, 2]})
    assert json.loads(p.read_text()) == {"a": [1, 2]}
    assert [q.name for q in p.parent.iterdir()] == ["r.json"]


def test_kill_minus_9_mid_sweep_then_resume(tmp_path, tiny_spec, test_models):
    """A sweep killed with SIGKILL keeps every finished record; the rerun does only the rest."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "brainlearn", "run", str(tiny_spec), "--out", str(out),
           "--jobs", "1", "--no-figures"]
    proc = subprocess.Popen(cmd, env=subprocess_env(BRAINLEARN_TEST_SLEEP_S=0.4),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if runs_dir(out).is_dir() and len(list(runs_dir(out).glob("*.json"))) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    survived = {p.name: p.read_bytes() for p in runs_dir(out).glob("*.json")}
    all_ids = {r.run_id for r in resolve_runs([load_spec(tiny_spec)])}
    assert 3 <= len(survived) < len(all_ids)
    for blob in survived.values():  # every record on disk is whole
        assert json.loads(blob)["run_id"]

    res = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"{len(survived)} already recorded" in res.stderr
    assert f"{len(all_ids) - len(survived)} to do" in res.stderr
    assert {p.stem for p in runs_dir(out).glob("*.json")} == all_ids
    for name, blob in survived.items():
        assert (runs_dir(out) / name).read_bytes() == blob
    assert len(read_summary_csv(out / "results" / "summary.csv")) == len(all_ids)


def test_time_budget_stops_between_runs_and_a_rerun_continues(tmp_path, runs, monkeypatch,
                                                              capsys):
    monkeypatch.setenv("BRAINLEARN_TEST_SLEEP_S", "0.2")
    report = run_sweep(runs, tmp_path, jobs=1, budget_s=0.5)
    assert 1 <= len(report.done) < len(runs) and report.not_started > 0
    assert "time budget reached" in capsys.readouterr().err
    monkeypatch.delenv("BRAINLEARN_TEST_SLEEP_S")
    report2 = run_sweep(runs, tmp_path, jobs=1)
    assert report2.skipped == len(report.done)
    assert recorded_ids(tmp_path) == {r.run_id for r in runs}


def test_progress_bar_only_on_a_terminal(tmp_path, runs):
    import io

    class Tty(io.StringIO):
        def isatty(self):
            return True

    quiet, tty = io.StringIO(), Tty()
    run_sweep(runs[:3], tmp_path / "q", jobs=1, stream=quiet)
    run_sweep(runs[:3], tmp_path / "t", jobs=1, stream=tty)
    assert "runs:" not in quiet.getvalue() and "\r" not in quiet.getvalue()
    assert "runs:" in tty.getvalue()  # the tqdm bar
    assert len(quiet.getvalue().splitlines()) <= 2


def test_summary_csv_round_trips(tmp_path, runs):
    run_sweep(runs, tmp_path, jobs=1)
    recs = load_records(tmp_path)
    path = write_summary_csv(recs, tmp_path / "summary.csv")
    rows = read_summary_csv(path)
    assert len(rows) == len(recs)
    acc = {r.run_id: r.metrics["test_accuracy"] for r in recs}
    assert rows == summary_rows(recs)  # the CSV gives back the rows it was written from
    for row in rows:
        assert row.test_accuracy == pytest.approx(acc[row.run_id])
        assert (row.macs_per_sample is None) != (row.synaptic_events_per_sample is None) \
            or row.n_train != 60


def test_a_run_keeps_its_warnings_in_its_record_and_the_sweep_counts_them(tmp_path, runs,
                                                                         monkeypatch):
    """A warning raised during a run goes to the run's record (``warnings``), whatever
    ran before in the process (the same warning is kept again in a later run), and the
    sweep's report says how many runs warned instead of the worker printing each."""
    import warnings as pywarnings

    monkeypatch.setenv("BRAINLEARN_TEST_WARN", "the hidden layer is silent 7 times")
    with pywarnings.catch_warnings(record=True) as shown:
        pywarnings.simplefilter("default")
        first = execute_run(runs[0].to_dict())
        again = execute_run(runs[0].to_dict())
    for rec in (first, again):
        (w,) = rec.warnings
        assert w == {"category": "RuntimeWarning", "count": 1, "during": "fit",
                     "message": f"the hidden layer is silent 7 times (seed {rec.seed}): "
                                "a diagnostic"}
    assert not [w for w in shown if "silent" in str(w.message)]  # kept, not printed
    # the record reads back with them
    report = run_sweep(runs, tmp_path, jobs=1)
    recs = load_records(tmp_path)
    assert all(r.warnings and r.warnings[0]["category"] == "RuntimeWarning" for r in recs)
    assert set(report.warnings) == {r.run_id for r in runs}
    line = report.warnings_summary()
    assert line.startswith(f"{len(runs)} runs raised {len(runs)} warnings (")
    assert f"{len(runs)} x RuntimeWarning: the hidden layer is silent # times (seed #)" in line
    monkeypatch.delenv("BRAINLEARN_TEST_WARN")
    quiet = run_sweep(runs, tmp_path / "quiet", jobs=1)
    assert quiet.warnings_summary() is None
    assert all(r.warnings is None for r in load_records(tmp_path / "quiet"))


def test_a_warning_raised_again_is_counted_and_a_failed_run_names_its_warnings(runs,
                                                                             monkeypatch):
    import warnings as pywarnings

    from brainlearn.runner.execute import WarningCounter

    seen = WarningCounter()
    with pywarnings.catch_warnings():
        pywarnings.simplefilter("always")
        pywarnings.showwarning = seen
        for _ in range(3):
            pywarnings.warn("again", RuntimeWarning, stacklevel=1)
        pywarnings.warn("other", UserWarning, stacklevel=1)
        seen.during = "predict test"
        pywarnings.warn("again", RuntimeWarning, stacklevel=1)
    assert seen.as_list() == [
        {"category": "RuntimeWarning", "message": "again", "count": 3, "during": "setup"},
        {"category": "UserWarning", "message": "other", "count": 1, "during": "setup"},
        {"category": "RuntimeWarning", "message": "again", "count": 1,
         "during": "predict test"}]
    # a run that warns and then fails: its traceback says what it warned
    monkeypatch.setenv("BRAINLEARN_TEST_WARN", "the efferent group is silent")
    monkeypatch.setenv("BRAINLEARN_TEST_FAIL_SEED", str(runs[0].seed))
    with pytest.raises(RuntimeError, match="injected failure") as err:
        execute_run(runs[0].to_dict())
    assert err.value.__notes__ == [
        "warnings raised before it failed: RuntimeWarning (fit): the efferent group is silent "
        f"(seed {runs[0].seed}): a diagnostic"]


def test_execute_run_refuses_a_config_resolved_by_other_code(runs):
    cfg = runs[0].to_dict()
    cfg["params"] = dict(cfg["params"], temperature=123.0)
    with pytest.raises(RuntimeError, match="other hyperparameters"):
        execute_run(cfg)


def test_dask_cluster_gives_the_same_records_as_a_local_run(tmp_path, runs, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path / "worker-caches"))
    run_sweep(runs, tmp_path / "local", jobs=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        report = run_sweep(runs, tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert report.ok and len(report.done) == len(runs)
    assert by_id(tmp_path / "local") == by_id(tmp_path / "dask")
    caches = {r.worker["cache_dir"] for r in load_records(tmp_path / "dask")}
    assert len(caches) == 2
    assert all(c.startswith(str(tmp_path / "worker-caches" / "dask-")) for c in caches)


def test_unreachable_scheduler_is_a_clear_error(tmp_path, runs, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("brainlearn.runner.executors.DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(RuntimeError, match="cannot connect to the Dask scheduler"):
        run_sweep(runs[:1], tmp_path, scheduler="tcp://127.0.0.1:1")


def test_a_dying_worker_process_fails_its_run_and_the_sweep_goes_on(tmp_path, runs,
                                                                     monkeypatch):
    """A worker killed mid-run (segfault, out of memory) breaks the pool: the runs it held
    are reported failed, a new pool does the rest, the rerun completes the sweep."""
    some = runs[6:9]  # seed-major: two runs of seed 0, then one of seed 1
    assert [r.seed for r in some] == [0, 0, 1]
    monkeypatch.setenv("BRAINLEARN_TEST_DIE_SEED", "1")
    report = run_sweep(some, tmp_path, jobs=2)
    dying = {r.run_id for r in some if r.seed == 1}
    assert dying <= set(report.failed)
    assert recorded_ids(tmp_path) == {r.run_id for r in some} - set(report.failed)
    monkeypatch.delenv("BRAINLEARN_TEST_DIE_SEED")
    report = run_sweep(some, tmp_path, jobs=2)
    assert report.ok and recorded_ids(tmp_path) == {r.run_id for r in some}


def test_sigterm_stops_the_workers_and_keeps_finished_runs(tmp_path, tiny_spec, test_models):
    psutil = pytest.importorskip("psutil")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "brainlearn", "run", str(tiny_spec), "--out", str(out),
           "--jobs", "2", "--no-figures"]
    # seed 0 runs are quick, seed 1 runs would take a minute: stop while they are in flight
    proc = subprocess.Popen(cmd, env=subprocess_env(BRAINLEARN_TEST_SLEEP_S="1:60"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    n_seed0 = 8
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if runs_dir(out).is_dir() and len(list(runs_dir(out).glob("*.json"))) >= n_seed0:
            break
        time.sleep(0.05)
    time.sleep(1.0)  # the workers have taken seed-1 runs
    children = psutil.Process(proc.pid).children(recursive=True)
    assert children
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive  # the workers were stopped, not left to finish their minute
    assert len(list(runs_dir(out).glob("*.json"))) == n_seed0
    for p in runs_dir(out).glob("*.json"):
        assert json.loads(p.read_text())["run_id"] == p.stem


def test_raster_samples_show_both_classes(tmp_path, runs):
    from brainlearn.runner.analyses import _alternating_classes

    np.testing.assert_array_equal(_alternating_classes(np.array([0, 0, 0, 1, 0, 1]), 3),
                                  [0, 3, 1])
    spiky = [r for r in runs if r.label == "spiky" and "spike_raster" in r.analyses][:1]
    run_sweep(spiky, tmp_path, jobs=1)
    raster = load_records(tmp_path)[0].analyses["spike_raster"]
    assert sorted(set(raster["y"])) == [0, 1] and raster["samples"] == 3
