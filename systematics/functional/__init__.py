"""Pure detector-response kernels (no randomness, no state, no in-place edits of inputs)."""

from systematics.functional.chain import detector_response
from systematics.functional.diffusion import diffuse
from systematics.functional.drift import (drift_time, drift_velocity, electron_mobility, lifetime_attenuation,
                                          reconstruct_drift_coords)
from systematics.functional.noise import hash_normal
from systematics.functional.readout import ReadoutResult, readout
from systematics.functional.recombination import dedx, ionisation_electrons, recombination_birks, recombination_box

__all__ = ["electron_mobility", "drift_velocity", "drift_time", "lifetime_attenuation", "reconstruct_drift_coords",
           "dedx", "recombination_birks", "recombination_box", "ionisation_electrons", "diffuse", "hash_normal",
           "readout", "ReadoutResult", "detector_response"]
