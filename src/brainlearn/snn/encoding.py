"""Input codes: input values in [0, 1] to afferent firing rates, spike times or currents.

Each code is a named encoder object; ``make_encoder(name)`` gives it, and one parameter,
``encoding``, selects it in every spiking model
(:class:`~brainlearn.snn.model.SpikingClassifier`, the local-rule networks, and
:class:`~brainlearn.surrogate.model.SurrogateSpikingClassifier`, trained by backprop).
``kind`` says what the code delivers: ``"rate"`` (spike trains at the encoded rates,
regular or Poisson as the network's ``poisson_input`` says), ``"latency"`` (one spike per
afferent at an encoded time) or ``"current"`` (no afferent spikes: analogue input
currents). Codes (``encoding=``):

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

``"current"``: direct current injection, :class:`CurrentCode`
    No afferent spikes: the input values drive the first spiking layer as analogue
    currents, :math:`I_j = \\sum_f W_{fj}\\, r_f(x)\\, dt` added to the synaptic variable of
    hidden neuron :math:`j` in every time step, with :math:`r_f(x)` the rate of the rate
    code (plus a constant bias input at ``rate_max_hz``, as the linear layer of the
    references below has a bias). It is the noise-free limit of the rate code: the same
    mean drive in every step, without the spike-count noise. This is how snnTorch (Eshraghian
    et al. 2023) and Norse (Pehle & Pedersen 2021) feed static data to a spiking network by
    default, and it is only possible for a network trained by gradient: the local rules of
    the Brian2 networks (STDP) need presynaptic spikes, so those refuse this code.
    ``n_features + 1`` inputs.

``"latency"``: time-to-first-spike code, :class:`LatencyCode`
    One afferent per feature, which fires exactly once per presentation, the earlier the
    larger the value, linearly: :math:`t_f = (1 - x_f)\\, T_w`, :math:`T_w` the coding
    window (the presentation); a value of 0 fires at :math:`T_w`, i.e. never inside the
    presentation (Thorpe, Delorme & Van Rullen 2001; Gütig & Sompolinsky 2006; the linear
    variant of snnTorch's ``spikegen.latency``). At most ``n_features`` spikes per sample:
    the sparsest of the codes, and noise-free.

Whether the afferents of the rate codes fire as Poisson processes or regularly at these
rates is the network's ``poisson_input`` (see :mod:`brainlearn.snn.populations`): with
``encoding="population"``, ``poisson_input=True`` is the Poisson population code and
``poisson_input=False`` the deterministic (regular, random-phase) population code.

Inputs outside ``[0, 1]`` are clipped to ``[0, 1]`` (a value past an edge is encoded like
the edge). This is the documented rule for test data scaled with training statistics
(e.g. ``breast-cancer``), whose values may fall slightly outside the unit interval.

Input drive
-----------
The total afferent rate differs between the codes and grows with the number of features,
so the synaptic scale of afferent -> hidden synapses is divided by the *effective
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
Rev Neurosci 1:125. Thorpe, Delorme & Van Rullen (2001) Neural Netw 14:715. Bohte, Kok &
La Poutre (2002) IEEE Trans Neural Netw 13:426. Gütig & Sompolinsky (2006) Nat Neurosci
9:420. Diehl & Cook (2015) Front Comput Neurosci 9:99. Pehle & Pedersen (2021) Norse,
doi:10.5281/zenodo.4422025. Eshraghian et al. (2023) Proc IEEE 111:1016 (snnTorch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ENCODINGS", "ComplementRateCode", "CurrentCode", "GaussianReceptiveFields",
           "LatencyCode", "RateCode", "make_encoder"]

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
    kind = "rate"

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
    kind = "rate"

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
    kind = "rate"

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


@dataclass(frozen=True)
class CurrentCode:
    """Direct current injection (``encoding="current"``; module docstring): the rate
    code's rates as analogue currents, plus a bias input, no afferent spikes."""

    rate_max_hz: float = 200.0
    rate_min_hz: float = 0.0
    #: a constant input at ``rate_max_hz`` (the bias of a linear layer)
    bias: bool = True

    name = "current"
    kind = "current"

    def __post_init__(self):
        _check_rates(self.rate_min_hz, self.rate_max_hz)

    def n_afferents(self, n_features: int) -> int:
        return n_features + int(self.bias)

    def rates(self, X: np.ndarray) -> np.ndarray:
        """The equivalent rates in Hz (the current of input ``f`` per time step ``dt`` is
        ``rates * dt``), shape ``(n_samples, n_features + bias)``; the bias input last."""
        X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0)
        r = self.rate_min_hz + (self.rate_max_hz - self.rate_min_hz) * X
        if self.bias:
            r = np.hstack([r, np.full((len(r), 1), self.rate_max_hz)])
        return r

    def drive_norm(self, n_features: int, X: np.ndarray | None = None) -> float:
        """As the rate code's (the same mean drive)."""
        return RateCode(self.rate_max_hz, self.rate_min_hz).drive_norm(n_features, X)


@dataclass(frozen=True)
class LatencyCode:
    """Time-to-first-spike code (``encoding="latency"``; module docstring): afferent ``f``
    fires once, at ``(1 - x_f) window_ms`` after the presentation starts."""

    window_ms: float = 50.0
    #: the rate codes' rate range: only the unit of :meth:`drive_norm`, so that the latency
    #: code's one spike per afferent drives a neuron as much as the rate code's spikes
    rate_max_hz: float = 200.0
    rate_min_hz: float = 0.0

    name = "latency"
    kind = "latency"

    def __post_init__(self):
        if not (np.isfinite(self.window_ms) and self.window_ms > 0):
            raise ValueError(f"window_ms must be a finite number > 0, got {self.window_ms!r}")
        _check_rates(self.rate_min_hz, self.rate_max_hz)

    def n_afferents(self, n_features: int) -> int:
        return n_features

    def spike_times_ms(self, X: np.ndarray) -> np.ndarray:
        """First-spike times in ms from the presentation start, ``(1 - x) window_ms``;
        ``inf`` (no spike) for a value of 0 or below (its time would be at or after the
        end of the window). Shape ``(n_samples, n_features)``."""
        X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0)
        t = (1.0 - X) * self.window_ms
        return np.where(X > 0.0, t, np.inf)

    def rates(self, X: np.ndarray) -> np.ndarray:
        """Mean rates in Hz over the window: ``1000 / window_ms`` for an afferent that
        fires (one spike per window), 0 for a silent one."""
        X = np.clip(np.asarray(X, dtype=np.float64), 0.0, 1.0)
        return np.where(X > 0.0, 1000.0 / self.window_ms, 0.0)

    def phase_rates(self, X: np.ndarray, dt_ms: float) -> np.ndarray:
        """The rates (Hz) that make a phase integrator starting at 0 (the regular afferent
        of :mod:`brainlearn.snn.populations`) first pass 1 at the spike time: ``1000 /
        t_f``, at most ``1000 / (dt_ms / 2)`` (a spike in the first step) and 0 for no
        spike."""
        t = np.maximum(self.spike_times_ms(X), 0.5 * dt_ms)
        return np.where(np.isfinite(t), 1000.0 / t, 0.0)

    def drive_norm(self, n_features: int, X: np.ndarray | None = None) -> float:
        """Effective number of afferents (module docstring: the mean total afferent rate in
        units of :math:`\\sqrt{2\\pi}\\,(r_{max} - r_{min})`): the mean number of afferents
        that fire, each at one spike per window, ``(1000 / window_ms) / (r_max - r_min)``
        of a unit, at least ``0.01 / sqrt(2 pi)``; half the features without data."""
        unit = (1000.0 / self.window_ms) / (self.rate_max_hz - self.rate_min_hz)
        if X is None or len(X) == 0:
            return max(n_features * 0.5 * unit, 0.01) / _SQRT_2PI
        s = float(np.mean((np.asarray(X, dtype=np.float64) > 0).sum(axis=1))) * unit
        return max(s, 0.01) / _SQRT_2PI


ENCODINGS = ("population", "rate", "rate-complement", "current", "latency")
#: the codes whose afferents spike at rates (their spike statistics: ``poisson_input``)
RATE_ENCODINGS = ("population", "rate", "rate-complement")


def make_encoder(
    encoding: str,
    *,
    n_per_feature: int = 16,
    rate_max_hz: float = 200.0,
    rate_min_hz: float = 0.0,
    sigma_scale: float = 1.0,
    window_ms: float = 50.0,
) -> GaussianReceptiveFields | RateCode | ComplementRateCode | CurrentCode | LatencyCode:
    """The encoder named ``encoding`` (one of :data:`ENCODINGS`); each takes the arguments
    it uses (``n_per_feature`` and ``sigma_scale``: the population code; the rates: the
    rate codes and the current; ``window_ms``: the latency code)."""
    if encoding == "population":
        return GaussianReceptiveFields(n_per_feature, rate_max_hz, rate_min_hz, sigma_scale)
    if encoding == "rate":
        return RateCode(rate_max_hz, rate_min_hz)
    if encoding == "rate-complement":
        return ComplementRateCode(rate_max_hz, rate_min_hz)
    if encoding == "current":
        return CurrentCode(rate_max_hz, rate_min_hz)
    if encoding == "latency":
        return LatencyCode(window_ms, rate_max_hz, rate_min_hz)
    raise ValueError(f"unknown encoding {encoding!r}; valid encodings: {', '.join(ENCODINGS)}")
