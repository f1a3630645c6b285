"""hep-augment: batch-vectorised, device-agnostic augmentations for particle-physics events.

>>> from augment import Compose, Rotate, LifetimeThrow
"""

from augment._base import Compose, OneOf, RandomApply, SomeOf, Transform
from augment._events import Events
from augment.geometric import Translate
from systematics.response import DetectorResponse
from systematics.throws import DetectorThrow, DiffusionThrow, EFieldThrow, LifetimeThrow, RecombinationThrow

__all__ = ["Events", "Transform", "Compose", "RandomApply", "OneOf", "SomeOf", "Translate"]
__all__ += ["DetectorResponse", "DetectorThrow", "LifetimeThrow", "EFieldThrow", "DiffusionThrow", "RecombinationThrow"]
