"""The analyses behind issue 9's figures: a confusion matrix for any K, receptive fields as
images for tasks whose features form a square image, and the multiclass spec that asks
for them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from brainlearn.runner.analyses import TABLE, RunContext, default_options, image_side
from brainlearn.runner.execute import execute_run
from brainlearn.runner.spec import SpecError, load_spec, resolve_runs
from brainlearn.tasks import load_task

SPECS = Path(__file__).resolve().parents[1] / "src" / "brainlearn" / "experiments"


def _spec(tmp_path, models, task, analyses, n_train=120, n_test=60, options=""):
    p = tmp_path / "s.toml"
    p.write_text(textwrap.dedent(f"""
        [experiment]
        name = "mc"
        [options]
        {options}
        """) + "".join(f'[[models]]\nname = "{m}"\n' for m in models) + textwrap.dedent(f"""
        [[sweep]]
        tasks = ["{task}"]
        seeds = [0]
        n_train = {n_train}
        n_test = {n_test}
        analyses = {analyses!r}
        """).replace("'", '"'))
    return p


def _records(tmp_path, models, task, analyses, **kw):
    runs = resolve_runs([load_spec(_spec(tmp_path, models, task, analyses, **kw))])
    return {r.model: execute_run(r.to_dict()) for r in runs}


# ------------------------------------------------------------------ confusion matrix


def test_confusion_matrix_of_a_three_class_run_counts_every_test_prediction(tmp_path):
    rec = _records(tmp_path, ["ref-logreg"], "iris", ["confusion_matrix"])["ref-logreg"]
    assert rec.errors == {}
    p = rec.analyses["confusion_matrix"]
    counts = np.asarray(p["counts"])
    assert p["classes"] == [0, 1, 2] and counts.shape == (3, 3)
    split = load_task("iris", n_train=120, n_test=60, seed=0)
    # rows are the true classes: their sums are the test set's class sizes
    assert counts.sum(axis=1).tolist() == np.bincount(split.y_test, minlength=3).tolist()
    assert counts.trace() / counts.sum() == pytest.approx(rec.metrics["test_accuracy"])


def _fake_ctx(model, y_train, y_test, pred, task="iris", X_test=None, options=None):
    split = SimpleNamespace(y_train=np.asarray(y_train), y_test=np.asarray(y_test),
                            X_test=X_test)
    config = SimpleNamespace(task=task, options={**default_options(), **(options or {})})
    return RunContext(model, split, config, np.asarray(pred), {})


def test_confusion_matrix_follows_the_models_class_order_for_any_labels():
    model = SimpleNamespace(classes_=np.array(["cat", "ant", "bee"]))
    ctx = _fake_ctx(model, ["ant", "bee", "cat"], ["cat", "cat", "ant", "bee"],
                    ["cat", "ant", "ant", "cat"])
    p = TABLE["confusion_matrix"].run(ctx)
    assert p["classes"] == ["cat", "ant", "bee"]
    # true cat -> cat once, -> ant once; true ant -> ant; true bee -> cat
    assert p["counts"] == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


def test_a_prediction_outside_classes_is_an_error_naming_it():
    model = SimpleNamespace(classes_=np.array([0, 1, 2]))
    ctx = _fake_ctx(model, [0, 1, 2], [0, 1, 2], [0, 1, 7])
    with pytest.raises(ValueError, match=r"predicted test labels \[7\]"):
        TABLE["confusion_matrix"].run(ctx)


# ------------------------------------------------------------- receptive fields as images


def test_image_side_is_given_for_square_images_only():
    assert image_side(64) == 8 and image_side(256) == 16
    assert image_side(4) is None  # iris: 2 x 2 is no image
    assert image_side(30) is None and image_side(2) is None


def test_an_mlp_on_digits_gets_one_8x8_image_per_hidden_unit(tmp_path):
    recs = _records(tmp_path, ["mlp-wide"], "digits", ["receptive_fields"],
                    options="receptive_units = 6")
    p = recs["mlp-wide"].analyses["receptive_fields"]
    assert recs["mlp-wide"].errors == {}
    assert p["kind"] == "image" and p["shape"] == [8, 8] and p["samples"] == 60
    images = np.asarray(p["images"])
    assert images.shape == (6, 8, 8) and p["n_hidden"] > 6  # receptive_units kept 6
    assert np.abs(images).max() > 0.01  # trained units have structure
    assert len(p["mean_response"]) == len(p["response_range"]) == 6


class _Responder:
    """A fake model whose hidden units respond to chosen features of the input."""

    def __init__(self, fn):
        self.fn = fn

    def hidden_response(self, X):
        return self.fn(np.asarray(X))


def test_image_is_the_response_weighted_average_minus_the_mean_input():
    split = load_task("digits", n_train=300, n_test=200, seed=1)
    X, y = split.X_test, split.y_test

    def respond(Xs):
        is_three = (y == 3).astype(float)  # a unit that fires only for the threes
        return np.column_stack([2.0 * is_three, np.full(len(Xs), 5.0), np.tanh(Xs[:, 20] - 0.5)])

    ctx = _fake_ctx(_Responder(respond), split.y_train, y, y, task="digits", X_test=X)
    p = TABLE["receptive_fields"].run(ctx)
    images = np.asarray(p["images"])
    want = (X[y == 3].mean(0) - X.mean(0)).reshape(8, 8)
    np.testing.assert_allclose(images[0], want, atol=1e-4)
    # a unit that answers every image alike is silent: no image, range 0
    assert np.all(images[1] == 0) and p["response_range"][1] == 0
    # a unit with negative responses (tanh) is shifted to >= 0 and is driven by pixel 20
    assert images[2].ravel().argmax() == 20
    np.testing.assert_allclose(p["mean_image"], X.mean(0).reshape(8, 8), atol=1e-4)


def test_receptive_fields_keep_the_grid_on_2d_tasks_and_skip_other_widths(tmp_path):
    recs = _records(tmp_path, ["mlp-seed"], "xor", ["receptive_fields"],
                    options="receptive_grid = 5")
    p = recs["mlp-seed"].analyses["receptive_fields"]
    assert p["kind"] == "grid" and np.asarray(p["responses"]).shape[1:] == (5, 5)
    ctx = _fake_ctx(_Responder(lambda X: X), [0, 1, 2], [0], [0], task="iris",
                    X_test=np.zeros((1, 4)))
    skip = TABLE["receptive_fields"].run(ctx)
    assert "4-D" in skip["skipped"] and "square image" in skip["skipped"]


def test_a_bad_receptive_units_value_is_a_spec_error_naming_the_key(tmp_path):
    path = _spec(tmp_path, ["mlp-seed"], "digits", ["receptive_fields"],
                 options="receptive_units = 0")
    with pytest.raises(SpecError, match=r"options\.receptive_units must be >= 1"):
        load_spec(path)


# ------------------------------------------------------------------ the multiclass spec


def test_multiclass_spec_asks_for_the_figures_of_issue_9():
    runs = resolve_runs([load_spec(SPECS / "multiclass.toml")])
    n_models = 14  # 10 + the two non-spiking local learners and their learning-off controls
    assert len(runs) == 2 * n_models * 5
    assert all({"learning_curves", "confusion_matrix"} <= set(r.analyses) for r in runs)
    inside = {(r.task, r.seed) for r in runs if "receptive_fields" in r.analyses}
    assert inside == {("digits", 0)}
    assert sum("receptive_fields" in r.analyses for r in runs) == n_models
