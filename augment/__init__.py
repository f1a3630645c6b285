"""hep-augment: batch-vectorised, device-agnostic augmentations for particle-physics events.

>>> from augment import Compose, Rotate, LifetimeThrow
"""

from augment._base import AffineTransform, Compose, OneOf, RandomApply, SomeOf, Transform
from augment._events import Events
from augment._params import Params
from augment.elastic import ElasticDistortion
from augment.energy import EnergyScale, LocalSmear
from augment.features import FeatureDrop
from augment.geometric import Crop, Cutout, Jitter, Rotate, Translate
from augment.jets import CentreJets, CollinearSplit, KeepHardest, NormalisePT, SoftSmear, preprocess_jets
from augment.reflect import Reflect
from augment.sampling import VoxelDrop

# The detector response and throws live in systematics (which imports augment): re-exported lazily
# (PEP 562), so that `import augment` imports nothing from systematics.
_SYSTEMATICS = {"DetectorResponse": "systematics.response", "ChargeCollection": "systematics.response",
                "Readout": "systematics.response", "ParameterThrow": "systematics.throws",
                "DetectorThrow": "systematics.throws", "LifetimeThrow": "systematics.throws",
                "EFieldThrow": "systematics.throws", "DiffusionThrow": "systematics.throws",
                "RecombinationThrow": "systematics.throws", "SpaceChargeThrow": "systematics.throws",
                "DeadChannelThrow": "systematics.throws", "GainThrow": "systematics.throws"}


def __getattr__(name: str):
    if name in _SYSTEMATICS:
        import importlib

        return getattr(importlib.import_module(_SYSTEMATICS[name]), name)
    raise AttributeError(f"module 'augment' has no attribute {name!r}")


__all__ = [
    "Events", "Params", "Transform", "AffineTransform", "Compose", "RandomApply", "OneOf", "SomeOf",
    "Translate", "Rotate", "Jitter", "Cutout", "EnergyScale", "LocalSmear", "VoxelDrop",
    "Reflect", "ElasticDistortion", "Crop", "FeatureDrop",
    "CollinearSplit", "SoftSmear", "CentreJets", "NormalisePT", "KeepHardest", "preprocess_jets",
    *_SYSTEMATICS,
]
