"""LArTPC detector systematics: response emulator (recombination, drift, lifetime, diffusion, readout), throws, toy particle gun."""

from systematics.parameters import (NOMINAL, PARAMETERS, RANGES, TABLE, DetectorParams, DriftGeometry, Parameter,
                                    ReadoutConfig)
from systematics.response import ChargeCollection, DetectorResponse, Readout
from systematics.throws import (DeadChannelThrow, DetectorThrow, DiffusionThrow, EFieldThrow, GainThrow, LifetimeThrow,
                                ParameterThrow, RecombinationThrow, SpaceChargeThrow)
from systematics.voxels import deposits_from_voxels

__all__ = ["Parameter", "TABLE", "PARAMETERS", "NOMINAL", "RANGES", "DetectorParams", "DriftGeometry", "ReadoutConfig",
           "DetectorResponse", "ChargeCollection", "Readout", "ParameterThrow", "DetectorThrow", "LifetimeThrow", "EFieldThrow", "DiffusionThrow",
           "RecombinationThrow", "SpaceChargeThrow", "DeadChannelThrow", "GainThrow", "deposits_from_voxels"]
