"""The build cache of compiled networks: what the key hashes, and damaged builds.

The key is derived from the generated network, so it moves with an equation and stays with
a docstring. A build is verified before use (manifest of sizes and checksums) and rebuilt
when damaged; a program run that reports an error is a failure, never a result.

The damage tests share one real build of a tiny network (the engine tests' network, in the
suite's build cache), each on its own copy in a temporary cache; the rebuild they trigger
copies that pristine build instead of compiling again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

b2 = pytest.importorskip("brian2")

from brainlearn.snn import build  # noqa: E402
from brainlearn.snn.engines import ChunkInputs, NetworkState, StandaloneEngine  # noqa: E402
from brainlearn.snn.graph import NetworkSpec  # noqa: E402
from brainlearn.snn.plasticity import STDP, OjaHebbian, RewardSTDP  # noqa: E402
from brainlearn.snn.populations import NetworkParams  # noqa: E402


def _spec(readout=None, K=6, **net):
    # the network of tests/test_snn_engines.py and test_snn_program.py (same build key):
    # the build the damage tests copy is compiled once for all three
    base = dict(dt_ms=0.5, presentation_ms=20.0, n_per_feature=3, n_hidden=3, n_per_class=2)
    base.update(net)
    readout = readout or OjaHebbian()
    return NetworkSpec(n_features=2, chunk=K, net=NetworkParams(**base), hidden_rule=STDP(),
                       readout_rule=readout, supervised=not readout.needs_reward)


def test_a_build_process_imports_brian2_without_pylab(tmp_path):
    """The build child (``python -m brainlearn.snn.build build ...``) imports Brian2
    without its pylab star import (pyplot: about 0.4 s of a build); Brian2 has its
    NumPy names all the same. The build itself is replaced by a probe."""
    probe = textwrap.dedent("""
        import sys
        from brainlearn.snn import build

        def probe(spec, out_dir, pch_dir=None):
            import brian2
            out_dir.joinpath("probe").write_text(" ".join([
                str("matplotlib.pyplot" in sys.modules), str(hasattr(brian2, "linspace")),
                str(hasattr(brian2, "NeuronGroup"))]))

        build._build_in_this_process = probe
        sys.exit(build._main(sys.argv[1:]))
        """)
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(_spec().describe()))
    proc = subprocess.run([sys.executable, "-c", probe, "build", str(spec_file),
                           str(tmp_path)], env=build._python_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "probe").read_text() == "False True True"


# ------------------------------------------------------------------------------- key
def test_key_follows_the_compiled_code_not_parameter_values():
    spec = _spec()
    key = build.build_key(spec)
    assert build.build_key(_spec()) == key
    # parameter values are set on the command line: same program
    assert build.build_key(_spec(tau_m_ms=30.0, w_out_mv=100.0)) == key
    assert build.build_key(_spec(OjaHebbian(eta=0.3))) == key
    # shape, time step, chunk and the rules' code are compiled in
    assert build.build_key(_spec(n_hidden=4)) != key
    assert build.build_key(_spec(dt_ms=0.25)) != key
    assert build.build_key(_spec(K=4)) != key
    assert build.build_key(_spec(RewardSTDP())) != key
    assert build.build_key(dataclasses.replace(spec, copies=2)) != key
    assert build.build_key(dataclasses.replace(spec, plastic=False)) != key


def test_key_changes_when_an_equation_changes(monkeypatch):
    spec = _spec()
    key = build.build_key(spec)
    monkeypatch.setattr(STDP, "learn_on_pre", STDP.learn_on_pre.replace("eta_dep", "2 * eta_dep"))
    assert build.build_key(spec) != key
    monkeypatch.undo()
    from brainlearn.snn import populations

    monkeypatch.setattr(populations.Hidden, "threshold", "v > v_th + 2 * theta")
    assert build.build_key(spec) != key


def test_key_is_unchanged_by_a_docstring_or_message_edit(tmp_path):
    """A copy of the package with an edited docstring and error message gives the same
    key in a fresh process (the key does not hash source files)."""
    src = Path(build.__file__).resolve().parents[1]
    copy = tmp_path / "brainlearn"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__"))
    plast = copy / "snn" / "plasticity.py"
    text = plast.read_text()
    assert '"""Plasticity rules as small objects' in text
    text = text.replace('"""Plasticity rules as small objects',
                        '"""Edited docstring. Plasticity rules as small objects')
    text = text.replace("unknown plasticity rule", "no such plasticity rule")
    plast.write_text(text)
    code = textwrap.dedent("""
        import json, sys
        from brainlearn.snn.build import build_key
        from brainlearn.snn.graph import NetworkSpec
        import brainlearn.snn.plasticity as p
        print(json.dumps([build_key(NetworkSpec.from_description(json.loads(sys.argv[1]))),
                          p.__file__, (p.__doc__ or "")[:16]]))
    """)
    spec = _spec()
    out = subprocess.run([sys.executable, "-c", code, json.dumps(spec.describe())],
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    key, where, doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert where.startswith(str(tmp_path)) and doc.startswith("Edited docstring")
    assert key == build.build_key(spec)


# ------------------------------------------------------------------- program output
def _proc(code, out="", err=""):
    return subprocess.CompletedProcess(["main"], code, out, err)


def test_a_program_run_that_reports_an_error_is_a_failure():
    build.check_program_output(_proc(0, "", ""), Path("x"))
    with pytest.raises(build.BuildCorrupted, match="exit status 0"):
        build.check_program_output(_proc(0, "Error opening static array x.\n"), Path("x"))
    with pytest.raises(build.BuildCorrupted, match="exit status -11"):
        build.check_program_output(_proc(-11), Path("x"))
    # Brian2 reports an unreadable input on stderr and exits 0: any output is a failure,
    # whatever its words
    with pytest.raises(build.BuildCorrupted, match="exit status 0"):
        build.check_program_output(_proc(0, "", "Could not read 'in_x.dat'\n"), Path("x"))


# ------------------------------------------------------------------------- damage
@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """One real build of a tiny network, kept as a pristine copy. It is built in (or found
    in) the suite's build cache, where the engine tests use the same program; the damage
    tests only ever touch their own copies."""
    path = build.ensure_built(_spec())
    keep = tmp_path_factory.mktemp("pristine") / "build"
    shutil.copytree(path, keep, ignore=shutil.ignore_patterns("runs"))
    return keep


@pytest.fixture
def cached(pristine, tmp_path, monkeypatch):
    """A cache holding a copy of the pristine build; rebuilding copies it again."""
    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path))
    spec = _spec()
    final = build.cache_root() / build.build_key(spec)
    shutil.copytree(pristine, final)
    compiled = []

    def fake_compile(spec_file, out_dir, pch_dir=None):
        compiled.append(out_dir)
        shutil.copytree(pristine, out_dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(build.MANIFEST))
        return subprocess.CompletedProcess(["build"], 0, "", "")

    monkeypatch.setattr(build, "_compile", fake_compile)
    monkeypatch.setattr(build, "_CHECKSUMMED", set())
    return spec, final, compiled


def test_a_whole_build_is_used_as_it_is(cached):
    spec, final, compiled = cached
    assert build.check_build(final, checksums=True) is None
    assert build.ensure_built(spec) == final and compiled == []


def test_a_build_compiles_with_its_cache_s_precompiled_header(pristine):
    """The build's units read the standard headers from the cache's precompiled header
    (:mod:`brainlearn.snn.pch`; half the compile step's CPU time), and the makefile
    makes no ``make.deps``."""
    from brainlearn.snn import pch

    flags = next(line for line in (pristine / "makefile").read_text().splitlines()
                 if line.startswith("OPTIMISATIONS ="))
    if pch._gcc_version(pch.compiler()) is None:
        assert "-include" not in flags
        return
    header = Path(flags.split("-include", 1)[1].split()[0])
    assert header.name == pch.PCH_NAME and header.parent.parent == (
        build.cache_root() / build.PCH_DIR).resolve()
    assert header.with_name(pch.PCH_NAME + ".gch").is_file()
    assert "DEPS=" in build.MAKE_ARGS and not (pristine / "make.deps").exists()


def _static(final):
    files = sorted((final / "static_arrays").iterdir())
    assert files, "the tiny network has static arrays (its connectivity)"
    return files[0]


DAMAGE = {
    "deleted static array": lambda d: _static(d).unlink(),
    "truncated static array": lambda d: _static(d).write_bytes(_static(d).read_bytes()[:3]),
    "flipped byte in a static array": lambda d: _static(d).write_bytes(
        bytes([_static(d).read_bytes()[0] ^ 1]) + _static(d).read_bytes()[1:]),
    "missing main": lambda d: (d / "main").unlink(),
    "truncated map": lambda d: (d / build.MAP).write_text((d / build.MAP).read_text()[:50]),
    "missing manifest": lambda d: (d / build.MANIFEST).unlink(),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_build_is_detected_and_rebuilt(cached, damage):
    spec, final, compiled = cached
    DAMAGE[damage](final)
    assert build.check_build(final, checksums=True) is not None
    with pytest.warns(RuntimeWarning, match="damaged"):
        assert build.ensure_built(spec) == final
    assert len(compiled) == 1
    assert build.check_build(final, checksums=True) is None


def test_sizes_are_checked_every_time_checksums_once_per_process(cached, monkeypatch):
    spec, final, compiled = cached
    assert build.check_build(final) is None  # first use: checksums
    sha = []
    monkeypatch.setattr(build, "_sha256", lambda p, real=build._sha256: sha.append(p) or real(p))
    assert build.check_build(final) is None and sha == []  # unchanged: sizes and stat only
    f = _static(final)
    f.write_bytes(bytes([f.read_bytes()[0] ^ 1]) + f.read_bytes()[1:])
    # changed in place to the same size: its change time moved, so it is checksummed again
    assert "checksum" in build.check_build(final)
    assert build.check_build(final, checksums=True) is not None
    f.write_bytes(f.read_bytes()[:-1])
    assert "bytes" in build.check_build(final)  # a size change is seen at every use


@pytest.mark.slow
def test_a_run_of_a_damaged_program_raises_and_is_never_a_result(cached, monkeypatch):
    """Damage after the engine has verified the build: the run checks sizes again and
    rebuilds; and if the program itself reports an error, the run raises."""
    spec, final, compiled = cached
    engine = StandaloneEngine(spec)
    rng = np.random.default_rng(0)
    inputs = ChunkInputs.make(rng.uniform(0, 100, (2, spec.n_afferent)), [0, 1], 1, 1, 1)
    state = NetworkState(rng.uniform(0, 1, (spec.n_afferent, 3)), rng.uniform(0, 1, (3, 4)),
                         np.zeros(3), np.zeros(4))
    good = engine.run(inputs, state, seed=1)
    _static(final).unlink()
    with pytest.warns(RuntimeWarning, match="damaged"):
        again = engine.run(inputs, state, seed=1)
    np.testing.assert_array_equal(again.counts["afferent"], good.counts["afferent"])
    assert len(compiled) == 1
    # a damage the check cannot see (verification bypassed): the program's error raises
    _static(final).unlink()
    monkeypatch.setattr(build, "verify_build", lambda *a, **k: True)
    with pytest.raises(build.BuildCorrupted, match="not used"):
        engine.run(inputs, state, seed=1)


@pytest.mark.slow
def test_a_build_changed_in_place_during_a_run_is_never_a_result(cached, monkeypatch):
    """A static array rewritten to the same size while the program runs: the engine's
    check after the run sees it (change time) and the output is not used; the next run
    rebuilds and gives the undamaged result. Run directories are removed either way."""
    from brainlearn.snn import engines

    spec, final, compiled = cached
    engine = StandaloneEngine(spec)
    rng = np.random.default_rng(0)
    inputs = ChunkInputs.make(rng.uniform(0, 100, (2, spec.n_afferent)), [0, 1], 1, 1, 1)
    state = NetworkState(rng.uniform(0, 1, (spec.n_afferent, 3)), rng.uniform(0, 1, (3, 4)),
                         np.zeros(3), np.zeros(4))
    good = engine.run(inputs, state, seed=1)
    real = engines._proc.run_tied

    def tamper(args, **kw):
        f = _static(final)
        f.write_bytes(bytes([f.read_bytes()[0] ^ 1]) + f.read_bytes()[1:])
        return real(args, **kw)

    monkeypatch.setattr(engines._proc, "run_tied", tamper)
    with pytest.raises(build.BuildCorrupted, match="changed during the run"):
        engine.run(inputs, state, seed=1)
    monkeypatch.setattr(engines._proc, "run_tied", real)
    with pytest.warns(RuntimeWarning, match="damaged"):
        again = engine.run(inputs, state, seed=1)
    np.testing.assert_array_equal(again.counts["afferent"], good.counts["afferent"])
    assert not list((engine.build_dir / "runs").iterdir())


def _cmdline(psutil, proc) -> list[str]:
    """The command line of ``proc``, or [] if it ended meanwhile (a chunk's program may
    finish between listing the children and reading its command line)."""
    try:
        return proc.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return []


@pytest.mark.slow
def test_a_python_process_killed_mid_run_leaves_no_program_and_its_run_dir_is_removed(
        cached, tmp_path):
    """``kill -9`` of a process looping over chunks of the real program: no ``main`` of
    the build survives it, and the run directory it left is removed by the next engine."""
    psutil = pytest.importorskip("psutil")
    spec, final, compiled = cached
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec.describe()))
    script = textwrap.dedent(f"""
        import json, numpy as np
        from brainlearn.snn.engines import ChunkInputs, NetworkState, StandaloneEngine
        from brainlearn.snn.graph import NetworkSpec
        spec = NetworkSpec.from_description(json.loads(open({str(spec_file)!r}).read()))
        engine = StandaloneEngine(spec)
        rng = np.random.default_rng(0)
        inputs = ChunkInputs.make(rng.uniform(0, 100, (2, spec.n_afferent)), [0, 1], 1, 1, 1)
        state = NetworkState(rng.uniform(0, 1, (spec.n_afferent, 3)),
                             rng.uniform(0, 1, (3, 4)), np.zeros(3), np.zeros(4))
        while True:
            engine.run(inputs, state, seed=1)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(build.__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    parent = psutil.Process(proc.pid)
    main = str(final / "main")
    seen = []
    try:
        # until a program of the build is seen running (a deadline, not a count of polls:
        # the child's imports take much longer on a loaded machine)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            seen = [c for c in parent.children() if _cmdline(psutil, c)[:1] == [main]]
            if seen or proc.poll() is not None:
                break
            time.sleep(0.01)
        assert seen, "the loop never showed a running program"
        os.kill(proc.pid, 9)
        proc.wait()
        _, alive = psutil.wait_procs(seen, timeout=10)
    finally:
        proc.kill()
    assert not alive
    left = list((final / "runs").iterdir())
    assert left, "the killed process left its run directory (it was mid-chunk)"
    StandaloneEngine(spec)  # the next use
    assert not list((final / "runs").iterdir())


def test_the_temporary_directory_of_a_killed_build_is_removed_by_the_next_build(cached):
    spec, final, compiled = cached
    stale = final.parent / f"{final.name}.tmp-0badf00d"
    (stale / "code_objects").mkdir(parents=True)
    (stale / "code_objects" / "x.o").write_bytes(b"half a build")
    (final / "main").unlink()
    with pytest.warns(RuntimeWarning, match="damaged"):
        assert build.ensure_built(spec) == final
    assert not stale.exists() and len(compiled) == 1
