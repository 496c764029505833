"""Named model configurations: the runner and research code ask for models by name.

Each entry names an estimator class (imported lazily, so asking for an MLP
never imports Brian2) and the hyperparameters that define the configuration.
``make_model(name, **overrides)`` builds a fresh, unfitted estimator with the
registry's parameters deep-merged with the overrides (:func:`resolved_params`: a
nested parameter dict is merged key by key, so a partial override keeps the
registry's other values). The configurations shipped with brainlearn are in
:mod:`brainlearn.configurations` (registered when ``brainlearn`` is imported); research
code adds its own with :func:`register_model`.

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
#: "snn-backprop" (spiking, surrogate-gradient backprop), "local" (non-spiking, local
#: learning rules), "reference" (non-spiking scikit-learn reference classifiers)
FAMILIES = ("mlp", "snn", "snn-backprop", "local", "reference")


@dataclass(frozen=True)
class ModelSpec:
    """One named configuration of an estimator."""

    name: str
    family: str  # one of FAMILIES
    estimator: str  # "module:Class"
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""
    #: what the runner's tuning step may vary: ``{parameter path: Float/Int/Choice}``
    #: (:mod:`brainlearn.search`); empty when the model is not tuned
    search_space: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

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
    name: str, family: str, estimator, description: str = "", *,
    search_space: Mapping[str, Any] | None = None, **params: Any
) -> ModelSpec:
    """Add a named configuration to the registry, for :func:`make_model` and the runner.

    Parameters
    ----------
    name : str
        The new model's name (not yet registered).
    family : {"mlp", "snn", "snn-backprop", "local", "reference"}
        What kind of model it is (:data:`FAMILIES`): backprop MLP, spiking network
        with local rules, surrogate-gradient spiking network, non-spiking network with
        local rules, non-spiking reference.
    estimator : type or str
        The estimator class (defined at the top level of a module, so that worker
        processes can import it), or ``"module:Class"`` to import it lazily on the
        first :func:`make_model`. It follows the scikit-learn estimator contract.
    description : str
        One or two sentences for ``brainlearn list`` and the reports.
    search_space : dict, optional
        What the runner's tuning step (``[tune]`` of an experiment) may vary:
        ``{parameter path: Float/Int/Choice}`` of :mod:`brainlearn.search`, a path being a
        hyperparameter or ``"dict_param.key"`` (e.g. ``"network_params.w_out_mv"``).
        With a class, a path whose first part is not a parameter is an error here.
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
        neither a class nor a ``"module:Class"`` string, (for a class) a parameter
        it does not take, or an invalid search space (the message names the key).
    """
    from .search import check_space

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
    space = check_space({} if search_space is None else search_space,
                        f"search_space of model {name!r}")
    spec = ModelSpec(
        name,
        family,
        _estimator_path(estimator),
        MappingProxyType(copy.deepcopy(dict(params))),
        description,
        MappingProxyType(space),
    )
    if isinstance(estimator, type):
        _check_keys(spec, estimator, params, "parameter")
        _check_keys(spec, estimator, {k.split(".")[0] for k in space},
                    "search_space parameter")
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
