"""Issue 19 (reliability, third round): no orphaned programs, no bad input taken silently,
nothing written through links.

Processes: compiled programs die with their parent, stale run directories are removed,
SIGTERM during the pre-build exits at once, ``--jobs`` is capped. Inputs: oversized
networks refused at --dry-run, the surrogate model checks its input like the spiking one,
broken plugins and deeply nested TOML exit 2, NaN predictions fail the run. Files: no
write through a symlink, README blocks cannot be injected, ignored records are named,
unusable paths and caches give a message, a full disk names its file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from brainlearn.cli import main
from conftest import TEST_PLUGIN, subprocess_env

QUICK = textwrap.dedent(f"""
    [experiment]
    name = "quick"
    plugins = ["{TEST_PLUGIN}"]

    [[models]]
    name = "test-centroid"

    [[sweep]]
    tasks = ["xor"]
    seeds = SEEDS
    n_train = 20
    n_test = 20
""")


@pytest.fixture
def quick(tmp_path, test_models):
    p = tmp_path / "quick.toml"
    p.write_text(QUICK.replace("SEEDS", "3"))
    return p


# ------------------------------------------------------------------ processes


def _wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_a_run_leaves_no_program_running(tmp_path, quick, sig):
    """``brainlearn run --jobs 2`` killed while its workers' programs run: the programs
    (started like the compiled networks) die too, not orphaned to init."""
    psutil = pytest.importorskip("psutil")
    cmd = [sys.executable, "-m", "brainlearn", "run", str(quick), "--out",
           str(tmp_path / "out"), "--jobs", "2", "--no-figures"]
    proc = subprocess.Popen(cmd, env=subprocess_env(BRAINLEARN_TEST_PROGRAM_S=300),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)

    def programs():
        found = [c for c in parent.children(recursive=True) if c.name() == "sleep"]
        return found if len(found) == 2 else None

    try:
        found = _wait_for(programs, 90)
        assert found, parent.children(recursive=True)
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        _, alive = psutil.wait_procs(found, timeout=15)
    finally:
        for p in parent.children(recursive=True) if proc.poll() is None else []:
            p.kill()
        proc.kill()
    for p in alive:  # do not leave them behind if the test fails
        p.kill()
    assert not alive, [(p.pid, p.ppid()) for p in alive]


def test_a_killed_python_process_takes_its_program_with_it(tmp_path):
    """``kill -9`` of a user's Python process during a program run (as in ``fit``)."""
    psutil = pytest.importorskip("psutil")
    script = "from brainlearn._proc import run_tied; run_tied(['sleep', '300'])"
    proc = subprocess.Popen([sys.executable, "-c", script], env=subprocess_env())
    parent = psutil.Process(proc.pid)
    try:
        found = _wait_for(lambda: [c for c in parent.children() if c.name() == "sleep"], 60)
        assert found
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        _, alive = psutil.wait_procs(found, timeout=10)
    finally:
        proc.kill()
    for p in alive:
        p.kill()
    assert not alive


def test_kill_running_stops_a_program_group_at_once(tmp_path):
    """What the pre-build does on SIGTERM: the build (and what it started) is killed, the
    thread waiting for it returns a failed process at once."""
    from brainlearn._proc import kill_running, run_tied

    result = {}
    script = "import subprocess, time; subprocess.Popen(['sleep', '300']); time.sleep(300)"
    t = threading.Thread(target=lambda: result.setdefault(
        "p", run_tied([sys.executable, "-c", script], new_group=True)))
    t.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    assert kill_running() == 1
    t.join(10)
    assert not t.is_alive() and time.monotonic() - t0 < 5
    assert result["p"].returncode == -signal.SIGKILL


@pytest.mark.slow
def test_sigterm_during_the_prebuild_exits_promptly(tmp_path):
    """The pre-build compiles a program (40-90 s); SIGTERM must not wait for it."""
    psutil = pytest.importorskip("psutil")
    spec = tmp_path / "snn.toml"
    spec.write_text(textwrap.dedent("""
        [experiment]
        name = "snn"
        [[models]]
        name = "snn-stdp"
        params = { n_hidden = 11 }
        [[sweep]]
        tasks = ["xor"]
        seeds = 1
        n_train = 20
        n_test = 20
    """))
    env = subprocess_env(BRAINLEARN_CACHE=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "brainlearn", "run", str(spec), "--out",
                             str(tmp_path / "out"), "--jobs", "1", "--no-figures"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    parent = psutil.Process(proc.pid)
    try:
        builders = _wait_for(lambda: [c for c in parent.children(recursive=True)
                                      if "brainlearn.snn.build" in " ".join(c.cmdline())],
                             120)
        assert builders
        group = parent.children(recursive=True)
        time.sleep(3.0)  # the compiler is running
        group = parent.children(recursive=True)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        took = time.monotonic() - t0
        _, alive = psutil.wait_procs(group, timeout=10)
    finally:
        proc.kill()
    for p in alive:
        p.kill()
    assert proc.returncode == 130
    assert took < 5, took
    assert not alive, [p.cmdline() for p in alive]


def test_stale_run_directories_are_removed_on_next_use(tmp_path):
    from brainlearn.snn import cache

    build = tmp_path / "build"
    runs = build / "runs"
    runs.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = cache.run_prefix().split("-")[1]
    mine = runs / f"{cache.run_prefix()}abc123"
    gone = runs / f"run-{host}-{dead.pid}-k2j4h5"
    other_host = runs / f"run-elsewhere-{dead.pid}-k2j4h5"
    old_style = runs / "run-ab12cd34"
    for d in (mine, gone, other_host, old_style):
        d.mkdir()
        (d / "in_rates_ta.dat").write_bytes(b"x" * 10)
    os.utime(old_style, (time.time() - 2 * 86400,) * 2)
    assert cache.remove_stale_runs(build) == 2
    assert sorted(p.name for p in runs.iterdir()) == sorted([mine.name, other_host.name])


def test_jobs_above_the_runs_and_the_cpus_are_capped_with_a_note(tmp_path, quick, capsys):
    out = tmp_path / "out"
    assert main(["run", str(quick), "--out", str(out), "--jobs", "1000", "--dry-run"]) == 0
    err = capsys.readouterr()
    cpus = len(os.sched_getaffinity(0))
    text = err.out + err.err
    assert f"--jobs 1000 capped to {min(3, cpus)}" in text
    assert main(["run", str(quick), "--out", str(out), "--jobs", "1000", "--no-figures"]) == 0
    err = capsys.readouterr().err
    assert f"--jobs 1000 capped to {min(3, cpus)}" in err
    assert f"with {min(3, cpus)} process(es)" in err
