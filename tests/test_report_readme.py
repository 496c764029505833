import json

import pytest

from brainlearn._readme import update_readme
from brainlearn.runner.report import benchmarks_block


def test_update_readme_replaces_only_the_named_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n<!-- results:start -->\nold\n<!-- results:end -->\n"
        "mid\n<!-- benchmarks:start -->\nold bench\n<!-- benchmarks:end -->\nend\n"
    )
    assert update_readme(readme, "| new |", block="benchmarks")
    text = readme.read_text()
    assert "old\n" in text and "old bench" not in text and "| new |" in text
    assert text.startswith("intro\n") and text.endswith("end\n")
    assert not update_readme(readme, "| new |", block="benchmarks")  # idempotent
    with pytest.raises(ValueError, match="nothere:start"):
        update_readme(readme, "x", block="nothere")


def test_benchmarks_block_is_generated_from_the_json(tmp_path):
    assert benchmarks_block(tmp_path) is None
    (tmp_path / "mlp.json").write_text(json.dumps({
        "n_samples": 1000,
        "model_params": {"epochs": 100, "batch_size": 32},
        "fit_seconds": {"numba_median": 0.008, "numpy_median": 0.32},
        "speedup_vs_numpy": 40.0,
        "same_algorithm_check": {"max_abs_weight_diff": 1e-15},
        "cold_start": {"cache_warm": {"first_fit_s": 0.25},
                       "cache_cleared": {"first_fit_s": 6.0}},
        "environment": {"date": "2026-11-26", "cpu_count": 2},
    }))
    block = benchmarks_block(tmp_path)
    assert "8.0 ms" in block and "320 ms" in block and "**40x**" in block
    assert "0.25 s" in block and "6.0 s" in block
