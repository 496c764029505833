"""The package as users install it: a non-editable install into a fresh environment runs
the shipped experiments from any directory (issue 12 §3)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: what a source distribution would not hold (and what makes copying slow)
IGNORE = shutil.ignore_patterns(
    ".git", ".venv*", "results", "figures", "__pycache__", "*.egg-info", "build", "dist",
    ".brainlearn_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".scratch", "tmp",
)


def _run(cmd, cwd, timeout=300):
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, f"{cmd}\n{res.stdout}\n{res.stderr}"
    return res.stdout


@pytest.mark.slow
def test_a_plain_install_runs_the_shipped_experiments_from_anywhere(tmp_path):
    """Build a wheel of this tree, install it (not editable, no dependencies: those are
    borrowed from the current environment through a .pth file, so nothing is downloaded)
    into a new venv, and use the command line from an empty directory."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "-q", "-w", tmp_path / "wheels", src], cwd=tmp_path)
    (wheel,) = (tmp_path / "wheels").glob("brainlearn-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([*pip, "--python", python, "install", "-q", "--no-deps", "--no-index", wheel],
         cwd=tmp_path)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                    "['purelib'])"], cwd=tmp_path).strip())
    (site / "_brainlearn_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([python, "-c", "import brainlearn; print(brainlearn.__file__)"], elsewhere)
    assert Path(where.strip()).is_relative_to(venv)  # the installed copy, not this checkout
    brainlearn = venv / "bin" / "brainlearn"
    listed = _run([brainlearn, "list"], elsewhere)
    assert "default" in listed and "full" in listed and str(venv) in listed
    for args in (["run", "--dry-run"], ["run", "full", "--dry-run"]):
        plan = _run([brainlearn, *args], elsewhere)
        assert "snn-stdp" in plan and "projected wall time" in plan
        # the timings shipped with the package project the runs (issue 20 §5)
        assert "without recorded timings" not in plan and "timings shipped" in plan
    assert not any(elsewhere.iterdir())  # a dry run writes nothing
