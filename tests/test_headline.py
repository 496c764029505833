"""The README's answer sentences are generated from summary rows: every number and name
comes from the rows, controls and random-label tasks are left out of "best"."""

from __future__ import annotations

import re

from brainlearn.runner.headline import CLOSE, best_by_family, headline_markdown
from brainlearn.runner.records import SummaryRow


def _rows(acc: dict[tuple[str, str, str], list[float]], n_train: int = 1000):
    out = []
    for (task, family, model), accs in acc.items():
        for seed, a in enumerate(accs):
            out.append(SummaryRow(run_id=f"{task}-{model}-{seed}", task=task, model=model,
                                  registry_model=model, family=family, seed=seed,
                                  n_train=n_train, n_test=100, n_train_actual=n_train,
                                  n_test_actual=100, test_accuracy=a))
    return out


ACC = {
    ("xor", "mlp", "mlp-wide"): [0.99, 0.99, 0.98],
    ("xor", "snn", "snn-stdp"): [0.97, 0.96, 0.97],
    ("xor", "snn", "snn-frozen"): [1.0, 1.0, 1.0],  # a control: never "best"
    ("xor", "snn-backprop", "snn-surrogate"): [0.99, 0.98, 0.99],
    ("moons", "mlp", "mlp-wide"): [1.0, 1.0, 1.0],
    ("moons", "snn", "snn-stdp"): [1.0, 0.99, 1.0],
    ("moons", "snn-backprop", "snn-surrogate"): [1.0, 1.0, 1.0],
    ("seed-random", "mlp", "mlp-wide"): [0.5, 0.48, 0.52],
    ("seed-random", "snn", "snn-stdp"): [0.49, 0.51, 0.5],
}


def test_best_by_family_leaves_the_controls_out():
    best = best_by_family(_rows(ACC))
    assert best["xor"]["snn"][0] == "snn-stdp"
    assert best["xor"]["mlp"] == ("mlp-wide", (0.99 + 0.99 + 0.98) / 3, 3)


def test_the_sentences_say_what_the_rows_show():
    md = headline_markdown({"default": _rows(ACC)})
    text = md.split("\n\n")[0]
    sentences = re.split(r"(?<=\.) (?=[A-Z])", text)
    assert 3 <= len(sentences) <= 6
    # spiking local: level on moons, behind on xor by 0.02 > CLOSE
    assert sentences[0].startswith("On the 2 learnable tasks of the default experiment "
                                   "(3 seeds), the best spiking network with local plastic "
                                   "synapses (snn-stdp)")
    assert "level with the best backprop MLP (within 0.01) on 1 of 2 tasks" in sentences[0]
    assert "behind on xor (0.967 against 0.987 for mlp-wide)" in sentences[0]
    assert "snn-surrogate) is level with the best backprop MLP (within 0.01 in mean test " \
           "accuracy) on all 2 tasks" in text
    assert "stays at chance (mean test accuracies 0.50-0.50)" in text
    assert "seed-random" not in sentences[0]
    assert CLOSE == 0.01


def test_further_experiments_get_one_sentence_and_no_rows_no_block():
    multi = _rows({("digits", "mlp", "mlp-wide64"): [0.98, 0.98],
                   ("digits", "snn", "snn-delta-skip"): [0.90, 0.91]})
    md = headline_markdown({"default": _rows(ACC), "multi-class": multi, "empty": []})
    assert ("In the multi-class experiment (2 seeds) the best spiking network with local "
            "plastic synapses against the best MLP: digits 0.905 (snn-delta-skip) against "
            "0.980 (mlp-wide64).") in md
    assert "(default, multi-class)" in md
    assert headline_markdown({"default": []}) == ""


def test_only_the_largest_training_size_counts():
    small = _rows({("xor", "snn", "snn-stdp"): [0.6, 0.6, 0.6]}, n_train=10)
    best = best_by_family(_rows(ACC) + small)
    assert best["xor"]["snn"][1] > 0.9
