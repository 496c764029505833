"""Non-spiking networks with local learning rules: Hebbian hidden layers (Krotov & Hopfield
2019; SoftHebb, Journe et al. 2023) and a delta-rule readout. See :mod:`.model`."""

from .model import KrotovHopfieldClassifier, SoftHebbClassifier

__all__ = ["KrotovHopfieldClassifier", "SoftHebbClassifier"]
