"""hep-augment: batch-vectorised, device-agnostic augmentations for particle-physics events.

>>> from augment import Compose, Rotate, LifetimeThrow
"""

from augment._base import Compose, OneOf, RandomApply, SomeOf, Transform
from augment._events import Events
from augment.energy import EnergyScale, LocalSmear
from augment.geometric import Cutout, Jitter, Rotate, Translate
from augment.jets import CentreJets, CollinearSplit, KeepHardest, NormalisePT, SoftSmear, preprocess_jets
from augment.sampling import VoxelDrop

# The detector throws live in systematics, which imports augment: these lines stay last.
from systematics.response import DetectorResponse  # noqa: E402  isort: skip
from systematics.throws import (DeadChannelThrow, DetectorThrow, DiffusionThrow,  # noqa: E402  isort: skip
                                EFieldThrow, GainThrow, LifetimeThrow, RecombinationThrow, SpaceChargeThrow)

__all__ = [
    "Events", "Transform", "Compose", "RandomApply", "OneOf", "SomeOf",
    "Translate", "Rotate", "Jitter", "Cutout", "EnergyScale", "LocalSmear", "VoxelDrop",
    "CollinearSplit", "SoftSmear", "CentreJets", "NormalisePT", "KeepHardest", "preprocess_jets",
    "DetectorResponse", "DetectorThrow", "LifetimeThrow", "EFieldThrow", "DiffusionThrow", "RecombinationThrow",
    "SpaceChargeThrow", "DeadChannelThrow", "GainThrow",
]
