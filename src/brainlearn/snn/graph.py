"""The network graph: populations and plasticity rules assembled into one Brian2 ``Network``.

:func:`blueprint` describes the network as plain code objects (the populations of
:mod:`brainlearn.snn.populations`, one :class:`Projection` per synapse group with its rule,
the presentation-boundary operations) before any Brian2 object exists; its description is
what the build cache key hashes (:func:`brainlearn.snn.build.build_key`), and
:func:`build_network` instantiates it. The direct afferent -> efferent projection
(``NetworkParams.skip_readout``, plastic with the readout rule) is part of it only when on,
so networks without it keep their keys.

Presentations and chunks
------------------------
A *chunk* of ``K`` presentations is one run. Inputs, labels and per-presentation flags
(``learn``, ``teach``) are ``TimedArray`` values (:data:`TIMED_ARRAYS`) with one row per
presentation plus one (``K + 1`` rows; the engines of :mod:`brainlearn.snn.engines` pad).
At the start of each presentation (``t = k * T``) ``run_regularly`` operations, ordered
explicitly, finish the previous presentation (reward, end-of-presentation plasticity) and
reset the state for the next; ``StateMonitor`` s with ``dt = T`` read the per-presentation
spike counts just before the reset. A chunk therefore runs ``K * T + dt``
(:func:`run_duration_ms`).

Copies and plasticity
---------------------
``copies=B`` makes ``B`` independent copies of the network in one program (every group
``B`` times larger, every projection block-diagonal, copy-major: neuron ``b * n + i`` is
neuron ``i`` of copy ``b``; the ``rates`` array then has ``B * n_afferent`` columns), and
``plastic=False`` leaves out every rule's code (frozen weights, no reward): together, the
shape of a batched inference program.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple

import numpy as np

from .encoding import (
    ComplementRateCode,
    GaussianReceptiveFields,
    LatencyCode,
    RateCode,
    make_encoder,
)
from .exact import state_updater
from .names import (
    BrianVariable,
    Connect,
    PopulationName,
    Side,
    SynapsesName,
    TimedInput,
)
from .plasticity import NeuronTraced, PlasticityRule, make_rule, shared_declarations
from .populations import NetworkParams, Population, populations

__all__ = [
    "NetworkSpec",
    "Projection",
    "Boundary",
    "BoundaryOrder",
    "Blueprint",
    "blueprint",
    "build_network",
    "run_duration_ms",
    "POPULATIONS",
    "TIMED_ARRAYS",
    "STATE_VARIABLES",
]

#: population names, in creation order
POPULATIONS = tuple(PopulationName)
#: per-presentation inputs and the value of their padding rows (silent, unlabelled, no
#: learning, no teacher); the Brian2 ``TimedArray`` of ``x`` is ``x.array``
TIMED_FILL = {TimedInput.RATES: 0.0, TimedInput.LABEL: -1.0, TimedInput.LEARN_HIDDEN: 0.0,
              TimedInput.LEARN_READOUT: 0.0, TimedInput.TEACH: 0.0}
TIMED_ARRAYS = tuple(TIMED_FILL)
#: the learned state of the network: field of NetworkState -> its Brian2 variable
STATE_VARIABLES = {
    "w_in": BrianVariable(SynapsesName.AFFERENT_HIDDEN, "w"),
    "w_out": BrianVariable(SynapsesName.HIDDEN_EFFERENT, "w"),
    "theta_volt": BrianVariable(PopulationName.HIDDEN, "theta"),
    "rbar": BrianVariable(PopulationName.EFFERENT, "Rbar"),
    "w_skip": BrianVariable(SynapsesName.AFFERENT_EFFERENT, "w"),
}


@dataclass(frozen=True)
class NetworkSpec:
    """Everything that defines one network program (shapes, constants, rules, chunk)."""

    n_features: int
    chunk: int
    net: NetworkParams
    hidden_rule: PlasticityRule
    readout_rule: PlasticityRule
    supervised: bool
    #: independent copies of the network in one program (see the module docstring)
    copies: int = 1
    #: False: no plasticity code at all (frozen weights, inference only)
    plastic: bool = True
    #: K, the number of classes: one group of ``n_per_class`` efferent neurons each
    n_classes: int = 2
    #: effective number of afferents that divides the input drive (see
    #: :mod:`brainlearn.snn.encoding`; not compiled in); None: the encoder's value without
    #: data
    drive_norm: float | None = None

    @property
    def encoder(self) -> GaussianReceptiveFields | RateCode | ComplementRateCode | LatencyCode:
        p = self.net
        return make_encoder(p.encoding, n_per_feature=p.n_per_feature,
                            rate_max_hz=p.rate_max_hz, rate_min_hz=p.rate_min_hz,
                            sigma_scale=p.sigma_scale, window_ms=p.presentation_ms)

    @property
    def n_afferent(self) -> int:
        return self.encoder.n_afferents(self.n_features)

    @property
    def n_efferent(self) -> int:
        return self.n_classes * self.net.n_per_class

    @property
    def population_sizes(self) -> dict[PopulationName, int]:
        """Neurons of each population in one copy of the network."""
        return {PopulationName.AFFERENT: self.n_afferent,
                PopulationName.HIDDEN: self.net.n_hidden,
                PopulationName.INHIBITORY: self.net.n_hidden,
                PopulationName.EFFERENT: self.n_efferent}

    @property
    def input_drive_norm(self) -> float:
        """The effective number of afferents dividing ``w_in_mv``."""
        if self.drive_norm is not None:
            return self.drive_norm
        return self.encoder.drive_norm(self.n_features)

    def describe(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features,
            "chunk": self.chunk,
            "net": dataclasses.asdict(self.net),
            "hidden_rule": self.hidden_rule.describe(),
            "readout_rule": self.readout_rule.describe(),
            "supervised": self.supervised,
            "copies": self.copies,
            "plastic": self.plastic,
            "n_classes": self.n_classes,
            "drive_norm": self.drive_norm,
        }

    @classmethod
    def from_description(cls, d: dict[str, Any]) -> NetworkSpec:
        return cls(
            n_features=d["n_features"],
            chunk=d["chunk"],
            net=NetworkParams(**d["net"]),
            hidden_rule=make_rule(d["hidden_rule"]["name"], d["hidden_rule"]["params"]),
            readout_rule=make_rule(d["readout_rule"]["name"], d["readout_rule"]["params"]),
            supervised=d["supervised"],
            copies=d.get("copies", 1),
            plastic=d.get("plastic", True),
            n_classes=d.get("n_classes", 2),
            drive_norm=d.get("drive_norm"),
        )


def run_duration_ms(spec: NetworkSpec) -> float:
    return spec.chunk * spec.net.presentation_ms + spec.net.dt_ms


# --------------------------------------------------------------------------- blueprint
@dataclass(frozen=True)
class Projection:
    """One ``Synapses`` group: its code, its constants and how it is connected.

    ``connect`` names the pattern within one copy (:class:`~brainlearn.snn.names.Connect`:
    every pair, pre-major; one to one; all but self; efferent pairs of different
    classes). With a ``rule`` its :attr:`PlasticityRule.model` and
    :meth:`PlasticityRule.apply` are used; ``extra`` holds the network's own constants.
    """

    name: SynapsesName
    source: PopulationName
    target: PopulationName
    connect: Connect
    on_pre: str
    extra: dict[str, Any] = field(default_factory=dict)
    rule: PlasticityRule | None = None
    model: str = ""
    #: keep the rule's traces in the neuron groups, under this tag
    #: (:meth:`PlasticityRule.neuron_traced`); None: in the synapses
    trace_tag: str | None = None
    #: a postsynaptic variable (e.g. ``"wsum_post"``) that every weight change of the rule
    #: is added to (:func:`track_weight_changes`); None: none
    sum_var: str | None = None

    @functools.cached_property
    def code(self):
        """The rule's code in the form this projection uses (None without a rule); derived
        once per projection (the neuron-traced form rewrites the rule's code)."""
        if self.rule is None:
            return None
        if self.trace_tag is not None and self.rule.traces:
            code = self.rule.neuron_traced(self.trace_tag)
        else:
            code = self.rule
        if self.sum_var is None:
            return code
        return NeuronTraced(
            model=code.model,
            on_pre=track_weight_changes(code.on_pre, self.sum_var),
            on_post=track_weight_changes(code.on_post, self.sum_var),
            end_code=track_weight_changes(code.end_code, self.sum_var),
            reset_code=code.reset_code,
            neurons=getattr(code, "neurons", ()),
        )

    @property
    def neuron_traces(self) -> tuple:
        """The traces the source (``side == Side.PRE``) and target groups must keep."""
        code = self.code
        return getattr(code, "neurons", ()) if code is not None else ()

    @property
    def full_model(self) -> str:
        base = self.code.model if self.rule is not None else self.model
        return base + shared_declarations(self.extra)

    @property
    def on_post(self) -> str | None:
        return (self.code.on_post or None) if self.rule is not None else None

    @property
    def full_on_pre(self) -> str:
        return self.on_pre + ("\n" + self.code.on_pre if self.rule is not None else "")

    @property
    def end_code(self) -> str:
        return self.code.end_code if self.rule is not None else ""

    @property
    def reset_code(self) -> str:
        return self.code.reset_code if self.rule is not None else ""

    def parameters(self) -> dict[str, Any]:
        return {**(self.rule.parameters() if self.rule is not None else {}), **self.extra}

    def apply(self, synapses) -> None:
        if self.rule is not None:
            self.rule.apply(synapses)
        for name, value in self.extra.items():
            setattr(synapses, name, value)

    def describe(self) -> dict[str, Any]:
        return {
            "name": str(self.name),
            "source": str(self.source),
            "target": str(self.target),
            "connect": str(self.connect),
            "model": self.full_model,
            "on_pre": self.full_on_pre,
            "on_post": self.on_post,
        }


class BoundaryOrder(IntEnum):
    """The place of an operation in the sequence that runs at each presentation start."""

    #: the efferent group finishes the presentation (reward)
    FINISH = 0
    #: end-of-presentation plasticity
    PLASTICITY = 1
    #: reward baseline, weight normalisation
    AFTER = 2
    #: reset the state and read the next presentation's flags
    RESET = 3


class Boundary(NamedTuple):
    """One ``run_regularly`` operation at each presentation start: ``code`` on the Brian2
    object named ``obj`` (a population or a synapse group), at place ``order``."""

    obj: PopulationName | SynapsesName
    code: str
    order: BoundaryOrder

    @property
    def brian_name(self) -> str:
        """The Brian2 name of the operation."""
        return f"{self.obj}_b{int(self.order)}"

    def describe(self) -> list:
        return [str(self.obj), self.code, int(self.order)]


@dataclass(frozen=True)
class Blueprint:
    """The whole network as code: populations, projections, boundary operations."""

    spec: NetworkSpec
    populations: list[Population]
    projections: list[Projection]
    #: the ``run_regularly`` operations at each presentation start
    boundaries: list[Boundary]
    plastic: bool
    copies: int

    def parameters(self) -> dict[str, dict[str, Any]]:
        """Every constant that is not compiled in: object name -> {variable: value}."""
        out = {p.name: p.all_parameters() for p in self.populations}
        out.update({s.name: s.parameters() for s in self.projections})
        return out

    def describe(self) -> dict[str, Any]:
        """Plain-data description of everything compiled in (no parameter values)."""
        p = self.spec.net
        return {
            "dt_ms": p.dt_ms,
            "presentation_ms": p.presentation_ms,
            "chunk": self.spec.chunk,
            "copies": self.copies,
            "plastic": self.plastic,
            "timed_arrays": [str(t) for t in TIMED_ARRAYS],
            "populations": [q.describe() for q in self.populations],
            "projections": [s.describe() for s in self.projections],
            "boundaries": [b.describe() for b in self.boundaries],
            "monitors": [str(q) for q in POPULATIONS],
        }


def blueprint(spec: NetworkSpec, *, plastic: bool | None = None,
              copies: int | None = None) -> Blueprint:
    """The network of ``spec`` as code objects (see the module docstring); ``plastic``
    and ``copies`` default to the spec's."""
    from brian2 import mV

    plastic = spec.plastic if plastic is None else plastic
    copies = spec.copies if copies is None else copies

    p = spec.net
    hid, out = spec.hidden_rule, spec.readout_rule
    P, S, O = PopulationName, SynapsesName, BoundaryOrder
    pops = populations(p, spec.n_afferent, out, plastic, spec.n_classes)
    by_name = {q.name: q for q in pops}
    efferent = by_name[P.EFFERENT]
    w_in_unit = p.w_in_mv / spec.input_drive_norm * mV

    # per-neuron normalisation of the afferent -> hidden weights (Diehl & Cook 2015):
    # the hidden neurons keep the sum of their incoming weights, and every presentation ends
    # by scaling the weights back to the target sum
    normalise = plastic and p.w_in_norm > 0
    if normalise:
        by_name[P.HIDDEN].normalise(p.w_in_norm * spec.n_afferent * hid.w_max)

    def plastic_projection(name, source, target, rule, w_unit, trace_tag=None,
                           sum_var=None):
        if plastic:
            return Projection(name, source, target, Connect.ALL, "ge_post += w * w_unit",
                              {"w_unit": w_unit}, rule, trace_tag=trace_tag,
                              sum_var=sum_var)
        return Projection(name, source, target, Connect.ALL, "ge_post += w * w_unit",
                          {"w_unit": w_unit}, model="w : 1")

    projections = [
        # the all-to-all projections keep their rules' traces in the neurons: one trace
        # per neuron instead of one per synapse (same values, no exp per synapse and
        # spike; see brainlearn.snn.plasticity)
        plastic_projection(S.AFFERENT_HIDDEN, P.AFFERENT, P.HIDDEN, hid, w_in_unit,
                           trace_tag="in", sum_var="wsum_post" if normalise else None),
        Projection(S.HIDDEN_INHIBITORY, P.HIDDEN, P.INHIBITORY, Connect.ONE_TO_ONE,
                   "ge_post += w_ei", {"w_ei": p.w_ei_mv * mV}),
        Projection(S.INHIBITORY_HIDDEN, P.INHIBITORY, P.HIDDEN, Connect.ALL_BUT_SELF,
                   "gi_post += w_ie", {"w_ie": p.w_ie_mv * mV}),
        plastic_projection(S.HIDDEN_EFFERENT, P.HIDDEN, P.EFFERENT, out,
                           p.w_out_mv * mV, trace_tag="out"),
        # mutual inhibition between the efferent groups of the classes (w_lat = 0: none)
        Projection(S.EFFERENT_EFFERENT, P.EFFERENT, P.EFFERENT, Connect.OTHER_CLASS,
                   "gi_post += w_lat", {"w_lat": p.w_lat_mv * mV}),
    ]
    if p.skip_readout:
        # the direct afferent -> efferent projection, plastic with the readout rule
        projections.append(plastic_projection(S.AFFERENT_EFFERENT, P.AFFERENT, P.EFFERENT, out,
                                              p.w_skip_mv / spec.n_features * mV))
    if plastic and out.needs_reward:
        # the reward's spike tally: every efferent neuron counts the spikes of each class
        projections.append(Projection(
            S.EFFERENT_TALLY, P.EFFERENT, P.EFFERENT, Connect.ALL, efferent.tally_on_pre,
        ))

    for proj in projections:
        for tr in proj.neuron_traces:
            by_name[proj.source if tr.side == Side.PRE else proj.target].add_traces([tr])
    if p.k_winners > 0:
        # k-winners-take-all: every inhibitory neuron counts the hidden neurons that fire for
        # the first time in the presentation (count_pre is still the count before the
        # spike where the hidden neurons' reset runs after the pathways, one more where it
        # runs before them)
        first = 1 if by_name[P.HIDDEN].reset_when == "before_synapses" else 0
        projections.append(Projection(
            S.HIDDEN_TALLY, P.HIDDEN, P.INHIBITORY, Connect.ALL,
            f"n_active_post += int(count_pre == {first})",
        ))

    # in the order of BoundaryOrder: the efferent group finishes the presentation (reward),
    # end-of-presentation plasticity, reward baseline and weight normalisation, reset
    by_proj = {s.name: s for s in projections}
    boundaries: list[Boundary] = []
    if plastic:
        boundaries += [
            Boundary(P.EFFERENT, efferent.finish_code + out.post_end_code, O.FINISH),
            Boundary(S.AFFERENT_HIDDEN, by_proj[S.AFFERENT_HIDDEN].end_code,
                     O.PLASTICITY),
            Boundary(S.HIDDEN_EFFERENT, by_proj[S.HIDDEN_EFFERENT].end_code,
                     O.PLASTICITY),
            # integral homeostasis (theta_minus = 0: no change)
            Boundary(P.HIDDEN,
                     "theta = clip(theta - learn * theta_minus, 0 * mV, theta_max)",
                     O.PLASTICITY),
            Boundary(P.EFFERENT, out.post_after_code, O.AFTER),
            Boundary(S.AFFERENT_HIDDEN, by_proj[S.AFFERENT_HIDDEN].reset_code,
                     O.RESET),
            Boundary(S.HIDDEN_EFFERENT, by_proj[S.HIDDEN_EFFERENT].reset_code,
                     O.RESET),
        ]
        if normalise:
            # after the rule's own end-of-presentation change (order 1); learn = 0 leaves
            # the weights as they are
            boundaries.append(Boundary(
                S.AFFERENT_HIDDEN,
                "w = clip(w * (1 + learn_post * (w_norm_total_post / (wsum_post + 1e-12) "
                "- 1)), 0, w_max)",
                O.AFTER,
            ))
        if p.skip_readout:
            boundaries += [
                Boundary(S.AFFERENT_EFFERENT, by_proj[S.AFFERENT_EFFERENT].end_code,
                         O.PLASTICITY),
                Boundary(S.AFFERENT_EFFERENT, by_proj[S.AFFERENT_EFFERENT].reset_code,
                         O.RESET),
            ]
    boundaries += [Boundary(q.name, q.full_start_code, O.RESET) for q in pops]
    boundaries = [b for b in boundaries if b.code and b.code.strip()]
    return Blueprint(spec, pops, projections, boundaries, plastic, int(copies))


def track_weight_changes(code: str, total: str) -> str:
    """``code`` with every weight assignment ``w = EXPR`` also adding its change to the
    variable ``total``: ``dw_tracked = EXPR - w; w += dw_tracked; total += dw_tracked``.

    Every rule writes its weight in statements of that form (the rules of
    :mod:`brainlearn.snn.plasticity`), so the postsynaptic sum of the weights stays
    known without summing over the synapses (the weight normalisation of
    ``NetworkParams.w_in_norm``)."""
    out = []
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("w = "):
            out += [f"dw_tracked = ({stripped[4:]}) - w", "w += dw_tracked",
                    f"{total} += dw_tracked"]
        else:
            out.append(line)
    return "\n".join(out)


def _connectivity(kind: Connect | str, n_pre: int, n_post: int, n_per_class: int,
                  copies: int):
    """Pre-major (i, j) index arrays of a connection pattern, block-diagonal over copies."""
    if kind not in tuple(Connect):
        raise ValueError(f"unknown connection pattern {kind!r}")
    kind = Connect(kind)
    if kind is Connect.ALL:
        i, j = np.repeat(np.arange(n_pre), n_post), np.tile(np.arange(n_post), n_pre)
    elif kind is Connect.ONE_TO_ONE:
        i = j = np.arange(n_pre)
    elif kind is Connect.ALL_BUT_SELF:
        i, j = np.nonzero(~np.eye(n_pre, n_post, dtype=bool))
    else:  # Connect.OTHER_CLASS
        cls_of = np.repeat(np.arange(n_pre // n_per_class), n_per_class)
        i, j = np.nonzero(cls_of[:, None] != cls_of[None, :])
    if copies == 1:
        return i, j
    b = np.repeat(np.arange(copies), len(i))
    return np.tile(i, copies) + b * n_pre, np.tile(j, copies) + b * n_post


# ------------------------------------------------------------------------ Brian2 objects
def build_network(
    spec: NetworkSpec,
    timed: dict[str, Any] | None = None,
    initial: dict[BrianVariable | str, Any] | None = None,
    *,
    spike_monitors: bool = False,
    plastic: bool | None = None,
    copies: int | None = None,
    codeobj_class=None,
):
    """Create the Brian2 objects of the network for one chunk.

    Parameters
    ----------
    spec : NetworkSpec
    timed : dict, optional
        ``TimedArray`` values by the inputs of :data:`TIMED_ARRAYS`, ``K + 1`` rows each
        (``rates`` with Brian2 units of Hz); the fill values of :data:`TIMED_FILL` when
        omitted (a standalone build sets them on the command line).
    initial : dict, optional
        Initial values by :class:`~brainlearn.snn.names.BrianVariable` (or its
        ``"object.variable"`` key), with Brian2 units where the variable has them, set
        after the constants.
    spike_monitors : bool
        Add ``SpikeMonitor`` s on every population (runtime mode only).
    plastic, copies
        See the module docstring; default: the spec's.
    codeobj_class : type, optional
        Brian2 code object class of every object (e.g. numpy's, for a few samples without
        compilation); default: the device's.

    Returns
    -------
    net : brian2.Network
    handles : dict
        Name -> Brian2 object (groups, synapses, timed arrays, monitors).
    """
    import brian2 as b2
    from brian2 import Hz, TimedArray, ms

    bp = blueprint(spec, plastic=plastic, copies=copies)
    copies = bp.copies
    p = spec.net
    K = spec.chunk
    T = p.presentation_ms * ms
    dt = p.dt_ms * ms
    timed = timed or {}
    kw = {"codeobj_class": codeobj_class}

    # one clock per time scale: Brian2's loop visits every clock at every step, and a
    # ``dt=`` per object would make a clock per object
    step = b2.Clock(dt, name="step_clock")
    per_presentation = b2.Clock(T, name="presentation_clock")
    namespace: dict[str, Any] = {"half_T": 0.5 * T}
    handles: dict[str, Any] = {}
    for name in TIMED_ARRAYS:
        if name in timed:
            values = timed[name]
        elif name is TimedInput.RATES:
            values = np.zeros((K + 1, spec.n_afferent * copies)) * Hz
        else:
            values = np.full(K + 1, TIMED_FILL[name])
        ta = TimedArray(values, dt=T, name=name.array)
        namespace[ta.name] = handles[ta.name] = ta

    objects: list[Any] = []
    for pop in bp.populations:
        events = {"pretrace": pop.pretrace_event} if pop.pretrace_event else None
        g = b2.NeuronGroup(
            pop.n * copies,
            pop.equations(),
            threshold=pop.threshold,
            reset=pop.full_reset,
            refractory=pop.refractory or False,
            method=state_updater(pop.method),
            events=events,
            name=str(pop.name),
            namespace=dict(namespace),
            clock=step,
            **kw,
        )
        for var, value in pop.initial_values(copies).items():
            setattr(g, var, value)
        # presynaptic traces jump before the step's synaptic pathways read them
        g.resetter["spike"].when = pop.reset_when
        if pop.pretrace_event:
            # the event is checked before the spike (which starts the refractory period),
            # so it holds for exactly the neurons that spike in this step
            g.thresholder["pretrace"].when = g.thresholder["spike"].when
            g.thresholder["pretrace"].order = g.thresholder["spike"].order - 1
            g.run_on_event("pretrace", pop.pretrace_code, when="before_synapses")
        objects.append(g)
        handles[g.name] = g
    for proj in bp.projections:
        s = b2.Synapses(
            handles[proj.source],
            handles[proj.target],
            model=proj.full_model,
            on_pre=proj.full_on_pre,
            on_post=proj.on_post,
            name=str(proj.name),
            namespace={},
            clock=step,
            **kw,
        )
        n_pre = handles[proj.source].N // copies
        n_post = handles[proj.target].N // copies
        i, j = _connectivity(proj.connect, n_pre, n_post, p.n_per_class, copies)
        s.connect(i=i, j=j)
        objects.append(s)
        handles[s.name] = s
    for pop in bp.populations:
        pop.apply(handles[pop.name])
    for proj in bp.projections:
        proj.apply(handles[proj.name])

    for key, value in (initial or {}).items():
        v = key if isinstance(key, BrianVariable) else BrianVariable.parse(key)
        setattr(handles[v.obj], v.var, value)

    for b in bp.boundaries:
        op = handles[b.obj].run_regularly(
            b.code, clock=per_presentation, when="start", order=int(b.order),
            name=b.brian_name, **kw
        )
        objects.append(op)

    # per-presentation spike counts, read just before the reset
    for pop in POPULATIONS:
        mon = b2.StateMonitor(handles[pop], "count", record=True, clock=per_presentation,
                              when="start", order=-10, name=pop.count_monitor, **kw)
        objects.append(mon)
        handles[mon.name] = mon
    if spike_monitors:
        for pop in POPULATIONS:
            mon = b2.SpikeMonitor(handles[pop], name=pop.spike_monitor, **kw)
            objects.append(mon)
            handles[mon.name] = mon
    net = b2.Network(*objects, name="brainlearn_snn")
    return net, handles
