"""LArTPC detector systematics: response emulator (recombination, drift, lifetime, diffusion, readout), throws, toy particle gun."""

from systematics.parameters import (NOMINAL, PARAMETERS, RANGES, TABLE, DetectorParams, DriftGeometry, Parameter,
                                    ReadoutConfig)
from systematics.response import DetectorResponse
from systematics.throws import (DetectorThrow, DiffusionThrow, EFieldThrow, LifetimeThrow, ParameterThrow,
                                RecombinationThrow)

__all__ = ["Parameter", "TABLE", "PARAMETERS", "NOMINAL", "RANGES", "DetectorParams", "DriftGeometry", "ReadoutConfig",
           "DetectorResponse", "ParameterThrow", "DetectorThrow", "LifetimeThrow", "EFieldThrow", "DiffusionThrow",
           "RecombinationThrow"]
