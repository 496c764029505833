"""The README's Python examples run as written, each in a fresh interpreter from an empty
directory (a new user's copy and paste), and print what their comments promise."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_python_examples():
    # the K-class example of issue 9 among them
    assert len(BLOCKS) >= 2
    assert any('load_task("iris"' in b and "predict_proba" in b for b in BLOCKS)


@pytest.mark.slow
@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_example_runs(i, tmp_path):
    code = BLOCKS[i]
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env=dict(os.environ), timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    # each example ends by printing a test accuracy (alone, or after the model's name)
    last = out.stdout.strip().splitlines()[-1].split()[-1]
    assert 0.8 < float(last) <= 1.0, out.stdout
