"""The detector parameter table, and the drift and readout configuration.

Every detector parameter is declared ONCE, in :data:`TABLE` (name, nominal value, throw range,
physical limits, unit, axis label, source). :class:`DetectorParams` (its fields and defaults),
the validation of every value, the throws' default ranges, the robustness study's sweep and the
plots' axis labels are all derived from it (docs/physics.md section 1.1 lists the same table).

To add a parameter: append a :class:`Parameter` to :data:`TABLE`. It becomes a field of
:class:`DetectorParams` (default: its nominal), is validated against its limits, can be thrown
(:class:`systematics.ParameterThrow`) and reaches the response kernel as ``values[name]``, a (B,)
tensor per event; the stage that uses it reads it there.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping, Sequence

import torch
from torch import Tensor

from augment._checks import check_nonnegative, check_positive
from systematics import constants as C

__all__ = ["Interval", "Parameter", "TABLE", "PARAMETERS", "NOMINAL", "RANGES", "RECOMBINATION_MODELS",
           "used_parameters", "DetectorParams", "DriftGeometry", "ReadoutConfig"]


@dataclass(frozen=True)
class Interval:
    """The values ``low .. high`` a parameter may physically take; each end open or closed
    (``high = inf`` with ``high_closed`` admits +inf, e.g. an infinite lifetime)."""

    low: float
    high: float
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, value: Tensor) -> Tensor:
        """Elementwise bool: ``value`` inside the interval (NaN never is)."""
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above & below

    def __str__(self) -> str:
        return f"{'[' if self.low_closed else '('}{self.low}, {self.high}{']' if self.high_closed else ')'}"


@dataclass(frozen=True)
class Parameter:
    """One detector parameter: ``nominal`` value, default ``throw_range`` (low, high) or None if it
    is not thrown, physical ``limits`` (validation, not the throw range), ``unit`` ("" when
    dimensionless), a human ``label`` for plot axes, its ``source`` (paper / larnd-sim file and the
    docs/physics.md section) and ``model``: the recombination model that uses it (None: every model)."""

    name: str
    nominal: float
    unit: str
    limits: Interval
    throw_range: tuple[float, float] | None
    label: str
    source: str
    model: str | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"name: expected a Python identifier, got {self.name!r}")
        self.check(self.nominal, f"{self.name} nominal")
        if self.throw_range is not None:
            low, high = self.throw_range
            if not low <= high:
                raise ValueError(f"{self.name}: throw_range expected low <= high, got {self.throw_range}")
            self.check(torch.tensor([low, high], dtype=torch.float64), f"{self.name} throw_range")

    @property
    def axis_label(self) -> str:
        """``label (unit)``, or ``label`` when dimensionless: for plot axes and tables."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def check(self, value: float | Tensor, argument: str | None = None) -> None:
        """ValueError naming ``argument`` (default: the parameter's name) when ``value`` (a number,
        or a float tensor of at most one dimension, one value per event) is NaN or outside
        :attr:`limits`."""
        name = self.name if argument is None else argument
        if isinstance(value, Tensor):
            if not value.is_floating_point() or value.dim() > 1:
                raise ValueError(f"{name}: expected a float or a floating (B,) tensor, got {value.dtype} "
                                 f"{tuple(value.shape)}")
            v = value.detach()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            v = torch.tensor(float(value), dtype=torch.float64)
        else:
            raise TypeError(f"{name}: expected a float or a (B,) tensor, got {type(value).__name__}")
        if v.numel() == 0:
            return
        if torch.isnan(v).any():
            raise ValueError(f"{name}: expected a number, got NaN")
        if not self.limits.contains(v).all():
            raise ValueError(f"{name}: expected values in {self.limits} {self.unit}".rstrip()
                             + f", got min {v.min().item()}, max {v.max().item()}")


_RANGES = "throw range: arXiv:2309.04639 and the seed study (docs/physics.md section 1.1)"

TABLE: tuple[Parameter, ...] = (
    Parameter("efield", 0.50, "kV/cm", Interval(0.05, 5.0), (0.45, 0.55), "drift field",
              "larnd-sim consts/detector.py E_FIELD; limits: range of the Li et al. mobility fit "
              f"(docs/physics.md section 1.3); {_RANGES}"),
    Parameter("lifetime", 2200.0, "us", Interval(0.0, math.inf, low_closed=False), (500.0, 5000.0),
              "electron lifetime", "larnd-sim consts/detector.py ELECTRON_LIFETIME; inf: no attachment "
              f"(docs/physics.md section 1.4); {_RANGES}"),
    Parameter("diffusion_t", 8.8e-6, "cm^2/us", Interval(0.0, math.inf, high_closed=False), (4e-6, 14e-6),
              "transverse diffusion D_T",
              f"larnd-sim consts/detector.py TRAN_DIFF (docs/physics.md section 1.5); {_RANGES}"),
    Parameter("diffusion_l", 4.0e-6, "cm^2/us", Interval(0.0, math.inf, high_closed=False), (2e-6, 9e-6),
              "longitudinal diffusion D_L",
              f"larnd-sim consts/detector.py LONG_DIFF (docs/physics.md section 1.5); {_RANGES}"),
    Parameter("temperature", 87.17, "K", Interval(83.8, 150.7), None, "LAr temperature",
              "larnd-sim consts/detector.py TEMPERATURE; limits: liquid argon between the triple and the "
              "critical point (NIST Chemistry WebBook, argon; docs/physics.md section 1.3); not thrown"),
    Parameter("space_charge", 0.0, "", Interval(0.0, math.inf, high_closed=False), (0.0, 1.0),
              "space-charge density (MicroBooNE = 1)",
              "shape: lowest Fourier mode of the ion potential; scale: MicroBooNE's ~15 cm offsets (JINST 15 "
              "(2020) P12037) at 2.56 m and 0.273 kV/cm, scaled by L^3 E^-1.7 (M. Mooney, SpaCE); 0: no space "
              "charge, 1: a surface detector like MicroBooNE (docs/physics.md section 1.7)"),
    Parameter("dead_fraction", 0.0, "", Interval(0.0, 1.0), (0.0, 0.10), "dead-channel fraction",
              "larnd-sim detector_properties/module0_bad_channels.json disables 6190 of Module-0's 78,400 "
              "pixels (7.9%); the range covers it (docs/physics.md section 1.8)"),
    Parameter("noisy_fraction", 0.0, "", Interval(0.0, 1.0), (0.0, 0.05), "noisy-channel fraction",
              "a choice: larnd-sim has no noisy-channel model (docs/physics.md section 1.8)"),
    Parameter("gain_spread", 0.0, "", Interval(0.0, math.inf, high_closed=False), (0.0, 0.10),
              "channel gain spread (relative RMS)",
              "a choice: larnd-sim takes per-pixel gains (cli/simulate_pixels.py pixel_gains_file) but ships "
              "no spread (docs/physics.md section 1.8)"),
    Parameter("birks_a", 0.800, "", Interval(0.0, 1.0, low_closed=False), (0.78, 0.88), "Birks A_b",
              "Amoruso et al., NIM A 523 (2004) 275; larnd-sim consts/physics.py BIRKS_Ab; a surviving "
              f"fraction, so at most 1 (docs/physics.md section 1.2); {_RANGES}", model="birks"),
    Parameter("birks_k", 0.0486, "(kV/cm)(g/cm^2)/MeV", Interval(0.0, math.inf, high_closed=False), (0.04, 0.07),
              "Birks k_b", "Amoruso et al., NIM A 523 (2004) 275; larnd-sim consts/physics.py BIRKS_kb "
              f"(docs/physics.md section 1.2); {_RANGES}", model="birks"),
    Parameter("box_alpha", 0.93, "", Interval(0.0, 1.0, low_closed=False), (0.85, 1.0), "Box alpha",
              "Baller, JINST 8 (2013) P08005; larnd-sim consts/physics.py BOX_ALPHA; at most 1, so that "
              "R = ln(alpha + xi) / xi <= 1 for every xi >= 0 without clipping (docs/physics.md section 1.2); "
              f"{_RANGES}, its upper edge 1.1 cut to 1.0", model="box"),
    Parameter("box_beta", 0.207, "(kV/cm)(g/cm^2)/MeV", Interval(0.0, math.inf, False, False), (0.18, 0.22),
              "Box beta", "Baller, JINST 8 (2013) P08005; larnd-sim consts/physics.py BOX_BETA "
              f"(docs/physics.md section 1.2); {_RANGES}", model="box"),
)

PARAMETERS: Mapping[str, Parameter] = MappingProxyType({p.name: p for p in TABLE})
NOMINAL: Mapping[str, float] = MappingProxyType({p.name: p.nominal for p in TABLE})
RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {p.name: p.throw_range for p in TABLE if p.throw_range is not None})
RECOMBINATION_MODELS: tuple[str, ...] = tuple(dict.fromkeys(p.model for p in TABLE if p.model is not None))


def used_parameters(recombination: str) -> tuple[str, ...]:
    """Names of the parameters the response uses with the ``recombination`` model, table order."""
    if recombination not in RECOMBINATION_MODELS:
        raise ValueError(f"recombination: expected one of {RECOMBINATION_MODELS}, got {recombination!r}")
    return tuple(p.name for p in TABLE if p.model in (None, recombination))


class _DetectorParamsMethods:
    """The methods of :class:`DetectorParams` (its fields come from :data:`TABLE`)."""

    recombination: str

    def __post_init__(self) -> None:
        used_parameters(self.recombination)  # validates the model name
        for p in TABLE:
            p.check(getattr(self, p.name))

    @classmethod
    def nominal(cls, recombination: str = "birks") -> "DetectorParams":
        """The nominal detector (every parameter at :attr:`Parameter.nominal`)."""
        return cls(recombination=recombination)

    @property
    def keys(self) -> tuple[str, ...]:
        """Names of the parameters the response uses (:func:`used_parameters` of the model)."""
        return used_parameters(self.recombination)

    def as_tensors(self, num_events: int, device: torch.device, dtype: torch.dtype) -> dict[str, Tensor]:
        """The used parameters as (B,) tensors on ``device`` in ``dtype`` (floats are broadcast)."""
        out = {}
        for name in self.keys:
            value = torch.as_tensor(getattr(self, name), dtype=dtype, device=device)
            if value.dim() == 1 and value.shape[0] != num_events:
                raise ValueError(f"{name}: expected one value per event ({num_events},), got {tuple(value.shape)}")
            out[name] = value.expand(num_events).clone()
        return out

    def replace(self, **changes: float | Tensor | str) -> "DetectorParams":
        """A copy with ``changes`` (validated)."""
        return dataclasses.replace(self, **changes)


DetectorParams = dataclasses.make_dataclass(
    "DetectorParams",
    [(p.name, "float | Tensor", dataclasses.field(default=p.nominal)) for p in TABLE]
    + [("recombination", str, dataclasses.field(default="birks"))],
    bases=(_DetectorParamsMethods,), frozen=True)
DetectorParams.__module__ = __name__
DetectorParams.__doc__ = (
    "Detector conditions: one field per :data:`TABLE` entry (default its nominal), each a float (all "
    "events) or a (B,) tensor (one value per event), units as in the table; ``recombination`` names "
    f"the model ({', '.join(RECOMBINATION_MODELS)}), whose constants the response uses. Validated at "
    "construction: ValueError naming the field for NaN or values outside the physical limits.")


@dataclass(frozen=True)
class DriftGeometry:
    """Where charge drifts: positions along ``drift_axis`` (0, 1, 2 = x, y, z) must lie between the
    anode plane at ``anode`` (cm) and ``anode + direction * num_tpcs * max_drift`` (cm).

    ``num_tpcs`` TPCs of drift length ``max_drift`` (cm) are stacked along the drift axis with
    alternating drift directions, as in ND-LAr's modules of two TPCs sharing a central cathode
    (docs/physics.md section 1.10): TPC i spans ``anode + direction * [i, i + 1] * max_drift``;
    even TPCs have their anode on the face nearer ``anode`` (TPC 0's is ``anode`` itself), odd ones
    on the farther face, so the planes alternate anode | cathode | anode | cathode ... and every
    point drifts to its own TPC's anode over a distance in [0, max_drift]. The default, one TPC,
    has its cathode at ``anode + direction * max_drift``.

    ``field_changes_velocity``: True (the default, as larnd-sim, which always derives the drift
    velocity from the field and the temperature: consts/detector.py, V_DRIFT = E_FIELD *
    electron_mobility(E_FIELD, TEMPERATURE)) makes the field set the drift velocity, positions along
    the drift axis being reconstructed with the nominal field's velocity, so a field throw stretches
    or shrinks the event along the drift axis (docs/physics.md section 1.3); False keeps the nominal
    velocity, so the field only enters recombination.

    ``transverse``: the field cage's extent ((low, high) cm) on the two other axes, in axis order;
    space charge needs it (its displacement vanishes on the field cage), None if unknown (then the
    ``space_charge`` parameter must stay 0; docs/physics.md section 1.7)."""

    drift_axis: int = 2
    anode: float = 0.0
    max_drift: float = C.MAX_DRIFT_NDLAR
    direction: int = 1
    field_changes_velocity: bool = True
    transverse: tuple[tuple[float, float], tuple[float, float]] | None = None
    num_tpcs: int = 1

    def __post_init__(self) -> None:
        if self.drift_axis not in (0, 1, 2) or isinstance(self.drift_axis, bool):
            raise ValueError(f"drift_axis: expected 0, 1 or 2, got {self.drift_axis!r}")
        if not isinstance(self.anode, (int, float)) or not math.isfinite(self.anode):
            raise ValueError(f"anode: expected a finite position in cm, got {self.anode!r}")
        check_positive("max_drift", self.max_drift)
        if self.direction not in (1, -1):
            raise ValueError(f"direction: expected +1 or -1 (side of the cathode), got {self.direction!r}")
        if not isinstance(self.num_tpcs, int) or isinstance(self.num_tpcs, bool) or self.num_tpcs < 1:
            raise ValueError(f"num_tpcs: expected an int >= 1 (TPCs along the drift axis), got {self.num_tpcs!r}")
        if not isinstance(self.field_changes_velocity, bool):
            raise ValueError(f"field_changes_velocity: expected a bool, got {self.field_changes_velocity!r}")
        if self.transverse is not None:
            try:
                bounds = [(float(lo), float(hi)) for lo, hi in self.transverse]
            except (TypeError, ValueError):
                bounds = []
            if len(bounds) != 2 or not all(math.isfinite(lo) and math.isfinite(hi) and lo < hi for lo, hi in bounds):
                raise ValueError(f"transverse: expected two (low, high) ranges in cm with low < high, got "
                                 f"{self.transverse!r}")
            object.__setattr__(self, "transverse", tuple(bounds))


@dataclass(frozen=True)
class ReadoutConfig:
    """Voxel readout: cubic (or per-axis) ``pitch`` in cm (ND-LAr 3.8 mm) on a grid starting at
    ``origin`` (cm), per-voxel Gaussian ``noise`` RMS and ``threshold`` in electrons, and the extra
    noise RMS ``noisy_channel_noise`` (electrons) of a noisy channel (docs/physics.md section 1.8;
    the ``noisy_fraction`` parameter says how many). The drift
    coordinate is binned at the same pitch (larnd-sim samples time at 0.1 us, ~0.016 cm: finer,
    but cubic voxels are what the encoders take; docs/physics.md section 1.6)."""

    pitch: float | Sequence[float] = C.PIXEL_PITCH
    threshold: float = C.READOUT_THRESHOLD
    noise: float = C.READOUT_NOISE
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    noisy_channel_noise: float = C.NOISY_CHANNEL_NOISE

    def __post_init__(self) -> None:
        pitch = [self.pitch] if isinstance(self.pitch, (int, float)) else list(self.pitch)
        if len(pitch) not in (1, 3) or not all(isinstance(p, (int, float)) and math.isfinite(p) and p > 0 for p in pitch):
            raise ValueError(f"pitch: expected one or three finite lengths > 0 cm, got {self.pitch!r}")
        check_nonnegative("threshold", self.threshold)
        check_nonnegative("noise", self.noise)
        check_nonnegative("noisy_channel_noise", self.noisy_channel_noise)
        if len(self.origin) != 3 or not all(math.isfinite(float(o)) for o in self.origin):
            raise ValueError(f"origin: expected three finite positions in cm, got {self.origin!r}")
