"""The cached exact integration (:mod:`brainlearn.snn.exact`) returns the code Brian2's own
``exact`` method computes, and reads it back from disk in a later call."""

from __future__ import annotations

import pytest

b2 = pytest.importorskip("brian2")

from brainlearn.snn import exact  # noqa: E402
from brainlearn.snn.graph import NetworkSpec, blueprint, build_network  # noqa: E402
from brainlearn.snn.plasticity import make_rule  # noqa: E402
from brainlearn.snn.populations import NetworkParams  # noqa: E402

pytestmark = pytest.mark.usefixtures("numpy_runtime")


def _group(method, eqs):
    return b2.NeuronGroup(2, eqs, method=method, namespace={
        "tau_m": 10 * b2.ms, "tau_e": 2 * b2.ms, "tau_t": 50 * b2.ms, "v_rest": -0.065})


def _state_code(group):
    group.state_updater.before_run({})
    return group.state_updater.abstract_code


EQS = """dv/dt = (v_rest - v + ge) / tau_m : 1
dge/dt = -ge / tau_e : 1
dtheta/dt = -theta / tau_t : 1"""


def test_cached_exact_gives_brian2s_code_and_reads_it_back(tmp_path, monkeypatch):
    monkeypatch.setenv("BRAINLEARN_CACHE", str(tmp_path))
    ours = _state_code(_group(exact.state_updater("exact"), EQS))
    assert ours == _state_code(_group("exact", EQS))
    stored = list((tmp_path / "exact").glob("*.txt"))
    assert len(stored) == 1 and stored[0].read_text() == ours
    # a later call (a new process: Brian2's in-memory cache is empty) reads the file
    # instead of solving again; a solver that fails shows that it was not called
    from brian2.stateupdaters.exact import LinearStateUpdater

    def refuse(*args, **kwargs):
        raise AssertionError("solved again")

    monkeypatch.setattr(LinearStateUpdater, "__call__", refuse)
    fresh = exact._updater_class()()
    eqs = b2.Equations(EQS)
    group = _group("euler", EQS)
    assert fresh(eqs, group.variables) == ours


def test_a_cache_that_cannot_be_written_still_integrates(tmp_path, monkeypatch):
    blocked = tmp_path / "ro"
    blocked.write_text("not a directory")
    monkeypatch.setenv("BRAINLEARN_CACHE", str(blocked))
    with pytest.warns(RuntimeWarning, match="cannot be written"):
        code = _state_code(_group(exact.state_updater("exact"), EQS + "\ndx/dt = -x / tau_e : 1"))
    assert "_v =" in code


def test_other_methods_pass_through_and_a_network_uses_the_cached_updater():
    assert exact.state_updater("euler") == "euler"
    assert exact.state_updater("exponential_euler") == "exponential_euler"
    spec = NetworkSpec(n_features=2, chunk=5, net=NetworkParams(encoding="rate"),
                       hidden_rule=make_rule("stdp"), readout_rule=make_rule("stdp"),
                       supervised=True)
    exact_pops = {p.name for p in blueprint(spec).populations if p.method == "exact"}
    assert "hidden" in exact_pops
    _, handles = build_network(spec)
    groups = [o for o in handles.values() if isinstance(o, b2.NeuronGroup)]
    methods = {g.name: g.state_updater.method_choice for g in groups}
    assert "hidden" in methods
    for name in exact_pops & methods.keys():
        assert methods[name] is exact.CachedExact(), methods

