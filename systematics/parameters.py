"""Detector parameters, their throw ranges, and the drift and readout configuration.

Nominal values and throw ranges: /work/shared/physics.md section 1 (arXiv 2309.04639 and the
seed study's slides; larnd-sim defaults). Units: field kV/cm, lifetime us, diffusion cm^2/us,
temperature K, Birks A dimensionless and k (kV/cm)(g/cm^2)/MeV, Box alpha dimensionless and
beta (kV/cm)(g/cm^2)/MeV, lengths cm, charge electrons.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from augment._checks import check_nonnegative, check_positive
from systematics import constants as C

__all__ = ["DetectorParams", "DriftGeometry", "ReadoutConfig", "RANGES", "NOMINAL", "RECOMBINATION_KEYS",
           "PHYSICAL_LIMITS"]

# Throw ranges, physics.md section 1 table (arXiv 2309.04639; nominal in NOMINAL).
RANGES: dict[str, tuple[float, float]] = {
    "efield": (0.45, 0.55),  # kV/cm
    "lifetime": (500.0, 5000.0),  # us
    "diffusion_t": (4e-6, 14e-6),  # cm^2/us
    "diffusion_l": (2e-6, 9e-6),  # cm^2/us
    "birks_a": (0.78, 0.88),
    "birks_k": (0.04, 0.07),  # (kV/cm)(g/cm^2)/MeV
    "box_alpha": (0.85, 1.1),
    "box_beta": (0.18, 0.22),  # (kV/cm)(g/cm^2)/MeV
}

NOMINAL: dict[str, float] = {
    "efield": C.NOMINAL_EFIELD, "lifetime": C.NOMINAL_LIFETIME, "diffusion_t": C.NOMINAL_DIFFUSION_T,
    "diffusion_l": C.NOMINAL_DIFFUSION_L, "temperature": C.NOMINAL_TEMPERATURE,
    "birks_a": C.BIRKS_A, "birks_k": C.BIRKS_K, "box_alpha": C.BOX_ALPHA, "box_beta": C.BOX_BETA,
}

# Which two constants each recombination model uses.
RECOMBINATION_KEYS: dict[str, tuple[str, str]] = {"birks": ("birks_a", "birks_k"), "box": ("box_alpha", "box_beta")}

# Physically sensible values (validation, not throw ranges): (low, high, low_inclusive).
# Field: [0.05, 5] kV/cm, where the Li et al. mobility and the recombination fits are used.
# Temperature: liquid argon between the triple point 83.8 K and the critical point 150.7 K (NIST).
# Lifetime may be +inf (no attachment). Birks A_b is a fraction of the ionisation.
PHYSICAL_LIMITS: dict[str, tuple[float, float, bool]] = {
    "efield": (0.05, 5.0, True),
    "lifetime": (0.0, math.inf, False),
    "diffusion_t": (0.0, math.inf, True),
    "diffusion_l": (0.0, math.inf, True),
    "temperature": (83.8, 150.7, True),
    "birks_a": (0.0, 1.0, False),
    "birks_k": (0.0, math.inf, True),
    "box_alpha": (0.0, math.inf, False),
    "box_beta": (0.0, math.inf, False),
}


def check_physical(name: str, value: float | Tensor) -> None:
    """ValueError naming ``name`` when ``value`` (a number or a tensor) is NaN or outside PHYSICAL_LIMITS."""
    low, high, low_inclusive = PHYSICAL_LIMITS[name]
    if isinstance(value, Tensor):
        if not value.is_floating_point() or value.dim() > 1:
            raise ValueError(f"{name}: expected a float or a floating (B,) tensor, got {value.dtype} {tuple(value.shape)}")
        v = value.detach()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        v = torch.tensor(float(value), dtype=torch.float64)
    else:
        raise TypeError(f"{name}: expected a float or a (B,) tensor, got {type(value).__name__}")
    if torch.isnan(v).any():
        raise ValueError(f"{name}: expected a number, got NaN")
    above = v > low if not low_inclusive else v >= low
    finite_ok = torch.isfinite(v) | ((v == math.inf) & (name == "lifetime"))  # lifetime = inf: no attachment
    if not (above & (v <= high) & finite_ok).all():
        bracket = "[" if low_inclusive else "("
        raise ValueError(f"{name}: expected values in {bracket}{low}, {high}], got min {v.min().item()}, "
                         f"max {v.max().item()}")


@dataclass(frozen=True)
class DetectorParams:
    """Detector conditions: each a float (all events) or a (B,) tensor (one value per event).

    efield kV/cm, lifetime us (``math.inf``: no attachment), diffusion_t / diffusion_l cm^2/us,
    temperature K, ``recombination`` "birks" (uses birks_a, birks_k) or "box" (box_alpha, box_beta).
    Validated at construction: ValueError naming the field for NaN or unphysical values."""

    efield: float | Tensor = C.NOMINAL_EFIELD
    lifetime: float | Tensor = C.NOMINAL_LIFETIME
    diffusion_t: float | Tensor = C.NOMINAL_DIFFUSION_T
    diffusion_l: float | Tensor = C.NOMINAL_DIFFUSION_L
    temperature: float | Tensor = C.NOMINAL_TEMPERATURE
    recombination: str = "birks"
    birks_a: float | Tensor = C.BIRKS_A
    birks_k: float | Tensor = C.BIRKS_K
    box_alpha: float | Tensor = C.BOX_ALPHA
    box_beta: float | Tensor = C.BOX_BETA

    def __post_init__(self) -> None:
        if self.recombination not in RECOMBINATION_KEYS:
            raise ValueError(f"recombination: expected one of {tuple(RECOMBINATION_KEYS)}, got {self.recombination!r}")
        for name in PHYSICAL_LIMITS:
            check_physical(name, getattr(self, name))

    @classmethod
    def nominal(cls, recombination: str = "birks") -> "DetectorParams":
        """The nominal detector (physics.md section 1)."""
        return cls(recombination=recombination)

    @property
    def keys(self) -> tuple[str, ...]:
        """Names of the parameters the response uses (the model's two recombination constants)."""
        return ("efield", "lifetime", "diffusion_t", "diffusion_l", "temperature") + RECOMBINATION_KEYS[self.recombination]

    def as_tensors(self, num_events: int, device: torch.device, dtype: torch.dtype) -> dict[str, Tensor]:
        """The used parameters as (B,) tensors on ``device`` in ``dtype`` (floats are broadcast)."""
        out = {}
        for name in self.keys:
            value = torch.as_tensor(getattr(self, name), dtype=dtype, device=device)
            if value.dim() == 1 and value.shape[0] != num_events:
                raise ValueError(f"{name}: expected one value per event ({num_events},), got {tuple(value.shape)}")
            out[name] = value.expand(num_events).clone()
        return out

    def replace(self, **changes) -> "DetectorParams":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class DriftGeometry:
    """Where charge drifts: positions along ``drift_axis`` (0, 1, 2 = x, y, z) must lie between the
    anode plane at ``anode`` (cm) and the cathode at ``anode + direction * max_drift`` (cm).

    ``field_changes_velocity``: if True a thrown field changes the drift velocity, and positions
    along the drift axis are reconstructed with the nominal velocity (so they stretch or shrink);
    if False (larnd-sim's default) the field only enters recombination."""

    drift_axis: int = 2
    anode: float = 0.0
    max_drift: float = C.MAX_DRIFT_NDLAR
    direction: int = 1
    field_changes_velocity: bool = False

    def __post_init__(self) -> None:
        if self.drift_axis not in (0, 1, 2) or isinstance(self.drift_axis, bool):
            raise ValueError(f"drift_axis: expected 0, 1 or 2, got {self.drift_axis!r}")
        if not isinstance(self.anode, (int, float)) or not math.isfinite(self.anode):
            raise ValueError(f"anode: expected a finite position in cm, got {self.anode!r}")
        check_positive("max_drift", self.max_drift)
        if self.direction not in (1, -1):
            raise ValueError(f"direction: expected +1 or -1 (side of the cathode), got {self.direction!r}")
        if not isinstance(self.field_changes_velocity, bool):
            raise ValueError(f"field_changes_velocity: expected a bool, got {self.field_changes_velocity!r}")


@dataclass(frozen=True)
class ReadoutConfig:
    """Voxel readout: cubic (or per-axis) ``pitch`` in cm (ND-LAr 3.8 mm) on a grid starting at
    ``origin`` (cm), per-voxel Gaussian ``noise`` RMS and ``threshold`` in electrons. The drift
    coordinate is binned at the same pitch (larnd-sim samples time at 0.1 us, ~0.016 cm: finer,
    but cubic voxels are what the encoders take)."""

    pitch: float | Sequence[float] = C.PIXEL_PITCH
    threshold: float = C.READOUT_THRESHOLD
    noise: float = C.READOUT_NOISE
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        pitch = [self.pitch] if isinstance(self.pitch, (int, float)) else list(self.pitch)
        if len(pitch) not in (1, 3) or not all(isinstance(p, (int, float)) and math.isfinite(p) and p > 0 for p in pitch):
            raise ValueError(f"pitch: expected one or three finite lengths > 0 cm, got {self.pitch!r}")
        check_nonnegative("threshold", self.threshold)
        check_nonnegative("noise", self.noise)
        if len(self.origin) != 3 or not all(math.isfinite(float(o)) for o in self.origin):
            raise ValueError(f"origin: expected three finite positions in cm, got {self.origin!r}")
