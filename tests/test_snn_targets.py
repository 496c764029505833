"""experiments/snn_targets.py: the verdicts and the README table follow the saved runs."""

import json
from pathlib import Path

import pytest

from conftest import load_experiment_script


@pytest.fixture(scope="module")
def script():
    return load_experiment_script("snn_targets")


def _runs(acc: dict[tuple[str, str], list[float]]) -> list[dict]:
    return [{"model": m, "task": t, "seed": s, "test_accuracy": a}
            for (m, t), accs in acc.items() for s, a in enumerate(accs)]


def _saved(script, tmp_path, acc, ref) -> Path:
    summary = script._summary(_runs(acc))
    d = {"seeds": [0, 1], "summary": summary, "verdicts": script._verdicts(summary),
         "reference_summary": script._summary(_runs(ref))}
    path = tmp_path / script.FILE
    path.write_text(json.dumps(d))
    return path


def test_verdicts_take_the_better_model_and_the_bound(script):
    summary = script._summary(_runs({
        ("snn-stdp", "xor"): [0.94, 0.95], ("snn-hebbian", "xor"): [0.96, 0.96],
        ("snn-rstdp", "xor"): [0.89, 0.90],
        ("snn-stdp", "breast-cancer"): [0.97, 0.96],
        ("snn-stdp", "seed-random"): [0.50, 0.52], ("snn-rstdp", "seed-random"): [0.56, 0.57],
    }))
    assert summary["snn-stdp"]["xor"]["mean"] == pytest.approx(0.945)
    assert summary["snn-stdp"]["xor"]["sd"] == pytest.approx(0.00707, abs=1e-5)
    v = {(x["target"], x["task"]): x for x in script._verdicts(summary)}
    xor = v[("better of snn-stdp / snn-hebbian", "xor")]
    assert (xor["model"], xor["met"]) == ("snn-hebbian", True)
    assert v[("snn-rstdp alone", "xor")]["met"] is False  # 0.895 < 0.90
    assert v[("best spiking model", "breast-cancer")]["met"] is False  # 0.965 < 0.967
    chance = v[("every spiking model (chance)", "seed-random")]
    assert (chance["model"], chance["met"]) == ("snn-rstdp", False)  # 0.565 is off chance
    assert ("better of snn-stdp / snn-hebbian", "linear") not in v  # not measured: no verdict


def test_readme_table_is_drawn_from_the_saved_file(script, tmp_path):
    path = _saved(script, tmp_path,
                  {("snn-stdp", "xor"): [0.951, 0.961], ("snn-stdp", "breast-cancer"): [0.9, 0.92]},
                  {("logistic regression", "breast-cancer"): [0.97, 0.98]})
    table = script.targets_markdown(path)
    assert "| xor | 0.956 ± 0.007 (0.951–0.961) |" in table
    assert "| better of snn-stdp / snn-hebbian | xor | snn-stdp | 0.956 | ≥ 0.95 | yes |" in table
    assert "| best spiking model | breast-cancer | snn-stdp | 0.910 | ≥ 0.967 | **no** |" in table
    assert "| logistic regression | 0.975 ± 0.007 (0.970–0.980) |" in table
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- targets:start -->\nold\n<!-- targets:end -->\nb\n")
    script.main(["--table-only", "--results", str(tmp_path), "--readme", str(readme)])
    text = readme.read_text()
    assert "old" not in text and "0.956 ± 0.007" in text and text.endswith("b\n")


def test_the_targets_block_lives_on_the_results_page_and_is_the_saved_table(script,
                                                                            tmp_path):
    """The committed RESULTS.md holds the table the committed snn_targets.json gives, and
    ``--readme README.md`` finds the block there (the page beside the README)."""
    from brainlearn._readme import find_block

    root = Path(__file__).resolve().parent.parent
    saved = root / "results" / script.FILE
    if not saved.is_file():
        pytest.skip("not a checkout with the committed results")
    page = (root / "RESULTS.md").read_text(encoding="utf-8")
    a, b = find_block(page, "targets")
    assert page[a:b].strip() == script.targets_markdown(saved).strip()
    assert find_block((root / "README.md").read_text(encoding="utf-8"), "targets") is None
    readme, results = tmp_path / "README.md", tmp_path / "RESULTS.md"
    readme.write_text("# x\n")
    results.write_text("a\n<!-- targets:start -->\nold\n<!-- targets:end -->\nb\n")
    script.main(["--table-only", "--results", str(root / "results"), "--readme", str(readme)])
    assert results.read_text().strip() == (
        "a\n<!-- targets:start -->\n" + script.targets_markdown(saved).strip()
        + "\n<!-- targets:end -->\nb")
    assert readme.read_text() == "# x\n"


def test_hidden_code_ceiling_is_summarised_per_model(script, tmp_path):
    runs = [{"model": "snn-stdp", "task": "breast-cancer", "seed": s, "test_accuracy": a,
             "hidden_lr_accuracy": h, "hidden_spikes_per_sample": n}
            for s, (a, h, n) in enumerate([(0.93, 0.91, 3.0), (0.95, 0.93, 4.0)])]
    hidden = script._hidden_summary(runs + [{"model": "snn-stdp", "task": "xor", "seed": 0,
                                             "test_accuracy": 0.9}])
    assert hidden == {"snn-stdp": {"hidden_lr_mean": pytest.approx(0.92),
                                   "hidden_lr_max": 0.93, "spikes_per_sample": 3.5}}
    summary = script._summary(runs)
    path = tmp_path / script.FILE
    path.write_text(json.dumps({"seeds": [0, 1], "summary": summary,
                                "verdicts": script._verdicts(summary),
                                "reference_summary": {}, "hidden_code_summary": hidden}))
    assert "| snn-stdp | 3.5 | 0.920 (0.930) | 0.940 |" in script.targets_markdown(path)
