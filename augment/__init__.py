"""hep-augment: batch-vectorised, device-agnostic augmentations for particle-physics events.

>>> from augment import Compose, Rotate, LifetimeThrow
"""

from augment._base import Compose, OneOf, RandomApply, SomeOf, Transform
from augment._events import Events
from augment.geometric import Translate
from augment.geometric import Cutout, Jitter, Rotate
from augment.energy import EnergyScale, LocalSmear
from augment.sampling import VoxelDrop

__all__ = ["Events", "Transform", "Compose", "RandomApply", "OneOf", "SomeOf", "Translate"]
__all__ += ["Rotate", "Jitter", "Cutout", "EnergyScale", "LocalSmear", "VoxelDrop"]
