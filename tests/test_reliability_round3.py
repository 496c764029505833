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

import json
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


def _descendants_named(proc, names):
    """The descendants of ``proc`` whose process name is one of ``names`` (those that end
    while being listed are left out)."""
    import psutil

    found = []
    for c in proc.children(recursive=True):
        try:
            if c.name() in names:
                found.append(c)
        except psutil.Error:
            continue
    return found


def _wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


@pytest.mark.slow  # about 10 s each: two worker processes start and are killed
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
    assert not _survivors_of_kill_9(psutil, script, lambda c: c.name() == "sleep")


def _survivors_of_kill_9(psutil, script: str, is_child, settle_s: float = 0.0) -> list:
    """Start ``script`` in a Python process, wait for its child that ``is_child``, kill -9
    the Python process; the children still alive 10 s later (killed before returning)."""
    proc = subprocess.Popen([sys.executable, "-c", script], env=subprocess_env())
    parent = psutil.Process(proc.pid)
    try:
        found = _wait_for(lambda: [c for c in parent.children() if is_child(c)], 60)
        assert found
        time.sleep(settle_s)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        _, alive = psutil.wait_procs(found, timeout=10)
    finally:
        proc.kill()
    for p in alive:
        p.kill()
    return alive


def test_a_self_tied_program_is_told_its_parent_and_dies_with_it():
    """``self_tied=True`` (how the compiled networks are started): no ``preexec_fn`` runs in
    the child; the program gets this process's pid in ``BRAINLEARN_PARENT_PID`` and asks
    for its death signal itself (here a Python stand-in does what the C++ ``main`` does)."""
    psutil = pytest.importorskip("psutil")
    from brainlearn._proc import PARENT_PID_VARIABLE, run_tied

    told = run_tied([sys.executable, "-c",
                     f"import os; print(os.environ[{PARENT_PID_VARIABLE!r}])"], self_tied=True)
    assert told.stdout.strip() == str(os.getpid())
    child = ("import ctypes, os, time; libc = ctypes.CDLL(None); "
             "libc.prctl(1, 9, 0, 0, 0); "
             f"assert os.getppid() == int(os.environ[{PARENT_PID_VARIABLE!r}]); time.sleep(300)")
    script = ("import sys; from brainlearn._proc import run_tied; "
              f"run_tied([sys.executable, '-c', {child!r}], self_tied=True)")
    # settle: past the child's prctl
    assert not _survivors_of_kill_9(
        psutil, script, lambda c: "time.sleep(300)" in " ".join(_cmd(psutil, c)), 0.5)


def _cmd(psutil, proc) -> list[str]:
    try:
        return proc.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return []


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
    """The pre-build compiles a program (5-15 s); SIGTERM must not wait for it."""
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
        # the signal comes while the compiler runs (a build takes 3-15 s, its compile
        # step 2-10 s: a fixed wait could let a fast build and the tiny run finish first)
        compilers = _wait_for(lambda: _descendants_named(parent, {"make", "cc1plus", "g++",
                                                                  "c++"}), 120, step=0.02)
        assert compilers
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


# ------------------------------------------------------------------ inputs


def test_a_network_too_large_for_memory_is_refused_at_dry_run(tmp_path, capsys):
    spec = tmp_path / "big.toml"
    spec.write_text(textwrap.dedent("""
        [experiment]
        name = "big"
        [[models]]
        name = "snn-stdp"
        params = { n_hidden = 100000000 }
        [[sweep]]
        tasks = ["xor"]
        seeds = 1
        n_train = 20
        n_test = 20
    """))
    assert main(["run", str(spec), "--dry-run", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "'snn-stdp' on task 'xor'" in err and "GiB of memory" in err
    assert "n_hidden" in err and "Traceback" not in err


def test_program_memory_counts_the_synapses_of_each_pattern():
    from brainlearn.runner.models import build_model

    program = build_model("snn-stdp", {"n_hidden": 7}).programs(2, 2)[0]
    spec = program.spec
    n_aff, h, n_eff = spec.n_afferent, 7, spec.n_efferent
    per_class = spec.net.n_per_class
    expected = (n_aff * h  # afferent -> hidden, all
                + h  # hidden -> inhibitory, one to one
                + h * (h - 1)  # inhibitory -> hidden, all but self
                + h * n_eff  # hidden -> efferent, all
                + n_eff * (n_eff - per_class))  # efferent -> efferent, other class
    synapses, n_bytes = program.memory()
    assert synapses == expected
    assert n_bytes > 24 * synapses


PLUGINS = {
    "raises": ("raise RuntimeError('boom in plugin')", "RuntimeError: boom in plugin"),
    "syntax": ("def f(:\n", "SyntaxError"),
    "exits": ("import sys\nsys.exit(3)", "calls sys.exit(3)"),
}


@pytest.mark.parametrize("kind", sorted(PLUGINS))
def test_a_broken_plugin_exits_2_naming_the_spec_and_the_plugin(tmp_path, monkeypatch, capsys,
                                                                kind):
    code, words = PLUGINS[kind]
    name = f"_bl_broken_plugin_{kind}"
    (tmp_path / f"{name}.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = tmp_path / "s.toml"
    spec.write_text(QUICK.replace(TEST_PLUGIN, name).replace("test-centroid", "mlp")
                    .replace("SEEDS", "1"))
    assert main(["run", str(spec), "--dry-run", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(spec) in err and repr(name) in err and words in err
    assert "Traceback" not in err


def test_a_plugin_given_as_a_path_exits_2_with_the_module_name(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text(QUICK.replace(TEST_PLUGIN, "./myplugin.py").replace("test-centroid", "mlp")
                    .replace("SEEDS", "1"))
    assert main(["run", str(spec), "--dry-run", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(spec) in err and "'./myplugin.py'" in err and "'myplugin'" in err


def test_deeply_nested_toml_exits_2_without_recursion_error(tmp_path, capsys):
    spec = tmp_path / "deep.toml"
    spec.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    assert main(["run", str(spec), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert str(spec) in err and "nested too deeply" in err and "Recursion" not in err


def test_nan_predictions_fail_the_run_instead_of_scoring_zero(tmp_path, quick, monkeypatch,
                                                              capsys):
    import numpy as np

    import _brainlearn_testmodels as tm
    from brainlearn._paths import failed_dir, runs_dir

    monkeypatch.setattr(tm.PrototypeCentroidClassifier, "predict",
                        lambda self, X: np.full(len(X), np.nan))
    out = tmp_path / "out"
    assert main(["run", str(quick), "--out", str(out), "-j", "1", "--no-figures"]) == 1
    assert not list(runs_dir(out).glob("*.json"))
    failed = list(failed_dir(out).glob("*.json"))
    assert len(failed) == 3
    assert "predicted NaN or infinity for 20 of 20 test samples" in failed[0].read_text()


@pytest.mark.parametrize("transform, outcome", [
    (lambda X: X * 1e9, "error"), (lambda X: X - 1, "error"), (lambda X: X * 3, "warning")])
def test_the_surrogate_model_checks_its_input_like_the_spiking_one(transform, outcome):
    import warnings

    from brainlearn import load_task
    from brainlearn.surrogate.model import SurrogateSpikingClassifier

    split = load_task("moons", n_train=60, n_test=30, seed=0)
    X = transform(split.X_train)
    model = SurrogateSpikingClassifier(epochs=1, n_hidden=8, random_state=0)
    if outcome == "error":
        with pytest.raises(ValueError, match=r"none of the values of X lie in \[0, 1\]"):
            model.fit(X, split.y_train)
        model.fit(split.X_train, split.y_train)
        with pytest.raises(ValueError, match=r"none of the values of X lie in \[0, 1\]"):
            model.predict(transform(split.X_test))
    else:
        with pytest.warns(UserWarning, match=r"lie outside \[0, 1\]"):
            model.fit(X, split.y_train)
        with pytest.warns(UserWarning, match=r"lie outside \[0, 1\]"):
            model.predict(transform(split.X_test))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.predict(split.X_test)  # data in [0, 1]: no warning


# ------------------------------------------------------------------ files


def _labelled_spec(tmp_path, label: str) -> Path:
    spec = tmp_path / "labels.toml"
    spec.write_text(textwrap.dedent(f'''
        [experiment]
        name = "labels"
        plugins = ["{TEST_PLUGIN}"]
        [[models]]
        name = "test-centroid"
        label = {json.dumps(label)}
        [[models]]
        name = "test-spiking"
        label = "spiky"
        [[sweep]]
        tasks = ["xor"]
        seeds = 2
        n_train = 20
        n_test = 20
    '''))
    return spec


README = "# x\n\n<!-- results:start -->\nold\n<!-- results:end -->\n\ntail\n"


def test_labels_cannot_inject_into_the_readme(tmp_path, test_models):
    label = "evil | col <!-- results:end -->\n<!-- results:start -->injected"
    spec = _labelled_spec(tmp_path, label)
    readme = tmp_path / "README.md"
    readme.write_text(README)
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "-j", "1", "--no-figures",
                 "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.count("<!-- results:start -->") == 1 and text.count("<!-- results:end -->") == 1
    assert text.endswith("<!-- results:end -->\n\ntail\n") and "old" not in text
    block = text.split("<!-- results:start -->")[1].split("<!-- results:end -->")[0]
    header = next(line for line in block.splitlines() if line.startswith("| task |"))
    # three columns (task and two models): the label's pipe is escaped, not a separator
    assert len([c for c in header.replace("\\|", "").split("|")]) == 5, header
    assert "evil \\| col &lt;!-- results:end --&gt; &lt;!-- results:start --&gt;injected" in header


def test_a_block_whose_markers_appear_twice_is_refused_not_replaced_twice(tmp_path):
    from brainlearn._readme import update_readme

    readme = tmp_path / "README.md"
    readme.write_text(README + README)
    with pytest.raises(ValueError, match="appears 2 times"):
        update_readme(readme, "new")
    assert readme.read_text() == README + README


def test_figures_that_are_symlinks_are_replaced_not_followed(tmp_path, quick):
    out = tmp_path / "out"
    assert main(["run", str(quick), "--out", str(out), "-j", "1", "--no-figures"]) == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    figs = out / "figures"
    figs.mkdir()
    names = ["accuracy_by_task.png", "accuracy_by_task.svg", "captions.md"]
    for name in names:
        (outside / name).write_text("precious")
        (figs / name).symlink_to(outside / name)
    assert main(["figures", str(out)]) == 0
    for name in names:
        assert (outside / name).read_text() == "precious"
        assert not (figs / name).is_symlink() and (figs / name).stat().st_size > 0


def test_a_full_disk_names_the_file_being_written(tmp_path, quick, monkeypatch, capsys):
    import errno

    import brainlearn._io as io

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as fsync says it: no name

    monkeypatch.setattr(io.os, "fsync", full)
    out = tmp_path / "out"
    assert main(["run", str(quick), "--out", str(out), "-j", "1", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert f"cannot write {out / 'results' / 'manifest.json'}" in err, err
    assert not list((out / "results").glob(".*.tmp"))


def test_records_left_out_of_the_tables_are_named_with_how_to_include_them(
        tmp_path, quick, capsys):
    out = tmp_path / "out"
    assert main(["run", str(quick), "--out", str(out), "-j", "1", "--no-figures"]) == 0
    other = tmp_path / "other.toml"
    other.write_text(QUICK.replace("test-centroid", "test-spiking").replace("SEEDS", "2"))
    capsys.readouterr()
    assert main(["run", str(other), "--out", str(out), "-j", "1", "--no-figures"]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "3 of the 5 records under" in err and "test-centroid on xor seed 0" in err
    assert f"brainlearn figures {out} --all" in err

    import json as _json

    manifest = out / "results" / "manifest.json"
    m = _json.loads(manifest.read_text())
    m["run_ids"] = ["nosuchrun1", "nosuchrun2"]
    manifest.write_text(_json.dumps(m))
    assert main(["figures", str(out)]) in (0, 1)
    err = " ".join(capsys.readouterr().err.split())
    assert "2 of the 2 runs that" in err and "nosuchrun1" in err and "have no record" in err
    assert "5 of the 5 records under" in err


@pytest.mark.parametrize("command", [["run", "QUICK"], ["figures"]])
def test_a_results_path_that_is_a_symlink_loop_exits_2(tmp_path, quick, capsys, command):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results").symlink_to(out / "loop")
    (out / "loop").symlink_to(out / "results")
    argv = [str(quick) if a == "QUICK" else a for a in command]
    assert main([*argv, str(out) if command == ["figures"] else "--out", *(
        [] if command == ["figures"] else [str(out)])]) == 2
    err = capsys.readouterr().err
    assert f"{out / 'results'} is a symbolic link loop" in err and "Traceback" not in err


def _unwritable_cache(tmp_path) -> Path:
    """A cache directory that cannot be created, even by root: under a file."""
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    return blocker / "cache"


def test_a_read_only_build_cache_stops_the_runner_with_a_message(tmp_path, quick, monkeypatch,
                                                                 capsys):
    monkeypatch.setenv("BRAINLEARN_CACHE", str(_unwritable_cache(tmp_path)))
    assert main(["run", str(quick), "--out", str(tmp_path / "out"), "-j", "1"]) == 2
    err = capsys.readouterr().err
    assert "cannot write the build cache $BRAINLEARN_CACHE=" in err and "Traceback" not in err


def test_a_read_only_build_cache_falls_back_with_a_warning_in_the_library(tmp_path,
                                                                           monkeypatch):
    import tempfile

    from brainlearn import _paths
    from brainlearn.snn.build import cache_root

    bad = _unwritable_cache(tmp_path)
    monkeypatch.setenv("BRAINLEARN_CACHE", str(bad))
    with pytest.warns(RuntimeWarning, match="cannot be written"):
        root = cache_root()
    assert root.parent == Path(tempfile.gettempdir()) / f"brainlearn-cache-{os.getuid()}"
    assert _paths.cache_problem(root.parent) is None


def test_no_file_is_created_or_written_through_a_link_in_results(tmp_path, quick):
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    (out / "results" / "runs").mkdir(parents=True)
    (out / "results" / ".sweep.lock").symlink_to(outside / "lock")
    (out / "results" / "summary.csv").symlink_to(outside / "summary.csv")
    (outside / "summary.csv").write_text("precious")
    assert main(["run", str(quick), "--out", str(out), "-j", "1", "--no-figures"]) == 0
    assert sorted(p.name for p in outside.iterdir()) == ["summary.csv"]
    assert (outside / "summary.csv").read_text() == "precious"
    assert not (out / "results" / "summary.csv").is_symlink()
