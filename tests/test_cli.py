"""The brainlearn command line: help everywhere, clean errors (exit 2, no traceback), run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from brainlearn.cli import find_spec, main
from conftest import TEST_PLUGIN, subprocess_env


def brainlearn(*args, cwd=None, **env):
    return subprocess.run([sys.executable, "-m", "brainlearn", *args], capture_output=True,
                          text=True, env=subprocess_env(**env), cwd=cwd, timeout=120)


def test_python_m_brainlearn_help():
    res = brainlearn("--help")
    assert res.returncode == 0
    for word in ("run", "figures", "list"):
        assert word in res.stdout


@pytest.mark.parametrize("command", ["run", "figures", "list"])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: brainlearn {command}" in capsys.readouterr().out


def test_list_names_tasks_models_and_experiments(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "breast-cancer" in out and "mlp-seed" in out
    assert "default" in out and "full" in out
    assert "digits           10 classes, 64 features, real" in out  # each task's shape


def test_a_bad_spec_exits_2_naming_file_and_key_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(textwrap.dedent(f"""
        [experiment]
        plugins = ["{TEST_PLUGIN}"]
        [[models]]
        name = "test-centroid"
        params = {{ epochs = "ten" }}
        [[sweep]]
        tasks = ["xor"]
        seeds = [0]
        n_train = 10
        n_test = 10
    """))
    res = brainlearn("run", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 2
    assert str(bad) in res.stderr and "models[0].params.epochs" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("args,words", [
    (["run", "no-such-experiment"], ["no experiment named 'no-such-experiment'"]),
    (["run", "missing/file.toml"], ["spec file not found"]),
    (["run", "--jobs", "0"], ["--jobs", ">= 1"]),
    (["run", "--budget", "-3"], ["--budget"]),
    (["frobnicate"], ["invalid choice"]),
])
def test_usage_errors_exit_2(args, words, capsys):
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err
    assert "Traceback" not in err


def test_unreachable_scheduler_exits_2(tiny_spec, tmp_path, test_models, monkeypatch, capsys):
    pytest.importorskip("distributed")
    monkeypatch.setattr("brainlearn.runner.executors.DASK_CONNECT_TIMEOUT", "1s")
    code = main(["run", str(tiny_spec), "--out", str(tmp_path), "--scheduler",
                 "tcp://127.0.0.1:1"])
    assert code == 2
    assert "cannot connect to the Dask scheduler" in capsys.readouterr().err


def test_run_writes_results_tables_and_figures_then_skips(tiny_spec, tmp_path, test_models,
                                                          capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny_spec), "--out", str(out), "--jobs", "1"]) == 0
    for name in ("summary.csv", "stats.csv", "summary.md", "manifest.json"):
        assert (out / "results" / name).stat().st_size > 0
    assert (out / "figures" / "accuracy_by_task.png").stat().st_size > 0
    first = capsys.readouterr().err
    assert "16 runs planned, 0 already recorded, 16 to do" in first
    assert main(["run", str(tiny_spec), "--out", str(out), "--jobs", "1", "--no-figures"]) == 0
    assert "16 already recorded, 0 to do" in capsys.readouterr().err


def test_failed_runs_exit_1_and_are_redone(tiny_spec, tmp_path, test_models, monkeypatch,
                                           capsys):
    out = tmp_path / "out"
    monkeypatch.setenv("BRAINLEARN_TEST_FAIL_SEED", "0")
    assert main(["run", str(tiny_spec), "--out", str(out), "-j", "1", "--no-figures"]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "injected failure" in err
    monkeypatch.delenv("BRAINLEARN_TEST_FAIL_SEED")
    assert main(["run", str(tiny_spec), "--out", str(out), "-j", "1", "--no-figures"]) == 0
    assert "8 already recorded, 8 to do" in capsys.readouterr().err


def test_default_spec_is_found_from_the_checkout_and_from_elsewhere(tmp_path, monkeypatch):
    here = find_spec("default")
    assert here.name == "default.toml" and here.parent.name == "experiments"
    monkeypatch.chdir(tmp_path)  # outside any checkout: found next to the installed package
    assert find_spec("default").resolve() == here.resolve()
    assert find_spec("full").name == "full.toml"


def test_dry_run_plans_without_running(tiny_spec, tmp_path, test_models, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny_spec), "--out", str(out), "--dry-run", "-j", "2"]) == 0
    text = capsys.readouterr().out
    assert "test-centroid" in text and "spiky" in text and "unknown" in text
    assert not (out / "results").exists()
    assert main(["run", str(tiny_spec), "--out", str(out), "-j", "1", "--no-figures"]) == 0
    capsys.readouterr()
    assert main(["run", str(tiny_spec), "--out", str(out), "--dry-run"]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.startswith("test-centroid"))
    assert row.split() == ["test-centroid", "8", "8", "0", "0s"] and "unknown" not in text


def test_a_second_sweep_into_the_same_directory_is_refused(tiny_spec, tmp_path, test_models,
                                                           capsys):
    from brainlearn.runner.storage import sweep_lock

    out = tmp_path / "out"
    with sweep_lock(out):  # as if another `brainlearn run` were writing there
        assert main(["run", str(tiny_spec), "--out", str(out), "-j", "1"]) == 2
    assert "another brainlearn run" in capsys.readouterr().err
    assert not list((out / "results").glob("runs/*.json"))
    assert main(["run", str(tiny_spec), "--out", str(out), "-j", "1", "--no-figures"]) == 0


def test_run_and_figures_update_the_readme_block(tiny_spec, tmp_path, test_models, capsys):
    from brainlearn._readme import markers

    README_START, README_END = markers("results")

    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{README_START}\nstale\n{README_END}\nend\n")
    out = tmp_path / "out"
    assert main(["run", str(tiny_spec), "--out", str(out), "-j", "1", "--no-figures",
                 "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "stale" not in text and "| xor |" in text and text.endswith(f"{README_END}\nend\n")
    assert f"{readme} updated" in capsys.readouterr().err
    # the README says how long the sweep that did these runs took (from the manifest) ...
    import json
    import re

    sweep = json.loads((out / "results" / "manifest.json").read_text())["sweep"]
    assert sweep["done"] == sweep["planned"] > 0 and sweep["elapsed_s"] > 0
    said = re.search(r"did (\d+) of the (\d+) runs in ([\d.]+) min", text)
    assert said and int(said.group(1)) == sweep["done"]
    # ... and a second run that finds everything recorded keeps that time
    assert main(["run", str(tiny_spec), "--out", str(out), "-j", "1", "--no-figures",
                 "--readme", str(readme)]) == 0
    assert json.loads((out / "results" / "manifest.json").read_text())["sweep"] == sweep
    assert said.group(0) in readme.read_text()
    bare = tmp_path / "BARE.md"
    bare.write_text("no markers")
    assert main(["figures", str(out), "--readme", str(bare)]) == 2
    assert "markers" in capsys.readouterr().err


def test_the_manifest_names_a_shipped_spec_by_its_name_and_another_by_its_path(tmp_path):
    # the same manifest in every clone and install: no machine's path in committed results
    from brainlearn.cli import SHIPPED_SPECS, _spec_label

    assert _spec_label(SHIPPED_SPECS / "default.toml") == "default"
    other = tmp_path / "mine.toml"
    assert _spec_label(other) == str(other.resolve())
