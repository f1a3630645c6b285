"""hep-augment: batch-vectorised, device-agnostic augmentations for particle-physics events.

>>> from augment import Compose, Rotate, LifetimeThrow
"""

from augment._base import Compose, OneOf, RandomApply, SomeOf, Transform
from augment._events import Events
from augment.energy import EnergyScale, LocalSmear
from augment.geometric import Cutout, Jitter, Rotate, Translate
from augment.jets import CentreJets, CollinearSplit, KeepHardest, NormalisePT, SoftSmear, preprocess_jets
from augment.sampling import VoxelDrop

__all__ = [
    "Events", "Transform", "Compose", "RandomApply", "OneOf", "SomeOf",
    "Translate", "Rotate", "Jitter", "Cutout", "EnergyScale", "LocalSmear", "VoxelDrop",
    "CollinearSplit", "SoftSmear", "CentreJets", "NormalisePT", "KeepHardest", "preprocess_jets",
]
