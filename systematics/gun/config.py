"""Settings of the toy LAr gun: one frozen dataclass, flattened to a float array for numba."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from augment._checks import check_nonnegative, check_positive, check_range

# Positions of the settings in the float64 array the jitted code reads (GunConfig.to_array).
(VOLUME_LOW, VOLUME_HIGH, STEP_CM, STEP_FRACTION, TRACKING_CUT, ELECTRON_CUT, BREMS_CUT, PHOTON_CUT,
 PROTON_LAMBDA, PION_LAMBDA, INVISIBLE_MAX, MU_PLUS, PI_PLUS, STRAGGLING) = range(14)


@dataclasses.dataclass(frozen=True)
class GunConfig:
    """Physics and geometry settings (cm, MeV). Defaults are the documented toy choices.

    * ``volume_cm``: the active volume is the cube [low, high]^3; default [0, 230.4]^3 cm
      (768 voxels of 3 mm, the PILArNet cube, arXiv 2006.01993). Deposits outside it are
      dropped and a particle is no longer tracked once it leaves it (its energy escapes).
    * ``step_cm``: maximum step of charged tracks; ``step_fraction``: a step also loses at
      most this fraction of the kinetic energy (shorter steps near the end of range).
    * ``straggling``: each step's loss is drawn from the Landau-Vavilov distribution of the step
      (:mod:`.straggling`: PDG/Bichsel most probable loss and width, tail truncated so that the
      mean is the Bethe-Bloch or, for e+-, the Berger-Seltzer loss; Gaussian for thick steps),
      capped at T; False: every step deposits the mean loss (CSDA).
    * ``tracking_cut_mev`` (mu, pi, p) / ``electron_cut_mev`` (e+-): below it the rest of
      the kinetic energy is deposited in one point.
    * ``brems_cut_mev``: bremsstrahlung photons below it are not produced (their < 0.1 MeV/cm
      share of the loss is neglected). Photons above ``photon_cut_mev`` (>= 1 MeV) travel
      exponential paths of the NIST XCOM attenuation length of their energy (:mod:`.photons`)
      and then pair-convert (e+e- along the photon), Compton-scatter (Klein-Nishina: the photon
      goes on, the electron is tracked) or are absorbed (photoelectric), in proportion to the
      XCOM cross-sections; photons below the cut deposit all their energy in one point after an
      exponential path of the XCOM attenuation length at the cut (11.6 cm at 1 MeV; toy for the
      sub-MeV Compton chain).
    * ``proton_interaction_length_cm`` (85.8 cm, PDG nuclear interaction length) and
      ``pion_interaction_length_cm`` (60 cm, unverified, docs/physics.md section 3: 50-80 cm near the
      Delta): math.inf switches hadronic interactions off. At an interaction a fraction
      U[0, invisible_fraction_max] of the kinetic energy T is lost (neutrons, binding; toy).
      1-3 secondaries leave with isotropic directions: the first continues the parent (same
      type and charge: no pion absorption or charge exchange, toy choice), each other one is a
      created pion or a knock-on proton with equal odds. A pion is only created while T is
      above the free-nucleon threshold for one more pion (pi: 171 MeV for the first, p: 290 MeV,
      :func:`.interactions.pion_threshold`) and the visible energy can pay its rest mass
      139.57 MeV (otherwise a proton is knocked on instead); the visible energy minus the rest
      masses paid is split among the secondaries. So a proton never deposits more than its T,
      a pion no more than T + 4.12 + 52.8 MeV (its own pi+ -> mu+ -> e+ chain).
    * ``mu_plus_fraction``: a stopping mu+ gives a Michel e+; a stopping mu- is captured
      (no Michel; the ~25% of mu- that decay in argon are neglected).
      ``pi_plus_fraction`` (of primary and secondary pions): a stopping pi+ decays to a 4.12 MeV mu+; a pi- is captured
      (no visible products).
    """

    volume_cm: tuple[float, float] = (0.0, 230.4)
    step_cm: float = 0.3
    step_fraction: float = 0.2
    tracking_cut_mev: float = 1.0
    electron_cut_mev: float = 1.0
    brems_cut_mev: float = 1.0
    photon_cut_mev: float = 1.0
    proton_interaction_length_cm: float = 85.8
    pion_interaction_length_cm: float = 60.0
    invisible_fraction_max: float = 0.3
    mu_plus_fraction: float = 0.5
    pi_plus_fraction: float = 0.5
    straggling: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.straggling, bool):
            raise TypeError(f"straggling: expected a bool, got {type(self.straggling).__name__}")
        low, high = check_range("volume_cm", self.volume_cm)
        if not low < high:
            raise ValueError(f"volume_cm: expected low < high, got {self.volume_cm!r}")
        object.__setattr__(self, "volume_cm", (low, high))
        for name in ("step_cm", "tracking_cut_mev", "electron_cut_mev", "brems_cut_mev", "photon_cut_mev"):
            check_positive(name, getattr(self, name))
        for name in ("proton_interaction_length_cm", "pion_interaction_length_cm"):
            value = getattr(self, name)
            if value != math.inf:
                check_positive(f"{name} (math.inf switches interactions off)", value)
        for name in ("step_fraction", "invisible_fraction_max", "mu_plus_fraction", "pi_plus_fraction"):
            if check_nonnegative(name, getattr(self, name)) > 1:
                raise ValueError(f"{name}: expected a fraction in [0, 1], got {getattr(self, name)!r}")
        # Bethe-Bloch (dedx.bethe_dedx) turns negative below ~0.09 MeV for protons, a few keV for electrons.
        for name, minimum in (("tracking_cut_mev", 0.5), ("electron_cut_mev", 0.05)):
            if getattr(self, name) < minimum:
                raise ValueError(f"{name}: expected >= {minimum} MeV (Bethe-Bloch validity), got {getattr(self, name)!r}")
        if self.step_fraction == 0:
            raise ValueError("step_fraction: expected a fraction in (0, 1], got 0")
        if self.photon_cut_mev < 1.0:
            raise ValueError(f"photon_cut_mev: expected >= 1 MeV (start of the XCOM table), got {self.photon_cut_mev!r}")

    def to_array(self) -> np.ndarray:
        """The settings as float64 in the order of the index constants of this module."""
        return np.array([*self.volume_cm, self.step_cm, self.step_fraction, self.tracking_cut_mev,
                         self.electron_cut_mev, self.brems_cut_mev, self.photon_cut_mev,
                         self.proton_interaction_length_cm, self.pion_interaction_length_cm,
                         self.invisible_fraction_max, self.mu_plus_fraction, self.pi_plus_fraction,
                         float(self.straggling)], dtype=np.float64)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


__all__ = ["GunConfig"]
