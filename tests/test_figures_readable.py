"""The figures of issue 22 §3, from synthetic records: families grouped in accuracy_by_task,
confidence intervals drawn whole past 1.0, a compact decision-boundary figure (best of each
family) beside the full grid, captions that name only what was run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from brainlearn.runner.records import RunRecord  # noqa: E402

FAMILY = {"mlp-wide": "mlp", "mlp-seed": "mlp", "snn-stdp": "snn", "snn-frozen": "snn",
          "ref-knn": "reference"}


def _record(task, model, seed, acc, boundary=False) -> RunRecord:
    analyses = {}
    if boundary:
        axis = np.linspace(0, 1, 5)
        analyses["decision_boundaries"] = {
            "axis": axis.tolist(), "proba": np.tile(axis, (5, 1)).tolist(),
            "X": [[0.2, 0.3], [0.8, 0.7]], "y": [0, 1], "predicted": [0, 1]}
    return RunRecord(run_id=f"{task}-{model}-{seed}", config={}, task=task, model=model,
                     family=FAMILY[model], seed=seed, n_train=100, n_test=100,
                     n_train_actual=100, metrics={"test_accuracy": acc}, analyses=analyses,
                     history={"samples_seen": [100]})


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_accuracy_by_task_one_panel_per_family_and_whiskers_past_one_drawn_whole(
        tmp_path, monkeypatch):
    from brainlearn.figures import accuracy

    records = [_record(t, m, s, a) for t in ("xor", "moons") for m in FAMILY
               for s, a in enumerate((1.0, 1.0, 0.94))]
    figs = []
    monkeypatch.setattr(accuracy, "save_figure",
                        lambda fig, out, name: figs.append(fig) or [tmp_path / name])
    _, caption = accuracy.accuracy_by_task(records, tmp_path)
    (fig,) = figs
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title(loc="left").split(":")[0] for ax in axes] == ["mlp", "reference",
                                                                       "snn"]
    # mean 0.98, half-width t(0.975, 2) * sd / sqrt(3) = 0.086: the whisker reaches 1.066
    from brainlearn.runner.stats import describe

    d = describe([1.0, 1.0, 0.94])
    assert d["ci_high"] == pytest.approx(1.066, abs=1e-3)
    assert axes[0].get_ylim()[1] > d["ci_high"]
    assert "whisker above 1.0" in caption
    assert "seed-random" not in caption  # not run here
    assert "n = 3" in caption


def test_decision_boundaries_compact_one_per_family_not_chosen_on_test(tmp_path):
    from brainlearn.figures.maps import decision_boundaries

    accs = {"mlp-wide": 0.99, "mlp-seed": 0.8, "snn-stdp": 0.9, "snn-frozen": 0.95,
            "ref-knn": 0.97}
    records = [_record(t, m, s, accs[m], boundary=True) for t in ("xor", "circle")
               for m in FAMILY for s in (0, 1)]
    paths, caption = decision_boundaries(records, tmp_path)
    assert [p.name for p in paths] == ["decision_boundaries.png", "decision_boundaries.svg",
                                       "decision_boundaries_all.png",
                                       "decision_boundaries_all.svg"]
    assert "decision_boundaries_all.png" in caption
    from brainlearn.figures.maps import _best_of_families

    # the declared representatives, although snn-frozen scores higher on test than snn-stdp
    assert _best_of_families(records, ["xor", "circle"]) == {
        "mlp": "mlp-wide", "snn": "snn-stdp", "reference": "ref-knn"}
    assert "test accuracy over these" not in caption and "declared" in caption


def test_contributions_panels_share_one_x_scale(tmp_path, monkeypatch):
    from brainlearn.figures import contributions as mod

    acc = {"snn-stdp": (0.9, 0.92, 0.91), "snn-frozen": (0.7, 0.72, 0.7)}
    # for this test only: the other tests iterate over FAMILY
    monkeypatch.setitem(FAMILY, "ref-kmeans", "reference")
    records = [_record(t, m, s, a) for t in ("xor", "moons") for m, accs in acc.items()
               for s, a in enumerate(accs)]
    records += [_record(t, "ref-kmeans", s, 0.5 + 0.2 * (t == "xor")) for t in ("xor", "moons")
                for s in range(3)]
    figs = []
    monkeypatch.setattr(mod, "save_figure",
                        lambda fig, out, name: figs.append(fig) or [tmp_path / name])
    _, caption = mod.contributions(records, tmp_path)
    xlims = {ax.get_xlim() for ax in figs[0].axes if ax.get_visible()}
    assert len(xlims) == 1
    assert "hidden plasticity: snn-stdp − snn-frozen" in caption
