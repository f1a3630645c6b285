"""Voxelised energy (PILArNet's layout) as deposits, so the detector response and throws apply to it.

PILArNet (arXiv:2006.01993) stores, per event, voxels of 3 mm with integer indices (x, y, z) into a
768^3 cube and the true energy deposited in each (MeV), no detector effects. The response wants
deposits (dE in MeV over a step dx in cm). Each voxel becomes one deposit at its centre with
dE = E and a step dx (default: the voxel pitch).

This is an approximation (docs/physics.md section 1.9): recombination depends
on dE/dx, and a voxel's path length is unknown. A track deposits dE/dx times its chord through the
voxel, so E / dx with dx = pitch is the true dE/dx times chord / pitch, between 0 and sqrt(3):
exact for a track along a grid axis; for a 2.1 MeV/cm track the charge comes out +1.6% / +2.0%
for two generic oblique directions (mean chord ~0.7 pitch: dE/dx low, less recombination) and
-5% / -8.5% for tracks through voxel edges / corners (chords sqrt(2) / sqrt(3) pitch), as
tests/systematics/test_voxels.py measures; voxels where several particles overlap
(showers, vertices) add their energies and overestimate dE/dx. The charge starts at the voxel
centre, so positions are known to the pitch only.
"""

from __future__ import annotations

from typing import Sequence

import torch

from augment._checks import check_column, check_events, check_int, check_positive
from augment._events import Events
from systematics.response import DEPOSIT_FEATURES

__all__ = ["deposits_from_voxels", "PILARNET_PITCH"]

PILARNET_PITCH = 0.3  # cm, PILArNet's voxel size (arXiv:2006.01993)


def deposits_from_voxels(events: Events, pitch: float = PILARNET_PITCH, dx: float | None = None,
                         origin: Sequence[float] = (0.0, 0.0, 0.0), energy_column: int = 0) -> Events:
    """Voxels -> deposits with feature_names ("dE", "dx") (MeV, cm), labels kept.

    ``events``: coords (N, 3), either int64 voxel indices (placed at the voxel centres
    ``origin + (index + 0.5) * pitch`` cm) or floating positions in cm (kept as they are); feats
    hold the voxel energy (MeV) in column ``energy_column``. ``dx`` (cm, default ``pitch``) is the
    step length given to every deposit. Raises ValueError naming the argument for a non-positive
    pitch or dx, a missing energy column, or a negative or non-finite energy."""
    check_events(events)
    check_positive("pitch", pitch)
    step = check_positive("dx", pitch if dx is None else dx)
    if events.coords.dim() != 2 or events.coords.shape[1] != 3:
        raise ValueError(f"coords: expected (N, 3) voxel indices or positions, got {tuple(events.coords.shape)}")
    check_column("energy_column", check_int("energy_column", energy_column), events)
    energy = events.feats[:, energy_column]
    if not energy.is_floating_point():
        raise ValueError(f"feats: expected floating voxel energies (MeV), got {energy.dtype}")
    if energy.numel() and not (torch.isfinite(energy) & (energy >= 0)).all():
        raise ValueError(f"feats: expected finite voxel energies >= 0 MeV in column {energy_column}, got min "
                         f"{energy.min().item()}, max {energy.max().item()}")
    if events.coords.is_floating_point():
        coords = events.coords
    else:
        offset = torch.as_tensor(origin, dtype=energy.dtype, device=events.device)
        coords = offset + (events.coords.to(energy.dtype) + 0.5) * pitch
    feats = torch.stack([energy, torch.full_like(energy, step)], 1)
    return events.replace(coords=coords, feats=feats, feature_names=DEPOSIT_FEATURES)
