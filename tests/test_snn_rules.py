"""Behaviour of the plasticity rule objects, pinned on tiny networks.

The tests build small Brian2 networks in runtime mode (numpy target) from the rule
objects' own code (``model`` and ``apply``, as the network's graph uses them, ``on_pre``,
``on_post``, ``end_code``, ``reset_code``, ``post_eqs``, ``post_end_code``,
``post_after_code``) with exact spike times, and compare the weights with the values
computed by hand from the equations in the rules' docstrings. The boundary operations are
ordered as in :func:`brainlearn.snn.graph.blueprint` (0: reward, 1: end-of-presentation
plasticity, 2: reward baseline, 3: reset). The rules inside the whole network:
``test_snn_network.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

b2 = pytest.importorskip("brian2")
from brian2 import Hz, ms  # noqa: E402

from brainlearn.snn.plasticity import (  # noqa: E402
    STDP,
    OjaHebbian,
    RewardSTDP,
    STDPOffset,
    make_rule,
    shared_declarations,
)

pytestmark = pytest.mark.usefixtures("numpy_runtime")


# ------------------------------------------------------------------------------ helpers
DT_MS = 0.1


def _post_group(rule, n, spikes=None, *, n_steps=None, learn=1.0, extra_eqs="", dt_ms=DT_MS,
                namespace=None, threshold=None):
    """A postsynaptic group with what every rule needs (``learn``, ``count``, and for
    R-STDP ``label``, the network's tallies ``n_label``, ``n_wrong`` and the rule's
    ``post_eqs``).

    ``spikes``: {neuron: [times in ms]} fired exactly (a TimedArray-driven threshold)."""
    ns = dict(namespace or {})
    eqs = "count : 1\nlearn : 1\n" + extra_eqs
    if rule.needs_reward:
        eqs += "n_label : 1\nn_wrong : 1\n"
        if "label" not in extra_eqs:
            eqs += "label : 1\n"
        eqs += rule.post_eqs + shared_declarations(rule.post_parameters())
    if spikes is not None:
        grid = np.zeros((n_steps, n))
        for j, times in spikes.items():
            for t in times:
                grid[int(round(t / dt_ms)), j] = 1.0
        ns["post_grid"] = b2.TimedArray(grid, dt=dt_ms * ms)
        threshold = "post_grid(t, i) > 0.5"
    g = b2.NeuronGroup(n, eqs, threshold=threshold, reset="count += 1" if threshold else None,
                       namespace=ns, dt=dt_ms * ms, name="post")
    g.learn = learn
    for name, value in rule.post_parameters().items():
        setattr(g, name, value)
    return g


def _pre_generator(n, spikes, dt_ms=DT_MS):
    idx = [i for i, ts in spikes.items() for _ in ts]
    times = [t for ts in spikes.values() for t in ts]
    return b2.SpikeGeneratorGroup(n, idx, np.asarray(times) * ms, dt=dt_ms * ms, name="pre")


def _synapses(rule, pre, post, i, j, w0, dt_ms=DT_MS):
    S = b2.Synapses(pre, post, model=rule.model, on_pre=rule.on_pre or None,
                    on_post=rule.on_post or None, namespace={}, dt=dt_ms * ms, name="syn")
    S.connect(i=np.asarray(i), j=np.asarray(j))
    rule.apply(S)
    S.w = w0
    return S


def _boundaries(rule, pre, post, S, T, pre_reset="", post_reset=""):
    """The network's presentation boundaries, same slots and order (see graph.blueprint)."""
    ops = []

    def add(obj, code, order):
        if code and code.strip():
            ops.append(obj.run_regularly(code, dt=T, when="start", order=order))

    add(post, rule.post_end_code, 0)
    add(S, rule.end_code, 1)
    add(post, rule.post_after_code, 2)
    add(S, rule.reset_code, 3)
    add(pre, pre_reset, 3)
    add(post, post_reset, 3)
    return ops


# ================================================================================= STDP
def stdp_post(p, apre, w):
    """The documented change of w on a postsynaptic spike (STDP docstring):
    Delta w = eta_pot [x_pre (w_max - w)^mu - x_tar w], then clipped to [0, w_max]."""
    dw = p["eta_pot"] * (apre * (p["w_max"] - w) ** p["mu"] - p["x_tar"] * w)
    return np.clip(w + dw, 0.0, p["w_max"])


def stdp_pre(p, apost, w):
    """The documented change of w on a presynaptic spike: w - eta_dep x_post, clipped."""
    return np.clip(w - p["eta_dep"] * apost, 0.0, p["w_max"])


STDP_P = dict(tau_pre_ms=10.0, tau_post_ms=25.0, eta_pot=0.05, eta_dep=0.03, x_tar=0.2,
              mu=0.7, w_max=0.8)
DELTAS_MS = [1.0, 3.0, 7.0, 15.0, 30.0]


def _stdp_pairs(rule, w0):
    """Synapse k joins pre k to post k. For k < 5 pre fires DELTAS_MS[k] before post (post
    at 50 ms); for 5 <= k < 10 post fires (at 10 ms) DELTAS_MS[k-5] before pre; synapse 10
    sees two pre spikes (40, 45 ms) and one post spike (50 ms): all-to-all pairing."""
    n = 2 * len(DELTAS_MS) + 1
    pre_sp, post_sp = {}, {}
    for k, d in enumerate(DELTAS_MS):
        pre_sp[k], post_sp[k] = [50.0 - d], [50.0]
        pre_sp[5 + k], post_sp[5 + k] = [10.0 + d], [10.0]
    pre_sp[10], post_sp[10] = [40.0, 45.0], [50.0]
    n_steps = 1000
    pre = _pre_generator(n, pre_sp)
    post = _post_group(rule, n, post_sp, n_steps=n_steps)
    S = _synapses(rule, pre, post, np.arange(n), np.arange(n), w0)
    b2.Network(pre, post, S).run(n_steps * DT_MS * ms, namespace={})
    assert list(post.count[:]) == [1] * n  # every post spike happened
    return np.asarray(S.w[:], float)


def test_stdp_pre_before_post_potentiates_post_before_pre_depresses_by_the_rule():
    p = STDP_P
    w0 = 0.3
    w = _stdp_pairs(STDP(**p), w0)
    d = np.asarray(DELTAS_MS)
    # pre at t - d, post at t: the post spike sees x_pre = exp(-d / tau_pre)
    expected_pot = stdp_post(p, np.exp(-d / p["tau_pre_ms"]), w0)
    # post first: x_pre = 0 on the post spike (only the -x_tar w term acts), then the pre
    # spike d later removes eta_dep * x_post, x_post = exp(-d / tau_post)
    expected_dep = stdp_pre(p, np.exp(-d / p["tau_post_ms"]), stdp_post(p, 0.0, w0))
    # all-to-all: both pre spikes (10 and 5 ms before the post spike) add to x_pre
    x_pre = math.exp(-10 / p["tau_pre_ms"]) + math.exp(-5 / p["tau_pre_ms"])
    expected_all = stdp_post(p, x_pre, w0)
    np.testing.assert_allclose(w[:5], expected_pot, rtol=0, atol=1e-12)
    np.testing.assert_allclose(w[5:10], expected_dep, rtol=0, atol=1e-12)
    np.testing.assert_allclose(w[10], expected_all, rtol=0, atol=1e-12)
    # the documented qualitative behaviour: close pairs potentiate, pairs farther apart
    # than d* = tau_pre ln((w_max - w0)^mu / (x_tar w0)) (23.3 ms here) depress, and
    # post-before-pre depresses
    crossover = p["tau_pre_ms"] * math.log((p["w_max"] - w0) ** p["mu"] / (p["x_tar"] * w0))
    np.testing.assert_array_equal(w[:5] > w0, d < crossover)
    assert np.all(w[:4] > w0) and w[4] < w0
    assert np.all(w[5:10] < w0)


def test_stdp_offset_potentiates_active_and_depresses_silent_inputs_by_the_rule():
    """Diehl & Cook's rule: Delta w = eta_pot (x_pre - x_tar) (w_max - w)^mu on a post
    spike (no -x_tar w term), w - eta_dep x_post on a pre spike."""
    p = STDP_P
    w0 = 0.3
    w = _stdp_pairs(STDPOffset(**p), w0)
    d = np.asarray(DELTAS_MS)

    def post(apre, w):
        dw = p["eta_pot"] * (apre - p["x_tar"]) * (p["w_max"] - w) ** p["mu"]
        return np.clip(w + dw, 0.0, p["w_max"])

    np.testing.assert_allclose(w[:5], post(np.exp(-d / p["tau_pre_ms"]), w0), atol=1e-12)
    np.testing.assert_allclose(
        w[5:10], stdp_pre(p, np.exp(-d / p["tau_post_ms"]), post(0.0, w0)), atol=1e-12)
    # the sign of the change is the sign of x_pre - x_tar: the crossover does not depend
    # on w (unlike STDP's x_pre (w_max - w)^mu = x_tar w)
    crossover = p["tau_pre_ms"] * math.log(1.0 / p["x_tar"])
    np.testing.assert_array_equal(w[:5] > w0, d < crossover)
    assert np.all(w[5:10] < w0)


def test_stdp_change_falls_off_with_the_trace_time_constants():
    # without the x_tar term and with mu = 1 the changes are pure trace values:
    # dw_pot(d) = eta_pot exp(-d / tau_pre) (w_max - w0), dw_dep(d) = -eta_dep exp(-d / tau_post)
    p = dict(STDP_P, x_tar=0.0, mu=1.0)
    w0 = 0.3
    w = _stdp_pairs(STDP(**p), w0)
    d = np.asarray(DELTAS_MS)
    pot, dep = w[:5] - w0, w[5:10] - w0
    assert np.all(pot > 0) and np.all(np.diff(pot) < 0)
    assert np.all(dep < 0) and np.all(np.diff(np.abs(dep)) < 0)
    # successive ratios follow each trace's own time constant (catches swapped taus)
    np.testing.assert_allclose(pot[1:] / pot[:-1], np.exp(-np.diff(d) / p["tau_pre_ms"]),
                               rtol=1e-9)
    np.testing.assert_allclose(dep[1:] / dep[:-1], np.exp(-np.diff(d) / p["tau_post_ms"]),
                               rtol=1e-9)
    np.testing.assert_allclose(pot, p["eta_pot"] * np.exp(-d / p["tau_pre_ms"]) * (p["w_max"] - w0),
                               rtol=1e-9)
    np.testing.assert_allclose(dep, -p["eta_dep"] * np.exp(-d / p["tau_post_ms"]), rtol=1e-9)


def test_stdp_reset_code_clears_the_traces_between_presentations():
    # pre at 35 ms, boundary (reset) at 40 ms, post at 42 ms: the pairing crosses the
    # boundary, so the post spike must see x_pre = 0, as after a long rest
    p = dict(STDP_P, x_tar=0.1)
    rule = STDP(**p)
    w0, T = 0.3, 40 * ms
    pre = _pre_generator(1, {0: [35.0]})
    post = _post_group(rule, 1, {0: [42.0]}, n_steps=600)
    S = _synapses(rule, pre, post, [0], [0], w0)
    ops = _boundaries(rule, pre, post, S, T)
    assert ops, "STDP must reset its traces at presentation boundaries"
    b2.Network(pre, post, S, *ops).run(60 * ms, namespace={})
    expected_reset = stdp_post(p, 0.0, w0)
    without_reset = stdp_post(p, math.exp(-7 / p["tau_pre_ms"]), w0)
    assert abs(expected_reset - without_reset) > 1e-3  # the test can tell them apart
    np.testing.assert_allclose(S.w[0], expected_reset, rtol=0, atol=1e-12)


def test_stdp_soft_bounds_settle_at_the_documented_fixed_point():
    # one pairing per presentation (pre 1.0 ms, post 3.0 ms; traces reset in between):
    # with mu = 1 every weight settles at w* = w_max x_pre / (x_pre + x_tar), from below and
    # from above, well inside (0, w_max), without any clipping
    p = dict(STDP_P, mu=1.0, x_tar=0.4, eta_pot=0.2, w_max=1.0)
    rule = STDP(**p)
    dt, T, n_pres = 0.5, 5.0, 100
    pre_sp = {k: [T * m + 1.0 for m in range(n_pres)] for k in range(2)}
    post_sp = {k: [T * m + 3.0 for m in range(n_pres)] for k in range(2)}
    pre = _pre_generator(2, pre_sp, dt_ms=dt)
    post = _post_group(rule, 2, post_sp, n_steps=int(n_pres * T / dt) + 1, dt_ms=dt)
    S = _synapses(rule, pre, post, [0, 1], [0, 1], [0.02, 0.95], dt_ms=dt)
    ops = _boundaries(rule, pre, post, S, T * ms)
    b2.Network(pre, post, S, *ops).run(n_pres * T * ms, namespace={})
    assert list(post.count[:]) == [n_pres, n_pres]
    a = math.exp(-2.0 / p["tau_pre_ms"])
    w_star = p["w_max"] * a / (a + p["x_tar"])
    np.testing.assert_allclose(S.w[:], [w_star, w_star], rtol=1e-9)


# ============================================================================== Hebbian
HEBB_P = dict(eta=0.3, x_ref=4.0, y_ref=5.0, w_max=0.9)


def _hebbian_net(rule, counts_pre, counts_post, w0):
    n_pre, n_post = len(counts_pre), len(counts_post)
    pre = b2.NeuronGroup(n_pre, "count : 1", dt=DT_MS * ms, name="pre")
    post = _post_group(rule, n_post)
    pre.count = counts_pre
    post.count = counts_post
    i, j = np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
    S = _synapses(rule, pre, post, i, j, w0)
    return pre, post, S


def test_oja_end_of_presentation_update_equals_the_formula():
    p = HEBB_P
    rule = OjaHebbian(**p)
    counts_pre = np.array([0.0, 3.0, 10.0])
    counts_post = np.array([0.0, 4.0, 12.0, 2.0])
    rng = np.random.default_rng(0)
    w0 = rng.uniform(0, p["w_max"], 12)
    w0[:4] = [0.0, 0.9, 0.5, 0.9]  # include the edges
    pre, post, S = _hebbian_net(rule, counts_pre, counts_post, w0)
    op = S.run_regularly(rule.end_code, dt=1 * ms, when="start", order=1)
    b2.Network(pre, post, S, op).run(DT_MS * ms, namespace={})  # exactly one update, at t=0
    x = np.repeat(counts_pre, 4) / p["x_ref"]
    y = np.tile(counts_post, 3) / p["y_ref"]
    raw = w0 + p["eta"] * y * (x - y * w0)
    expected = np.clip(raw, 0.0, p["w_max"])
    assert np.any(raw < 0) and np.any(raw > p["w_max"])  # both clips are exercised
    assert np.any((raw > 0) & (raw < p["w_max"]) & (raw != w0))  # and unclipped changes
    np.testing.assert_allclose(S.w[:], expected, rtol=0, atol=1e-12)


def test_oja_weights_converge_to_x_over_y_and_stay_bounded():
    # repeated presentations with fixed rates: the decay term -eta y^2 w stops the growth at
    # the fixed point w = x / y (w_max is large, so clipping plays no part); a plain Hebbian
    # rule eta x y would grow without bound
    p = dict(HEBB_P, w_max=50.0, eta=0.2)
    rule = OjaHebbian(**p)
    counts_pre = np.array([2.0, 8.0, 16.0])
    counts_post = np.array([5.0, 10.0])
    w0 = np.full(6, 0.05)
    pre, post, S = _hebbian_net(rule, counts_pre, counts_post, w0)
    T = 1 * ms
    op = S.run_regularly(rule.end_code, dt=T, when="start", order=1)
    mon = b2.StateMonitor(S, "w", record=True, dt=T, when="end")
    n_pres = 150
    b2.Network(pre, post, S, op, mon).run(n_pres * T, namespace={})
    x = np.repeat(counts_pre, 2) / p["x_ref"]
    y = np.tile(counts_post, 3) / p["y_ref"]
    fixed = x / y
    np.testing.assert_allclose(S.w[:], fixed, rtol=1e-6)
    # the norm of each neuron's weight vector never overshoots its limit ||x|| / y
    W = np.asarray(mon.w[:]).reshape(3, 2, -1)  # (pre, post, time)
    norms = np.sqrt((W**2).sum(axis=0))  # (post, time)
    limit = np.linalg.norm(counts_pre / p["x_ref"]) / (counts_post / p["y_ref"])
    assert np.all(norms <= limit[:, None] * (1 + 1e-9))
    # and a pure Hebbian growth would have left that limit far behind
    hebb = w0.reshape(3, 2) + n_pres * p["eta"] * np.outer(x[::2], y[:2])
    assert np.all(np.linalg.norm(hebb, axis=0) > 3 * limit)


# ================================================================================ R-STDP
RSTDP_P = dict(tau_pre_ms=10.0, tau_post_ms=25.0, tau_e_ms=50.0, a_plus=1.0, a_minus=0.6,
               eta=0.1, baseline_presentations=4.0, reward_eps=1.0, w_max=1.0)


def _rstdp_run(rule, pre_sp, post_sp, pairs, w0, label, n_label, n_wrong, rbar0, T_ms):
    """Spikes in (0, T); the reward is computed at the boundary t = T from the given
    tallies (spikes of the labelled class and of the most active other class). ``label`` is
    per post neuron and switches from -1 (no reward at t = 0) to its value at T / 2, so
    that only the boundary at T sees a labelled presentation."""
    n_pre, n_post = 1 + max(i for i, _ in pairs), len(label)
    n_steps = int(round(T_ms / DT_MS)) + 2
    lab = np.vstack([np.full(n_post, -1.0), label, label])
    ns = {"label_ta": b2.TimedArray(lab, dt=T_ms / 2 * ms)}
    pre = _pre_generator(n_pre, pre_sp)
    post = _post_group(rule, n_post, post_sp, n_steps=n_steps,
                       extra_eqs="label = label_ta(t, i) : 1\n", namespace=ns)
    post.n_label, post.n_wrong, post.Rbar = n_label, n_wrong, rbar0
    S = _synapses(rule, pre, post, [a for a, _ in pairs], [b for _, b in pairs], w0)
    ops = _boundaries(rule, pre, post, S, T_ms * ms)
    b2.Network(pre, post, S, *ops).run((T_ms + DT_MS) * ms, namespace={})
    return np.asarray(S.w[:], float), np.asarray(post.R[:], float), np.asarray(post.Rbar[:], float)


def test_rstdp_eligibility_trace_decays_with_tau_e():
    """The trace is measured through the weight change it causes at the end of the
    presentation: the same pairing 100 ms earlier must count exp(-100 / tau_e) times as
    much, and a trace that is added to later decays in between."""
    p = RSTDP_P
    rule = RewardSTDP(**p)
    T = 200.0
    # synapse 0: pairing at 110 -> 115 ms; synapse 1: the same pairing at 10 -> 15 ms;
    # synapse 2: pre at 10, posts at 15 and 65 ms (the trace decays from 15 to 65 ms)
    pre_sp = {0: [110.0], 1: [10.0], 2: [10.0]}
    post_sp = {0: [115.0], 1: [15.0], 2: [15.0, 65.0]}
    pairs = [(0, 0), (1, 1), (2, 2)]
    w0 = 0.5
    # every post neuron sees the same positive reward: the labelled class 3 spikes, others 0
    w, R, _ = _rstdp_run(rule, pre_sp, post_sp, pairs, w0, [0, 0, 0], [3, 3, 3], [0, 0, 0],
                         0.0, T)
    R_exp = 3 / (3 + 0 + p["reward_eps"])
    np.testing.assert_allclose(R, R_exp, rtol=1e-12)
    te, tp = p["tau_e_ms"], p["tau_pre_ms"]
    e0 = p["a_plus"] * math.exp(-5 / tp) * math.exp(-(T - 115) / te)
    e1 = p["a_plus"] * math.exp(-5 / tp) * math.exp(-(T - 15) / te)
    e2 = (p["a_plus"] * math.exp(-5 / tp) * math.exp(-50 / te)
          + p["a_plus"] * math.exp(-55 / tp)) * math.exp(-(T - 65) / te)
    dw = w - w0
    np.testing.assert_allclose(dw, p["eta"] * R_exp * np.array([e0, e1, e2]), rtol=1e-9)
    np.testing.assert_allclose(dw[1] / dw[0], math.exp(-100 / te), rtol=1e-9)


def test_rstdp_reward_sign_and_size_and_baseline():
    """Delta w = eta (R - Rbar) e for each post neuron; positive and negative reward
    prediction errors move identical traces in opposite directions; no label, no change;
    Rbar moves by (R - Rbar) / N_baseline."""
    p = RSTDP_P
    rule = RewardSTDP(**p)
    T = 100.0
    # six post neurons, each with one pre-before-post pairing (pre 60, post 64 ms) ...
    # ... and one more with post-before-pre (post 60, pre 64 ms): negative trace
    n = 6
    pre_sp = {k: [60.0] for k in range(n)}
    post_sp = {k: [64.0] for k in range(n)}
    pre_sp[n], post_sp[n] = [64.0], [60.0]
    pairs = [(k, k) for k in range(n + 1)]
    # label, spikes of the labelled class and of the most active other class -> R
    label = [0, 0, 1, 1, -1, 0, 0]
    n_label = [4, 0, 1, 5, 1, 2, 4]
    n_wrong = [1, 3, 4, 0, 4, 2, 1]
    rbar0 = 0.1
    w0 = 0.5
    w, R, Rbar = _rstdp_run(rule, pre_sp, post_sp, pairs, w0, label, n_label, n_wrong,
                            rbar0, T)
    assert p["reward_eps"] == 1.0  # the denominators below: n_label + n_wrong + 1
    R_exp = np.array([3 / 6, -3 / 4, -3 / 6, 5 / 6, 0.0, 0 / 5, 3 / 6])
    np.testing.assert_allclose(R, R_exp, rtol=0, atol=1e-12)
    e_pot = p["a_plus"] * math.exp(-4 / p["tau_pre_ms"]) * math.exp(-(T - 64) / p["tau_e_ms"])
    e_dep = -p["a_minus"] * math.exp(-4 / p["tau_post_ms"]) * math.exp(-(T - 64) / p["tau_e_ms"])
    e = np.array([e_pot] * n + [e_dep])
    rewarded = np.array(label) >= 0
    dw_exp = np.where(rewarded, p["eta"] * (R_exp - rbar0) * e, 0.0)
    np.testing.assert_allclose(w - w0, dw_exp, rtol=1e-9, atol=1e-15)
    # signs: R > Rbar potentiates, R < Rbar depresses the same trace; a negative trace
    # (post before pre) under positive reward depresses; unlabelled: no change
    assert w[0] > w0 and w[3] > w0
    assert w[1] < w0 and w[2] < w0 and w[5] < w0  # R = 0 < Rbar is a negative error
    assert w[6] < w0
    assert w[4] == w0
    Rbar_exp = np.where(rewarded, rbar0 + (R_exp - rbar0) / p["baseline_presentations"], rbar0)
    np.testing.assert_allclose(Rbar, Rbar_exp, rtol=0, atol=1e-12)


# ===================================================== every rule: bounds and learn = 0
def _random_rule_net(rule, seed, learn, n_pres=30, T_ms=25.0, dt_ms=0.5):
    """Poisson pre and post spike trains (independent), presentation boundaries every T,
    random labels and tallies for R-STDP; returns initial and final weights, Rbar."""
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    n_pre, n_post = 8, 4
    pre = b2.NeuronGroup(n_pre, "count : 1\nrate : Hz (constant)",
                         threshold="rand() < rate * dt", reset="count += 1",
                         dt=dt_ms * ms, name="pre")
    post = _post_group(rule, n_post, extra_eqs="rate : Hz (constant)\n",
                       threshold="rand() < rate * dt", learn=learn, dt_ms=dt_ms)
    pre.rate = rng.uniform(20, 150, n_pre) * Hz
    post.rate = rng.uniform(20, 150, n_post) * Hz
    i, j = np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
    w0 = rng.uniform(0, rule.w_max, n_pre * n_post)
    S = _synapses(rule, pre, post, i, j, w0, dt_ms=dt_ms)
    post_reset = "count = 0\n"
    if rule.needs_reward:
        post.Rbar = 0.0
        post_reset += ("label = floor(rand() * 3) - 1\nn_label = floor(rand() * 6)\n"
                       "n_wrong = floor(rand() * 6)\n")
    ops = _boundaries(rule, pre, post, S, T_ms * ms, pre_reset="count = 0", post_reset=post_reset)
    mon = b2.StateMonitor(S, "w", record=True, dt=T_ms * ms / 5, when="end")
    b2.Network(pre, post, S, mon, *ops).run(n_pres * T_ms * ms, namespace={})
    rbar = np.asarray(post.Rbar[:], float) if rule.needs_reward else None
    return w0, np.asarray(mon.w[:], float), np.asarray(S.w[:], float), rbar


# rates chosen so that every rule drives weights into both bounds
STRONG = {
    "stdp": lambda: STDP(eta_pot=0.3, eta_dep=0.2, x_tar=0.3, mu=1.0, w_max=0.7),
    "stdp-offset": lambda: STDPOffset(eta_pot=0.3, eta_dep=0.2, x_tar=0.3, mu=0.2, w_max=0.7),
    "hebbian": lambda: OjaHebbian(eta=0.6, x_ref=1.5, y_ref=1.5, w_max=0.7),
    "rstdp": lambda: RewardSTDP(eta=1.5, a_plus=1.0, a_minus=1.0, baseline_presentations=5.0,
                                w_max=0.7),
}
RULE_PARAMS = [
    pytest.param("stdp", id="stdp"),
    pytest.param("stdp-offset", id="stdp-offset"),
    pytest.param("hebbian", id="hebbian"),
    pytest.param("rstdp", id="rstdp"),
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name", RULE_PARAMS)
def test_weights_stay_within_0_and_w_max_under_random_spike_trains(name, seed):
    rule = STRONG[name]()
    w0, trace, w, _ = _random_rule_net(rule, seed, learn=1.0)
    assert np.all(np.isfinite(trace))
    assert trace.min() >= 0.0 and trace.max() <= rule.w_max
    # the bounds were actually reached, so the clipping was exercised, not just unneeded
    assert np.any(w == 0.0) or np.any(trace == 0.0)
    assert np.any(trace == rule.w_max)


@pytest.mark.parametrize("name", RULE_PARAMS)
def test_learn_zero_freezes_weights(name):
    rule = STRONG[name]()
    w0, _, w_learn, rbar_learn = _random_rule_net(rule, 3, learn=1.0, n_pres=6)
    w0b, _, w_frozen, rbar_frozen = _random_rule_net(rule, 3, learn=0.0, n_pres=6)
    np.testing.assert_array_equal(w0, w0b)
    assert np.abs(w_learn - w0).max() > 1e-3  # with learn = 1 the same run changes them
    np.testing.assert_array_equal(w_frozen, w0)
    if rule.needs_reward:
        assert np.any(rbar_learn != 0.0)
        np.testing.assert_array_equal(rbar_frozen, 0.0)


# ======================================================================= parameters
def test_rule_parameters_are_validated_with_the_key_named():
    with pytest.raises(ValueError, match="eta_pott"):
        STDP(eta_pott=0.1)
    with pytest.raises(ValueError, match="tau_pre_ms"):
        STDP(tau_pre_ms=float("nan"))
    with pytest.raises(ValueError, match="unknown plasticity rule 'bcm'"):
        make_rule("bcm")
    assert make_rule("hebbian", {"eta": 0.2}) == OjaHebbian(eta=0.2)
