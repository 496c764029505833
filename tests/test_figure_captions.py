"""Captions say what the figures show for every family, the surrogate-gradient SNN included."""

from __future__ import annotations

from brainlearn.runner.records import RunRecord


def test_linestyle_key_names_each_family_shown_in_table_order():
    from brainlearn.figures.style import linestyle_key

    assert linestyle_key(["snn-backprop", "mlp", "mlp", "unknown"]) == (
        "Solid: backprop MLPs; dash-dotted: spiking networks trained by backprop (surrogate "
        "gradients).")
    assert linestyle_key(["snn"]) == "Dashed: spiking networks with local plastic synapses."
    assert linestyle_key([]) == ""


def _raster_record(model, family, pops):
    spikes = {p: {"i": [0, 1], "t_ms": [1.0, 2.0], "n": 4} for p in pops}
    return RunRecord(run_id=model, config={}, task="xor", model=model, family=family, seed=0,
                     n_train=100, n_test=50, metrics={"test_accuracy": 0.5}, errors={},
                     analyses={"spike_raster": {"samples": 1, "indices": [0], "y": [0],
                                                "presentation_ms": 50.0, "dt_ms": 0.5,
                                                "before": spikes, "after": spikes}})


def test_spike_raster_caption_names_a_model_without_spiking_readout(tmp_path):
    from brainlearn.figures.spikes import spike_raster

    recs = [_raster_record("snn-stdp", "snn", ["afferent", "hidden", "efferent"]),
            _raster_record("snn-surrogate", "snn-backprop", ["afferent", "hidden"])]
    _, caption = spike_raster(recs, tmp_path)
    assert "No efferent row for snn-surrogate: no efferent spikes recorded" in caption
    assert "snn-stdp" not in caption.split("No efferent row")[1]
    _, caption = spike_raster(recs[:1], tmp_path)
    assert "No efferent row" not in caption
