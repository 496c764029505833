"""Named model configurations: the runner and research code ask for models by name.

Each entry names an estimator class (imported lazily, so asking for an MLP
never imports Brian2) and the hyperparameters that define the configuration.
``make_model(name, **overrides)`` builds a fresh, unfitted estimator with the
registry's parameters deep-merged with the overrides (:func:`resolved_params`: a
nested parameter dict is merged key by key, so a partial override keeps the
registry's other values). Research code adds its own configurations with
:func:`register_model`.

Examples
--------
>>> from brainlearn import make_model, list_models
>>> "mlp-seed" in list_models()
True
>>> make_model("mlp-seed", epochs=5).epochs
5

A configuration of one's own (the estimator is a class, or ``"module:Class"`` to
import it only when a model is made):

>>> from brainlearn import MLPClassifier, register_model
>>> spec = register_model(
...     "mlp-deep-doc", "mlp", MLPClassifier, "three hidden layers of 16 relu units",
...     hidden_layer_sizes=(16, 16, 16), learning_rate=3e-3)
>>> make_model("mlp-deep-doc", epochs=10).hidden_layer_sizes
(16, 16, 16)
"""

from __future__ import annotations

import copy
import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "FAMILIES",
    "ModelSpec",
    "list_models",
    "make_model",
    "model_spec",
    "register_model",
    "resolved_params",
    "unregister_model",
]

#: model families: "mlp" (backprop, non-spiking), "snn" (spiking, local plasticity rules),
#: "snn-backprop" (spiking, surrogate-gradient backprop), "reference" (non-spiking
#: scikit-learn reference classifiers)
FAMILIES = ("mlp", "snn", "snn-backprop", "reference")


@dataclass(frozen=True)
class ModelSpec:
    """One named configuration of an estimator."""

    name: str
    family: str  # one of FAMILIES
    estimator: str  # "module:Class"
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    def estimator_class(self) -> type:
        module, _, qualname = self.estimator.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj


_REGISTRY: dict[str, ModelSpec] = {}


def _estimator_path(estimator) -> str:
    """``"module:Class"`` of an estimator class or of such a string (checked for form only)."""
    if isinstance(estimator, str):
        module, sep, qualname = estimator.partition(":")
        if not (sep and module and qualname):
            raise ValueError(
                f"estimator must be a class or a 'module:Class' string, got {estimator!r}"
            )
        return estimator
    if not isinstance(estimator, type):
        raise ValueError(f"estimator must be a class or a 'module:Class' string, got {estimator!r}")
    if "<locals>" in estimator.__qualname__:
        raise ValueError(
            f"estimator {estimator.__qualname__} is defined inside a function: define it at "
            "the top level of a module, so that worker processes can import it"
        )
    return f"{estimator.__module__}:{estimator.__qualname__}"

def _valid_parameters(cls: type) -> list[str]:
    return [p for p in inspect.signature(cls.__init__).parameters if p not in ("self",)]


def _check_keys(spec: ModelSpec, cls: type, keys, what: str) -> None:
    valid = _valid_parameters(cls)
    for key in keys:
        if key not in valid:
            raise ValueError(
                f"unknown {what} {key!r} for model {spec.name!r} ({cls.__name__}); "
                f"valid parameters: {', '.join(valid)}"
            )


def register_model(
    name: str, family: str, estimator, description: str = "", **params: Any
) -> ModelSpec:
    """Add a named configuration to the registry, for :func:`make_model` and the runner.

    Parameters
    ----------
    name : str
        The new model's name (not yet registered).
    family : {"mlp", "snn", "snn-backprop", "reference"}
        What kind of model it is (:data:`FAMILIES`): backprop MLP, spiking network
        with local rules, surrogate-gradient spiking network, non-spiking reference.
    estimator : type or str
        The estimator class (defined at the top level of a module, so that worker
        processes can import it), or ``"module:Class"`` to import it lazily on the
        first :func:`make_model`. It follows the scikit-learn estimator contract.
    description : str
        One or two sentences for ``brainlearn list`` and the reports.
    **params
        The hyperparameters that define the configuration (copied). With a class,
        unknown parameter names are an error here; with a string, at the first
        :func:`make_model`.

    Returns
    -------
    ModelSpec
        The registered entry.

    Raises
    ------
    ValueError
        An empty or already registered name, an unknown family, an estimator that is
        neither a class nor a ``"module:Class"`` string, or (for a class) a parameter
        it does not take.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"model name must be a non-empty string, got {name!r}")
    if name in _REGISTRY:
        raise ValueError(
            f"model {name!r} is already registered ({_REGISTRY[name].estimator}); "
            "choose another name"
        )
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; valid families: {', '.join(FAMILIES)}")
    if not isinstance(description, str):
        raise ValueError(f"description must be a string, got {description!r}")
    spec = ModelSpec(
        name,
        family,
        _estimator_path(estimator),
        MappingProxyType(copy.deepcopy(dict(params))),
        description,
    )
    if isinstance(estimator, type):
        _check_keys(spec, estimator, params, "parameter")
    _REGISTRY[name] = spec
    return spec


def unregister_model(name: str) -> ModelSpec:
    """Remove the model registered under ``name`` (e.g. one a test or a notebook added
    with :func:`register_model`); returns its entry. An unknown name is a ValueError."""
    spec = model_spec(name)
    del _REGISTRY[name]
    return spec


def list_models(family: str | None = None) -> list[str]:
    """Names of the registered models, optionally of one family (one of :data:`FAMILIES`)."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; valid families: {', '.join(FAMILIES)}")
    return [n for n, s in _REGISTRY.items() if family is None or s.family == family]


def model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` registered under ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown model {name!r}; valid models: {', '.join(list_models())}"
        ) from None


def _deep_merge(base: Mapping, overrides: Mapping, where: str = "") -> dict:
    """``base`` updated by ``overrides``, nested dicts merged key by key (new objects).

    Where ``base`` holds a dict, the override must be a dict too (merged into it) or
    None (which replaces it); anything else is a ValueError naming the key.
    """
    out = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        old = out.get(key)
        if isinstance(old, Mapping) and value is not None:
            if not isinstance(value, Mapping):
                raise ValueError(
                    f"parameter {where}{key} must be a dict (it is merged key by key into "
                    f"{dict(old)!r}) or None, got {value!r}"
                )
            out[key] = _deep_merge(old, value, f"{where}{key}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolved_params(name: str, overrides: Mapping[str, Any] | None = None) -> dict:
    """The parameters :func:`make_model` passes to the estimator: registry values
    deep-merged with ``overrides``.

    A nested dict in the registry (``network_params``, the rule parameters) is merged
    key by key with an override dict, at every depth, so a partial override keeps the
    registry's other values; ``None`` replaces such a dict (the estimator's own
    defaults). Any other value replaces the registry's. The result shares no object
    with the registry or with ``overrides``.

    >>> p = resolved_params("snn-stdp", {"network_params": {"noise_mv": 1.0}})
    >>> p["network_params"]["noise_mv"], p["network_params"]["w_out_mv"]
    (1.0, 160.0)

    Raises
    ------
    ValueError
        An unknown model, an override that is not a parameter of the estimator, or a
        value that is not a dict where the registry has a dict (each names the key).
    """
    spec = model_spec(name)
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, Mapping):
        raise ValueError(f"overrides must be a dict of parameters, got {overrides!r}")
    _check_keys(spec, spec.estimator_class(), overrides, "parameter")
    try:
        return _deep_merge(spec.params, overrides)
    except ValueError as exc:
        raise ValueError(f"model {name!r}: {exc}") from None


def make_model(name: str, **overrides: Any):
    """A fresh estimator of the named configuration, with ``overrides`` deep-merged in.

    The estimator gets :func:`resolved_params` ``(name, overrides)``: nested parameter
    dicts of the registry are merged key by key with the overrides' dicts, and no
    object is shared with the registry.

    Raises
    ------
    ValueError
        For an unknown model name, an override that is not a hyperparameter of the
        estimator, or a non-dict override of a registry dict (the message names the key).
    """
    spec = model_spec(name)
    return spec.estimator_class()(**resolved_params(name, overrides))


# --------------------------------------------------------------------------- the configurations

_MLP = "brainlearn.mlp.model:MLPClassifier"

# --- backprop (Numba) -------------------------------------------------
register_model(
    "mlp-seed",
    "mlp",
    _MLP,
    "The classic Keras example: 2-5-1, relu hidden, sigmoid output, Adam (lr 1e-3), "
    "binary cross-entropy, 100 epochs, batch 32 (K > 2 classes: K softmax outputs, "
    "categorical cross-entropy).",
    hidden_layer_sizes=(5,),
    activation="relu",
    optimizer="adam",
    learning_rate=1e-3,
    epochs=100,
    batch_size=32,
)
register_model(
    "mlp-wide",
    "mlp",
    _MLP,
    "A strong backprop baseline: 2-32-32-1 (relu hidden, sigmoid output), Adam "
    "(lr 5e-3, Keras defaults otherwise), binary cross-entropy, 300 epochs, batch 32. "
    "Chosen as the smallest of the configurations tried (2x32 and 2x64 units, lr "
    "3e-3..1e-2, 150-300 epochs, relu/tanh) whose mean test accuracy over 5 seeds "
    "(n_train = n_test = 1000) clears 0.97 on linear, xor, circle and moons with "
    "margin; a fit of 1000 samples takes well under 0.5 s. K > 2 classes: K softmax "
    "outputs, categorical cross-entropy.",
    hidden_layer_sizes=(32, 32),
    activation="relu",
    optimizer="adam",
    learning_rate=5e-3,
    epochs=300,
    batch_size=32,
)
register_model(
    "mlp-wide64",
    "mlp",
    _MLP,
    "mlp-wide with two hidden layers of 64 relu units and batch 16 (Adam lr 5e-3, 300 "
    "epochs), for the real data sets: the smallest change to mlp-wide found whose mean "
    "test accuracy over seeds 0-4 clears issue 9's targets on digits-parity (0.981 >= 0.98), "
    "iris (0.951 >= 0.95) and digits (0.982 >= 0.97), where mlp-wide gets 0.979, 0.947 "
    "and 0.981. The iris gain is one test sample of 225 and within seed noise (over 30 "
    "seeds both average 0.95 +- 0.005). K > 2 classes: K softmax outputs.",
    hidden_layer_sizes=(64, 64),
    activation="relu",
    optimizer="adam",
    learning_rate=5e-3,
    epochs=300,
    batch_size=16,
)

# --- spiking (Brian2) ---------------------------------------------------------------
# Shared defaults of the spiking models; see brainlearn.snn.model.SpikingClassifier.
_SNN = "brainlearn.snn.model:SpikingClassifier"
_SNN_NET: dict = {}  # NetworkParams defaults (brainlearn.snn.populations)
_SNN_HIDDEN: dict = {}  # STDP defaults (brainlearn.snn.plasticity.STDPParams)
# supervised STDP readout: the heterosynaptic target x_tar is small because an interneuron is
# active in only a few per cent of the presentations (see STDP's fixed point)
_SNN_STDP_READOUT = {"x_tar": 0.005, "eta_dep": 0.001, "eta_pot": 0.05}

register_model(
    "snn-stdp",
    "snn",
    _SNN,
    "Spiking network: Gaussian receptive-field afferents, 200 adaptive-threshold LIF "
    "interneurons in winner-take-all competition learning prototypes with STDP, "
    "teacher-driven STDP readout onto one efferent group per class.",
    hidden_rule="stdp",
    readout_rule="stdp",
    # strong enough that the efferent neurons spike for ~99 % of test samples
    network_params={**_SNN_NET, "w_out_mv": 160.0},
    hidden_rule_params=dict(_SNN_HIDDEN),
    readout_rule_params=dict(_SNN_STDP_READOUT),
)
register_model(
    "snn-hebbian",
    "snn",
    _SNN,
    "As snn-stdp, but the teacher-driven readout learns with a bounded (Oja) Hebbian rule "
    "on the spike counts of each presentation.",
    hidden_rule="stdp",
    readout_rule="hebbian",
    # Oja's fixed point gives smaller weights than STDP's: a larger synaptic scale keeps
    # the efferent neurons spiking at test time
    network_params={**_SNN_NET, "w_out_mv": 200.0},
    hidden_rule_params=dict(_SNN_HIDDEN),
    readout_rule_params={"x_ref": 0.05, "y_ref": 5.0, "eta": 0.02},
)
register_model(
    "snn-rstdp",
    "snn",
    _SNN,
    "As snn-stdp, but the readout has no teacher: reward-modulated STDP with eligibility "
    "traces and a reward baseline, the reward computed inside the network from the "
    "efferent spikes against the label; mutual inhibition between the efferent groups; "
    "2 epochs.",
    hidden_rule="stdp",
    readout_rule="rstdp",
    epochs=2,
    # the readout must spike before it can be rewarded (larger initial weights, noise),
    # and the two efferent groups inhibit each other, so the reward credits one group
    network_params={
        **_SNN_NET,
        "w_out_init_low": 0.2,
        "w_out_init_high": 0.6,
        "noise_mv": 3.0,
        "w_lat_mv": 100.0,
    },
    hidden_rule_params=dict(_SNN_HIDDEN),
    readout_rule_params={"eta": 0.3},
)
# the configurations measured for issue 8 section 3 (a spiking net that learns from scratch)
register_model(
    "snn-stdp-scratch",
    "snn",
    _SNN,
    "As snn-stdp, but learned from scratch (issue 8 section 3): the afferent -> "
    "interneuron weights start uniform in [0, 0.8] w_max, independent of the data (no "
    "training sample is copied into a weight), and the budget is at least 3000 "
    "presentations (3 epochs of 1000 samples) so that the winner-take-all layer recruits "
    "and refines its prototypes by STDP alone.",
    hidden_rule="stdp",
    readout_rule="stdp",
    min_presentations=3000,
    network_params={**_SNN_NET, "w_out_mv": 160.0, "init_from_data": False},
    hidden_rule_params=dict(_SNN_HIDDEN),
    readout_rule_params=dict(_SNN_STDP_READOUT),
)
register_model(
    "snn-delta-skip",
    "snn",
    _SNN,
    "As snn-stdp (data-point init, STDP prototypes), but the efferent neurons also "
    "receive the afferent (receptive-field) code directly, and both projections onto them "
    "learn with a local delta rule on spike counts, dw = eta x (y* - y), the target y* "
    "(label) being the one per-neuron modulatory signal; the teacher does not drive the "
    "efferent neurons. At least 3200 presentations (8 epochs of breast-cancer).",
    hidden_rule="stdp",
    readout_rule="delta",
    min_presentations=3200,
    network_params={
        **_SNN_NET,
        "w_out_mv": 160.0,
        "teacher_mv": 0.0,
        "suppress_mv": 0.0,
        "skip_readout": True,
        "w_skip_mv": 100.0,
    },
    hidden_rule_params=dict(_SNN_HIDDEN),
    readout_rule_params={"eta": 0.01, "x_ref": 1.0, "y_ref": 5.0, "y_target": 1.0},
)

# --- controls and references (issue 8): what each part of the spiking model contributes ------
# Controls: snn-stdp with one part switched off (same network, budget and readout learning).
# hidden_epochs=0 keeps the afferent->interneuron weights and the interneurons' adaptive
# thresholds at their initial values (learn_hidden = 0 in every presentation).
_SNN_STDP = dict(model_spec("snn-stdp").params)
register_model(
    "snn-frozen",
    "snn",
    _SNN,
    "Control: snn-stdp with hidden plasticity off (hidden_epochs=0): the interneurons keep "
    "their data-point prototypes (the receptive-field patterns of 200 training samples, "
    "no labels) and fixed thresholds; only the readout learns. Measures what hidden STDP "
    "adds.",
    **{**_SNN_STDP, "hidden_epochs": 0},
)
register_model(
    "snn-random",
    "snn",
    _SNN,
    "Control: snn-stdp with the hidden weights fixed at a data-independent uniform random "
    "init (init_from_data=False, hidden_epochs=0); only the readout learns -- the "
    "fixed-random-projection control of Illing, Gerstner & Brea 2019 (Neural Networks 118). "
    "Measures what the data-point init adds.",
    **{
        **_SNN_STDP,
        "hidden_epochs": 0,
        "network_params": {**_SNN_STDP["network_params"], "init_from_data": False},
    },
)
_REF = "brainlearn.reference"
register_model(
    "ref-logreg",
    "reference",
    f"{_REF}:LogisticReference",
    "Reference: logistic regression (L2, C=1, L-BFGS) on inputs standardised with the "
    "training data's statistics.",
)
register_model(
    "ref-knn",
    "reference",
    f"{_REF}:KNeighborsReference",
    "Reference: 5-nearest neighbours (Euclidean) on standardised inputs.",
    n_neighbors=5,
)
register_model(
    "ref-svm",
    "reference",
    f"{_REF}:SVMReference",
    "Reference: RBF support-vector machine (C=1, gamma='scale') on standardised inputs.",
)
register_model(
    "ref-kmeans",
    "reference",
    f"{_REF}:PrototypeReadoutClassifier",
    "The non-spiking twin of the spiking interneuron layer: 200 k-means prototypes "
    "learned without labels on standardised inputs, a 2-winner-take-all code, a "
    "logistic-regression readout. Measures what spiking adds or costs at equal "
    "architecture.",
    n_prototypes=200,
    n_winners=2,
)

# --- spiking, trained by backprop through time (surrogate gradients; issue 13) -------
register_model(
    "snn-surrogate",
    "snn-backprop",
    "brainlearn.surrogate.model:SurrogateSpikingClassifier",
    "The spiking network of snn-stdp (Gaussian receptive-field afferents, 200 current-based "
    "LIF neurons, NetworkParams constants, dt 0.5 ms, 50 ms presentations) trained by "
    "backprop through time with a fast-sigmoid surrogate gradient: softmax cross-entropy on "
    "the time-averaged potentials of non-spiking leaky readout units, Adam (step 3e-2 in "
    "units of the initial weight spread, cosine-annealed over 30 epochs), batch 32, initial "
    "input drive spread 2 thresholds. Chosen from a few configurations tried on xor and "
    "spiral (init_gain 1-2, step 1e-2-3e-2, surrogate steepness 0.3-1 /mV, reset detached or "
    "not, constant or cosine step, 20-30 epochs); over seeds 0-4 it is within 0.01 of "
    "mlp-wide on the 2-D tasks and reaches 0.961 on breast-cancer "
    "(benchmarks/surrogate_targets.py).",
    n_hidden=200,
    init_gain=2.0,
    surrogate_steepness=1.0,
    learning_rate=3e-2,
    lr_schedule="cosine",
    epochs=30,
    batch_size=32,
)
