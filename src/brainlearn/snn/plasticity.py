"""Plasticity rules as small objects that yield Brian2 code.

A rule knows nothing about the network around it. It gives

- ``synapse_eqs`` -- the ``model`` of its ``Synapses`` (always declares ``w : 1``, the
  dimensionless weight in ``[0, w_max]``);
- ``on_pre`` / ``on_post`` -- the plasticity part of the pre- and postsynaptic pathways
  (the network adds the transmission line, e.g. ``ge_post += w * w_unit``);
- ``end_code`` -- code run once at the end of each presentation (a ``run_regularly`` of
  the synapses with ``dt = presentation``), ``reset_code`` -- run at the start of the next
  presentation;
- ``post_eqs`` / ``post_end_code`` / ``post_after_code`` -- what the rule needs from its
  postsynaptic group (the reward of :class:`RewardSTDP`);
- ``traces`` -- its spike traces (:class:`Trace`: a variable that jumps by 1 at each spike
  of one side and decays with a time constant), kept per synapse by default (event-driven:
  :attr:`PlasticityRule.model` and the pathways declare and increment them) or, for a large
  all-to-all projection, per neuron (:meth:`PlasticityRule.neuron_traced`): every synapse of
  a presynaptic neuron sees the same presynaptic trace, so one variable per neuron holds it
  and the synapses read it (``apre_in_pre``) instead of decaying their own copy at every
  event -- the same values, without an ``exp`` per synapse and spike;
- ``parameters()`` / ``post_parameters()`` -- its constants, with Brian2 units; they are
  declared as shared variables (see :attr:`PlasticityRule.model` and
  :meth:`PlasticityRule.apply`), so a compiled network takes new values without
  recompiling.

Conventions the network provides to every rule: the shared variable ``learn`` of the
postsynaptic group (``learn_post``; 0 switches plasticity off, e.g. during prediction),
and a per-presentation spike counter ``count`` in every neuron group (``count_pre``,
``count_post``), reset at the start of each presentation. The same rule object works in a
tiny runtime-mode network and in the compiled (C++ standalone) classifier.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .names import Side
from .params import MAX_SCALE, MAX_TIME_MS, check_range, make_params

__all__ = [
    "AssignParams",
    "DeltaParams",
    "DeltaRule",
    "LabelAssignment",
    "HebbianParams",
    "OjaHebbian",
    "PlasticityRule",
    "RSTDPParams",
    "RewardSTDP",
    "STDP",
    "STDPOffset",
    "STDPParams",
    "NeuronTrace",
    "NeuronTraced",
    "Trace",
    "make_rule",
    "RULES",
]


@dataclass(frozen=True)
class Trace:
    """A spike trace of a rule: ``name`` jumps by 1 at each spike of ``side``
    (:class:`~brainlearn.snn.names.Side`, ``"pre"`` or ``"post"``) and decays with the time
    constant named ``tau`` (one of the rule's parameters): :math:`\\tau\\, dx/dt = -x`."""

    name: str
    side: Side
    tau: str


@dataclass(frozen=True)
class NeuronTrace:
    """A trace kept by a neuron group: variable ``var`` with time constant ``tau`` (a Brian2
    quantity) declared as the shared parameter ``tau_name``; ``side`` says which end of
    the projection holds it."""

    var: str
    side: Side
    tau_name: str
    tau: Any


@dataclass(frozen=True)
class NeuronTraced:
    """A rule's synapse code with its traces kept by the neurons
    (:meth:`PlasticityRule.neuron_traced`)."""

    model: str
    on_pre: str
    on_post: str
    end_code: str
    reset_code: str
    neurons: tuple[NeuronTrace, ...] = field(default_factory=tuple)


def _join(*parts: str) -> str:
    """Code blocks, dedented, one after another."""
    return "\n".join(_clean(p) for p in parts if p and p.strip())


def _clean(code: str) -> str:
    return textwrap.dedent(code).strip()


class PlasticityRule:
    """Base class: the interface every rule implements (see the module docstring)."""

    name: ClassVar[str] = ""
    params_class: ClassVar[type] = object
    #: whether the postsynaptic group must compute a reward (``R``, ``Rbar``)
    needs_reward: ClassVar[bool] = False

    def __init__(self, params=None, **overrides: Any):
        if params is None:
            params = make_params(self.params_class, overrides, what=f"rule {self.name!r}")
        elif overrides:
            raise ValueError("give either a params object or keyword overrides, not both")
        elif not isinstance(params, self.params_class):
            need, got = self.params_class.__name__, type(params).__name__
            raise ValueError(f"rule {self.name!r} needs {need}, got {got}")
        self.params = params

    # -- code -------------------------------------------------------------------------
    #: the synapse model without the traces
    synapse_eqs: str = "w : 1"
    #: the spike traces the pathway code reads (by their names)
    traces: ClassVar[tuple[Trace, ...]] = ()
    #: the plasticity code of the pathways, without the traces' increments
    learn_on_pre: str = ""
    learn_on_post: str = ""
    end_code: str = ""
    #: the reset of the synapses' own state at each presentation start (traces aside)
    state_reset: str = ""
    post_eqs: str = ""
    post_end_code: str = ""
    post_after_code: str = ""

    # -- the rule with per-synapse (event-driven) traces --------------------------------
    @property
    def on_pre(self) -> str:
        """Presynaptic pathway: the presynaptic traces jump first, then the rule's code."""
        inc = "".join(f"{tr.name} += 1\n" for tr in self.traces if tr.side == Side.PRE)
        return _join(inc, self.learn_on_pre)

    @property
    def on_post(self) -> str:
        """Postsynaptic pathway: the rule's code, then the postsynaptic traces jump."""
        inc = "".join(f"{tr.name} += 1\n" for tr in self.traces if tr.side == Side.POST)
        return _join(self.learn_on_post, inc)

    @property
    def reset_code(self) -> str:
        """Presentation start: the synapses' state and their traces back to 0."""
        return _join(self.state_reset, "".join(f"{tr.name} = 0\n" for tr in self.traces))

    def parameters(self) -> dict[str, Any]:
        """Constants of the synapse code, name -> value with Brian2 units."""
        raise NotImplementedError

    def post_parameters(self) -> dict[str, Any]:
        """Constants of the postsynaptic-group code (``post_*_code``)."""
        return {}

    @property
    def model(self) -> str:
        """The full ``Synapses`` model: :attr:`synapse_eqs`, one event-driven equation per
        trace, and one shared parameter declaration per constant (so the values can change
        without recompiling)."""
        eqs = "".join(f"\nd{tr.name}/dt = -{tr.name} / {tr.tau} : 1 (event-driven)"
                      for tr in self.traces)
        return _clean(self.synapse_eqs) + eqs + shared_declarations(self.parameters())

    # -- the rule with per-neuron traces ------------------------------------------------
    def neuron_traced(self, tag: str) -> NeuronTraced:
        """The rule's code with its traces kept by the neurons (see the module docstring).

        Trace ``x`` of side ``pre`` becomes the variable ``x_<tag>`` of the presynaptic
        group (``x_<tag>_pre`` in the synapse code), with its own time constant
        ``<tau>_<tag>``; likewise for ``post``. The neuron groups must increment a
        presynaptic trace *before* the synaptic pathways of the step and a postsynaptic
        one *after* them (Brian2 runs the pre pathway before the post pathway in a step):
        then every pathway sees the same trace values as with per-synapse traces.
        """
        from brian2.utils.stringtools import word_substitute

        params = self.parameters()
        names = {tr.name: f"{tr.name}_{tag}_{tr.side}" for tr in self.traces}
        neurons = tuple(
            NeuronTrace(var=f"{tr.name}_{tag}", side=tr.side, tau_name=f"{tr.tau}_{tag}",
                        tau=params[tr.tau])
            for tr in self.traces
        )
        return NeuronTraced(
            model=_clean(self.synapse_eqs) + shared_declarations(params),
            on_pre=word_substitute(_clean(self.learn_on_pre), names),
            on_post=word_substitute(_clean(self.learn_on_post), names),
            end_code=word_substitute(_clean(self.end_code), names),
            reset_code=_clean(self.state_reset),
            neurons=neurons,
        )

    def apply(self, synapses) -> None:
        """Set the rule's constants on a ``Synapses`` object built with :attr:`model`."""
        for name, value in self.parameters().items():
            setattr(synapses, name, value)

    @property
    def w_max(self) -> float:
        return self.params.w_max

    def describe(self) -> dict[str, Any]:
        """Name and parameters (plain data, for cache keys and result files)."""
        from dataclasses import asdict

        return {"name": self.name, "params": asdict(self.params)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.params == other.params

    def __hash__(self) -> int:
        return hash((type(self), self.params))


# ----------------------------------------------------------------------------- STDP
@dataclass(frozen=True)
class STDPParams:
    """Parameters of :class:`STDP` (times in ms, weights dimensionless in ``[0, w_max]``).

    Time constants > 0, learning rates, ``x_tar`` and ``mu`` >= 0, ``w_max`` > 0 (bounds in
    :mod:`brainlearn.snn.params`); a ``ValueError`` names the parameter otherwise."""

    tau_pre_ms: float = 20.0
    tau_post_ms: float = 20.0
    eta_dep: float = 0.0005
    eta_pot: float = 0.03
    x_tar: float = 0.5
    mu: float = 1.0
    w_max: float = 1.0

    def __post_init__(self):
        for name in ("tau_pre_ms", "tau_post_ms"):
            check_range(self, name, gt=0, le=MAX_TIME_MS)
        for name in ("eta_dep", "eta_pot", "x_tar", "mu"):
            check_range(self, name, ge=0, le=MAX_SCALE)
        check_range(self, "w_max", gt=0, le=MAX_SCALE)


class STDP(PlasticityRule):
    r"""Pair-based STDP with traces and soft (weight-dependent) bounds.

    Each synapse keeps a presynaptic trace :math:`x_{pre}` and a postsynaptic trace
    :math:`x_{post}` (all-to-all pairing; Song, Miller & Abbott 2000; Morrison et al. 2008):

    .. math::

        \tau_{pre} \frac{dx_{pre}}{dt} = -x_{pre}, \qquad
        \tau_{post} \frac{dx_{post}}{dt} = -x_{post}

    On a presynaptic spike: :math:`x_{pre} \mathrel{+}= 1`,
    :math:`w \leftarrow w - \eta_{dep}\, x_{post}` (post-before-pre depression).
    On a postsynaptic spike (pre-before-post potentiation, then :math:`x_{post}
    \mathrel{+}= 1`):

    .. math::

        \Delta w = \eta_{pot} \left[ x_{pre}\, (w_{max} - w)^{\mu} - x_{tar}\, w \right]

    This is the postsynaptically triggered rule of Diehl & Cook (2015, eq. 3, with the
    target trace :math:`x_{tar}` that depresses synapses whose input was silent) with
    multiplicative, weight-dependent bounds (van Rossum, Bi & Turrigiano 2000; Gutig et al.
    2003). For :math:`\mu = 1` a synapse settles where
    :math:`w^* = w_{max}\, \bar x_{pre} / (\bar x_{pre} + x_{tar})`, with
    :math:`\bar x_{pre}` the mean presynaptic trace at the neuron's spikes: each weight
    vector becomes a soft prototype of the inputs that make its neuron fire, and stays
    bounded without a separate normalisation step. Weights are also clipped to
    :math:`[0, w_{max}]`; all changes are multiplied by the postsynaptic group's ``learn``
    flag. Traces are reset at the start of each presentation (standing in for a rest).

    References
    ----------
    Song, Miller & Abbott (2000) Nat Neurosci 3:919. van Rossum, Bi & Turrigiano (2000)
    J Neurosci 20:8812. Gutig, Aharonov, Rotter & Sompolinsky (2003) J Neurosci 23:3697.
    Diehl & Cook (2015) Front Comput Neurosci 9:99.
    """

    name = "stdp"
    params_class = STDPParams
    traces = (Trace("apre", Side.PRE, "taupre"), Trace("apost", Side.POST, "taupost"))
    learn_on_pre = """
        w = clip(w - learn_post * eta_dep * apost, 0, w_max)
        """
    _LEARN_ON_POST = """
        w = clip(w + learn_post * eta_pot * (apre * {room} - x_tar * w), 0, w_max)
        """

    @property
    def learn_on_post(self) -> str:  # type: ignore[override]
        # (w_max - w)**mu, written without the power for mu = 1: the same value without a
        # pow() per synapse and postsynaptic spike in the compiled code
        room = "(w_max - w)" if self.params.mu == 1 else "(w_max - w)**mu"
        return self._LEARN_ON_POST.format(room=room)

    def parameters(self) -> dict[str, Any]:
        from brian2 import ms

        p = self.params
        return {
            "taupre": p.tau_pre_ms * ms,
            "taupost": p.tau_post_ms * ms,
            "eta_dep": p.eta_dep,
            "eta_pot": p.eta_pot,
            "x_tar": p.x_tar,
            "mu": p.mu,
            "w_max": p.w_max,
        }


class STDPOffset(STDP):
    r"""STDP with a presynaptic-trace offset: the rule of Diehl & Cook (2015, eq. 3).

    Traces as in :class:`STDP`. On a presynaptic spike,
    :math:`w \leftarrow w - \eta_{dep}\, x_{post}`; on a postsynaptic spike

    .. math::

        \Delta w = \eta_{pot}\, (x_{pre} - x_{tar})\, (w_{max} - w)^{\mu}

    so a synapse whose input was silent before the postsynaptic spike (``x_pre`` below
    the offset ``x_tar``) is depressed, one that was active is potentiated, and the soft
    bound :math:`(w_{max} - w)^\mu` slows growth near :math:`w_{max}`. Unlike
    :class:`STDP` the depression does not scale with :math:`w`: the rule has no fixed
    point of its own, and the network's per-neuron normalisation of incoming weights
    (``NetworkParams.w_in_norm``) keeps each weight vector bounded, as in the paper.
    Weights are clipped to :math:`[0, w_{max}]`; changes are multiplied by the
    postsynaptic ``learn`` flag.

    References
    ----------
    Diehl & Cook (2015) Unsupervised learning of digit recognition using
    spike-timing-dependent plasticity. Front Comput Neurosci 9:99.
    """

    name = "stdp-offset"
    _LEARN_ON_POST = """
        w = clip(w + learn_post * eta_pot * (apre - x_tar) * {room}, 0, w_max)
        """


@dataclass(frozen=True)
class AssignParams:
    """Parameters of :class:`LabelAssignment` (none is learned by a synapse).

    ``w_max`` > 0 is only the scale of the (unused) readout weights."""

    w_max: float = 1.0

    def __post_init__(self):
        check_range(self, "w_max", gt=0, le=MAX_SCALE)


class LabelAssignment(PlasticityRule):
    r"""No plastic readout: the label assignment of Diehl & Cook (2015).

    The hidden -> efferent synapses carry no plasticity code and the efferent
    neurons are not used. After training, every hidden neuron :math:`j` is assigned the
    class in whose presentations of the last training epoch it fired most on average,

    .. math::

        a_j = \arg\max_c \frac{1}{|\{t: \ell_t = c\}|}
              \sum_{t: \ell_t = c} n_j(t),

    and a sample is predicted as the class whose assigned hidden neurons fire most on
    average, :math:`\hat c = \arg\max_c \overline{n_j}_{\,j: a_j = c}` (computed by
    :class:`~brainlearn.snn.model.SpikingClassifier` from the hidden spike counts).
    The labels enter only through this assignment: nothing in the network learns from
    them.

    References
    ----------
    Diehl & Cook (2015) Front Comput Neurosci 9:99.
    """

    name = "assign"
    params_class = AssignParams

    def parameters(self) -> dict[str, Any]:
        return {"w_max": self.params.w_max}


# -------------------------------------------------------------------------- Hebbian
@dataclass(frozen=True)
class HebbianParams:
    """Parameters of :class:`OjaHebbian` (rates are spike counts per presentation).

    ``eta`` >= 0; ``x_ref``, ``y_ref``, ``w_max`` > 0 (``ValueError`` naming the parameter)."""

    eta: float = 0.05
    x_ref: float = 5.0
    y_ref: float = 5.0
    w_max: float = 1.0

    def __post_init__(self):
        check_range(self, "eta", ge=0, le=MAX_SCALE)
        for name in ("x_ref", "y_ref", "w_max"):
            check_range(self, name, gt=0, le=MAX_SCALE)


class OjaHebbian(PlasticityRule):
    r"""Rate-based Hebbian plasticity kept bounded by Oja's rule.

    The rates are the spike counts of the presentation that just ended, in units of
    reference counts: :math:`x = n_{pre} / x_{ref}`, :math:`y = n_{post} / y_{ref}`. At the
    end of every presentation (a ``run_regularly`` of the synapses)

    .. math::

        \Delta w = \eta \, y \, (x - y\, w)

    (Oja 1982). The decay term :math:`-\eta y^2 w` keeps the weight vector of each
    postsynaptic neuron bounded (its norm converges to 1 for a linear neuron); weights are
    also clipped to :math:`[0, w_{max}]`. With competition between postsynaptic neurons
    (only winners have :math:`y > 0`) the rule moves the winner's weights towards the
    current input: competitive Hebbian learning of prototypes. Changes are multiplied by
    the postsynaptic ``learn`` flag.

    References
    ----------
    Oja (1982) J Math Biol 15:267. Gerstner & Kistler (2002) Spiking Neuron Models, ch. 11.
    """

    name = "hebbian"
    params_class = HebbianParams
    end_code = """
        y_rate = count_post / y_ref
        dw = learn_post * eta * y_rate * (count_pre / x_ref - y_rate * w)
        w = clip(w + dw, 0, w_max)
        """

    def parameters(self) -> dict[str, Any]:
        p = self.params
        return {"eta": p.eta, "x_ref": p.x_ref, "y_ref": p.y_ref, "w_max": p.w_max}


# --------------------------------------------------------------------------- R-STDP
@dataclass(frozen=True)
class RSTDPParams:
    """Parameters of :class:`RewardSTDP` (times in ms).

    Time constants > 0; ``a_plus``, ``a_minus``, ``eta`` >= 0; ``baseline_presentations``
    >= 1; ``reward_eps`` and ``w_max`` > 0 (``ValueError`` naming the parameter)."""

    tau_pre_ms: float = 20.0
    tau_post_ms: float = 20.0
    tau_e_ms: float = 200.0
    a_plus: float = 1.0
    a_minus: float = 1.0
    eta: float = 0.02
    baseline_presentations: float = 20.0
    reward_eps: float = 1.0
    w_max: float = 1.0

    def __post_init__(self):
        for name in ("tau_pre_ms", "tau_post_ms", "tau_e_ms"):
            check_range(self, name, gt=0, le=MAX_TIME_MS)
        for name in ("a_plus", "a_minus", "eta"):
            check_range(self, name, ge=0, le=MAX_SCALE)
        # the baseline moves by (R - Rbar) / N: N < 1 would overshoot the reward
        check_range(self, "baseline_presentations", ge=1, le=MAX_SCALE)
        # a presentation without efferent spikes has R = 0 / eps: eps = 0 would be 0 / 0
        check_range(self, "reward_eps", gt=0, le=MAX_SCALE)
        check_range(self, "w_max", gt=0, le=MAX_SCALE)


class RewardSTDP(PlasticityRule):
    r"""Reward-modulated STDP with an eligibility trace and a reward baseline.

    STDP pairings do not change the weight; they are stored in an eligibility trace
    :math:`e` (Izhikevich 2007; Florian 2007):

    .. math::

        \tau_e \frac{de}{dt} = -e, \qquad
        \text{pre spike: } e \mathrel{+}= -A_-\, x_{post}, \qquad
        \text{post spike: } e \mathrel{+}= A_+\, x_{pre}

    with pre/post traces as in :class:`STDP`. At the end of each presentation the
    postsynaptic (efferent) group computes a reward from its own spikes against the label
    (``post_end_code``; closed loop, no teacher):

    .. math::

        R = \frac{n_{label} - n_{wrong}}{n_{label} + n_{wrong} + \epsilon}

    where :math:`n_{label}` counts the spikes of the efferent neurons of the labelled class
    and :math:`n_{wrong}` those of the most active other class (with two classes: the other
    class), both provided by the network (event-driven tally synapses from the efferent
    group onto itself): the reward is positive when the labelled group wins. The weight
    follows the reward prediction error (Fremaux, Sprekeler & Gerstner 2010):

    .. math::

        \Delta w = \eta\, (R - \bar R)\, e(t), \qquad
        \bar R \leftarrow \bar R + (R - \bar R) / N_{baseline}

    with :math:`e(t)` the trace decayed to the end of the presentation and :math:`\bar R`
    a running mean of the reward over about :math:`N_{baseline}` presentations. Weights are
    clipped to :math:`[0, w_{max}]`; the eligibility trace is cleared at the start of each
    presentation.

    References
    ----------
    Izhikevich (2007) Cereb Cortex 17:2443. Florian (2007) Neural Comput 19:1468.
    Fremaux, Sprekeler & Gerstner (2010) J Neurosci 30:13326.
    """

    name = "rstdp"
    params_class = RSTDPParams
    needs_reward = True
    synapse_eqs = """
        w : 1
        delig/dt = -elig / tau_elig : 1 (event-driven)
        """
    traces = (Trace("apre", Side.PRE, "taupre"), Trace("apost", Side.POST, "taupost"))
    learn_on_pre = """
        elig += -a_minus * apost
        """
    learn_on_post = """
        elig += a_plus * apre
        """
    end_code = """
        elig_now = elig * exp(-(t - lastupdate) / tau_elig)
        dw = learn_post * rewarded_post * eta * (R_post - Rbar_post) * elig_now
        w = clip(w + dw, 0, w_max)
        """
    state_reset = """
        elig = 0
        """
    # what the rule needs on its postsynaptic (efferent) group; n_label / n_wrong (the
    # spikes of the labelled class and of the most active other class) are provided by
    # the network's efferent tally, label is the shared label of the presentation (-1 when
    # there is none)
    post_eqs = """
        R : 1
        Rbar : 1
        rewarded : 1
        """
    post_end_code = """
        rewarded = int(label >= 0)
        R = rewarded * (n_label - n_wrong) / (n_label + n_wrong + reward_eps)
        """
    post_after_code = """
        Rbar = Rbar + learn * rewarded * (R - Rbar) / baseline_presentations
        """

    def parameters(self) -> dict[str, Any]:
        from brian2 import ms

        p = self.params
        return {
            "taupre": p.tau_pre_ms * ms,
            "taupost": p.tau_post_ms * ms,
            "tau_elig": p.tau_e_ms * ms,
            "a_plus": p.a_plus,
            "a_minus": p.a_minus,
            "eta": p.eta,
            "w_max": p.w_max,
        }

    def post_parameters(self) -> dict[str, Any]:
        p = self.params
        return {
            "baseline_presentations": p.baseline_presentations,
            "reward_eps": p.reward_eps,
        }


# ------------------------------------------------------------------------ delta rule
@dataclass(frozen=True)
class DeltaParams:
    """Parameters of :class:`DeltaRule` (rates are spike counts per presentation).

    ``eta``, ``y_target`` >= 0; ``x_ref``, ``y_ref``, ``w_max`` > 0 (``ValueError`` naming
    the parameter)."""

    eta: float = 0.01
    x_ref: float = 5.0
    y_ref: float = 5.0
    y_target: float = 1.0
    w_max: float = 1.0

    def __post_init__(self):
        for name in ("eta", "y_target"):
            check_range(self, name, ge=0, le=MAX_SCALE)
        for name in ("x_ref", "y_ref", "w_max"):
            check_range(self, name, gt=0, le=MAX_SCALE)


class DeltaRule(PlasticityRule):
    r"""Error-driven (delta / Widrow-Hoff) readout plasticity on spike counts.

    At the end of every presentation, with :math:`n_{pre}`, :math:`n_{post}` the spike
    counts of the presentation that just ended, :math:`\ell` its label (-1: none) and
    :math:`c_{post}` the class of the postsynaptic (efferent) neuron,

    .. math::

        \Delta w = \text{learn}_{post}\, \eta \, \frac{n_{pre}}{x_{ref}}\, \text{err},
        \qquad
        \text{err} = [\ell \ge 0] \left( y_{target}\, [c_{post} = \ell]
        - \frac{n_{post}}{y_{ref}} \right)

    and :math:`w` is clipped to :math:`[0, w_{max}]`. The target
    :math:`y_{target} [c_{post} = \ell]` is the one per-neuron modulatory signal: the
    label says how much the efferent neuron should have fired (``y_target`` for the
    labelled class, 0 for the other), and the neuron's own count is compared with it; the
    rule is local (presynaptic count, postsynaptic count, one signal per neuron) -- the
    Widrow & Hoff (1960) delta rule in spike-count form (cf. ReSuMe, Ponulak & Kasinski
    2010, and the three-factor view of Gerstner et al. 2018). Unlike the teacher-driven
    STDP and Hebbian readouts the teacher must not drive the neuron (set ``teacher_mv``
    and ``suppress_mv`` to 0): the error is what the network itself produced.
    Unlabelled presentations (and ``learn = 0``) change nothing.

    References
    ----------
    Widrow & Hoff (1960) IRE WESCON Conv Rec 4:96. Ponulak & Kasinski (2010) Neural Comput
    22:467. Gerstner, Lehmann, Liakoni, Corneil & Brea (2018) Front Neural Circuits 12:53.
    """

    name = "delta"
    params_class = DeltaParams
    end_code = """
        y_star = y_target * int(cls_post == label_post)
        err = int(label_post >= 0) * (y_star - count_post / y_ref)
        dw = learn_post * eta * (count_pre / x_ref) * err
        w = clip(w + dw, 0, w_max)
        """

    def parameters(self) -> dict[str, Any]:
        p = self.params
        return {
            "eta": p.eta,
            "x_ref": p.x_ref,
            "y_ref": p.y_ref,
            "y_target": p.y_target,
            "w_max": p.w_max,
        }


def _unit_name(value) -> str:
    from brian2 import Quantity, hertz, second, volt
    from brian2.units.fundamentalunits import DIMENSIONLESS

    dim = value.dim if isinstance(value, Quantity) else DIMENSIONLESS
    for unit, name in ((second, "second"), (volt, "volt"), (hertz, "hertz")):
        if dim == unit.dim:
            return name
    if dim == DIMENSIONLESS:
        return "1"
    raise ValueError(f"no unit name for {value!r}")


def shared_declarations(params: dict[str, Any]) -> str:
    """Brian2 equation lines declaring each parameter as a shared variable."""
    return "".join(f"\n{name} : {_unit_name(v)} (shared)" for name, v in params.items())


RULES: dict[str, type[PlasticityRule]] = {
    r.name: r for r in (STDP, STDPOffset, OjaHebbian, RewardSTDP, DeltaRule, LabelAssignment)
}


def make_rule(rule, params: dict | None = None) -> PlasticityRule:
    """A rule object from a name (a key of :data:`RULES`: ``"stdp"``, ``"stdp-offset"``,
    ``"hebbian"``, ``"rstdp"``, ``"delta"``, ``"assign"``) or a rule object."""
    if isinstance(rule, PlasticityRule):
        if params:
            raise ValueError("parameters can only be given with a rule name")
        return rule
    if rule not in RULES:
        raise ValueError(f"unknown plasticity rule {rule!r}; valid rules: {', '.join(RULES)}")
    return RULES[rule](**(params or {}))
