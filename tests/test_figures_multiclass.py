"""Issue 9's figures (confusion matrices, receptive fields as 8x8 images, chance at 1/K) drawn
from synthetic saved records: no model is run."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from brainlearn.cli import main
from brainlearn.figures.build import build_figures
from brainlearn.figures.confusion import confusion_task, row_normalised, summed_confusion
from brainlearn.runner.records import RunRecord

RNG = np.random.default_rng(0)


def _record(task, model, seed, analyses, acc=0.9, family="mlp", n_train=1000):
    return RunRecord(run_id=f"{task}-{model}-{seed}", config={}, task=task, model=model,
                     seed=seed, family=family, n_train=n_train, n_test=500,
                     metrics={"test_accuracy": acc}, analyses=analyses)


def _confusion(k, n=50, right=0.8):
    counts = RNG.multinomial(n, [right if j == 0 else (1 - right) / (k - 1) for j in range(k)],
                             size=k)
    counts = np.array([np.roll(row, i) for i, row in enumerate(counts)])  # mass on diagonal
    return {"classes": list(range(k)), "counts": counts.tolist()}


def _images(units, n_hidden=None, silent=()):
    images = RNG.normal(0, 0.1, (units, 8, 8))
    rng = np.ptp(RNG.random((units, 5)), axis=1) + 0.5
    for u in silent:
        images[u] = 0
        rng[u] = 0
    return {"kind": "image", "shape": [8, 8], "samples": 539, "n_hidden": n_hidden or units,
            "mean_response": [1.0] * units, "response_range": rng.tolist(),
            "mean_image": np.zeros((8, 8)).tolist(), "images": images.tolist()}


@pytest.fixture
def records():
    recs = []
    for m, fam in (("mlp-wide", "mlp"), ("snn-stdp", "snn"), ("snn-surrogate", "snn-backprop")):
        for seed in range(3):
            for task, k in (("digits", 10), ("iris", 3)):
                an = {"confusion_matrix": _confusion(k)}
                if task == "digits" and seed == 0:
                    an["receptive_fields"] = _images(20, n_hidden=40, silent=(3,))
                recs.append(_record(task, m, seed, an, acc=0.8 + 0.05 * seed, family=fam))
    return recs


def test_confusion_counts_are_summed_over_seeds_and_rows_normalised(records):
    rs = [r for r in records if r.task == "iris" and r.model == "snn-stdp"]
    classes, counts = summed_confusion(rs)
    want = sum(np.asarray(r.analyses["confusion_matrix"]["counts"]) for r in rs)
    assert classes == [0, 1, 2] and counts.tolist() == want.tolist()
    frac = row_normalised(np.array([[3, 1], [0, 0]]))
    assert frac.tolist() == [[0.75, 0.25], [0.0, 0.0]]  # an empty row stays 0


def test_seeds_with_different_classes_are_not_summed(records):
    rs = [r for r in records if r.task == "iris" and r.model == "mlp-wide"]
    rs[1].analyses["confusion_matrix"]["classes"] = [0, 1, 5]
    with pytest.raises(ValueError, match="classes"):
        summed_confusion(rs)


def test_the_confusion_figure_shows_digits_when_it_was_run(records):
    assert confusion_task(records) == "digits"
    only_iris = [r for r in records if r.task == "iris"]
    assert confusion_task(only_iris) == "iris"


def test_confusion_and_receptive_image_figures_are_written(records, tmp_path):
    res = build_figures(tmp_path, records=records,
                        names=["confusion_matrix", "receptive_fields", "accuracy_by_task"])
    for name in ("confusion_matrix", "receptive_fields", "accuracy_by_task"):
        assert "paths" in res[name], res[name]
        png = tmp_path / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    cap = res["confusion_matrix"]["caption"]
    assert "digits" in cap and "3 per model" in cap
    assert "row = true class" in cap
    cap = res["receptive_fields"]["caption"]
    assert "8x8 images" in cap and "digits" in cap
    assert "1/K" in res["accuracy_by_task"]["caption"]
    svg = (tmp_path / "figures" / "confusion_matrix.svg").read_text()
    # the titles carry each model's mean accuracy over its seeds: (0.8 + 0.85 + 0.9) / 3
    assert "mean accuracy 0.850" in svg


def test_without_a_confusion_payload_the_figure_is_skipped(records, tmp_path):
    for r in records:
        r.analyses["confusion_matrix"] = {"skipped": "not asked"}
    res = build_figures(tmp_path, records=records, names=["confusion_matrix"])
    assert "skipped" in res["confusion_matrix"]


def test_brainlearn_figures_draws_them_from_saved_records(tmp_path, monkeypatch):
    """A real (tiny) run saves the payloads; `brainlearn figures` redraws both figures from
    the saved records alone."""
    spec = tmp_path / "mc.toml"
    spec.write_text(textwrap.dedent("""
        [experiment]
        name = "mc"
        [options]
        receptive_units = 9
        [[models]]
        name = "mlp-seed"
        [[models]]
        name = "ref-logreg"
        [[sweep]]
        tasks = ["iris", "digits"]
        seeds = [0, 1]
        n_train = 150
        n_test = 60
        analyses = ["confusion_matrix", "receptive_fields"]
        """))
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "--jobs", "1", "--no-figures"]) == 0
    monkeypatch.setattr("brainlearn.runner.execute._execute", _refuse)
    monkeypatch.setattr("brainlearn.registry.make_model", _refuse)
    main(["figures", str(out)])  # other figures may fail without their analyses
    captions = (out / "figures" / "captions.md").read_text()
    for name in ("confusion_matrix", "receptive_fields"):
        assert (out / "figures" / f"{name}.svg").is_file() and f"## {name}" in captions
    assert "on the digits task as 8x8 images" in captions
    assert "Confusion matrices on the digits task" in captions


def _refuse(*a, **k):
    raise AssertionError("a model was run")
