"""Input codes as a factor (issue 23): the shared encoder objects, which spiking model takes
which code (and the error for one it cannot take, at construction and at --dry-run), the
latency code in the Brian2 network, and the presentation-time analysis and figure."""

from __future__ import annotations

import numpy as np
import pytest

from brainlearn import load_task
from brainlearn.snn.encoding import (
    ENCODINGS,
    CurrentCode,
    LatencyCode,
    RateCode,
    make_encoder,
)

# ------------------------------------------------------------------ the encoder objects


def test_every_code_is_a_named_encoder_object_with_a_kind():
    for name in ENCODINGS:
        enc = make_encoder(name)
        assert enc.name == name
        assert enc.kind in ("rate", "current", "latency")
    assert make_encoder("current").kind == "current"
    assert make_encoder("latency").kind == "latency"


def test_current_code_is_the_rate_code_plus_a_bias_input():
    X = np.array([[0.0, 0.5, 1.0], [0.2, 1.5, -0.3]])
    cur = CurrentCode(rate_max_hz=100.0)
    r = cur.rates(X)
    assert cur.n_afferents(3) == 4 and r.shape == (2, 4)
    np.testing.assert_allclose(r[:, :3], RateCode(rate_max_hz=100.0).rates(X))
    np.testing.assert_allclose(r[:, 3], 100.0)
    assert CurrentCode(bias=False).n_afferents(3) == 3


def test_latency_code_fires_once_at_one_minus_x_times_the_window():
    enc = LatencyCode(window_ms=50.0)
    X = np.array([[1.0, 0.5, 0.0, 0.1, 1.7, -0.2]])  # outside [0, 1]: clipped as the edge
    t = enc.spike_times_ms(X)[0]
    np.testing.assert_allclose(t[[0, 1, 3, 4]], [0.0, 25.0, 45.0, 0.0])
    assert np.isinf(t[2]) and np.isinf(t[5])  # a value of 0: no spike in the window
    np.testing.assert_allclose(enc.rates(X)[0], [20, 20, 0, 20, 20, 0])
    # the phase rate that makes a phase starting at 0 reach 1 at the spike time
    pr = enc.phase_rates(X, dt_ms=0.5)[0]
    np.testing.assert_allclose(pr[[1, 3]], [1000 / 25.0, 1000 / 45.0])
    assert pr[0] == pytest.approx(1000 / 0.25) and pr[2] == 0.0
    # one spike per window weighs as much as the rate code's spikes of a unit value
    Xd = np.array([[1.0, 1.0, 0.0]])
    assert enc.drive_norm(3, Xd) == pytest.approx(
        RateCode().drive_norm(3, Xd) * (20.0 / 200.0), rel=1e-12)
    with pytest.raises(ValueError, match="window_ms"):
        LatencyCode(window_ms=0.0)


# ----------------------------------------------------------------- who takes which code


def test_brian2_network_refuses_current_injection_by_name():
    pytest.importorskip("brian2")
    from brainlearn.snn.model import SpikingClassifier

    clf = SpikingClassifier(encoding="current")
    with pytest.raises(ValueError, match=r"SpikingClassifier .* cannot take "
                                         r"encoding='current'.*presynaptic spikes"):
        clf._check_hyperparameters()
    X = np.random.default_rng(0).random((8, 2))
    with pytest.raises(ValueError, match="encoding='current'"):
        clf.fit(X, np.arange(8) % 2)
    assert not hasattr(clf, "spec_")
    SpikingClassifier(encoding="latency")._check_hyperparameters()  # latency: taken


def test_dry_run_spec_validation_names_the_model_and_the_code(tmp_path):
    pytest.importorskip("brian2")
    from brainlearn.runner.spec import SpecError, load_spec

    text = """
[experiment]
name = "bad-code"

[[models]]
name = "snn-kwta"
label = "kwta-current"
params = { encoding = "current" }

[[sweep]]
tasks = ["xor"]
seeds = [0]
n_train = 20
n_test = 20
"""
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    msg = str(err.value)
    for word in ("kwta-current", "snn-kwta", "encoding='current'", "presynaptic spikes"):
        assert word in msg, (word, msg)


def test_the_surrogate_takes_every_code():
    from brainlearn.surrogate.model import SurrogateSpikingClassifier

    for name in ENCODINGS:
        SurrogateSpikingClassifier(encoding=name)._check_hyperparameters()


# ----------------------------------------------------------- latency in the Brian2 network


def test_latency_afferent_code_and_unchanged_code_of_the_others():
    pytest.importorskip("brian2")
    from brainlearn.snn.populations import Afferent, NetworkParams

    lat = Afferent(NetworkParams(encoding="latency"), 4)
    assert lat.threshold == "phase > 1 and count < 0.5"
    assert lat.start_code.endswith("phase = 0")
    # the other codes compile exactly as before (their programs keep their cache keys)
    for enc, poisson, thr in (("population", False, "phase > 1"),
                              ("rate", True, "rand() < rates_ta(t, i) * dt")):
        a = Afferent(NetworkParams(encoding=enc, poisson_input=poisson), 4)
        assert a.threshold == thr
        assert a.start_code == "learn = learn_hidden_ta(t + half_T)\ncount = 0\nphase = rand()"
    with pytest.raises(ValueError, match="current injection"):
        NetworkParams(encoding="current")


@pytest.mark.usefixtures("numpy_runtime")
def test_latency_network_fires_each_afferent_at_most_once_at_its_time():
    pytest.importorskip("brian2")
    from brainlearn.snn.model import SpikingClassifier

    rng = np.random.default_rng(0)
    X = rng.uniform(0.05, 1.0, (24, 3))
    X[0, 1] = 0.0  # silent afferent
    y = (X[:, 0] > X[:, 1]).astype(int)
    m = SpikingClassifier(encoding="latency", n_hidden=6, n_per_class=2, chunk_size=16,
                          min_presentations=0, backend="runtime", random_state=0).fit(X, y)
    assert m.spec_.n_afferent == 3
    rec = m.record_spikes(X[:3])
    i, t = np.asarray(rec["afferent"]["i"]), np.asarray(rec["afferent"]["t_ms"])
    T, dt = m.presentation_ms_, m.dt_ms_
    sample = (t // T).astype(int)
    pairs = list(zip(sample.tolist(), i.tolist(), strict=True))
    assert len(pairs) == len(set(pairs))  # at most one spike per afferent and sample
    assert (0, 1) not in pairs  # a value of 0 never fires
    assert len(pairs) == 8
    want = (1.0 - X[:3]) * T
    for s, a, tt in zip(sample, i, t, strict=True):
        assert tt - s * T == pytest.approx(want[s, a], abs=1.5 * dt)
    assert m.predict(X).shape == (24,)


# ------------------------------------------------------------- presentation-time analysis


@pytest.fixture(scope="module")
def time_records():
    """presentation_time payloads of a surrogate SNN (current and latency codes) and an MLP on
    a small task, as the runner computes them, wrapped in run records."""
    from types import SimpleNamespace

    from brainlearn.mlp.model import MLPClassifier
    from brainlearn.runner.analyses import TABLE, RunContext, default_options
    from brainlearn.runner.records import RunRecord
    from brainlearn.surrogate.model import SurrogateSpikingClassifier

    split = load_task("linear", n_train=200, n_test=120, seed=0)
    opts = {**default_options(), "presentation_grid_ms": [5.0, 20.0, 50.0, 0.7],
            "presentation_samples": 100}
    models = {
        ("snn-surrogate-current", "snn-backprop"): SurrogateSpikingClassifier(
            n_hidden=20, epochs=8, encoding="current", random_state=0),
        ("snn-surrogate-latency", "snn-backprop"): SurrogateSpikingClassifier(
            n_hidden=20, epochs=8, encoding="latency", random_state=0),
        ("mlp-wide", "mlp"): MLPClassifier(hidden_layer_sizes=(8,), epochs=20,
                                           random_state=0),
    }
    out = []
    for (name, fam), est in models.items():
        est.fit(split.X_train, split.y_train)
        pred = est.predict(split.X_test)
        ctx = RunContext(model=est, split=split, pred_test=pred, record=SimpleNamespace(),
                         config=SimpleNamespace(options=opts, seed=0, task="linear"))
        pl = TABLE["presentation_time"].run(ctx)
        out.append((est, pl, RunRecord(
            run_id=name, config={}, task="linear", model=name, family=fam, seed=0,
            n_train=200, n_test=120, metrics={"test_accuracy": float(np.mean(
                pred == split.y_test))}, errors={}, analyses={"presentation_time": pl})))
    return split, out


def test_presentation_time_without_retraining(time_records):
    split, out = time_records
    est, pl, _ = out[0]
    assert pl["spiking"] and pl["trained_ms"] == 50.0 and not pl["retrained"]
    # 0.7 ms is not a whole number of 0.5 ms steps: left out
    assert [p["presentation_ms"] for p in pl["points"]] == [5.0, 20.0, 50.0]
    at50 = pl["points"][-1]
    X, y = split.X_test[:100], split.y_test[:100]
    assert at50["accuracy"] == pytest.approx(float(np.mean(est.predict(X) == y)))
    assert at50["synaptic_events"] == pytest.approx(est.ops_per_sample(X)["synaptic_events"])
    # a longer presentation costs more hidden spikes (and so more events)
    ev = [p["synaptic_events"] for p in pl["points"]]
    assert ev[0] < ev[1] < ev[2]
    assert est.presentation_ms_ == 50.0  # the fitted model is unchanged
    _, mlp, _ = out[2]
    assert not mlp["spiking"] and len(mlp["points"]) == 1
    assert mlp["points"][0]["presentation_ms"] is None and mlp["points"][0]["macs"] > 0


def test_presentation_time_figure_from_records(tmp_path, time_records):
    from brainlearn.figures.build import FIGURES
    from brainlearn.figures.codes import presentation_time

    assert FIGURES["presentation_time"] == "brainlearn.figures.codes:presentation_time"
    _, out = time_records
    paths, caption = presentation_time([r for _, _, r in out], tmp_path)
    assert any(p.suffix == ".png" and p.stat().st_size > 5000 for p in paths)
    assert "no retraining" in caption and "MLP" in caption
