"""Afferent encoding: input values in [0, 1] to afferent firing rates.

Three codes (``encoding`` of :class:`~brainlearn.snn.model.SpikingClassifier`):

``"population"`` (default): Gaussian receptive fields, :class:`GaussianReceptiveFields`
    Each input feature is seen by ``n_per_feature`` afferent neurons whose preferred values
    (centres) tile ``[0, 1]`` evenly, ``c_k = k / (n_per_feature - 1)``. Afferent ``k`` of
    feature ``f`` fires at the rate

    .. math::

        r_{f,k}(x) = r_{min} + (r_{max} - r_{min})\\,
                     \\exp\\!\\left(-\\frac{(x_f - c_k)^2}{2 \\sigma^2}\\right),
        \\qquad \\sigma = \\frac{\\text{sigma\\_scale}}{n_{per\\_feature} - 1}

    (population coding with Gaussian tuning curves; Pouget, Dayan & Zemel 2000; the
    receptive-field encoding of Bohte, Kok & La Poutre 2002). Afferents are ordered
    feature-major: afferent ``f * n_per_feature + k``. ``n_features * n_per_feature``
    afferents: fine for a few dozen features, costly for images.

``"rate"``: a direct rate code, :class:`RateCode`
    One afferent per feature, firing at a rate proportional to the value,
    :math:`r_f(x) = r_{min} + (r_{max} - r_{min})\\, x_f` (the Poisson pixel code of Diehl &
    Cook 2015). ``n_features`` afferents: the code for wide inputs such as images.

``"rate-complement"``: a rate code with on and off channels, :class:`ComplementRateCode`
    Two afferents per feature, one at the rate of ``x_f`` and one at the rate of
    ``1 - x_f`` (complement coding; Carpenter, Grossberg & Rosen 1991). Every input then
    drives the same total rate, a value of 0 is seen (by its off afferent) rather than
    being silent, and for weight vectors of equal sum the dot product with the code
    falls as the L1 distance between the input and the weights' on/off pattern grows:
    competition by matched drive becomes competition by distance, which the plain rate
    code only gives for inputs of equal brightness (it cannot tell the quadrants of xor
    apart, for instance). ``2 n_features`` afferents.

Whether the afferents fire as Poisson processes or regularly at these rates is the
network's ``poisson_input`` (see :mod:`brainlearn.snn.populations`).

Inputs outside ``[0, 1]`` are clipped to ``[0, 1]`` (a value past an edge is encoded like
the edge). This is the documented rule for test data scaled with training statistics
(e.g. ``breast-cancer``), whose values may fall slightly outside the unit interval.

Input drive
-----------
The total afferent rate differs between the codes and grows with the number of features,
so the synaptic scale of afferent -> interneuron synapses is divided by the *effective
number of afferents* :math:`N_{eff}` (:meth:`drive_norm`), the mean total afferent rate in
units of :math:`\\sqrt{2\\pi}\\,(r_{max} - r_{min})`, the summed rate of the receptive fields
of one feature of unit ``sigma_scale``:

- population code: the receptive fields of one feature sum to
  :math:`\\sqrt{2\\pi}\\,\\text{sigma\\_scale}\\,(r_{max} - r_{min})` for a value away from
  the edges, whatever ``n_per_feature``, so :math:`N_{eff} = n_{features}\\,
  \\text{sigma\\_scale}` (no data needed);
- rate code: :math:`N_{eff} = \\overline{\\sum_f x_f} / \\sqrt{2\\pi}`, the mean summed
  input of the training rows (at least ``1 / sqrt(2 pi)``);
- complement rate code: :math:`N_{eff} = n_{features} / \\sqrt{2\\pi}` (the on and off
  values of a row always sum to :math:`n_{features}`).

A weight vector that matches an input therefore gives about the same drive whatever the
code and the input width.

References
----------
Carpenter, Grossberg & Rosen (1991) Neural Netw 4:759. Pouget, Dayan & Zemel (2000) Nat
Rev Neurosci 1:125. Bohte, Kok & La Poutre (2002)
IEEE Trans Neural Netw 13:426. Diehl & Cook (2015) Front Comput Neurosci 9:99.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ENCODINGS", "ComplementRateCode", "GaussianReceptiveFields", "RateCode",
           "make_encoder"]

_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _check_rates(rate_min_hz: float, rate_max_hz: float) -> None:
    if not (0 <= rate_min_hz < rate_max_hz):
        raise ValueError("need 0 <= rate_min_hz < rate_max_hz")


@dataclass(frozen=True)
class GaussianReceptiveFields:
    """Gaussian receptive-field rate encoder (``encoding="population"``; module docstring)."""

    n_per_feature: int = 16
    rate_max_hz: float = 200.0
    rate_min_hz: float = 0.0
    sigma_scale: float = 1.0

    name = "population"

    def __post_init__(self):
        if self.n_per_feature < 2:
            raise ValueError(f"n_per_feature must be >= 2, got {self.n_per_feature}")
        _check_rates(self.rate_min_hz, self.rate_max_hz)
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

    def drive_norm(self, n_features: int, X: np.ndarray | None = None) -> float:
        """Effective number of afferents, ``n_features * sigma_scale`` (``X`` is unused)."""
        return n_features * self.sigma_scale


@dataclass(frozen=True)
class RateCode:
    """Direct rate code, one afferent per feature (``encoding="rate"``; module docstring)."""

    rate_max_hz: float = 200.0
    rate_min_hz: float = 0.0

    name = "rate"

    def __post_init__(self):
        _check_rates(self.rate_min_hz, self.rate_max_hz)

    def n_afferents(self, n_features: int) -> int:
        return n_features

    def rates(self, X: np.ndarray) -> np.ndarray:
        """Firing rates in Hz, shape ``(n_samples, n_features)``."""
        X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0)
        return self.rate_min_hz + (self.rate_max_hz - self.rate_min_hz) * X

    def drive_norm(self, n_features: int, X: np.ndarray | None = None) -> float:
        """Effective number of afferents: the mean row sum of ``X`` (clipped to [0, 1])
        over :math:`\\sqrt{2\\pi}`, at least ``1 / sqrt(2 pi)``; ``n_features / (2
        sqrt(2 pi))`` (inputs of mean 0.5) without data."""
        if X is None or len(X) == 0:
            return n_features * 0.5 / _SQRT_2PI
        s = float(np.mean(np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0).sum(axis=1)))
        return max(s, 1.0) / _SQRT_2PI


@dataclass(frozen=True)
class ComplementRateCode:
    """Rate code with complement (on/off) channels, two afferents per feature
    (``encoding="rate-complement"``; module docstring)."""

    rate_max_hz: float = 200.0
    rate_min_hz: float = 0.0

    name = "rate-complement"

    def __post_init__(self):
        _check_rates(self.rate_min_hz, self.rate_max_hz)

    def n_afferents(self, n_features: int) -> int:
        return 2 * n_features

    def rates(self, X: np.ndarray) -> np.ndarray:
        """Firing rates in Hz, shape ``(n_samples, 2 n_features)``: the "on" afferents
        (``x``) of every feature, then the "off" afferents (``1 - x``)."""
        X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0)
        return self.rate_min_hz + (self.rate_max_hz - self.rate_min_hz) * np.hstack(
            [X, 1.0 - X])

    def drive_norm(self, n_features: int, X: np.ndarray | None = None) -> float:
        """Effective number of afferents, ``n_features / sqrt(2 pi)``: every row's on and
        off values sum to ``n_features`` (``X`` is unused)."""
        return n_features / _SQRT_2PI


ENCODINGS = ("population", "rate", "rate-complement")


def make_encoder(
    encoding: str,
    *,
    n_per_feature: int = 16,
    rate_max_hz: float = 200.0,
    rate_min_hz: float = 0.0,
    sigma_scale: float = 1.0,
) -> GaussianReceptiveFields | RateCode | ComplementRateCode:
    """The encoder named ``encoding`` (``"population"`` or ``"rate"``); the rate code
    ignores ``n_per_feature`` and ``sigma_scale``."""
    if encoding == "population":
        return GaussianReceptiveFields(n_per_feature, rate_max_hz, rate_min_hz, sigma_scale)
    if encoding == "rate":
        return RateCode(rate_max_hz, rate_min_hz)
    if encoding == "rate-complement":
        return ComplementRateCode(rate_max_hz, rate_min_hz)
    raise ValueError(f"unknown encoding {encoding!r}; valid encodings: {', '.join(ENCODINGS)}")
