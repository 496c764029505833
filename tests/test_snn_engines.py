"""The engines: typed chunk inputs and state, and the compiled (C++ standalone) network
agreeing with the runtime-mode network.

Both engines run the project's own network code
(:func:`brainlearn.snn.graph.build_network`) on a tiny, deterministic specification:
afferents fire either never or in every time step (rate 0 or 4000 Hz at dt = 0.5 ms, so
``rand() < rate * dt`` does not depend on the random stream, which differs between the
two devices) and the efferent noise is off. Learning is on, so any difference in the
rules, the boundary operations or the order of the operations shows up in the spike
counts, the final weights, the thresholds or the reward baseline.

A standalone build takes from ~15 s to more than a minute on a busy machine; it is cached
on disk (``BRAINLEARN_CACHE`` or ``~/.cache/brainlearn``) keyed by the generated network, so
a second run of these tests reuses it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

b2 = pytest.importorskip("brian2")

from brainlearn.snn.engines import (  # noqa: E402
    ChunkInputs,
    NetworkState,
    RuntimeEngine,
    StandaloneEngine,
)
from brainlearn.snn.graph import NetworkSpec, blueprint  # noqa: E402
from brainlearn.snn.plasticity import STDP, OjaHebbian, RewardSTDP  # noqa: E402
from brainlearn.snn.populations import NetworkParams  # noqa: E402

pytestmark = pytest.mark.usefixtures("numpy_runtime")

POPS = ("afferent", "hidden", "inhibitory", "efferent")


def _spec(hidden, readout, supervised, K=6, n_classes=2):
    net = NetworkParams(dt_ms=0.5, presentation_ms=20.0, n_per_feature=3, n_hidden=3,
                        n_per_class=2, noise_mv=0.0)
    return NetworkSpec(n_features=2, chunk=K, net=net, hidden_rule=hidden,
                       readout_rule=readout, supervised=supervised, n_classes=n_classes)


def _deterministic_inputs(spec, labels, learn_h, learn_r, teach, seed):
    rng = np.random.default_rng(seed)
    rates = (rng.random((spec.chunk, spec.n_afferent)) < 0.4) * 4000.0
    return ChunkInputs.make(rates, labels, learn_h, learn_r, teach)


def _state(spec, seed, rbar=None):
    rng = np.random.default_rng(seed)
    return NetworkState(
        w_in=rng.uniform(0.2, 0.6, (spec.n_afferent, spec.net.n_hidden)),
        w_out=rng.uniform(0.3, 0.8, (spec.net.n_hidden, spec.n_efferent)),
        theta_volt=np.zeros(spec.net.n_hidden),
        rbar=np.full(spec.n_efferent, 0.0 if rbar is None else rbar),
    )


def _assert_same_run(a, b, names):
    for pop in POPS:
        np.testing.assert_array_equal(a.counts[pop], b.counts[pop], err_msg=pop)
    for name in names:
        np.testing.assert_allclose(getattr(a.state, name), getattr(b.state, name), rtol=1e-9,
                                   atol=1e-12, err_msg=name)


# ------------------------------------------------------------------------- typed values
def test_chunk_inputs_are_padded_by_the_engine_with_silent_unlabelled_rows():
    spec = _spec(STDP(), OjaHebbian(), supervised=True, K=4)
    inputs = ChunkInputs.make(np.full((2, spec.n_afferent), 50.0), [1, 0], 1.0, 1.0, 1.0)
    padded = inputs.padded(spec)
    assert padded["rates"].shape == (5, spec.n_afferent)
    assert (padded["rates"][2:] == 0).all() and (padded["rates"][:2] == 50).all()
    np.testing.assert_array_equal(padded["label"], [1, 0, -1, -1, -1])
    for flag in ("learn_hidden", "learn_readout", "teach"):
        np.testing.assert_array_equal(padded[flag], [1, 1, 0, 0, 0])
    with pytest.raises(ValueError, match="at most 4"):
        ChunkInputs.make(np.zeros((5, spec.n_afferent))).padded(spec)
    with pytest.raises(ValueError, match="rates must have shape"):
        ChunkInputs.make(np.zeros((2, 3))).padded(spec)


def test_a_short_chunk_gives_one_row_per_presentation_and_the_state_round_trips():
    spec = _spec(STDP(eta_pot=0.05), OjaHebbian(eta=0.2), supervised=True, K=4)
    inputs = _deterministic_inputs(spec, [0, 1, 0, 1], [1] * 4, [1] * 4, [1] * 4, seed=0)
    short = ChunkInputs.make(inputs.rates[:2], [0, 1], 1, 1, 1)
    state = _state(spec, 0)
    res = RuntimeEngine(spec).run(short, state, seed=3)
    assert {pop: c.shape[0] for pop, c in res.counts.items()} == dict.fromkeys(POPS, 2)
    assert res.state.w_in.shape == state.w_in.shape and res.state.w_out.shape == state.w_out.shape
    np.testing.assert_array_equal(res.state.rbar, state.rbar)  # no reward rule: kept
    flat = res.state.flat()
    again = NetworkState.from_flat(spec, flat, state)
    for name in ("w_in", "w_out", "theta_volt", "rbar"):
        np.testing.assert_array_equal(getattr(again, name), getattr(res.state, name))


def test_a_runtime_chunk_skips_brian2s_full_collection_and_gives_it_back(monkeypatch):
    """Brian2 starts every ``Network.run`` with ``gc.collect()`` (a walk over every object
    of the process); the runtime engine runs its explicit network without it, the same
    spikes, and leaves Brian2's module as it was, also when the run fails."""
    import gc

    from brian2.core import network as b2_network

    calls = []
    real = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(a) or real(*a))
    spec = _spec(STDP(eta_pot=0.05), OjaHebbian(eta=0.2), supervised=True, K=4)
    inputs = _deterministic_inputs(spec, [0, 1, 0, 1], [1] * 4, [1] * 4, [1] * 4, seed=0)
    state = _state(spec, 0)
    res = RuntimeEngine(spec).run(inputs, state, seed=3)
    assert calls == [] and b2_network.gc is gc
    # the same run with Brian2's collection: the same counts and state
    b2.Network(b2.NeuronGroup(1, "v : 1")).run(0 * b2.ms)  # the spy sees Brian2's call
    assert len(calls) == 1
    with monkeypatch.context() as m:
        m.setattr("brainlearn.snn.engines._without_brian2_full_collection",
                  __import__("contextlib").nullcontext)
        again = RuntimeEngine(spec).run(inputs, state, seed=3)
    assert len(calls) == 2
    _assert_same_run(res, again, ("w_in", "w_out", "theta_volt", "rbar"))

    from brainlearn.snn.engines import _without_brian2_full_collection

    with pytest.raises(RuntimeError, match="a failing run"):
        with _without_brian2_full_collection():
            assert b2_network.gc is not gc
            raise RuntimeError("a failing run")
    assert b2_network.gc is gc


def test_blueprint_copies_and_frozen_mode():
    spec = _spec(STDP(), RewardSTDP(), supervised=False)
    plastic = blueprint(spec)
    frozen = blueprint(spec, plastic=False, copies=3)
    names = [s.name for s in plastic.projections]
    assert "efferent_tally" in names
    assert "efferent_tally" not in [s.name for s in frozen.projections]
    for proj in frozen.projections:
        assert "apre" not in proj.full_model and "elig" not in proj.full_on_pre
    assert all(order == 3 for _, _, order in frozen.boundaries)
    assert "Rbar" in str(plastic.populations[3].equations())
    assert "Rbar" not in str(frozen.populations[3].equations())
    from brainlearn.snn.graph import _connectivity

    i, j = _connectivity("all_but_self", 3, 3, 2, copies=2)
    assert len(i) == 12 and set(zip(i // 3, j // 3, strict=True)) == {(0, 0), (1, 1)}
    assert not np.any(i == j)


@pytest.mark.slow
def test_standalone_and_runtime_agree_stdp_hidden_hebbian_readout():
    spec = _spec(STDP(eta_pot=0.05, eta_dep=0.01), OjaHebbian(eta=0.2), supervised=True)
    K = spec.chunk
    labels = [0, 1, 1, 0, 1, 0]
    inputs = _deterministic_inputs(spec, labels, [1, 1, 0, 1, 1, 1], [1, 1, 1, 0, 1, 1],
                                   [1] * K, seed=0)
    state = _state(spec, 0)
    runtime = RuntimeEngine(spec).run(inputs, state, seed=3)
    standalone = StandaloneEngine(spec).run(inputs, state, seed=3)
    _assert_same_run(runtime, standalone, ("w_in", "w_out", "theta_volt"))
    # the run was not trivial: every population fired, the weights and thresholds moved
    for pop in POPS:
        assert runtime.counts[pop].sum() > 0, pop
    for name in ("w_in", "w_out", "theta_volt"):
        assert np.abs(getattr(standalone.state, name) - getattr(state, name)).max() > 1e-4, name

    # the compiled program's own randomness (Poisson afferents) follows its seed
    eng = StandaloneEngine(spec)
    poisson = dataclasses.replace(inputs, rates=np.where(inputs.rates > 0, 150.0, 20.0))
    r1, r2, r3 = (eng.run(poisson, state, seed=s) for s in (11, 11, 12))
    _assert_same_run(r1, r2, ("w_in", "w_out"))
    assert not np.array_equal(r1.counts["afferent"], r3.counts["afferent"])


@pytest.mark.slow
# three classes only: the reward's "most active other class" is the one other class of a
# two-class task, the same compiled code (a second build of 20 s would test nothing more)
@pytest.mark.parametrize("n_classes", [3])
def test_standalone_closed_loop_reward_matches_runtime(n_classes):
    """R-STDP readout, reward computed inside the compiled program (tally synapses and
    run_regularly at the end of each presentation): the same reward baseline, weights and
    spikes as the runtime-mode network, and the baseline equals a NumPy recomputation of
    R = (n_label - n_wrong) / (n_label + n_wrong + eps) from the efferent counts, n_wrong
    the spikes of the most active other class."""
    readout = RewardSTDP(eta=0.3, tau_e_ms=30.0, baseline_presentations=3.0)
    spec = _spec(STDP(eta_pot=0.05, eta_dep=0.01), readout, supervised=False,
                 n_classes=n_classes)
    labels = [0, 1, -1, 1, 0, 1] if n_classes == 2 else [0, 2, -1, 1, 2, 0]
    learn_r = [1, 1, 1, 0, 1, 1]
    inputs = _deterministic_inputs(spec, labels, [1] * 6, learn_r, [0] * 6, seed=1)
    state = _state(spec, 1, rbar=0.1)
    standalone = StandaloneEngine(spec).run(inputs, state, seed=5)
    runtime = RuntimeEngine(spec).run(inputs, state, seed=5)
    _assert_same_run(runtime, standalone, ("w_in", "w_out", "theta_volt", "rbar"))
    c = standalone.counts["efferent"]
    npc, p = spec.net.n_per_class, readout.params
    assert c.sum() > 0
    rbar, moved = 0.1, False
    for k in range(spec.chunk):
        if labels[k] < 0:
            continue
        per_class = [c[k, i * npc : (i + 1) * npc].sum() for i in range(n_classes)]
        nl = per_class[labels[k]]
        nw = max(n for i, n in enumerate(per_class) if i != labels[k])
        R = (nl - nw) / (nl + nw + p.reward_eps)
        rbar += learn_r[k] * (R - rbar) / p.baseline_presentations
        moved |= bool(learn_r[k] and R != 0.1)
    assert moved
    np.testing.assert_allclose(standalone.state.rbar, rbar, rtol=0, atol=1e-12)
    dw = standalone.state.w_out - state.w_out
    assert np.abs(dw).max() > 1e-4


def test_frozen_copies_of_the_network_run_independently():
    """``copies=2, plastic=False``: each copy, fed the same deterministic input, spikes
    exactly as the one plastic network with learning switched off (the shape of a
    batched inference program)."""
    from brian2 import Hz, ms, volt

    from brainlearn.snn.graph import build_network, run_duration_ms

    spec = _spec(STDP(), RewardSTDP(), supervised=False, K=3)
    inputs = _deterministic_inputs(spec, [-1] * 3, [0] * 3, [0] * 3, [0] * 3, seed=2)
    state = _state(spec, 2)
    single = RuntimeEngine(spec).run(inputs, state, seed=1)
    frozen = dataclasses.replace(spec, copies=2, plastic=False)
    padded = inputs.padded(spec)
    timed = {**padded, "rates": np.tile(padded["rates"], (1, 2)) * Hz}
    initial = {"afferent_hidden.w": np.tile(state.w_in.ravel(), 2),
               "hidden_efferent.w": np.tile(state.w_out.ravel(), 2),
               "hidden.theta": np.tile(state.theta_volt, 2) * volt}
    net, h = build_network(frozen, timed, initial)
    assert "efferent_tally" not in h and "Rbar" not in h["efferent"].variables
    net.run(run_duration_ms(frozen) * ms, namespace={})
    for pop in POPS:
        counts = np.asarray(h[f"count_{pop}"].count[:], float).T[1:4]
        n = counts.shape[1] // 2
        np.testing.assert_array_equal(counts[:, :n], single.counts[pop], err_msg=pop)
        np.testing.assert_array_equal(counts[:, n:], single.counts[pop], err_msg=pop)
    assert single.counts["efferent"].sum() > 0


def test_standalone_engines_is_the_seam_for_a_fake_engine():
    """Inside the block every compiled program (get_engine's and the batched inference
    engine's) is run by the factory; outside, by StandaloneEngine again."""
    from brainlearn.snn import engines
    from brainlearn.snn.batched import BatchedEngine
    from brainlearn.snn.model import SpikingClassifier

    made = []

    class Fake:
        name = "fake"

        def __init__(self, spec):
            made.append(spec)

    spec, _ = SpikingClassifier(n_hidden=6, n_per_feature=4, n_per_class=2).program_specs(2)
    with engines.standalone_engines(Fake):
        assert isinstance(engines.get_engine(spec, "standalone"), Fake)
        assert isinstance(BatchedEngine(spec).engine, Fake)
    assert len(made) == 2 and made[0] == spec and not made[1].plastic
    with engines.standalone_engines(lambda s: made.append("outer") or "outer"):
        with engines.standalone_engines(Fake):
            assert isinstance(engines.standalone_engine(spec), Fake)
        assert engines.standalone_engine(spec) == "outer"  # the inner one is gone
