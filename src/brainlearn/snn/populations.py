"""The populations of the spiking classifier: their parameters and their Brian2 code.

Four named neuron groups (current-based leaky integrate-and-fire, voltages relative to
rest, in mV). Like the plasticity rules (:mod:`brainlearn.snn.plasticity`), each population
is a small object that yields its Brian2 code -- ``equations()`` (a Brian2 ``Equations``,
built from one LIF template by Brian2's own substitution), ``threshold``, ``reset``,
``refractory``, ``method``, the ``start_code`` run at the start of every presentation and
``parameters()`` (its constants, declared as shared variables so a compiled program takes
new values without recompiling). :mod:`brainlearn.snn.graph` assembles them.

``afferent``
    Poisson neurons: afferent ``i`` fires in a time step with probability
    ``rates(t, i) * dt``, the rates given by the receptive-field encoder per presentation
    (a 2-D ``TimedArray``). With ``poisson_input=False`` they fire regularly instead, at the
    same rates, from a random phase drawn at the start of each presentation (a phase
    variable integrates the rate and a spike is emitted each time it passes 1). With the
    latency code (``encoding="latency"``, :class:`~brainlearn.snn.encoding.LatencyCode`)
    each afferent fires once: the phase starts at 0, its rate is ``1 / t_f`` and the
    afferent is silent once it has fired, so its one spike comes at ``t_f``.
``hidden``
    Excitatory LIF neurons with an adaptive threshold (homeostasis, Diehl & Cook 2015):

    .. math::

        \\tau_m \\frac{dv}{dt} = -v + g_e - g_i, \\quad
        \\tau_e \\frac{dg_e}{dt} = -g_e, \\quad \\tau_i \\frac{dg_i}{dt} = -g_i, \\quad
        \\tau_\\theta \\frac{d\\theta}{dt} = -\\ell\\,\\theta

    spike when :math:`v > v_{th} + \\theta`; then :math:`v \\leftarrow v_{reset}`,
    :math:`\\theta \\mathrel{+}= \\ell\\, \\theta_+` (:math:`\\ell` is the ``learn`` flag:
    the threshold is frozen during prediction). With ``target_spikes`` :math:`S > 0` each
    threshold also falls by :math:`\\ell\\, \\theta_+ S / n_{hidden}` at the end of every
    presentation (integral control, clipped to :math:`[0, \\theta_{max}]`): a neuron's
    threshold rises while it fires more than :math:`S / n_{hidden}` spikes per presentation
    and falls while it fires fewer, so the layer settles near :math:`S` spikes per
    presentation whatever the input drive (the exponential decay alone only makes
    :math:`\\theta` proportional to the rate; use a long ``tau_theta_ms`` with it).
``inhibitory``
    One inhibitory LIF neuron per hidden neuron, excited by its partner and inhibiting all
    other hidden neurons: soft winner-take-all competition (Diehl & Cook 2015).
``efferent``
    ``n_per_class`` LIF neurons for each of the K classes (neuron ``c * n_per_class + k``
    belongs to class ``c``). During supervised training a teacher current (``teacher_mv``)
    drives the labelled class and ``suppress_mv`` holds down every other one; there is none
    during prediction, and none at all with a reward-modulated readout. The groups can
    inhibit each other (``w_lat_mv`` > 0), a winner-take-all at the output. With a reward
    rule, every efferent neuron tallies the spikes of each class (``n_c0 ... n_c{K-1}``,
    through the network's efferent -> efferent tally synapses) and at the end of a
    presentation knows ``n_label``, the spikes of the labelled class, and ``n_wrong``,
    those of the most active other class. Membrane noise
    of standard deviation ``noise_mv`` (Ornstein-Uhlenbeck, ``sigma sqrt(2 / tau_m) xi``).

All groups count their spikes in ``count`` (reset at the start of each presentation) and
have a ``learn`` flag; the membrane and synaptic variables are reset at the start of each
presentation, which stands in for a rest period without simulating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .names import PopulationName, Side
from .params import MAX_MV, MAX_SCALE, MAX_TIME_MS, check_ordered, check_range
from .plasticity import NeuronTrace, PlasticityRule, shared_declarations

__all__ = [
    "Afferent",
    "Efferent",
    "Inhibitory",
    "Hidden",
    "NetworkParams",
    "Population",
    "populations",
]


@dataclass(frozen=True)
class NetworkParams:
    """Every constant of the network (units in the names); ranges are checked on creation.

    The parameters are grouped by the population or projection that owns them
    (:attr:`GROUPS`, :meth:`grouped`, as Norse groups its ``LIFParameters``): the
    simulation clock; the afferent encoder and its re-presentation; the membrane constants
    every population shares (``lif``); the hidden neurons' size, adaptive threshold and
    competition; the inhibitory pool's synaptic scales; the efferent groups; and the three
    projections' scales and initial weights. ``network_params`` takes them flat
    (``{"w_out_mv": 160.0}``, as the registry and stored records write them) or grouped
    (``{"hidden->efferent": {"w_out_mv": 160.0}}``); both give the same network.

    Raises
    ------
    ValueError
        Naming the parameter, if a time constant, ``dt_ms`` or ``presentation_ms`` is not
        > 0, a rate, voltage scale or initial-weight bound is negative, a pair of bounds is
        not ordered (``rate_min_hz < rate_max_hz``, ``v_reset_mv < v_th_mv``,
        ``w_init_low <= w_init_high``, ``w_out_init_low <= w_out_init_high``), a Poisson
        afferent would need a spike probability above 1 per step
        (``rate_max_hz * dt_ms / 1000 > 1``), or a value exceeds the bounds of
        :mod:`brainlearn.snn.params`.
    """

    #: the parameters by the population or projection that owns them (``grouped()``;
    #: ``network_params`` takes them flat or grouped, e.g. ``{"hidden": {"v_th_mv":
    #: 12.0}}``); ``lif`` holds the membrane constants every population shares
    GROUPS: ClassVar[dict[str, tuple[str, ...]]] = {
        "simulation": ("dt_ms", "presentation_ms"),
        "afferent": ("encoding", "n_per_feature", "rate_max_hz", "rate_min_hz",
                     "sigma_scale", "poisson_input", "min_hidden_spikes", "intensity_step",
                     "max_intensity_steps"),
        "lif": ("tau_m_ms", "tau_e_ms", "tau_i_ms", "v_th_mv", "v_reset_mv",
                "refractory_ms"),
        "hidden": ("n_hidden", "theta_plus_mv", "tau_theta_ms", "theta_max_mv",
                   "target_spikes", "k_winners"),
        "inhibitory": ("w_ei_mv", "w_ie_mv"),
        "efferent": ("n_per_class", "teacher_mv", "suppress_mv", "noise_mv", "w_lat_mv"),
        "afferent->hidden": ("w_in_mv", "init_from_data", "w_init_low", "w_init_high",
                             "w_in_norm"),
        "hidden->efferent": ("w_out_mv", "w_out_init_low", "w_out_init_high"),
        "afferent->efferent": ("skip_readout", "w_skip_mv", "w_skip_init_high"),
    }

    # time
    dt_ms: float = 0.5
    presentation_ms: float = 50.0
    # encoder ("population": Gaussian receptive fields; "rate": one afferent per feature)
    encoding: str = "population"
    n_per_feature: int = 16
    rate_max_hz: float = 200.0
    rate_min_hz: float = 0.0
    sigma_scale: float = 0.7
    poisson_input: bool = False  # False: regular spike trains with a random phase
    # populations
    n_hidden: int = 200
    n_per_class: int = 10
    # LIF
    tau_m_ms: float = 20.0
    tau_e_ms: float = 5.0
    tau_i_ms: float = 10.0
    v_th_mv: float = 15.0
    v_reset_mv: float = 0.0
    refractory_ms: float = 2.0
    # hidden homeostasis
    theta_plus_mv: float = 0.5
    tau_theta_ms: float = 20000.0
    theta_max_mv: float = 40.0
    # integral homeostasis: at the end of every learning presentation each threshold also
    # falls by theta_plus * target_spikes / n_hidden, so the layer settles where it fires
    # about target_spikes spikes per presentation in all; 0: off
    target_spikes: float = 0.0
    # synaptic scales: a weight w in [0, w_max] adds w * scale to g_e of the target
    w_in_mv: float = 20.0  # afferent -> hidden, / (n_features * sigma_scale)
    w_ei_mv: float = 200.0  # hidden -> its inhibitory partner
    w_ie_mv: float = 60.0  # inhibitory -> other hidden neurons
    w_out_mv: float = 80.0  # hidden -> efferent
    w_lat_mv: float = 0.0  # efferent -> efferent of the other class (mutual inhibition)
    # efferent
    teacher_mv: float = 30.0
    suppress_mv: float = 30.0
    noise_mv: float = 2.0
    # initial weights of afferent -> hidden: with init_from_data, hidden neuron j starts
    # from the receptive-field pattern of a randomly drawn training sample x_j,
    # w = w_max * (w_init_low + (w_init_high - w_init_low) * rates(x_j) / rate_max), like
    # the data-point initialisation of k-means (no labels used); otherwise uniform in
    # [w_init_low, w_init_high] * w_max. Readout weights: uniform in
    # [w_out_init_low, w_out_init_high] * w_max.
    init_from_data: bool = True
    w_init_low: float = 0.0
    w_init_high: float = 0.8
    w_out_init_low: float = 0.0
    w_out_init_high: float = 0.1
    # optional direct afferent -> efferent projection, all to all, plastic with the readout
    # rule (part of the network only when on): the efferent neurons also see the
    # receptive-field code itself, so a local error-driven readout can use its linear
    # information, which the winner-take-all prototype code of the hidden neurons loses. A
    # weight w adds w * w_skip_mv / n_features to g_e; initial weights uniform in
    # [0, w_skip_init_high] * w_max.
    skip_readout: bool = False
    w_skip_mv: float = 20.0
    w_skip_init_high: float = 0.05
    # per-neuron normalisation of the afferent -> hidden weights (Diehl & Cook 2015):
    # at the end of every learning presentation each hidden neuron's incoming weights are
    # scaled so that their mean is w_in_norm * w_max (the paper: 78 / 784, about 0.1), and
    # the initial weights are scaled the same way; 0: off
    w_in_norm: float = 0.0
    # re-presentation (Diehl & Cook 2015): a presentation in which the hidden neurons fire
    # fewer than min_hidden_spikes spikes in all is presented again with its input rates
    # multiplied by 1 + intensity_step * k, k = 1, 2, ... up to max_intensity_steps, in
    # training and in prediction; 0: off
    min_hidden_spikes: int = 0
    intensity_step: float = 0.5
    max_intensity_steps: int = 4
    # competition in the hidden layer: 0, winner-take-all (the first hidden neuron to
    # fire silences the others through its inhibitory partner); k > 0, k-winners-take-all
    # (the inhibitory neurons are held back until k distinct hidden neurons have fired in
    # the presentation, so the k most strongly driven hidden neurons fire before the
    # inhibition): a graded code with about k active hidden neurons per sample
    k_winners: int = 0

    def grouped(self) -> dict[str, dict[str, Any]]:
        """The values by group (:attr:`GROUPS`): ``{"hidden": {"n_hidden": 200, ...},
        ...}``."""
        return {g: {name: getattr(self, name) for name in names}
                for g, names in self.GROUPS.items()}

    @property
    def max_gain(self) -> float:
        """The largest factor re-presentation applies to the input rates (1 without it)."""
        if self.min_hidden_spikes == 0:
            return 1.0
        return 1.0 + self.intensity_step * self.max_intensity_steps

    def __post_init__(self):
        for name in ("dt_ms", "presentation_ms", "tau_m_ms", "tau_e_ms", "tau_i_ms",
                     "tau_theta_ms"):
            check_range(self, name, gt=0, le=MAX_TIME_MS)
        check_range(self, "refractory_ms", ge=0, le=MAX_TIME_MS)
        if self.presentation_ms < 2 * self.dt_ms:
            raise ValueError(
                f"presentation_ms must be at least 2 * dt_ms, got {self.presentation_ms!r} "
                f"with dt_ms={self.dt_ms!r}"
            )
        check_range(self, "n_per_feature", ge=2, integer=True)
        check_range(self, "n_hidden", ge=1, integer=True)
        check_range(self, "n_per_class", ge=1, integer=True)
        check_range(self, "rate_min_hz", ge=0)
        check_range(self, "rate_max_hz", gt=0)
        if not self.rate_min_hz < self.rate_max_hz:
            raise ValueError(
                f"rate_min_hz must be < rate_max_hz, got {self.rate_min_hz!r} >= "
                f"{self.rate_max_hz!r}"
            )
        check_range(self, "w_in_norm", ge=0, le=1)
        check_range(self, "k_winners", ge=0, le=self.n_hidden, integer=True)
        check_range(self, "min_hidden_spikes", ge=0, le=MAX_SCALE, integer=True)
        check_range(self, "intensity_step", gt=0, le=MAX_SCALE)
        check_range(self, "max_intensity_steps", ge=0, le=100, integer=True)
        if self.rate_max_hz * self.max_gain * self.dt_ms / 1000.0 > 1.0:
            raise ValueError(
                f"rate_max_hz * dt_ms must be <= 1000 (at most one spike per step), got "
                f"rate_max_hz={self.rate_max_hz!r}, dt_ms={self.dt_ms!r}"
                + (f" and re-presentation raising the rates up to {self.max_gain:g}-fold "
                   "(min_hidden_spikes, intensity_step, max_intensity_steps)"
                   if self.max_gain > 1 else "")
            )
        check_range(self, "sigma_scale", gt=0, le=MAX_SCALE)
        from .encoding import ENCODINGS

        if self.encoding not in ENCODINGS or self.encoding == "current":
            raise ValueError(
                f"encoding must be one of {', '.join(e for e in ENCODINGS if e != 'current')}"
                f" (current injection has no afferent spikes), got {self.encoding!r}"
            )
        check_range(self, "target_spikes", ge=0, le=MAX_SCALE)
        for name in ("v_th_mv", "theta_plus_mv", "theta_max_mv", "w_in_mv", "w_ei_mv",
                     "w_ie_mv", "w_out_mv", "w_lat_mv", "teacher_mv", "suppress_mv",
                     "noise_mv", "w_skip_mv"):
            check_range(self, name, ge=0, le=MAX_MV)
        check_range(self, "v_reset_mv", ge=-MAX_MV, le=MAX_MV)
        if not self.v_reset_mv < self.v_th_mv:
            raise ValueError(
                f"v_reset_mv must be < v_th_mv, got {self.v_reset_mv!r} >= {self.v_th_mv!r}"
            )
        for name in ("w_init_low", "w_init_high", "w_out_init_low", "w_out_init_high",
                     "w_skip_init_high"):
            check_range(self, name, ge=0, le=1)
        check_ordered(self, "w_init_low", "w_init_high")
        check_ordered(self, "w_out_init_low", "w_out_init_high")
        for name in ("poisson_input", "init_from_data", "skip_readout"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}")


# ------------------------------------------------------------------------- populations
#: one LIF template for every LIF population; ``I_extra`` (an input current) and ``noise``
#: are substituted by Brian2's ``Equations`` (zero where a population has neither)
LIF = """
dv/dt = (-v + ge - gi + I_extra) / tau_m + noise : volt (unless refractory)
dge/dt = -ge / tau_e : volt
dgi/dt = -gi / tau_i : volt
count : 1
learn : 1 (shared)
"""
#: the state reset of every LIF population at the start of a presentation; it stands for a
#: rest between presentations, so refractoriness ends too (otherwise a spike in the last
#: ``t_ref`` of one presentation would hold the neuron at the start of the next, and a
#: sample's spike counts would depend on the sample before it)
RESET_LIF = "v = 0*mV\nge = 0*mV\ngi = 0*mV\ncount = 0\nlastspike = -1e4*second\n"


def lif_equations(I_extra: str = "0*volt", noise: str = "0*volt/second"):
    """The LIF template with its input current and noise term substituted."""
    from brian2 import Equations

    return Equations(LIF, I_extra=I_extra, noise=noise)


class Population:
    """A neuron group's code and constants (see the module docstring).

    Parameters
    ----------
    net : NetworkParams
    n : int
        Neurons per copy of the network.
    """

    name: ClassVar[str] = ""
    method: ClassVar[str] = "exact"
    threshold: ClassVar[str] = "v > v_th"
    reset: ClassVar[str] = "v = v_reset; count += 1"
    refractory: ClassVar[str | None] = "t_ref"
    start_code: ClassVar[str] = ""
    #: whether a neuron whose state (what its update reads or writes) is all 0 stays so
    #: while no synapse writes to that state (the equations are linear without a constant
    #: term, no noise) and does not fire there, whatever its other variables hold, and the
    #: presentation start puts ``lastspike`` in the past: the compiled programs then skip
    #: such neurons (:func:`brainlearn.snn.program.patch_resting_group`)
    rests_at_zero: ClassVar[bool] = False

    def __init__(self, net: NetworkParams, n: int):
        self.net = net
        self.n = int(n)
        #: spike traces of the plasticity rules kept by this group
        #: (:meth:`~brainlearn.snn.plasticity.PlasticityRule.neuron_traced`)
        self.traces: tuple[NeuronTrace, ...] = ()

    def add_traces(self, traces) -> None:
        """Keep ``traces`` (:class:`~brainlearn.snn.plasticity.NeuronTrace`) in this group:
        each decays with its time constant (exactly, whatever the group's integration
        method), is reset at each presentation start and jumps by 1 at each spike.

        A presynaptic trace must jump before the step's synaptic pathways read it, a
        postsynaptic one after them (:meth:`PlasticityRule.neuron_traced`). Postsynaptic
        jumps are part of the reset (slot ``"resets"``, after the pathways). Presynaptic
        jumps are part of the reset too where the group keeps no postsynaptic traces, and
        the reset then runs just before the pathways (:attr:`reset_when`; nothing the
        pathways read changes in a reset); where it keeps both, they run on their own
        event ``"pretrace"`` (the spike condition again, :attr:`pretrace_event`) before the
        pathways, which needs a threshold without random numbers."""
        self.traces = self.traces + tuple(traces)
        if self.pretrace_event is not None and "rand(" in self.threshold:
            raise ValueError(f"population {self.name!r} cannot keep presynaptic and "
                             "postsynaptic traces with a random threshold")

    @property
    def _sides(self) -> set[Side]:
        return {Side(tr.side) for tr in self.traces}

    def _jumps(self, side: Side) -> str:
        return "\n".join(f"{tr.var} += 1" for tr in self.traces if tr.side == side)

    @property
    def full_reset(self) -> str:
        """The reset on a spike, with the traces' jumps (see :meth:`add_traces`)."""
        sides = (Side.POST,) if self.pretrace_event is not None else (Side.PRE, Side.POST)
        jumps = "\n".join(self._jumps(side) for side in sides if self._jumps(side))
        return self.reset + ("\n" + jumps if jumps else "")

    @property
    def reset_when(self) -> str:
        """Brian2's slot of the reset (see :meth:`add_traces`)."""
        return "before_synapses" if self._sides == {Side.PRE} else "resets"

    @property
    def pretrace_event(self) -> str | None:
        """The condition of the ``"pretrace"`` event (None: not needed): the spike
        condition, outside the refractory period where the group has one."""
        if self._sides != {Side.PRE, Side.POST}:
            return None
        return f"({self.threshold}) and not_refractory" if self.refractory else self.threshold

    @property
    def pretrace_code(self) -> str:
        return self._jumps(Side.PRE) if self.pretrace_event is not None else ""

    @property
    def full_start_code(self) -> str:
        """The presentation-start code, with the traces back to 0."""
        resets = "".join(f"{tr.var} = 0\n" for tr in self.traces)
        return self.start_code + ("\n" if self.start_code and resets else "") + resets

    def trace_equations(self) -> str:
        """One decay equation per trace, exact for the group's integration method: the
        exact integrators give ``x exp(-dt / tau)`` from ``dx/dt = -x / tau``; for an
        explicit method (Euler, ``x - dt f(x)``) the rate is written as ``(1 - exp(-dt /
        tau)) / dt``, so one step gives the same ``x exp(-dt / tau)``."""
        exact = self.method in ("exact", "linear", "exponential_euler")
        return "\n".join(
            f"d{tr.var}/dt = -{tr.var} / {tr.tau_name} : 1" if exact else
            f"d{tr.var}/dt = -{tr.var} * (1 - exp(-dt / {tr.tau_name})) / dt : 1"
            for tr in self.traces
        )

    def own_equations(self):
        """The model without the shared parameter declarations."""
        return lif_equations()

    def all_parameters(self) -> dict[str, Any]:
        """:meth:`parameters` and the time constants of the group's traces."""
        return {**self.parameters(), **{tr.tau_name: tr.tau for tr in self.traces}}

    def equations(self):
        """The full ``NeuronGroup`` model: :meth:`own_equations`, the traces, and one
        shared declaration per constant of :meth:`all_parameters`."""
        from brian2 import Equations

        eqs = self.own_equations()
        if self.traces:
            eqs = eqs + Equations(self.trace_equations())
        decl = shared_declarations(self.all_parameters())
        return eqs + Equations(decl) if decl else eqs

    def parameters(self) -> dict[str, Any]:
        """Constants of the code, name -> value with Brian2 units."""
        from brian2 import ms, mV

        p = self.net
        return {
            "tau_m": p.tau_m_ms * ms,
            "tau_e": p.tau_e_ms * ms,
            "tau_i": p.tau_i_ms * ms,
            "v_th": p.v_th_mv * mV,
            "v_reset": p.v_reset_mv * mV,
            "t_ref": p.refractory_ms * ms,
        }

    def initial_values(self, copies: int) -> dict[str, Any]:
        """Per-neuron constants set once after creation (for ``copies`` copies)."""
        return {}

    def apply(self, group) -> None:
        """Set the constants on a ``NeuronGroup`` built with :meth:`equations`."""
        for name, value in self.all_parameters().items():
            setattr(group, name, value)

    def describe(self) -> dict[str, Any]:
        """The code of the population as plain strings (part of the build's cache key)."""
        return {
            "name": str(self.name),
            "n": self.n,
            "equations": str(self.equations()),
            "threshold": self.threshold,
            "reset": self.full_reset,
            "reset_when": self.reset_when,
            "pretrace_event": self.pretrace_event,
            "pretrace_code": self.pretrace_code,
            "refractory": self.refractory,
            "method": self.method,
            "start_code": self.full_start_code,
        }


class Afferent(Population):
    """Poisson (or regular, random-phase) afferents driven by the ``rates_ta`` array."""

    name = PopulationName.AFFERENT

    @property
    def method(self) -> str:  # type: ignore[override]
        # the phase advances by rate * dt either way; exponential Euler also decays the
        # traces exactly (x * exp(-dt / tau)), where Euler would not
        return "exponential_euler" if self.traces else "euler"

    reset = "count += 1\nphase = phase - int(phase > 1)"
    refractory = None

    @property
    def latency(self) -> bool:
        """One spike per afferent and presentation (the latency code)."""
        return self.net.encoding == "latency"

    @property
    def start_code(self) -> str:  # type: ignore[override]
        # the shared ``learn`` flags are written first (Brian2 runs scalar code before vector
        # code); a latency afferent starts at phase 0, so it fires at 1 / rate
        return ("learn = learn_hidden_ta(t + half_T)\ncount = 0\nphase = "
                + ("0" if self.latency else "rand()"))

    @property
    def threshold(self) -> str:
        # compiled for the afferent kind: no random number per afferent and step when regular
        if self.latency:
            return "phase > 1 and count < 0.5"
        return "rand() < rates_ta(t, i) * dt" if self.net.poisson_input else "phase > 1"

    def own_equations(self):
        from brian2 import Equations

        return Equations(
            """
            dphase/dt = rates_ta(t, i) : 1
            count : 1
            learn : 1 (shared)
            """
        )

    def parameters(self) -> dict[str, Any]:
        return {}


class Hidden(Population):
    """Excitatory LIF neurons with an adaptive threshold ``theta``.

    With :meth:`normalise` each neuron also keeps ``wsum``, the sum of its incoming
    afferent weights: set to the target ``w_norm_total`` at each presentation start (the
    weights were just scaled to it) and moved by every weight change of the presentation
    (the synapses add their changes to ``wsum_post``), so the end-of-presentation scaling
    ``w <- w * w_norm_total / wsum`` needs no sum over the synapses at every step."""

    name = PopulationName.HIDDEN
    threshold = "v > v_th + theta"
    reset = """
        v = v_reset
        count += 1
        theta = clip(theta + learn * theta_plus, 0 * mV, theta_max)
        """

    def __init__(self, net: NetworkParams, n: int):
        super().__init__(net, n)
        #: target sum of each neuron's incoming afferent weights (None: no normalisation)
        self.norm_total: float | None = None

    def normalise(self, total: float) -> None:
        """Keep ``wsum`` for the normalisation of the incoming weights to sum ``total``."""
        self.norm_total = float(total)

    @property
    def start_code(self) -> str:  # type: ignore[override]
        code = "learn = learn_hidden_ta(t + half_T)\n" + RESET_LIF
        return code + ("wsum = w_norm_total\n" if self.norm_total is not None else "")

    def own_equations(self):
        from brian2 import Equations

        eqs = lif_equations() + Equations("dtheta/dt = -learn * theta / tau_theta : volt")
        return eqs + Equations("wsum : 1") if self.norm_total is not None else eqs

    def parameters(self) -> dict[str, Any]:
        from brian2 import ms, mV

        p = self.net
        out = {
            **super().parameters(),
            "tau_theta": p.tau_theta_ms * ms,
            "theta_plus": p.theta_plus_mv * mV,
            "theta_max": p.theta_max_mv * mV,
            "theta_minus": p.theta_plus_mv * p.target_spikes / p.n_hidden * mV,
        }
        if self.norm_total is not None:
            out["w_norm_total"] = self.norm_total
        return out


class Inhibitory(Population):
    """The inhibitory partners of the hidden neurons (winner-take-all).

    With ``k_winners`` k > 0 each inhibitory neuron also counts in ``n_active`` the
    distinct hidden neurons that have fired in the presentation (through the network's
    hidden -> inhibitory tally synapses) and may fire only once ``n_active >= k``:
    k-winners-take-all."""

    name = PopulationName.INHIBITORY
    #: input only from the hidden neurons (its partner's spikes; with k_winners also the
    #: tally in ``n_active``, which its update does not use): in a presentation most of the
    #: group stays at 0
    rests_at_zero = True

    @property
    def gated(self) -> bool:
        return self.net.k_winners > 0

    @property
    def threshold(self) -> str:  # type: ignore[override]
        return "v > v_th and n_active >= k_winners" if self.gated else "v > v_th"

    @property
    def start_code(self) -> str:  # type: ignore[override]
        return "learn = 0\n" + RESET_LIF + ("n_active = 0\n" if self.gated else "")

    def own_equations(self):
        from brian2 import Equations

        eqs = lif_equations()
        return eqs + Equations("n_active : 1") if self.gated else eqs

    def parameters(self) -> dict[str, Any]:
        out = super().parameters()
        if self.gated:
            out["k_winners"] = float(self.net.k_winners)
        return out


class Efferent(Population):
    """The output neurons, ``n_per_class`` per class, with teacher current and noise.

    Parameters
    ----------
    net : NetworkParams
    n_classes : int
        K: the group has ``n_classes * n_per_class`` neurons.
    readout : PlasticityRule
        The rule of the synapses onto this group; it adds its ``post_eqs`` and constants.
    plastic : bool
        Without plasticity the group carries none of the rule's code.
    """

    name = PopulationName.EFFERENT
    method = "euler"

    def __init__(self, net: NetworkParams, n_classes: int, readout: PlasticityRule,
                 plastic: bool = True):
        super().__init__(net, n_classes * net.n_per_class)
        self.n_classes = int(n_classes)
        self.readout = readout
        self.plastic = plastic

    @property
    def tallies(self) -> bool:
        """Whether the group counts the spikes of each class (for a reward rule)."""
        return self.plastic and self.readout.needs_reward

    @property
    def start_code(self) -> str:  # type: ignore[override]
        # ``learn`` is shared (one per group): Brian2 wants scalar writes before vector ones
        reset_tally = "".join(f"n_c{k} = 0\n" for k in range(self.n_classes))
        return "learn = learn_readout_ta(t + half_T)\n" + RESET_LIF + (
            reset_tally if self.tallies else "") + (
            "label = label_ta(t + half_T)\n"
            "teach = teach_ta(t + half_T)\n"
        )

    @property
    def tally_on_pre(self) -> str:
        """The code of the efferent -> efferent tally synapses: each spike counts for the
        class of its neuron."""
        return "\n".join(f"n_c{k}_post += int(cls_pre == {k})" for k in range(self.n_classes))

    @property
    def finish_code(self) -> str:
        """End of a presentation: ``n_label``, the spikes of the labelled class, and
        ``n_wrong``, those of the most active other class (``max(a, b) = a + clip(b - a, 0,
        b)`` for counts ``a, b >= 0``); run before the reward rule's ``post_end_code``."""
        if not self.tallies:
            return ""
        K = range(self.n_classes)
        lines = ["n_label = " + " + ".join(f"int(label == {k}) * n_c{k}" for k in K),
                 "n_wrong = 0"]
        lines += [f"n_wrong = n_wrong + int(label != {k}) * clip(n_c{k} - n_wrong, 0, n_c{k})"
                  for k in K]
        return "\n".join(lines) + "\n"

    def own_equations(self):
        from brian2 import Equations

        eqs = lif_equations("I_teach", "sigma * sqrt(2 / tau_m) * xi") + Equations(
            """
            I_teach = teach * (int(cls == label) * teacher - int(cls != label) * suppress) : volt
            cls : 1 (constant)
            label : 1
            teach : 1
            """
        )
        if self.tallies:
            eqs = eqs + Equations(
                "".join(f"n_c{k} : 1\n" for k in range(self.n_classes))
                + "n_label : 1\nn_wrong : 1\n"
            )
        if self.plastic and self.readout.post_eqs.strip():
            eqs = eqs + Equations(self.readout.post_eqs)
        return eqs

    def parameters(self) -> dict[str, Any]:
        from brian2 import mV

        p = self.net
        return {
            **super().parameters(),
            "teacher": p.teacher_mv * mV,
            "suppress": p.suppress_mv * mV,
            "sigma": p.noise_mv * mV,
            **(self.readout.post_parameters() if self.plastic else {}),
        }

    def initial_values(self, copies: int) -> dict[str, Any]:
        import numpy as np

        one = np.repeat(np.arange(self.n_classes, dtype=float), self.net.n_per_class)
        return {"cls": np.tile(one, copies)}


def populations(
    net: NetworkParams,
    n_afferent: int,
    readout: PlasticityRule,
    plastic: bool = True,
    n_classes: int = 2,
) -> list[Population]:
    """The four populations of one network, in the order they are created."""
    return [
        Afferent(net, n_afferent),
        Hidden(net, net.n_hidden),
        Inhibitory(net, net.n_hidden),
        Efferent(net, n_classes, readout, plastic),
    ]
