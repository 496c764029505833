"""brainlearn: spiking networks with local plastic synapses against backprop, on the same tasks.

Public API
----------
- :func:`make_task`, :func:`load_task`, :func:`list_tasks`, :func:`task_info` -- the task
  suite (synthetic two-class tasks; real data with two or more classes).
- :class:`MLPClassifier` -- a backprop MLP with Numba-jitted kernels (K >= 2 classes).
- :class:`SpikingClassifier` -- a Brian2 spiking network with plastic synapses.
- :class:`SurrogateSpikingClassifier` -- the same kind of spiking network trained by backprop
  through time with surrogate gradients (Numba kernels).
- :func:`make_model`, :func:`list_models`, :func:`register_model`, :func:`resolved_params`,
  :func:`unregister_model` -- named model configurations used by the runner (those shipped
  are in :mod:`brainlearn.configurations`), and how to add one.

Heavy modules (Brian2, the Numba kernels) are imported on first use.
"""

from __future__ import annotations

from . import configurations  # noqa: F401 - registers the shipped model configurations
from .registry import (
    list_models,
    make_model,
    model_spec,
    register_model,
    resolved_params,
    unregister_model,
)
from .tasks import TaskInfo, TaskSplit, list_tasks, load_task, make_task, task_info

__version__ = "0.1.0"

__all__ = [
    "MLPClassifier",
    "SpikingClassifier",
    "SurrogateSpikingClassifier",
    "TaskInfo",
    "TaskSplit",
    "list_models",
    "list_tasks",
    "load_task",
    "make_model",
    "make_task",
    "model_spec",
    "register_model",
    "resolved_params",
    "task_info",
    "unregister_model",
]


def __getattr__(name: str):
    if name == "MLPClassifier":
        from .mlp.model import MLPClassifier

        return MLPClassifier
    if name == "SpikingClassifier":
        from .snn.model import SpikingClassifier

        return SpikingClassifier
    if name == "SurrogateSpikingClassifier":
        from .surrogate.model import SurrogateSpikingClassifier

        return SurrogateSpikingClassifier
    raise AttributeError(f"module 'brainlearn' has no attribute {name!r}")
