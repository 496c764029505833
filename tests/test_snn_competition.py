"""The Diehl & Cook (2015) mechanisms of the spiking network, on tiny runtime networks:
per-neuron weight normalisation, re-presentation at a raised intensity, k-winners-take-all
competition and the label-assignment readout."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("brian2")

from brainlearn import SpikingClassifier  # noqa: E402
from brainlearn.snn.graph import NetworkSpec, blueprint, track_weight_changes  # noqa: E402
from brainlearn.snn.plasticity import make_rule  # noqa: E402
from brainlearn.snn.populations import NetworkParams  # noqa: E402

pytestmark = pytest.mark.usefixtures("numpy_runtime")

#: a tiny, fast network: 20 ms presentations, 8 hidden neurons, rate code
TINY = dict(n_hidden=8, encoding="rate", n_per_class=2, epochs=1, min_presentations=0,
            chunk_size=10, backend="runtime")
TINY_NET = dict(presentation_ms=20.0, poisson_input=False, init_from_data=False,
                w_init_high=0.5)


def _data(n=20, d=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.uniform(0.0, 0.2, (n, d))
    X[y == 0, : d // 2] += 0.8
    X[y == 1, d // 2 :] += 0.8
    return np.clip(X, 0, 1), y


def test_track_weight_changes_adds_every_weight_change_to_the_sum():
    code = "x = 1\nw = clip(w + learn_post * a, 0, w_max)\ny = 2"
    out = track_weight_changes(code, "wsum_post").splitlines()
    assert out == ["x = 1", "dw_tracked = (clip(w + learn_post * a, 0, w_max)) - w",
                   "w += dw_tracked", "wsum_post += dw_tracked", "y = 2"]


def test_normalisation_is_part_of_the_network_only_when_on():
    spec = NetworkSpec(n_features=4, chunk=5, net=NetworkParams(encoding="rate"),
                       hidden_rule=make_rule("stdp-offset"), readout_rule=make_rule("stdp"),
                       supervised=True)
    off = blueprint(spec)
    on = blueprint(NetworkSpec(**{**spec.__dict__,
                                  "net": NetworkParams(encoding="rate", w_in_norm=0.1)}))
    assert "wsum" not in str(off.describe())
    codes = [c for name, c, _ in on.boundaries if name == "afferent_hidden"]
    assert any("w_norm_total_post" in c for c in codes)
    proj = next(q for q in on.projections if q.name == "afferent_hidden")
    assert "wsum_post += dw_tracked" in proj.full_on_pre
    assert "wsum_post += dw_tracked" in proj.on_post
    # the inference program (no plasticity) keeps no sum and does no normalisation
    assert "wsum" not in str(blueprint(spec, plastic=False).describe())


@pytest.mark.slow
def test_weights_of_each_hidden_sum_to_the_target_after_learning():
    X, y = _data()
    net = dict(TINY_NET, w_in_norm=0.3, w_in_mv=60.0)
    clf = SpikingClassifier(hidden_rule="stdp-offset", network_params=net,
                            hidden_rule_params={"eta_pot": 0.05}, random_state=0, **TINY)
    clf.fit(X, y)
    w0 = clf.initial_weights_["afferent->hidden"]
    w = clf.weights_["afferent->hidden"]
    target = 0.3 * X.shape[1] * 1.0
    np.testing.assert_allclose(w0.sum(axis=0), target, rtol=1e-12)
    assert np.abs(w - w0).max() > 1e-3  # learning moved the weights ...
    np.testing.assert_allclose(w.sum(axis=0), target, rtol=1e-9)  # ... within the budget
    # without normalisation the same rule lets the sums drift
    free = SpikingClassifier(hidden_rule="stdp-offset",
                             network_params=dict(TINY_NET, w_in_mv=60.0),
                             hidden_rule_params={"eta_pot": 0.05}, random_state=0, **TINY)
    free.fit(X, y)
    sums = free.weights_["afferent->hidden"].sum(axis=0)
    assert np.abs(sums - free.initial_weights_["afferent->hidden"].sum(axis=0)).max() > 0.05


def test_frozen_hidden_layer_keeps_the_normalised_random_init():
    X, y = _data()
    net = dict(TINY_NET, w_in_norm=0.3, w_in_mv=60.0)
    clf = SpikingClassifier(hidden_rule="stdp-offset", network_params=net, hidden_epochs=0,
                            random_state=0, **TINY).fit(X, y)
    np.testing.assert_array_equal(clf.weights_["afferent->hidden"],
                                  clf.initial_weights_["afferent->hidden"])


def test_silent_presentations_are_made_again_at_a_raised_intensity():
    X, y = _data()
    # too weak a drive for the thresholds at the base rate
    weak = dict(TINY_NET, w_in_mv=10.0)
    plain = SpikingClassifier(network_params=weak, random_state=0, **TINY)
    with pytest.warns(RuntimeWarning, match="hidden population did not spike"):
        plain.fit(X, y)
    again = SpikingClassifier(
        network_params=dict(weak, min_hidden_spikes=1, intensity_step=1.0,
                            max_intensity_steps=6),
        random_state=0, **TINY).fit(X, y)
    assert plain.presentations_ == len(X)
    assert again.presentations_ > len(X)  # re-presentations count as presentations
    silent_plain = np.mean(plain.hidden_response(X).sum(axis=1) == 0)
    silent_again = np.mean(again.hidden_response(X).sum(axis=1) == 0)
    assert silent_plain > 0.5 and silent_again < silent_plain / 2


@pytest.mark.slow
def test_a_layer_silent_after_the_raised_intensities_warns_naming_the_parameters():
    X, y = _data(n=10)
    net = dict(TINY_NET, w_in_mv=0.5, min_hidden_spikes=1, intensity_step=0.5,
               max_intensity_steps=2)
    with pytest.warns(RuntimeWarning, match="max_intensity_steps") as rec:
        SpikingClassifier(network_params=net, random_state=0, **TINY).fit(X, y)
    assert any("hidden population did not spike" in str(w.message)
               and "2-fold" in str(w.message) for w in rec)


def test_rates_raised_beyond_one_spike_per_step_are_refused():
    with pytest.raises(ValueError, match="max_intensity_steps"):
        NetworkParams(rate_max_hz=1000.0, dt_ms=0.5, min_hidden_spikes=1, intensity_step=1.0,
                      max_intensity_steps=4)
    with pytest.raises(ValueError, match="k_winners"):
        NetworkParams(n_hidden=10, k_winners=11)


def _active(k):
    X, y = _data(n=10)
    net = dict(TINY_NET, w_in_mv=60.0, k_winners=k, w_ie_mv=200.0)
    clf = SpikingClassifier(network_params=net, hidden_epochs=0, random_state=1,
                            **{**TINY, "n_hidden": 12}).fit(X, y)
    return float(np.mean((clf.hidden_response(X) > 0).sum(axis=1)))


@pytest.mark.slow
def test_k_winners_take_all_lets_about_k_hidden_neurons_fire():
    # a drive at which the first spikes' inhibition holds the layer to a few winners
    one = _active(0)
    four = _active(4)
    assert one < 4
    assert four >= 4 and four > one + 1.5


def test_label_assignment_takes_each_neurons_best_class_and_averages_its_neurons():
    sums = np.array([[4.0, 0.0, 1.0], [0.0, 6.0, 1.0]])  # 2 classes x 3 neurons
    n = np.array([2.0, 3.0])
    assign = SpikingClassifier._assignments(sums, n)
    np.testing.assert_array_equal(assign, [0, 1, 0])  # neuron 2: 1/2 > 1/3
    counts = np.array([[2.0, 1.0, 4.0], [0.0, 3.0, 0.0]])
    s = SpikingClassifier._assign_scores(counts, assign, 3)
    np.testing.assert_allclose(s, [[3.0, 1.0, 0.0], [0.0, 3.0, 0.0]])


@pytest.mark.slow
def test_label_assignment_readout_predicts_from_the_hiddens():
    X, y = _data(n=40)
    net = dict(TINY_NET, w_in_mv=60.0, w_in_norm=0.3, target_spikes=2.0)
    clf = SpikingClassifier(hidden_rule="stdp-offset", readout_rule="assign",
                            network_params=net, hidden_rule_params={"eta_pot": 0.05},
                            random_state=0, **{**TINY, "epochs": 2}).fit(X, y)
    assert clf.assignments_.shape == (8,)
    assert set(clf.assignments_) <= {0, 1}
    assert clf.score(X, y) > 0.8
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
