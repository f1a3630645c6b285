"""LArTPC detector systematics: response emulator (recombination, drift, lifetime, diffusion, readout), throws, toy particle gun."""

# augment re-exports the throws: importing it first makes every import order free of cycles.
import augment  # noqa: F401  isort: skip

from systematics.parameters import RANGES, DetectorParams, DriftGeometry, ReadoutConfig
from systematics.response import DetectorResponse
from systematics.throws import DetectorThrow, DiffusionThrow, EFieldThrow, LifetimeThrow, RecombinationThrow

__all__ = ["DetectorParams", "DriftGeometry", "ReadoutConfig", "RANGES", "DetectorResponse", "DetectorThrow",
           "LifetimeThrow", "EFieldThrow", "DiffusionThrow", "RecombinationThrow"]
