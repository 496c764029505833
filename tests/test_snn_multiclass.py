"""Encoders that scale with the input width, the input-drive normalisation, integral
homeostasis, the silent-network warning, and K classes in SpikingClassifier (issue 9).

Tiny networks in Brian2's runtime mode with the numpy target (no compilation).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

brian2 = pytest.importorskip("brian2")

from brainlearn.snn.encoding import (  # noqa: E402
    GaussianReceptiveFields,
    RateCode,
    make_encoder,
)
from brainlearn.snn.model import SpikingClassifier  # noqa: E402

TINY = dict(
    n_hidden=6,
    n_per_feature=4,
    n_per_class=2,
    chunk_size=16,
    min_presentations=0,
    backend="runtime",
)


@pytest.fixture(autouse=True)
def _numpy_target():
    old = brian2.prefs.codegen.target
    brian2.prefs.codegen.target = "numpy"
    yield
    brian2.prefs.codegen.target = old


# ------------------------------------------------------------------------- rate code
def test_rate_code_is_one_afferent_per_feature_proportional_to_the_value():
    enc = RateCode(rate_max_hz=150.0, rate_min_hz=10.0)
    X = np.array([[0.0, 0.5, 1.0], [0.25, -0.4, 1.3]])
    r = enc.rates(X)
    assert r.shape == (2, 3) and enc.n_afferents(3) == 3
    np.testing.assert_allclose(r[0], [10.0, 80.0, 150.0], rtol=1e-12)
    # outside [0, 1]: encoded like the nearest edge
    np.testing.assert_allclose(r[1], [45.0, 10.0, 150.0], rtol=1e-12)
    with pytest.raises(ValueError, match="rate_min_hz < rate_max_hz"):
        RateCode(rate_max_hz=5.0, rate_min_hz=5.0)


def test_make_encoder_names_the_codes():
    assert isinstance(make_encoder("population", n_per_feature=5), GaussianReceptiveFields)
    assert isinstance(make_encoder("rate"), RateCode)
    with pytest.raises(ValueError, match="unknown encoding 'pixels'"):
        make_encoder("pixels")


@pytest.mark.parametrize("n_per_feature", [4, 16, 64])
def test_population_drive_norm_is_the_summed_rate_of_a_feature(n_per_feature):
    # the receptive fields of one feature sum to sqrt(2 pi) sigma_scale (r_max - r_min) for a
    # value away from the edges, whatever n_per_feature: N_eff = n_features * sigma_scale
    enc = GaussianReceptiveFields(n_per_feature, 100.0, 0.0, sigma_scale=0.7)
    x = np.linspace(0.3, 0.7, 9)[:, None]
    total = enc.rates(x).sum(axis=1)
    np.testing.assert_allclose(total / (math.sqrt(2 * math.pi) * 100.0), 0.7, rtol=0.02)
    assert enc.drive_norm(5) == 5 * 0.7


def test_rate_code_drive_norm_is_the_mean_summed_input():
    enc = RateCode(rate_max_hz=100.0)
    X = np.array([[0.0, 1.0, 1.0, 0.5], [1.0, 1.0, 1.0, 1.5]])  # row sums 2.5 and 4 (clipped)
    assert enc.drive_norm(4, X) == pytest.approx(3.25 / math.sqrt(2 * math.pi))
    # the same total rate gives the same drive norm in both codes
    pop = GaussianReceptiveFields(16, 100.0, 0.0, sigma_scale=0.7)
    Xp = np.full((3, 4), 0.5)
    rate_total = pop.rates(Xp).sum(axis=1).mean()
    wide = RateCode(rate_max_hz=100.0)
    Xr = np.full((3, 40), rate_total / (100.0 * 40))
    assert wide.drive_norm(40, Xr) == pytest.approx(pop.drive_norm(4), rel=0.01)
    # a row of zeros does not divide by zero
    assert enc.drive_norm(4, np.zeros((2, 4))) == pytest.approx(1 / math.sqrt(2 * math.pi))


def _blobs(n=36, k=2, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    centres = np.linspace(0.15, 0.85, k)
    X = np.column_stack([centres[y], 1.0 - centres[y]]) + rng.normal(0, 0.04, (n, 2))
    return np.clip(X, 0, 1), y


def test_rate_encoding_fits_with_one_afferent_per_feature():
    X, y = _blobs()
    m = SpikingClassifier(encoding="rate", random_state=1, **TINY).fit(X, y)
    assert m.spec_.n_afferent == 2
    assert m.weights_["afferent->interneuron"].shape == (2, 6)
    assert m.predict_proba(X).shape == (len(X), 2)


def test_encoding_is_validated_and_not_a_network_param():
    X, y = _blobs()
    with pytest.raises(ValueError, match="encoding"):
        SpikingClassifier(encoding="pixels", **TINY).fit(X, y)
    with pytest.raises(ValueError, match="encoding"):
        SpikingClassifier(network_params={"encoding": "rate"}, **TINY).fit(X, y)


# --------------------------------------------------------------------- silent network
def test_a_silent_interneuron_layer_warns_and_names_what_to_change():
    X, y = _blobs()
    m = SpikingClassifier(random_state=0, network_params={"w_in_mv": 0.01}, **TINY)
    with pytest.warns(RuntimeWarning, match=r"interneuron population did not spike.*w_in_mv"):
        m.fit(X, y)
    with pytest.warns(RuntimeWarning, match=r"interneuron population did not spike"):
        m.predict(X)


def test_silent_efferents_warn_at_prediction():
    X, y = _blobs()
    m = SpikingClassifier(random_state=0, network_params={"w_out_mv": 0.0}, **TINY).fit(X, y)
    with pytest.warns(RuntimeWarning, match=r"efferent population did not spike.*w_out_mv"):
        m.predict(X)


def test_an_active_network_does_not_warn():
    X, y = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        m = SpikingClassifier(
            random_state=0, network_params={"w_out_mv": 300.0}, **TINY
        ).fit(X, y)
        m.predict(X)


# --------------------------------------------------------------- integral homeostasis
def test_target_spikes_steers_the_interneuron_layer_to_its_target():
    # a strong drive makes the layer fire far above the target at first; the integral
    # homeostasis raises the thresholds until it fires about target_spikes per presentation
    X, y = _blobs(n=48)
    net = {"w_in_mv": 80.0, "theta_plus_mv": 2.0, "presentation_ms": 20.0}
    kw = dict(TINY, min_presentations=480)
    free = SpikingClassifier(random_state=0, network_params=net, **kw).fit(X, y)
    held = SpikingClassifier(
        random_state=0, network_params={**net, "target_spikes": 1.0}, **kw
    ).fit(X, y)
    n_free = free.hidden_response(X).sum(axis=1).mean()
    n_held = held.hidden_response(X).sum(axis=1).mean()
    assert n_free > 3.0
    assert 0.3 < n_held < 2.0
    assert held.theta_.mean() > free.theta_.mean()
