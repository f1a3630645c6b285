"""Recombination and ionisation kernels: deposited energy (MeV) -> ionisation electrons.

xi-type quantities use (dE/dx) / (E rho) with dE/dx in MeV/cm, E in kV/cm and rho = 1.38 g/cm^3
(larnd-sim consts/physics.py; docs/physics.md section 1.2).
"""

from __future__ import annotations

import torch
from torch import Tensor

from systematics import constants as C
from systematics.parameters import NOMINAL

__all__ = ["dedx", "recombination_birks", "recombination_box", "ionisation_electrons"]


def dedx(dE: Tensor, dx: Tensor) -> Tensor:
    """dE/dx in MeV/cm from deposits dE (MeV) over steps dx (cm).

    Raises ValueError naming dx unless every dx is finite and > 0, and naming dE unless every dE
    is finite and >= 0."""
    if dx.numel() and not (torch.isfinite(dx) & (dx > 0)).all():
        raise ValueError(f"dx: expected finite step lengths > 0 cm, got min {dx.min().item()}, max {dx.max().item()}")
    if dE.numel() and not (torch.isfinite(dE) & (dE >= 0)).all():
        raise ValueError(f"dE: expected finite deposited energies >= 0 MeV, got min {dE.min().item()}, "
                         f"max {dE.max().item()}")
    return dE / dx


def recombination_birks(dedx: Tensor, efield: Tensor, a: Tensor | float = NOMINAL["birks_a"],
                        k: Tensor | float = NOMINAL["birks_k"]) -> Tensor:
    """Fraction of ionisation surviving recombination, modified Birks law (Amoruso et al.,
    NIM A 523 (2004) 275; larnd-sim quenching.py): R = A_b / (1 + k_b (dE/dx) / (E rho)).

    dedx MeV/cm, efield kV/cm, a dimensionless, k (kV/cm)(g/cm^2)/MeV."""
    return a / (1 + k * dedx / (efield * C.LAR_DENSITY_RECOMBINATION))


def recombination_box(dedx: Tensor, efield: Tensor, alpha: Tensor | float = NOMINAL["box_alpha"],
                      beta: Tensor | float = NOMINAL["box_beta"]) -> Tensor:
    """Fraction of ionisation surviving recombination, modified Box model (Baller, JINST 8 (2013)
    P08005; larnd-sim quenching.py): xi = beta (dE/dx) / (E rho), R = ln(alpha + xi) / xi.

    dedx MeV/cm, efield kV/cm, alpha dimensionless, beta (kV/cm)(g/cm^2)/MeV.
    Clipped at 0 as larnd-sim does (quenching.py: ``max(0, log(BOX_ALPHA + csi) / csi)``): for
    alpha < 1, R < 0 below xi = 1 - alpha. Not clipped at 1: with alpha <= 1 (the table's physical
    limit) R = ln(alpha + xi) / xi <= ln(1 + xi) / xi <= 1 for every xi >= 0 (docs/physics.md
    section 2); with alpha > 1, R > 1 at small xi and diverges as xi -> 0 (no clip hides it). Small xi
    uses ln(alpha + xi) / xi = ln(alpha) / xi + log1p(u) / (alpha u), u = xi / alpha, with
    log1p(u) / u -> 1 - u / 2 as u -> 0, so xi = 0 gives the limit (0 for alpha < 1, 1 for alpha = 1)."""
    xi = beta * dedx / (efield * C.LAR_DENSITY_RECOMBINATION)
    alpha = torch.as_tensor(alpha, dtype=xi.dtype, device=xi.device)
    u = xi / alpha
    tiny = torch.finfo(xi.dtype).eps
    log1p_over_u = torch.where(u > tiny, torch.log1p(u) / torch.where(u > tiny, u, 1.0), 1 - u / 2)
    log_alpha = torch.log(alpha).expand_as(xi)
    # ln(alpha) / xi: -inf at xi = 0 for alpha < 1 (clipped to 0), +inf for alpha > 1; exactly 0 when alpha == 1.
    first = torch.where(log_alpha == 0, torch.zeros_like(xi), log_alpha / xi)
    return (first + log1p_over_u / alpha).clamp_min(0.0)


def ionisation_electrons(dE: Tensor, recombination: Tensor) -> Tensor:
    """Ionisation electrons surviving recombination: N_e = R dE / W_ion (dE MeV, W_ion = 23.6 eV,
    larnd-sim consts/physics.py)."""
    return recombination * dE / C.W_ION
