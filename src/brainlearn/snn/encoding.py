"""Afferent encoding: Gaussian receptive fields over [0, 1] driving Poisson rates.

Each input feature is seen by ``n_per_feature`` afferent neurons whose preferred values
(centres) tile ``[0, 1]`` evenly, ``c_k = k / (n_per_feature - 1)``. Afferent ``k`` of
feature ``f`` fires as a Poisson process of rate

.. math::

    r_{f,k}(x) = r_{min} + (r_{max} - r_{min})\\,
                 \\exp\\!\\left(-\\frac{(x_f - c_k)^2}{2 \\sigma^2}\\right),
    \\qquad \\sigma = \\frac{\\text{sigma\\_scale}}{n_{per\\_feature} - 1}

(population coding with Gaussian tuning curves; Pouget, Dayan & Zemel 2000; the
receptive-field encoding of Bohte, Kok & La Poutre 2002). Afferents are ordered
feature-major: afferent ``f * n_per_feature + k``.

Inputs outside ``[0, 1]`` are clipped to ``[0, 1]`` (a value past an edge is encoded like
the edge). This is the documented rule for test data scaled with training statistics
(e.g. ``breast-cancer``), whose values may fall slightly outside the unit interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GaussianReceptiveFields"]


@dataclass(frozen=True)
class GaussianReceptiveFields:
    """Gaussian receptive-field rate encoder (see the module docstring)."""

    n_per_feature: int = 16
    rate_max_hz: float = 200.0
    rate_min_hz: float = 0.0
    sigma_scale: float = 1.0

    def __post_init__(self):
        if self.n_per_feature < 2:
            raise ValueError(f"n_per_feature must be >= 2, got {self.n_per_feature}")
        if not (0 <= self.rate_min_hz < self.rate_max_hz):
            raise ValueError("need 0 <= rate_min_hz < rate_max_hz")
        if self.sigma_scale <= 0:
            raise ValueError(f"sigma_scale must be > 0, got {self.sigma_scale}")

    @property
    def centres(self) -> np.ndarray:
        return np.linspace(0.0, 1.0, self.n_per_feature)

    @property
    def sigma(self) -> float:
        return self.sigma_scale / (self.n_per_feature - 1)

    def n_afferents(self, n_features: int) -> int:
        return n_features * self.n_per_feature

    def rates(self, X: np.ndarray) -> np.ndarray:
        """Firing rates in Hz, shape ``(n_samples, n_features * n_per_feature)``."""
        X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0)
        d = X[:, :, None] - self.centres[None, None, :]
        g = np.exp(-(d**2) / (2.0 * self.sigma**2))
        r = self.rate_min_hz + (self.rate_max_hz - self.rate_min_hz) * g
        return r.reshape(X.shape[0], -1)
