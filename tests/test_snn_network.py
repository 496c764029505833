"""The project's network, run by its own engine on tiny specifications and replayed.

Each test runs the network of :mod:`brainlearn.snn.graph` with the
:class:`~brainlearn.snn.engines.RuntimeEngine` (numpy target) on a few presentations and
replays what it did in plain NumPy from its recorded spikes and counts: the rules wired
into the network, the learn flags, the closed-loop reward, the afferent rates.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

b2 = pytest.importorskip("brian2")

from brainlearn.snn.encoding import GaussianReceptiveFields  # noqa: E402
from brainlearn.snn.engines import ChunkInputs, NetworkState, RuntimeEngine  # noqa: E402
from brainlearn.snn.graph import NetworkSpec  # noqa: E402
from brainlearn.snn.plasticity import STDP, OjaHebbian, RewardSTDP  # noqa: E402
from brainlearn.snn.populations import NetworkParams  # noqa: E402

pytestmark = pytest.mark.usefixtures("numpy_runtime")


def _spec(hidden, readout, *, K=4, n_features=2, supervised=True, **net):
    base = dict(dt_ms=0.5, presentation_ms=20.0, n_per_feature=3, n_hidden=3, n_per_class=2,
                noise_mv=0.0)
    base.update(net)
    return NetworkSpec(n_features=n_features, chunk=K, net=NetworkParams(**base),
                       hidden_rule=hidden, readout_rule=readout, supervised=supervised)


def _inputs(spec, X, labels, learn_h, learn_r, teach):
    enc = GaussianReceptiveFields(spec.net.n_per_feature, spec.net.rate_max_hz,
                                  spec.net.rate_min_hz, spec.net.sigma_scale)
    rates = enc.rates(np.asarray(X, float))
    return ChunkInputs.make(rates, np.asarray(labels, float), learn_h, learn_r, teach), len(X)


def _state(spec, seed, rbar=0.0, w_in=(0.3, 0.9), w_out=(0.4, 0.9)):
    rng = np.random.default_rng(seed)
    n_aff, n_hid, n_eff = spec.n_afferent, spec.net.n_hidden, spec.n_efferent
    return NetworkState(
        w_in=rng.uniform(*w_in, (n_aff, n_hid)),
        w_out=rng.uniform(*w_out, (n_hid, n_eff)),
        theta_volt=np.zeros(n_hid),
        rbar=np.full(n_eff, float(rbar)),
    )


def _run(spec, inputs, state, seed, spikes=False):
    return RuntimeEngine(spec, spike_monitors=spikes).run(inputs, state, seed)


def _by_presentation(i, t_ms, n, T_ms, K, dt_ms):
    """Spike steps per (presentation, neuron) from monitor output."""
    steps = np.rint(np.asarray(t_ms) / dt_ms).astype(int)
    per = int(round(T_ms / dt_ms))
    out = [[[] for _ in range(n)] for _ in range(K)]
    for ii, s in zip(np.asarray(i), steps, strict=True):
        k = s // per
        if k < K:
            out[k][ii].append(s)
    return out


def _replay_pairs(pre_sp, post_sp, w, n_pre, n_post, T_ms, K, dt_ms, on_event, at_end):
    """Replay a trace rule per synapse (pre-major order), presentation by presentation,
    events in time order with the pre pathway before the post pathway in a step (Brian2's
    pathway order). Traces restart from 0 each presentation (the rule's reset_code)."""
    w = np.array(w, float)
    for k in range(K):
        for a in range(n_pre):
            for b in range(n_post):
                idx = a * n_post + b
                ev = sorted([(s, 0) for s in pre_sp[k][a]] + [(s, 1) for s in post_sp[k][b]])
                st: dict = {}
                for s, kind in ev:
                    w[idx] = on_event(st, s * dt_ms, kind, w[idx], k)
                w[idx] = at_end(st, (k + 1) * T_ms, w[idx], k, b)
    return w


def test_network_stdp_hidden_layer_matches_a_numpy_replay_of_its_spikes():
    """The STDP rule wired into the network (afferent -> hidden, learn flag read per
    presentation, traces reset at each boundary) changes the weights exactly as a NumPy
    replay of the rule on the recorded spikes."""
    hidden = STDP(eta_pot=0.05, eta_dep=0.02, x_tar=0.3, tau_pre_ms=8.0, tau_post_ms=15.0)
    spec = _spec(hidden, OjaHebbian(), K=5, supervised=True, w_in_mv=40.0)
    X = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.1, 0.9], [0.9, 0.9]])
    learn_h = [1, 1, 0, 1, 1]
    inputs, K = _inputs(spec, X, [0, 1, 0, 0, 1], learn_h, [0] * 5, [1] * 5)
    state = _state(spec, 0)
    out = _run(spec, inputs, state, 5, spikes=True)
    p, T, dt = hidden.params, spec.net.presentation_ms, spec.net.dt_ms
    pre_sp = _by_presentation(*out.spikes["afferent"], spec.n_afferent, T, K, dt)
    post_sp = _by_presentation(*out.spikes["hidden"], spec.net.n_hidden, T, K, dt)
    n_post_spikes = sum(len(x) for pres in post_sp for x in pres)
    assert n_post_spikes >= 10, "the tiny network must make its hidden neurons fire"

    def on_event(st, t, kind, w, k):
        gap = t - st["t"] if "t" in st else 0.0
        apre = st.get("apre", 0.0) * math.exp(-gap / p.tau_pre_ms)
        apost = st.get("apost", 0.0) * math.exp(-gap / p.tau_post_ms)
        learn = learn_h[k]
        if kind == 0:
            apre += 1
            w = min(max(w - learn * p.eta_dep * apost, 0.0), p.w_max)
        else:
            dw = p.eta_pot * (apre * (p.w_max - w) ** p.mu - p.x_tar * w)
            w = min(max(w + learn * dw, 0.0), p.w_max)
            apost += 1
        st.update(t=t, apre=apre, apost=apost)
        return w

    def at_end(st, t_end, w, k, b):
        st.clear()
        return w

    expected = _replay_pairs(pre_sp, post_sp, state.w_in.ravel(), spec.n_afferent,
                             spec.net.n_hidden, T, K, dt, on_event, at_end)
    assert np.abs(expected - state.w_in.ravel()).max() > 1e-3
    np.testing.assert_allclose(out.state.w_in.ravel(), expected, rtol=0, atol=1e-10)


def test_network_oja_matches_a_numpy_replay_of_its_counts_and_learn_flags():
    """Oja on both projections of the network: the end-of-presentation update sees the
    counts of the presentation that just ended and that presentation's learn flag."""
    hid = OjaHebbian(eta=0.1, x_ref=4.0, y_ref=3.0)
    out_rule = OjaHebbian(eta=0.2, x_ref=3.0, y_ref=3.0)
    spec = _spec(hid, out_rule, K=5, supervised=True)
    X = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.3, 0.7], [0.9, 0.9]])
    learn_h, learn_r = [1, 0, 1, 1, 0], [1, 1, 0, 1, 1]
    inputs, K = _inputs(spec, X, [0, 1, 0, 1, 1], learn_h, learn_r, [1] * 5)
    state = _state(spec, 1)
    out = _run(spec, inputs, state, 9)

    def replay(w, rule, c_pre, c_post, learn):
        p = rule.params
        W = np.array(w, float).reshape(c_pre.shape[1], c_post.shape[1])
        for k in range(K):
            x, y = c_pre[k][:, None] / p.x_ref, c_post[k][None, :] / p.y_ref
            W = np.clip(W + learn[k] * p.eta * y * (x - y * W), 0, p.w_max)
        return W.ravel()

    c_aff, c_hid, c_eff = (out.counts[n] for n in ("afferent", "hidden", "efferent"))
    assert c_aff.shape == (K, spec.n_afferent) and c_eff.shape == (K, spec.n_efferent)
    assert c_hid.sum() > 0 and c_eff.sum() > 0
    w_in = replay(state.w_in.ravel(), hid, c_aff, c_hid, learn_h)
    w_out = replay(state.w_out.ravel(), out_rule, c_hid, c_eff, learn_r)
    assert np.abs(w_in - state.w_in.ravel()).max() > 1e-3
    np.testing.assert_allclose(out.state.w_in.ravel(), w_in, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.state.w_out.ravel(), w_out, rtol=0, atol=1e-12)


def test_network_learn_off_freezes_all_plastic_state():
    spec = _spec(STDP(eta_pot=0.05), OjaHebbian(eta=0.2), K=3)
    X = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]])
    state = dataclasses.replace(_state(spec, 2), theta_volt=np.array([0.001, 0.0, 0.002]))
    inputs, _ = _inputs(spec, X, [0, 1, 0], [0] * 3, [0] * 3, [0] * 3)
    out = _run(spec, inputs, state, 4)
    assert out.counts["hidden"].sum() > 0  # activity, but no learning
    for name in ("w_in", "w_out", "theta_volt"):
        np.testing.assert_array_equal(getattr(out.state, name), getattr(state, name),
                                      err_msg=name)
    inputs, _ = _inputs(spec, X, [0, 1, 0], [1] * 3, [1] * 3, [1] * 3)
    out = _run(spec, inputs, state, 4)
    for name in ("w_in", "w_out", "theta_volt"):
        assert np.any(getattr(out.state, name) != getattr(state, name)), name


def test_network_afferents_fire_at_the_encoder_rates():
    # 2 features x 4 afferents, 3 distinct inputs each shown 3 times, 100 ms presentations:
    # the count of afferent i over the repeats is Binomial(steps, rate_i * dt)
    spec = _spec(STDP(), OjaHebbian(), K=9, n_features=2, n_per_feature=4,
                 presentation_ms=100.0, rate_max_hz=180.0, rate_min_hz=5.0)
    Xd = np.array([[0.0, 1.0], [0.4, 0.1], [1.0, 0.66]])
    X = np.repeat(Xd, 3, axis=0)
    inputs, K = _inputs(spec, X, [0] * 9, [0] * 9, [0] * 9, [0] * 9)
    out = _run(spec, inputs, _state(spec, 0), 11)
    counts = out.counts["afferent"].reshape(3, 3, -1).sum(axis=1)  # (input, afferent)
    n_steps = 3 * int(round(spec.net.presentation_ms / spec.net.dt_ms))
    p = inputs.rates.reshape(3, 3, -1)[:, 0] * spec.net.dt_ms * 1e-3
    mean, sd = n_steps * p, np.sqrt(n_steps * p * (1 - p))
    z = (counts - mean) / sd
    assert np.all(np.abs(z) < 4.5), z
    # and the tuning is visible: each input's most active afferent of each feature is the
    # one whose centre is nearest
    per_feat = counts.reshape(3, 2, 4)
    np.testing.assert_array_equal(per_feat.argmax(axis=2), np.rint(Xd * 3).astype(int))


def test_network_regular_afferents_fire_rate_times_T_spikes():
    # poisson_input=False: a phase integrates the rate from a random start in [0, 1), so an
    # afferent fires floor(phase0 + rate * T) times in a presentation: rate * T rounded
    # down or up, never further off
    spec = _spec(STDP(), OjaHebbian(), K=4, n_per_feature=4, presentation_ms=50.0,
                 rate_max_hz=170.0, rate_min_hz=3.0, poisson_input=False)
    X = np.array([[0.0, 1.0], [0.4, 0.1], [1.0, 0.66], [0.5, 0.5]])
    inputs, K = _inputs(spec, X, [0] * 4, [0] * 4, [0] * 4, [0] * 4)
    out = _run(spec, inputs, _state(spec, 0), 11)
    expected = inputs.rates * spec.net.presentation_ms * 1e-3
    c = out.counts["afferent"]
    assert c.sum() > 50
    assert np.all((c == np.floor(expected)) | (c == np.floor(expected) + 1)), (c, expected)


def test_network_same_seed_same_spikes_other_seed_other_spikes():
    spec = _spec(STDP(), OjaHebbian(), K=3)
    X = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]])
    inputs, _ = _inputs(spec, X, [0, 1, 0], [1] * 3, [1] * 3, [1] * 3)
    state = _state(spec, 0)
    runs = [_run(spec, inputs, state, s, spikes=True)
            for s in (7, 7, 8)]
    for pop in ("afferent", "hidden", "inhibitory", "efferent"):
        i0, t0 = runs[0].spikes[pop]
        i1, t1 = runs[1].spikes[pop]
        np.testing.assert_array_equal(i0, i1, err_msg=pop)
        np.testing.assert_array_equal(t0, t1, err_msg=pop)
    np.testing.assert_array_equal(runs[0].state.w_in,
                                  runs[1].state.w_in)
    i0, t0 = runs[0].spikes["afferent"]
    i2, t2 = runs[2].spikes["afferent"]
    assert len(i0) > 20
    assert len(i0) != len(i2) or np.any(i0 != i2) or np.any(t0 != t2)


def _replay_rbar(spec, counts_eff, labels, learn_r, rbar0):
    p = spec.readout_rule.params
    npc = spec.net.n_per_class
    rbar = rbar0
    Rs = []
    for k in range(spec.chunk):
        c = [counts_eff[k, :npc].sum(), counts_eff[k, npc:].sum()]
        if labels[k] < 0:
            Rs.append(0.0)
            continue
        nl, nw = c[int(labels[k])], c[1 - int(labels[k])]
        R = (nl - nw) / (nl + nw + p.reward_eps)
        Rs.append(R)
        rbar = rbar + learn_r[k] * (R - rbar) / p.baseline_presentations
    return np.array(Rs), rbar


def test_network_rstdp_closed_loop_reward_matches_a_numpy_replay():
    """R-STDP readout in the network: the reward is computed inside the simulation from
    the efferent spikes against the label. A NumPy replay of the rule from the recorded
    spikes (eligibility traces, R from the per-class counts, baseline) must give the same
    weights and baseline."""
    readout = RewardSTDP(eta=0.3, tau_e_ms=30.0, a_minus=0.8, baseline_presentations=3.0)
    spec = _spec(STDP(eta_pot=0.0, eta_dep=0.0), readout, K=6, supervised=False,
                 w_in_mv=40.0, w_out_mv=120.0)
    X = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.2, 0.8], [0.9, 0.1], [0.4, 0.6]])
    labels = [0, 1, 1, -1, 0, 1]
    learn_r = [1, 1, 1, 1, 0, 1]
    inputs, K = _inputs(spec, X, labels, [0] * 6, learn_r, [0] * 6)
    state = _state(spec, 3, rbar=0.05)
    out = _run(spec, inputs, state, 2, spikes=True)
    T, dt = spec.net.presentation_ms, spec.net.dt_ms
    p = readout.params
    c_eff = out.counts["efferent"]
    assert c_eff.sum() >= 10
    Rs, rbar = _replay_rbar(spec, c_eff, labels, learn_r, 0.05)
    assert np.any(Rs > 0.05) and np.any(Rs < 0.05)
    np.testing.assert_allclose(out.state.rbar, rbar, rtol=0, atol=1e-12)
    rbars = [0.05]
    for k in range(K):
        r = rbars[-1]
        if labels[k] >= 0:
            r = r + learn_r[k] * (Rs[k] - r) / p.baseline_presentations
        rbars.append(r)
    pre_sp = _by_presentation(*out.spikes["hidden"], spec.net.n_hidden, T, K, dt)
    post_sp = _by_presentation(*out.spikes["efferent"], spec.n_efferent, T, K, dt)

    def on_event(st, t, kind, w, k):
        gap = t - st["t"] if "t" in st else 0.0
        apre = st.get("apre", 0.0) * math.exp(-gap / p.tau_pre_ms)
        apost = st.get("apost", 0.0) * math.exp(-gap / p.tau_post_ms)
        e = st.get("e", 0.0) * math.exp(-gap / p.tau_e_ms)
        if kind == 0:
            apre += 1
            e += -p.a_minus * apost
        else:
            e += p.a_plus * apre
            apost += 1
        st.update(t=t, apre=apre, apost=apost, e=e)
        return w

    def at_end(st, t_end, w, k, b):
        e = st.get("e", 0.0) * math.exp(-(t_end - st["t"]) / p.tau_e_ms) if "t" in st else 0.0
        st.clear()
        rewarded = labels[k] >= 0
        dw = learn_r[k] * rewarded * p.eta * (Rs[k] - rbars[k]) * e
        return min(max(w + dw, 0.0), p.w_max)

    expected = _replay_pairs(pre_sp, post_sp, state.w_out.ravel(),
                             spec.net.n_hidden, spec.n_efferent, T, K, dt, on_event, at_end)
    assert np.abs(expected - state.w_out.ravel()).max() > 1e-3
    np.testing.assert_allclose(out.state.w_out.ravel(), expected, rtol=0, atol=1e-10)


def test_runtime_engine_leaves_the_global_numpy_generator_alone():
    spec = _spec(STDP(), OjaHebbian(), K=1)
    inputs, _ = _inputs(spec, np.array([[0.2, 0.7]]), [0], [0], [0], [0])
    # the legacy global generator is what the caller's code may be using
    before = np.random.get_state()  # noqa: NPY002
    _run(spec, inputs, _state(spec, 0), 1)
    after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2] == before[2]


@pytest.mark.parametrize("poisson", [False, True])
def test_traces_kept_by_the_neurons_give_the_weights_of_per_synapse_traces(monkeypatch,
                                                                          poisson):
    """The all-to-all projections keep their STDP traces in the neurons (one per neuron,
    jumping before or after the pathways, decaying exactly also in the Euler-integrated
    efferent group): same spikes and same weights as the rule's own per-synapse
    (event-driven) traces, with both projections learning and a teacher (regular and
    Poisson afferents, whose random threshold keeps its one draw per step)."""
    from brainlearn.snn import graph

    spec = _spec(STDP(eta_pot=0.05, eta_dep=0.02, x_tar=0.3, tau_pre_ms=8.0),
                 STDP(eta_pot=0.04, eta_dep=0.01, tau_post_ms=12.0), K=5, supervised=True,
                 w_in_mv=40.0, w_out_mv=60.0, teacher_mv=20.0, noise_mv=1.0,
                 poisson_input=poisson)
    X = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.1, 0.9], [0.9, 0.9]])
    inputs, _ = _inputs(spec, X, [0, 1, 0, 0, 1], [1] * 5, [1] * 5, [1] * 5)
    state = _state(spec, 4)
    bp = graph.blueprint(spec)
    held = {q.name: {tr.side for tr in q.traces} for q in bp.populations}
    assert held == {"afferent": {"pre"}, "hidden": {"pre", "post"}, "inhibitory": set(),
                    "efferent": {"post"}}
    assert all("event-driven" not in s.full_model for s in bp.projections)
    neuron = _run(spec, inputs, state, 5)
    # the rule's own (per-synapse) traces
    monkeypatch.setattr(graph.Projection, "code", property(lambda self: self.rule))
    assert "event-driven" in graph.blueprint(spec).projections[0].full_model
    synapse = _run(spec, inputs, state, 5)
    for pop in neuron.counts:
        np.testing.assert_array_equal(neuron.counts[pop], synapse.counts[pop])
    assert neuron.counts["hidden"].sum() >= 5 and neuron.counts["efferent"].sum() >= 5
    assert np.abs(neuron.state.w_in - state.w_in).max() > 1e-3
    np.testing.assert_allclose(neuron.state.w_in, synapse.state.w_in, rtol=0, atol=1e-10)
    np.testing.assert_allclose(neuron.state.w_out, synapse.state.w_out, rtol=0, atol=1e-10)


def test_a_group_with_a_random_threshold_cannot_keep_traces_of_both_sides():
    from brainlearn.snn.plasticity import NeuronTrace
    from brainlearn.snn.populations import Afferent

    aff = Afferent(NetworkParams(poisson_input=True), 4)
    aff.add_traces([NeuronTrace("apre_x", "pre", "taupre_x", 0.02)])
    assert aff.reset_when == "before_synapses" and "apre_x += 1" in aff.full_reset
    with pytest.raises(ValueError, match="random threshold"):
        aff.add_traces([NeuronTrace("apost_x", "post", "taupost_x", 0.02)])
