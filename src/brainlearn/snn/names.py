"""The names the spiking networks are wired and read by, as types instead of string
literals.

Each is a :class:`enum.StrEnum` (or a small tuple of them): a member *is* its string (it
compares and hashes equal to it and formats as it), so dictionaries keyed by members are
looked up with plain strings and the other way round, and the strings in stored records,
JSON files, build keys and the public attributes of the fitted models stay the ones they
were. Whatever leaves a model (``weights_``, ``initial_weights_``, ``weight_history_``,
``record_spikes``) is keyed by plain ``str`` (:func:`plain_keys`), so pickles of a fitted
model do not depend on these classes. The hidden population was named ``"interneuron"`` up
to release 0.1.0: :data:`LEGACY_NAMES` maps the old names, read with a ``FutureWarning``.

:class:`PopulationName`
    The four neuron groups (``"afferent"``, ``"hidden"``, ``"inhibitory"``,
    ``"efferent"``): the Brian2 names of the groups and the keys of spike counts and
    spike trains.
:class:`SynapsesName`
    The Brian2 names of the synapse groups (``"afferent_hidden"``, ...).
:class:`WeightKey`
    The plastic projections by their public keys ``"pre->post"`` (``weights_`` and the
    like, of the spiking classifier and of the surrogate-gradient network), each with its
    two populations and its synapse group.
:class:`TimedInput`
    The per-presentation inputs (``"rates"``, ``"label"``, the ``learn_*`` flags,
    ``"teach"``), each with the name of its Brian2 ``TimedArray``.
:class:`BrianVariable`
    A variable of a Brian2 object, ``(object, variable)``, with its ``"object.variable"``
    key (the compiled program's command line and variable map).
:class:`Connect`, :class:`Side`
    Connection patterns of a projection, the two ends of a synapse.

No Brian2 import: the surrogate network, the plots and the figures use these names too.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple

__all__ = [
    "BrianVariable",
    "Connect",
    "PopulationName",
    "Side",
    "SynapsesName",
    "TimedInput",
    "WeightKey",
    "LEGACY_NAMES",
    "NameKeyed",
    "current_name",
    "plain_keys",
]


class PopulationName(StrEnum):
    """The neuron groups of the network, in creation order."""

    AFFERENT = "afferent"
    HIDDEN = "hidden"
    INHIBITORY = "inhibitory"
    EFFERENT = "efferent"

    @property
    def count_monitor(self) -> str:
        """The Brian2 name of the ``StateMonitor`` of the group's per-presentation spike
        counts."""
        return f"count_{self.value}"

    @property
    def spike_monitor(self) -> str:
        """The Brian2 name of the group's ``SpikeMonitor`` (runtime mode only)."""
        return f"spikes_{self.value}"


class SynapsesName(StrEnum):
    """The Brian2 names of the ``Synapses`` groups (``Projection.name`` of
    :mod:`brainlearn.snn.graph`)."""

    AFFERENT_HIDDEN = "afferent_hidden"
    HIDDEN_INHIBITORY = "hidden_inhibitory"
    INHIBITORY_HIDDEN = "inhibitory_hidden"
    HIDDEN_EFFERENT = "hidden_efferent"
    #: mutual inhibition between the efferent groups of the classes
    EFFERENT_EFFERENT = "efferent_efferent"
    #: the direct projection, only with ``NetworkParams.skip_readout``
    AFFERENT_EFFERENT = "afferent_efferent"
    #: the reward's spike tally of a reward-modulated readout
    EFFERENT_TALLY = "efferent_tally"
    #: the count of active hidden neurons of k-winners-take-all
    HIDDEN_TALLY = "hidden_tally"


class WeightKey(StrEnum):
    """The plastic projections by their public keys (``weights_``, ``initial_weights_``,
    ``weight_history_`` and the analyses' payloads): ``"pre->post"``."""

    #: afferent -> hidden, (n_afferent, n_hidden)
    IN = "afferent->hidden"
    #: hidden -> efferent, (n_hidden, K n_per_class)
    OUT = "hidden->efferent"
    #: afferent -> efferent, only with ``network_params["skip_readout"]``
    SKIP = "afferent->efferent"

    @property
    def source(self) -> PopulationName:
        return _ENDS[self][0]

    @property
    def target(self) -> PopulationName:
        return _ENDS[self][1]

    @property
    def synapses(self) -> SynapsesName:
        """The Brian2 synapse group that holds these weights."""
        return _SYNAPSES[self]


_ENDS = {
    WeightKey.IN: (PopulationName.AFFERENT, PopulationName.HIDDEN),
    WeightKey.OUT: (PopulationName.HIDDEN, PopulationName.EFFERENT),
    WeightKey.SKIP: (PopulationName.AFFERENT, PopulationName.EFFERENT),
}
_SYNAPSES = {
    WeightKey.IN: SynapsesName.AFFERENT_HIDDEN,
    WeightKey.OUT: SynapsesName.HIDDEN_EFFERENT,
    WeightKey.SKIP: SynapsesName.AFFERENT_EFFERENT,
}


class TimedInput(StrEnum):
    """The per-presentation inputs of a chunk (one ``TimedArray`` each; the fields of
    :class:`~brainlearn.snn.engines.ChunkInputs`)."""

    RATES = "rates"
    LABEL = "label"
    LEARN_HIDDEN = "learn_hidden"
    LEARN_READOUT = "learn_readout"
    TEACH = "teach"

    @property
    def array(self) -> str:
        """The Brian2 name of its ``TimedArray`` (what the network's code reads)."""
        return f"{self.value}_ta"


class BrianVariable(NamedTuple):
    """A variable ``var`` of the Brian2 object named ``obj``."""

    obj: str
    var: str

    @property
    def key(self) -> str:
        """``"object.variable"``: how the compiled program's command line and its variable
        map (``brainlearn_map.json``) name it."""
        return f"{self.obj}.{self.var}"

    @classmethod
    def parse(cls, key: str) -> BrianVariable:
        """The variable of an ``"object.variable"`` key."""
        obj, sep, var = str(key).partition(".")
        if not (sep and obj and var) or "." in var:
            raise ValueError(f"not an 'object.variable' name: {key!r}")
        return cls(obj, var)


class Connect(StrEnum):
    """Connection patterns of a projection within one copy of the network."""

    #: every pair, pre-major
    ALL = "all"
    ONE_TO_ONE = "one_to_one"
    ALL_BUT_SELF = "all_but_self"
    #: efferent pairs of different classes
    OTHER_CLASS = "other_class"


class Side(StrEnum):
    """The end of a synapse a spike trace follows."""

    PRE = "pre"
    POST = "post"


#: Names used up to release 0.1.0, when the hidden population was called "interneuron":
#: old name -> the name now. Read with a ``FutureWarning`` for one release
#: (:class:`NameKeyed`, :func:`current_name`, the groups of ``network_params``).
LEGACY_NAMES: dict[str, str] = {
    "interneuron": PopulationName.HIDDEN.value,
    "afferent->interneuron": WeightKey.IN.value,
    "interneuron->efferent": WeightKey.OUT.value,
}


def renamed(old: str, new: str) -> None:
    """Warn that ``old`` is an old name of ``new`` (a ``FutureWarning``)."""
    warnings.warn(f"{old!r} is now named {new!r}; the old name is read until the next "
                  "release", FutureWarning, stacklevel=3)


def current_name(key: str) -> str:
    """``key`` as it is named now (an old name of :data:`LEGACY_NAMES` mapped, silently:
    for keys read from stored records)."""
    return LEGACY_NAMES.get(str(key), str(key))


class NameKeyed(dict):
    """A ``dict`` keyed by population or projection names that still answers to the
    names of :data:`LEGACY_NAMES` (``weights_["afferent->interneuron"]``), with a
    ``FutureWarning``; a plain ``dict`` otherwise. It pickles and deep-copies as a plain
    ``dict``, so no pickle depends on it."""

    def __reduce__(self):
        return dict, (dict(self),)

    def __missing__(self, key):
        new = LEGACY_NAMES.get(key) if isinstance(key, str) else None
        if new is None or new not in self:
            raise KeyError(key)
        renamed(key, new)
        return self[new]

    def get(self, key, default=None):
        return self[key] if key in self or (
            isinstance(key, str) and LEGACY_NAMES.get(key) in self) else default


def plain_keys(mapping: Mapping[str, Any]) -> NameKeyed:
    """``mapping`` with plain ``str`` keys (the same strings): what a model stores (a
    :class:`NameKeyed`, so the old names still work)."""
    return NameKeyed((str(k), v) for k, v in mapping.items())
