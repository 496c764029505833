"""The receptive-field encoder: Gaussian tuning curves over [0, 1] (no Brian2 needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from brainlearn.snn.encoding import GaussianReceptiveFields


def test_encoder_rates_are_gaussian_receptive_fields():
    enc = GaussianReceptiveFields(n_per_feature=5, rate_max_hz=120.0, rate_min_hz=10.0,
                                  sigma_scale=1.0)
    # centres 0, .25, .5, .75, 1; sigma = 1 / 4
    X = np.array([[0.5, 0.0], [0.625, 1.0], [-0.3, 1.7]])
    r = enc.rates(X)
    assert r.shape == (3, 10)
    # x = 0.5 on the centre of afferent 2; its neighbours are one sigma away
    g1 = math.exp(-0.5)
    g2 = math.exp(-2.0)
    g4 = math.exp(-8.0)
    np.testing.assert_allclose(r[0, :5], 10 + 110 * np.array([g2, g1, 1, g1, g2]), rtol=1e-12)
    # feature 1 (x = 0) is afferents 5..9 (feature-major), peaked on centre 0
    np.testing.assert_allclose(r[0, 5:], 10 + 110 * np.array([1, g1, g2, math.exp(-4.5), g4]),
                               rtol=1e-12)
    # halfway between two centres: half a sigma from each
    h = math.exp(-0.125)
    np.testing.assert_allclose(r[1, 2:4], 10 + 110 * np.array([h, h]), rtol=1e-12)
    np.testing.assert_allclose(r[1, 5:], r[0, 5:][::-1], rtol=1e-12)
    # values outside [0, 1] are encoded like the nearest edge (documented clipping)
    np.testing.assert_allclose(r[2], enc.rates(np.array([[0.0, 1.0]]))[0], rtol=0)
    assert np.all(r >= 10) and np.all(r <= 120)


def test_encoder_sigma_follows_sigma_scale_and_spacing():
    enc = GaussianReceptiveFields(n_per_feature=9, rate_max_hz=100.0, sigma_scale=2.0)
    np.testing.assert_allclose(enc.centres, np.arange(9) / 8)
    assert enc.sigma == pytest.approx(2.0 / 8)
    r = enc.rates(np.array([[0.5]]))[0]
    np.testing.assert_allclose(r, 100 * np.exp(-((0.5 - np.arange(9) / 8) ** 2) / (2 * 0.25**2)),
                               rtol=1e-12)
    for bad in (dict(n_per_feature=1), dict(rate_max_hz=0.0), dict(sigma_scale=0.0),
                dict(rate_min_hz=50.0, rate_max_hz=40.0)):
        with pytest.raises(ValueError):
            GaussianReceptiveFields(**bad)


