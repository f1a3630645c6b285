"""Toy liquid-argon particle gun: true energy deposits (x, y, z cm; dE MeV; dx cm) of single
e-, gamma, mu, pi and p events (labels index systematics.particles.PARTICLE_CLASSES)."""

from systematics.gun.config import GunConfig
from systematics.gun.dedx import bethe_dedx, csda_range_fit, highland_theta0
from systematics.gun.generate import DEFAULT_ENERGY_RANGES_MEV, generate, generate_file, simulate_events

__all__ = ["GunConfig", "generate", "generate_file", "simulate_events", "DEFAULT_ENERGY_RANGES_MEV", "bethe_dedx", "highland_theta0",
           "csda_range_fit"]
