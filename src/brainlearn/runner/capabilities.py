"""What a fitted model can do, stated as small protocols the runner checks.

The runner never asks for a model's family to decide what it can measure: an analysis
names the capabilities it needs, and a model that lacks one gets the analysis skipped
with a note (not an error). A model offers a capability by having the members below
(duck typing, checked with ``isinstance`` on these runtime-checkable protocols):

========================  ==========================================================
:class:`RecordsSpikes`    ``record_spikes(X, trained=True)`` -> per population
                          ``{"i", "t_ms", "n"}``; fitted ``dt_ms_`` and
                          ``presentation_ms_`` (ms)
:class:`WeightHistory`    fitted ``weight_history_``: one ``{projection: weights}`` per
                          checkpoint (plus optional ``initial_weights_``, ``weights_``)
:class:`HiddenResponse`   ``hidden_response(X)`` -> (n_samples, n_hidden)
:class:`CountsOps`        ``ops_per_sample(X)`` -> ``{"macs" | "synaptic_events" | ...: float}``
:class:`Ablatable`        ``ablated(fraction, kind, random_state)`` -> a lesioned copy
:class:`Represents`       ``at_presentation(presentation_ms)`` -> a copy of the fitted
                          spiking model that presents each sample for that long (no
                          retraining); fitted ``presentation_ms_``
:class:`PredictsProba`    ``predict_proba(X)`` and ``classes_``
:class:`FitsWithEvalSet`  ``fit(X, y, eval_set=(X_val, y_val))``, recording
                          ``history_["eval_accuracy"]`` at each checkpoint
:class:`BuildsPrograms`   before fitting: ``programs(n_features, n_classes)`` ->
                          the compiled programs its fit and predictions will run, as
                          objects with ``key``, ``kind``, ``is_built(home)``,
                          ``build(home)``, ``memory()`` (:mod:`.prebuild`)
========================  ==========================================================

Every model the runner fits has ``fit`` and ``predict`` (scikit-learn's contract).
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Ablatable",
    "BuildsPrograms",
    "CountsOps",
    "FitsWithEvalSet",
    "HiddenResponse",
    "PredictsProba",
    "RecordsSpikes",
    "Represents",
    "WeightHistory",
    "members",
    "missing",
]


@runtime_checkable
class RecordsSpikes(Protocol):
    """A spiking model: its spike trains on a few samples, and its time grid."""

    dt_ms_: float
    presentation_ms_: float

    def record_spikes(self, X: Any, trained: bool = True) -> dict[str, dict[str, Any]]: ...


@runtime_checkable
class WeightHistory(Protocol):
    """A model whose plastic weights were saved at each training checkpoint."""

    weight_history_: list


@runtime_checkable
class HiddenResponse(Protocol):
    """A model with a hidden layer whose responses can be read out."""

    def hidden_response(self, X: Any) -> Any: ...


@runtime_checkable
class CountsOps(Protocol):
    """A model that counts the operations of one inference."""

    def ops_per_sample(self, X: Any) -> dict[str, float]: ...


@runtime_checkable
class Ablatable(Protocol):
    """A model that can be lesioned (synapses or hidden neurons removed): ``fraction`` in
    [0, 1], ``kind`` ``"synapses"`` or ``"neurons"``; the package's estimators share the
    checks, the copy and the random choice (:func:`brainlearn._base.ablation_copy`)."""

    def ablated(self, fraction: float, kind: str = "synapses", random_state: Any = None): ...


@runtime_checkable
class Represents(Protocol):
    """A fitted spiking model that can be evaluated at another presentation time without
    retraining."""

    presentation_ms_: float

    def at_presentation(self, presentation_ms: float) -> Any: ...


@runtime_checkable
class PredictsProba(Protocol):
    """A classifier with class probabilities."""

    classes_: Any

    def predict_proba(self, X: Any) -> Any: ...


@runtime_checkable
class BuildsPrograms(Protocol):
    """A model that compiles programs for the shape of its data and can name them before
    it sees the data, so a sweep builds them once, up front (:mod:`.prebuild`). Each
    program is an object with ``key`` (str, the same for the same program everywhere),
    ``kind`` ("training" or "inference"), ``is_built(home)``, ``build(home, notice=...)``
    (seconds; raises its ``NoCompiler`` exception type without a working compiler) and
    ``memory()`` (``(synapses, bytes)``); the runner knows nothing else of them."""

    def programs(self, n_features: int, n_classes: int = 2) -> list: ...


class _FitTakes(type):
    """``isinstance(model, cls)``: the model's ``fit`` takes the keyword ``cls.keyword``."""

    def __instancecheck__(cls, model: Any) -> bool:
        try:
            return cls.keyword in inspect.signature(model.fit).parameters
        except (AttributeError, TypeError, ValueError):
            return False


class FitsWithEvalSet(metaclass=_FitTakes):
    """A model that measures held-out data at every training checkpoint."""

    keyword = "eval_set"
    needs = "fit(X, y, eval_set=...)"


def missing(model: Any, capabilities: tuple[type, ...]) -> str | None:
    """A note naming the first capability ``model`` lacks (with the members it needs), or
    None when it has them all."""
    for cap in capabilities:
        if not isinstance(model, cap):
            return f"the model is not {cap.__name__} (needs {', '.join(members(cap))})"
    return None


def members(capability: type) -> list[str]:
    """The attributes and methods a capability asks for."""
    if isinstance(getattr(capability, "needs", None), str):
        return [capability.needs]
    names = set(getattr(capability, "__annotations__", {})) | set(vars(capability))
    return sorted(n for n in names if not n.startswith("_"))
