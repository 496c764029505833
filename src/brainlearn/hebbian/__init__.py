"""Non-spiking networks with local learning rules: :mod:`brainlearn.hebbian.model`."""

from .model import KrotovHopfieldClassifier, SoftHebbClassifier

__all__ = ["KrotovHopfieldClassifier", "SoftHebbClassifier"]
