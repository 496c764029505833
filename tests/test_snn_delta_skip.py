"""The delta-rule readout and the direct afferent -> efferent projection (issue 8 §3),
pinned on a tiny network in runtime mode (numpy target) against a NumPy replay of the
counts it recorded, plus the data-independent init of ``init_from_data=False``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

b2 = pytest.importorskip("brian2")

from brainlearn.snn.encoding import GaussianReceptiveFields  # noqa: E402
from brainlearn.snn.engines import ChunkInputs, NetworkState, RuntimeEngine  # noqa: E402
from brainlearn.snn.graph import NetworkSpec, blueprint  # noqa: E402
from brainlearn.snn.model import SpikingClassifier  # noqa: E402
from brainlearn.snn.plasticity import STDP, DeltaParams, DeltaRule, make_rule  # noqa: E402
from brainlearn.snn.populations import NetworkParams  # noqa: E402

pytestmark = pytest.mark.usefixtures("numpy_runtime")


def _spec(readout, K=5, **net):
    base = dict(dt_ms=0.5, presentation_ms=20.0, n_per_feature=3, n_hidden=3, n_per_class=2,
                noise_mv=0.0, teacher_mv=0.0, suppress_mv=0.0)
    base.update(net)
    return NetworkSpec(n_features=2, chunk=K, net=NetworkParams(**base), hidden_rule=STDP(),
                       readout_rule=readout, supervised=True)


def _inputs(spec, X, labels, learn_r):
    p = spec.net
    enc = GaussianReceptiveFields(p.n_per_feature, p.rate_max_hz, p.rate_min_hz, p.sigma_scale)
    return ChunkInputs.make(enc.rates(np.asarray(X, float)), np.asarray(labels, float),
                            0.0, np.asarray(learn_r, float), 1.0)


def _replay(w, rule, c_pre, c_post, labels, learn, cls):
    """The delta rule in NumPy, presentation by presentation, from recorded counts."""
    p = rule.params
    W = np.array(w, float)
    for k in range(len(labels)):
        y_star = p.y_target * (cls == labels[k])
        err = float(labels[k] >= 0) * (y_star[None, :] - c_post[k][None, :] / p.y_ref)
        W = np.clip(W + learn[k] * p.eta * (c_pre[k][:, None] / p.x_ref) * err, 0, p.w_max)
    return W


def test_delta_rule_parameters_are_validated_by_name():
    with pytest.raises(ValueError, match="x_tar"):
        make_rule("delta", {"x_tar": 0.1})
    assert make_rule("delta", {"eta": 0.2}).params.eta == 0.2
    for name, bad in (("eta", -0.1), ("x_ref", 0.0), ("y_ref", -1.0), ("y_target", -1.0),
                      ("w_max", 0.0)):
        with pytest.raises(ValueError, match=name):
            DeltaParams(**{name: bad})


def test_skip_parameters_are_range_checked():
    for name, bad in (("w_skip_mv", -1.0), ("w_skip_init_high", 1.5),
                      ("w_skip_init_high", -0.1), ("skip_readout", 1)):
        with pytest.raises(ValueError, match=name):
            NetworkParams(**{name: bad})


def test_the_skip_projection_exists_only_when_on():
    """Off: the blueprint (what the build key hashes) is the one without the option."""
    rule = DeltaRule()
    off, on = _spec(rule), _spec(rule, skip_readout=True, w_skip_mv=50.0)
    names = lambda bp: [s.name for s in bp.projections]  # noqa: E731
    assert "afferent_efferent" not in names(blueprint(off))
    assert "afferent_efferent" in names(blueprint(on))
    plain = dataclasses.replace(off, net=dataclasses.replace(off.net, w_skip_mv=99.0))
    assert blueprint(plain).describe() == blueprint(off).describe()
    params = blueprint(on).parameters()["afferent_efferent"]
    assert float(params["w_unit"] / b2.mV) == pytest.approx(50.0 / 2)
    # the rule's end-of-presentation update runs on the skip synapses too
    assert ("afferent_efferent", rule.end_code, 1) in blueprint(on).boundaries
    assert not any(o == "afferent_efferent" for o, _, _ in blueprint(off).boundaries)


@pytest.mark.parametrize("skip", [False, True])
def test_network_delta_readout_matches_a_numpy_replay(skip):
    """Both readout projections (hidden -> efferent and, with skip_readout, afferent ->
    efferent) change by eta x (y* - y) at the end of each presentation, with the counts of
    that presentation, its label and its learn flag; the teacher does not drive."""
    rule = DeltaRule(eta=0.05, x_ref=2.0, y_ref=2.0, y_target=1.5)
    spec = _spec(rule, skip_readout=skip, w_out_mv=250.0, w_skip_mv=120.0)
    X = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5], [0.3, 0.7], [0.9, 0.9]])
    labels, learn = [0, 1, 0, 1, 1], [1, 1, 0, 1, 1]
    rng = np.random.default_rng(4)
    n_aff, n_hid, n_eff = spec.n_afferent, spec.net.n_hidden, spec.n_efferent
    state = NetworkState(
        w_in=rng.uniform(0.5, 1.0, (n_aff, n_hid)),
        w_out=rng.uniform(0.2, 0.9, (n_hid, n_eff)),
        theta_volt=np.zeros(n_hid),
        rbar=np.zeros(n_eff),
        w_skip=rng.uniform(0.0, 0.6, (n_aff, n_eff)) if skip else None,
    )
    res = RuntimeEngine(spec).run(_inputs(spec, X, labels, learn), state, seed=5)
    c_aff, c_hid, c_eff = (res.counts[n] for n in ("afferent", "hidden", "efferent"))
    assert c_hid.sum() > 0 and c_eff.sum() > 0
    cls = np.repeat([0, 1], spec.net.n_per_class)
    w_out = _replay(state.w_out, rule, c_hid, c_eff, labels, learn, cls)
    assert np.abs(w_out - state.w_out).max() > 1e-3
    np.testing.assert_allclose(res.state.w_out, w_out, rtol=0, atol=1e-12)
    if skip:
        w_skip = _replay(state.w_skip, rule, c_aff, c_eff, labels, learn, cls)
        assert np.abs(w_skip - state.w_skip).max() > 1e-3
        np.testing.assert_allclose(res.state.w_skip, w_skip, rtol=0, atol=1e-12)
    else:
        assert res.state.w_skip is None


def test_unlabelled_presentations_leave_the_delta_readout_unchanged():
    rule = DeltaRule(eta=0.05, x_ref=2.0, y_ref=2.0, y_target=1.5)
    spec = _spec(rule, K=3, skip_readout=True, w_out_mv=250.0, w_skip_mv=120.0)
    rng = np.random.default_rng(1)
    n_aff, n_hid, n_eff = spec.n_afferent, spec.net.n_hidden, spec.n_efferent
    state = NetworkState(rng.uniform(0.5, 1.0, (n_aff, n_hid)),
                         rng.uniform(0.2, 0.9, (n_hid, n_eff)), np.zeros(n_hid),
                         np.zeros(n_eff), rng.uniform(0.0, 0.6, (n_aff, n_eff)))
    X = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]])
    res = RuntimeEngine(spec).run(_inputs(spec, X, [-1, -1, -1], [1, 1, 1]), state, seed=2)
    assert res.counts["efferent"].sum() > 0
    np.testing.assert_array_equal(res.state.w_out, state.w_out)
    np.testing.assert_array_equal(res.state.w_skip, state.w_skip)


TINY = dict(n_hidden=4, n_per_feature=3, n_per_class=2, chunk_size=8, min_presentations=0,
            backend="runtime")
SKIP_NET = {"presentation_ms": 20.0, "skip_readout": True, "teacher_mv": 0.0,
            "suppress_mv": 0.0}


def _data(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    return X, (X[:, 0] > 0.5).astype(int)


def test_classifier_with_skip_readout_fits_and_keeps_its_weights():
    X, y = _data()
    clf = SpikingClassifier(readout_rule="delta", random_state=1, network_params=SKIP_NET,
                            **TINY).fit(X, y)
    w = clf.weights_["afferent->efferent"]
    assert w.shape == (6, 4)
    assert np.abs(w - clf.initial_weights_["afferent->efferent"]).max() > 0
    assert set(clf.weight_history_[-1]) == set(clf.weights_)
    assert clf.predict_proba(X).shape == (12, 2)


def test_the_skip_weights_are_drawn_after_the_others():
    """Turning the projection on adds a third draw and changes none of the other initial
    weights: models without it keep their random streams."""
    X, y = _data()
    kw = dict(readout_rule="delta", random_state=3, epochs=1, **TINY)
    on = SpikingClassifier(network_params=SKIP_NET, **kw).fit(X, y)
    off = SpikingClassifier(network_params={**SKIP_NET, "skip_readout": False}, **kw).fit(X, y)
    assert set(off.initial_weights_) == {"afferent->hidden", "hidden->efferent"}
    for k, w in off.initial_weights_.items():
        np.testing.assert_array_equal(on.initial_weights_[k], w)
    w0 = on.initial_weights_["afferent->efferent"]
    assert w0.min() >= 0 and w0.max() <= NetworkParams().w_skip_init_high


def test_graded_readout_and_ops_count_the_skip_path():
    X, y = _data()
    clf = SpikingClassifier(readout_rule="delta", random_state=1, network_params=SKIP_NET,
                            **TINY).fit(X, y)
    c, _ = clf._predict_counts(X)
    p, spec = clf.spec_.net, clf.spec_
    n, s = clf._scores(spec, c["hidden"], c["efferent"],
                       clf.weights_["hidden->efferent"], c["afferent"],
                       clf.weights_["afferent->efferent"])
    g = (c["hidden"] @ clf.weights_["hidden->efferent"]
         + c["afferent"] @ clf.weights_["afferent->efferent"]
         * (p.w_skip_mv / spec.n_features) / p.w_out_mv)
    k = p.n_per_class
    np.testing.assert_allclose(s, np.stack([g[:, :k].sum(1), g[:, k:].sum(1)], axis=1))
    np.testing.assert_allclose(clf.predict_proba(X), clf._proba(n, s))
    events = (c["afferent"].sum(1) * (p.n_hidden + spec.n_efferent)
              + c["hidden"].sum(1) * (1 + spec.n_efferent)
              + c["inhibitory"].sum(1) * (p.n_hidden - 1))
    assert clf.ops_per_sample(X)["synaptic_events"] == pytest.approx(events.mean())


def test_init_from_data_false_gives_initial_weights_that_do_not_depend_on_x():
    rng = np.random.default_rng(0)
    X1, X2 = rng.random((8, 2)), rng.random((8, 2))
    y = np.array([0, 1] * 4)
    kw = dict(random_state=2, hidden_epochs=0, epochs=1,
              network_params={"presentation_ms": 20.0, "init_from_data": False}, **TINY)
    a = SpikingClassifier(**kw).fit(X1, y)
    b = SpikingClassifier(**kw).fit(X2, y)
    for k in a.initial_weights_:
        np.testing.assert_array_equal(a.initial_weights_[k], b.initial_weights_[k])
    # and with the hidden plasticity off the hidden weights stay at that init
    np.testing.assert_array_equal(a.weights_["afferent->hidden"],
                                  a.initial_weights_["afferent->hidden"])


def test_registered_scratch_models_pass_the_hyperparameter_check():
    from brainlearn import make_model

    for name in ("snn-stdp-scratch", "snn-delta-skip"):
        make_model(name)._check_hyperparameters()
    m = make_model("snn-delta-skip")
    assert m.readout_rule == "delta" and m.network_params["skip_readout"] is True
    assert make_model("snn-stdp-scratch").network_params["init_from_data"] is False
