"""hep-augment: batch-vectorised, device-agnostic augmentations for particle-physics events.

>>> from augment import Compose, Rotate, LifetimeThrow
"""

from augment._base import Compose, OneOf, RandomApply, SomeOf, Transform
from augment._events import Events
from augment.geometric import Translate

__all__ = ["Events", "Transform", "Compose", "RandomApply", "OneOf", "SomeOf", "Translate"]
from augment.jets import CentreJets, CollinearSplit, KeepHardest, NormalisePT, SoftSmear, preprocess_jets

__all__ += ["CollinearSplit", "SoftSmear", "CentreJets", "NormalisePT", "KeepHardest", "preprocess_jets"]
