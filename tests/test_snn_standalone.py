"""The compiled (C++ standalone) network agrees with the runtime-mode network.

Both engines run the project's own network code (``build_network``) on a tiny,
deterministic specification: afferents fire either never or in every time step (rate 0
or 4000 Hz at dt = 0.5 ms, so ``rand() < rate * dt`` does not depend on the random
stream, which differs between the two devices) and the efferent noise is off. Learning
is on, so any difference in the rules, the boundary operations or the order of the
operations shows up in the spike counts, the final weights, the thresholds or the
reward baseline.

A standalone build takes from ~15 s to more than a minute on a busy machine; it is cached
on disk (``BRAINLEARN_CACHE`` or ``~/.cache/brainlearn``) keyed by the network source, so
a second run of these tests reuses it.
"""

from __future__ import annotations

import numpy as np
import pytest

b2 = pytest.importorskip("brian2")

from brainlearn.snn.network import (  # noqa: E402
    NetworkSpec,
    RuntimeEngine,
    StandaloneEngine,
)
from brainlearn.snn.plasticity import STDP, OjaHebbian, RewardSTDP  # noqa: E402
from brainlearn.snn.populations import NetworkParams  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("numpy_runtime")]

POPS = ("afferent", "interneuron", "inhibitory", "efferent")




def _spec(hidden, readout, supervised, K=6):
    net = NetworkParams(dt_ms=0.5, presentation_ms=20.0, n_per_feature=3, n_hidden=3,
                        n_per_class=2, noise_mv=0.0)
    return NetworkSpec(n_features=2, chunk=K, net=net, hidden_rule=hidden,
                       readout_rule=readout, supervised=supervised)


def _deterministic_inputs(spec, labels, learn_h, learn_r, teach, seed):
    rng = np.random.default_rng(seed)
    K = spec.chunk
    rates = (rng.random((K + 1, spec.n_afferent)) < 0.4) * 4000.0
    rates[K] = 0.0
    pad = lambda a, v: np.r_[np.asarray(a, float), v]  # noqa: E731
    return {"rates": rates, "label": pad(labels, -1.0), "learn_hidden": pad(learn_h, 0.0),
            "learn_readout": pad(learn_r, 0.0), "teach": pad(teach, 0.0)}


def _state(spec, seed, rbar=None):
    rng = np.random.default_rng(seed)
    s = {
        "afferent_interneuron.w": rng.uniform(0.2, 0.6, spec.n_afferent * spec.net.n_hidden),
        "interneuron_efferent.w": rng.uniform(0.3, 0.8, spec.net.n_hidden * spec.n_efferent),
        "interneuron.theta": np.zeros(spec.net.n_hidden),
    }
    if rbar is not None:
        s["efferent.Rbar"] = np.full(spec.n_efferent, rbar)
    return s


def _assert_same_run(a, b, names):
    for pop in POPS:
        np.testing.assert_array_equal(a[f"counts_{pop}"], b[f"counts_{pop}"], err_msg=pop)
    for name in names:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_standalone_and_runtime_agree_stdp_hidden_hebbian_readout():
    spec = _spec(STDP(eta_pot=0.05, eta_dep=0.01), OjaHebbian(eta=0.2), supervised=True)
    K = spec.chunk
    labels = [0, 1, 1, 0, 1, 0]
    inputs = _deterministic_inputs(spec, labels, [1, 1, 0, 1, 1, 1], [1, 1, 1, 0, 1, 1],
                                   [1] * K, seed=0)
    state = _state(spec, 0)
    runtime = RuntimeEngine(spec).run(inputs, state, seed=3)
    standalone = StandaloneEngine(spec).run(inputs, state, seed=3)
    _assert_same_run(runtime, standalone,
                     ("afferent_interneuron.w", "interneuron_efferent.w", "interneuron.theta"))
    # the run was not trivial: every population fired, the weights and thresholds moved
    for pop in POPS:
        assert runtime[f"counts_{pop}"].sum() > 0, pop
    for name in ("afferent_interneuron.w", "interneuron_efferent.w", "interneuron.theta"):
        assert np.abs(standalone[name] - state[name]).max() > 1e-4, name

    # the compiled program's own randomness (Poisson afferents) follows its seed
    eng = StandaloneEngine(spec)
    poisson = dict(inputs, rates=np.where(inputs["rates"] > 0, 150.0, 20.0))
    poisson["rates"][K] = 0.0
    r1, r2, r3 = (eng.run(poisson, state, seed=s) for s in (11, 11, 12))
    _assert_same_run(r1, r2, ("afferent_interneuron.w", "interneuron_efferent.w"))
    assert not np.array_equal(r1["counts_afferent"], r3["counts_afferent"])


def test_standalone_closed_loop_reward_matches_runtime():
    """R-STDP readout, reward computed inside the compiled program (tally synapses and
    run_regularly at the end of each presentation): the same reward baseline, weights and
    spikes as the runtime-mode network, and the baseline equals a NumPy recomputation of
    R = (n_label - n_wrong) / (n_label + n_wrong + eps) from the efferent counts."""
    readout = RewardSTDP(eta=0.3, tau_e_ms=30.0, baseline_presentations=3.0)
    spec = _spec(STDP(eta_pot=0.05, eta_dep=0.01), readout, supervised=False)
    labels = [0, 1, -1, 1, 0, 1]
    learn_r = [1, 1, 1, 0, 1, 1]
    inputs = _deterministic_inputs(spec, labels, [1] * 6, learn_r, [0] * 6, seed=1)
    state = _state(spec, 1, rbar=0.1)
    standalone = StandaloneEngine(spec).run(inputs, state, seed=5)
    runtime = RuntimeEngine(spec).run(inputs, state, seed=5)
    _assert_same_run(runtime, standalone, ("afferent_interneuron.w", "interneuron_efferent.w",
                                           "interneuron.theta", "efferent.Rbar"))
    c = standalone["counts_efferent"]
    npc, p = spec.net.n_per_class, readout.params
    assert c.sum() > 0
    rbar, moved = 0.1, False
    for k in range(spec.chunk):
        if labels[k] < 0:
            continue
        per_class = [c[k, :npc].sum(), c[k, npc:].sum()]
        nl, nw = per_class[labels[k]], per_class[1 - labels[k]]
        R = (nl - nw) / (nl + nw + p.reward_eps)
        rbar += learn_r[k] * (R - rbar) / p.baseline_presentations
        moved |= bool(learn_r[k] and R != 0.1)
    assert moved
    np.testing.assert_allclose(standalone["efferent.Rbar"], rbar, rtol=0, atol=1e-12)
    dw = standalone["interneuron_efferent.w"] - state["interneuron_efferent.w"]
    assert np.abs(dw).max() > 1e-4
