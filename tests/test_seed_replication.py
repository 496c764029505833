"""The seed-replication script writes its JSON and the figure is drawn from that file alone."""

import json

import pytest

from brainlearn.figures.seed_replication import plot_seed_replication
from conftest import load_experiment_script


@pytest.fixture(scope="module")
def script():
    return load_experiment_script("seed_replication")


def test_script_writes_results_and_figure(script, tmp_path):
    script.main(["--seeds", "1", "--results", str(tmp_path), "--figures", str(tmp_path)])
    res = json.loads((tmp_path / "seed_replication.json").read_text())
    assert set(res["tasks"]) == {"seed-random", "linear", "xor", "circle", "moons"}
    run = res["tasks"]["seed-random"][0]
    assert (run["n_train"], run["n_test"]) == (1000, 100)
    assert len(run["history"]["loss"]) == len(run["history"]["train_accuracy"]) == 100
    assert res["tasks"]["linear"][0]["n_test"] == 1000
    assert res["summary"]["linear"]["mean"] > 0.95
    assert (tmp_path / "seed_replication.png").stat().st_size > 10_000
    # redrawn from the JSON alone, in another directory
    out = plot_seed_replication(tmp_path / "seed_replication.json", tmp_path / "again")
    assert [p.name for p in out] == ["seed_replication.png", "seed_replication.svg"]
