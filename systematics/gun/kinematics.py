"""Jitted helpers: direction sampling and rotation, growable row buffers."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def isotropic(rng: np.random.Generator) -> tuple[float, float, float]:
    """A unit vector uniform on the sphere."""
    cos_t = 2.0 * rng.random() - 1.0
    sin_t = math.sqrt(max(1.0 - cos_t * cos_t, 0.0))
    phi = 2.0 * math.pi * rng.random()
    return sin_t * math.cos(phi), sin_t * math.sin(phi), cos_t


@numba.njit(cache=True)
def deflect(ux: float, uy: float, uz: float, theta: float, phi: float) -> tuple[float, float, float]:
    """Rotate the unit vector u by the polar angle ``theta`` at azimuth ``phi`` (rad) about u."""
    st, ct = math.sin(theta), math.cos(theta)
    sp, cp = math.sin(phi), math.cos(phi)
    perp = math.sqrt(max(1.0 - uz * uz, 0.0))
    if perp < 1e-8:
        nx, ny, nz = st * cp, st * sp, ct * math.copysign(1.0, uz)
    else:
        nx = ux * ct + st * (ux * uz * cp - uy * sp) / perp
        ny = uy * ct + st * (uy * uz * cp + ux * sp) / perp
        nz = uz * ct - perp * st * cp
    norm = math.sqrt(nx * nx + ny * ny + nz * nz)
    return nx / norm, ny / norm, nz / norm


@numba.njit(cache=True)
def scatter(ux: float, uy: float, uz: float, theta0: float, rng: np.random.Generator) -> tuple[float, float, float]:
    """Multiple scattering: Gaussian angles of RMS ``theta0`` in both transverse planes (PDG)."""
    tx = rng.normal(0.0, theta0)
    ty = rng.normal(0.0, theta0)
    return deflect(ux, uy, uz, math.sqrt(tx * tx + ty * ty), math.atan2(ty, tx))


@numba.njit(cache=True)
def append_row(buf: np.ndarray, n: int, row) -> tuple[np.ndarray, int]:
    """Write ``row`` (a tuple of floats) at ``buf[n]``, doubling ``buf`` when full."""
    if n == buf.shape[0]:
        grown = np.empty((2 * buf.shape[0], buf.shape[1]), dtype=buf.dtype)
        grown[:n] = buf
        buf = grown
    for j in range(len(row)):
        buf[n, j] = row[j]
    return buf, n + 1


__all__ = ["isotropic", "deflect", "scatter", "append_row"]
