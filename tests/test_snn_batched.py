"""The batched inference program (many frozen copies in one compiled program) is the same
model as the sequential path.

Exact equality is possible only where no random number is involved. The afferents draw a
random phase at every presentation (``rand()``) and the efferents have noise, and the two
paths draw their random numbers in different orders (the batched program steps many copies
per time step), so: (1) with afferents that fire in every time step or never (rate 0 or
4000 Hz at dt = 0.5 ms: the phase cannot matter) and no noise, the spike counts of every
population must be *identical* to the sequential network's, sample by sample, whatever copy
and run a sample lands in (several runs, a padded last run); (2) with random phases and
noise, the mean spike counts must agree within a fixed statistical tolerance.

The sequential reference is the training network with learning off, run by Brian2's numpy
runtime (no compilation); the batched program is compiled once (a tiny build, cached).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

b2 = pytest.importorskip("brian2")

from brainlearn.snn.batched import BatchedEngine  # noqa: E402
from brainlearn.snn.build import cache_root  # noqa: E402
from brainlearn.snn.engines import ChunkInputs, NetworkState, RuntimeEngine  # noqa: E402
from brainlearn.snn.graph import NetworkSpec  # noqa: E402
from brainlearn.snn.plasticity import STDP  # noqa: E402
from brainlearn.snn.populations import NetworkParams  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("numpy_runtime")]

POPS = ("afferent", "hidden", "inhibitory", "efferent")
COPIES, PRESENTATIONS = 3, 2  # capacity 6 samples per run


def _spec(noise_mv=0.0, chunk=2):
    net = NetworkParams(dt_ms=0.5, presentation_ms=20.0, n_per_feature=3, n_hidden=4,
                        n_per_class=2, noise_mv=noise_mv, w_lat_mv=30.0)
    return NetworkSpec(n_features=2, chunk=chunk, net=net, hidden_rule=STDP(),
                       readout_rule=STDP(), supervised=True)


def _state(spec, seed):
    rng = np.random.default_rng(seed)
    p = spec.net
    return NetworkState(
        w_in=rng.uniform(0.2, 0.9, (spec.n_afferent, p.n_hidden)),
        w_out=rng.uniform(0.2, 0.9, (p.n_hidden, spec.n_efferent)),
        theta_volt=rng.uniform(0.0, 3e-3, p.n_hidden),
        rbar=np.zeros(spec.n_efferent),
    )


def _sequential(spec, rates, state, seed):
    """The training network with learning and teacher off, one presentation per sample."""
    seq = NetworkSpec(**{**vars(spec), "chunk": len(rates)})
    res = RuntimeEngine(seq).run(ChunkInputs.make(rates), state, seed)
    return res.counts


def _batched(spec, rates, state, seed):
    return BatchedEngine(spec, COPIES, PRESENTATIONS).counts(rates, state, seed)


def test_batched_counts_identical_to_sequential_without_randomness():
    spec = _spec()
    rng = np.random.default_rng(0)
    # 8 samples: one full run of 6 and a padded run of 2 (one presentation, one silent copy)
    rates = (rng.random((8, spec.n_afferent)) < 0.5) * 4000.0
    state = _state(spec, 1)
    seq = _sequential(spec, rates, state, seed=3)
    bat = _batched(spec, rates, state, seed=4)
    for pop in POPS:
        assert bat[pop].shape == seq[pop].shape, pop
        np.testing.assert_array_equal(bat[pop], seq[pop], err_msg=pop)
    # the comparison is not trivial: every population fired, samples differ
    for pop in POPS:
        assert seq[pop].sum() > 0, pop
    assert len({tuple(r) for r in seq["efferent"]}) > 1
    # a sample's counts do not depend on where it runs (copy, presentation, run, padding)
    part = _batched(spec, rates[5:7], state, seed=9)
    for pop in POPS:
        np.testing.assert_array_equal(part[pop], seq[pop][5:7], err_msg=pop)
    # nor on how many runs go side by side (n_jobs): n_jobs=2 runs the same 2 runs (6 and
    # 2 samples) in two threads, n_jobs=3 three runs of 3, 3 and 2 samples
    for jobs in (2, 3):
        side = BatchedEngine(spec, COPIES, PRESENTATIONS).counts(rates, state, 4, n_jobs=jobs)
        for pop in POPS:
            np.testing.assert_array_equal(side[pop], seq[pop], err_msg=(jobs, pop))


def test_presentations_are_independent_of_their_order_without_randomness():
    """The reset at each presentation start (membrane, conductances, refractoriness) makes
    a sample's spike counts independent of the sample before it: the condition for running
    samples side by side."""
    spec = _spec()
    rng = np.random.default_rng(1)
    rates = (rng.random((6, spec.n_afferent)) < 0.5) * 4000.0
    state = _state(spec, 3)
    forward = _sequential(spec, rates, state, seed=1)
    backward = _sequential(spec, rates[::-1].copy(), state, seed=2)
    for pop in POPS:
        np.testing.assert_array_equal(forward[pop], backward[pop][::-1], err_msg=pop)


def test_batched_counts_agree_in_distribution_with_random_phase_and_noise():
    spec = _spec(noise_mv=3.0)
    # rates below 2000 Hz: the random phase moves the afferent spikes
    patterns = np.array([[1500.0, 300.0, 50.0, 50.0, 300.0, 1500.0],
                         [50.0, 300.0, 1500.0, 1500.0, 300.0, 50.0]])
    reps = 60
    rates = np.repeat(patterns, reps, axis=0)
    state = _state(spec, 2)
    seq = _sequential(spec, rates, state, seed=5)
    bat = _batched(spec, rates, state, seed=6)

    def same_distribution(counts):
        for pop in ("hidden", "efferent"):
            for k in range(len(patterns)):
                a = seq[pop][k * reps:(k + 1) * reps].sum(1)
                b = counts[pop][k * reps:(k + 1) * reps].sum(1)
                se = np.sqrt(a.var(ddof=1) / reps + b.var(ddof=1) / reps)
                # 4 standard errors plus a small absolute slack (seeded: deterministic)
                assert abs(a.mean() - b.mean()) <= 4 * se + 0.1, (pop, k, a.mean(),
                                                                   b.mean(), se)
                assert a.mean() > 0.5, (pop, k)  # the populations are active

    same_distribution(bat)
    # the randomness is real: another seed gives other spike counts
    other = _batched(spec, rates, state, seed=7)
    assert not np.array_equal(other["efferent"], bat["efferent"])
    # with runs side by side, another draw of the same distribution (n_jobs=3: 21 runs
    # of 1 or 2 presentations instead of 20 of 2; another seed, as the first seeds of a
    # SeedSequence do not depend on how many are drawn)
    side = BatchedEngine(spec, COPIES, PRESENTATIONS).counts(rates, state, 8, n_jobs=3)
    assert not np.array_equal(side["efferent"], bat["efferent"])
    same_distribution(side)


def test_batched_program_is_reused_by_a_fresh_process():
    spec = _spec()
    first = BatchedEngine(spec, COPIES, PRESENTATIONS).engine.build_dir

    def snapshot():
        # this program's directory and any build of its key (other builds may be running)
        own = {p.name: p.stat().st_mtime_ns for p in cache_root().iterdir()
               if p.name.startswith(first.name)}
        return own, {p.name: p.stat().st_mtime_ns for p in first.iterdir()}

    before = snapshot()
    code = (
        "import json, sys\n"
        "from brainlearn.snn.batched import BatchedEngine\n"
        "from brainlearn.snn.graph import NetworkSpec\n"
        "spec = NetworkSpec.from_description(json.loads(sys.argv[1]))\n"
        f"print(BatchedEngine(spec, {COPIES}, {PRESENTATIONS}).engine.build_dir)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, json.dumps(spec.describe())],
                         capture_output=True, text=True, env=dict(os.environ), check=True)
    assert out.stdout.strip() == str(first)
    assert snapshot() == before  # nothing built, nothing replaced


def test_batched_rejects_wrong_shapes_and_handles_no_samples():
    spec = _spec()
    eng = BatchedEngine(spec, COPIES, PRESENTATIONS)
    state = _state(spec, 0)
    with pytest.raises(ValueError, match="rates must have shape"):
        eng.counts(np.zeros((3, spec.n_afferent - 1)), state, 0)
    empty = eng.counts(np.zeros((0, spec.n_afferent)), state, 0)
    assert empty["efferent"].shape == (0, spec.n_efferent)


def test_a_models_prediction_runs_side_by_side_with_n_jobs():
    """``SpikingClassifier(n_jobs=2)`` (or ``n_jobs=None`` in a joblib context of two) runs
    its prediction as two runs of the inference program; ``n_jobs=1`` as one, the same
    prediction at every call."""
    import threading
    import warnings

    from joblib import parallel_config

    from brainlearn.snn import program
    from brainlearn.snn.model import SpikingClassifier

    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    model = SpikingClassifier(n_hidden=6, n_per_feature=4, n_per_class=2, chunk_size=30,
                              min_presentations=0, random_state=0,
                              network_params={"presentation_ms": 20.0})
    from brainlearn.snn import engines

    threads = []
    run = engines.StandaloneEngine.run

    def recorded(self, *args, **kwargs):
        threads.append(threading.current_thread().name)
        return run(self, *args, **kwargs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a small network may fall silent
        model.fit(X, y)
        runs, probas = {}, {}
        for jobs, context in ((1, 1), (2, 1), (None, 2), (None, 1)):
            model.set_params(n_jobs=jobs)
            threads.clear()
            with parallel_config(n_jobs=context), program.recording() as chunks, \
                    pytest.MonkeyPatch.context() as mp:
                mp.setattr(engines.StandaloneEngine, "run", recorded)
                probas[jobs, context] = model.predict_proba(X)
            runs[jobs, context] = (len(chunks), len(set(threads)),
                                   all(t.startswith("brainlearn-predict") for t in threads))
            assert probas[jobs, context].shape == (60, 2)
    # one run in this thread; two in two threads of their own
    assert runs == {(1, 1): (1, 1, False), (2, 1): (2, 2, True), (None, 2): (2, 2, True),
                    (None, 1): (1, 1, False)}
    # n_jobs=None outside a context is n_jobs=1; two runs side by side are another draw
    np.testing.assert_array_equal(probas[None, 1], probas[1, 1])
    np.testing.assert_array_equal(probas[None, 2], probas[2, 1])
