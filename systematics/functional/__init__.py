"""Pure detector-response kernels (tensors in, tensors out: no randomness, no state, no in-place
edits of inputs, no validated Events)."""

from systematics.functional.chain import ResponseResult, cat_voxels, collect_charge, detector_response, read_out
from systematics.functional.diffusion import (AxisShares, GridShares, axis_shares, diffuse_onto_grid, diffusion_sigma,
                                              expand_shares, grid_charge, sample_diffusion)
from systematics.functional.drift import (drift_time, drift_velocity, electron_mobility, lifetime_attenuation,
                                          reconstruct_drift_coords)
from systematics.functional.noise import hash_normal
from systematics.functional.readout import Voxels, collect_voxels, digitise, voxel_centres
from systematics.functional.recombination import dedx, ionisation_electrons, recombination_birks, recombination_box

__all__ = ["electron_mobility", "drift_velocity", "drift_time", "lifetime_attenuation", "reconstruct_drift_coords",
           "dedx", "recombination_birks", "recombination_box", "ionisation_electrons", "diffusion_sigma",
           "diffuse_onto_grid", "axis_shares", "AxisShares", "expand_shares", "grid_charge", "GridShares", "sample_diffusion", "hash_normal", "collect_voxels", "digitise",
           "voxel_centres", "Voxels", "detector_response", "collect_charge", "read_out", "cat_voxels", "ResponseResult"]
