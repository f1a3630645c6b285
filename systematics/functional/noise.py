"""Counter-based Gaussian noise: a normal deviate that is a pure function of (seed, integer key).

Readout noise must be replayable and identical whether an event is processed alone or in a
batch, but the voxels that receive it are only known after the response. Hashing the event's
seed with the voxel's integer coordinates gives every voxel its own deviate without a generator
and without depending on the voxel's row in the batch.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["hash_normal", "hash_uniform", "HASH_NORMAL_MAX"]

# The largest |deviate| hash_normal can return: u1 >= 2^-53, so sqrt(-2 ln u1) <= sqrt(106 ln 2) = 8.57.
HASH_NORMAL_MAX: float = math.sqrt(-2.0 * math.log(2.0 ** -53))


def _signed(x: int) -> int:
    """A uint64 constant as the int64 with the same bits."""
    return x - (1 << 64) if x >= 1 << 63 else x


_GOLDEN = _signed(0x9E3779B97F4A7C15)
_M1 = _signed(0xBF58476D1CE4E5B9)
_M2 = _signed(0x94D049BB133111EB)


def _shr(x: Tensor, s: int) -> Tensor:
    """Logical right shift of int64 bits (torch's >> is arithmetic)."""
    return (x >> s) & ((1 << (64 - s)) - 1)


def _mix(z: Tensor) -> Tensor:
    """SplitMix64 finaliser (Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
    OOPSLA 2014), on int64 with wrap-around multiplication."""
    z = (z ^ _shr(z, 30)) * _M1
    z = (z ^ _shr(z, 27)) * _M2
    return z ^ _shr(z, 31)


def _hash(seed: Tensor, keys: Tensor, stream: int, row: Tensor | None) -> Tensor:
    h = _mix(_mix(seed + _GOLDEN) ^ stream)
    if row is not None:  # the seed's part once per seed, then gathered to the keys
        h = h.index_select(0, row)
    for j in range(keys.shape[1]):
        h = _mix(h ^ (keys[:, j] + _GOLDEN))
    return h


def _unit(h: Tensor) -> Tensor:
    """The top 53 bits as a float64 uniform in (0, 1]."""
    return (_shr(h, 11) + 1).to(torch.float64) * 2.0 ** -53


def hash_normal(seed: Tensor, keys: Tensor, row: Tensor | None = None) -> Tensor:
    """(M,) float64 standard normals, one per row: a pure function of the seed (int64) and
    ``keys`` (M, K) int64 (e.g. voxel indices), via two hashed uniforms and Box-Muller. ``seed``
    is (M,), or with ``row`` (M,) int64 a (B,) table (e.g. one seed per event) that ``row``
    indexes: the same deviates as ``hash_normal(seed[row], keys)``, the seed hashed once per entry."""
    u1 = _unit(_hash(seed, keys, 0, row))
    u2 = _unit(_hash(seed, keys, 1, row))
    return (-2.0 * u1.log()).sqrt() * torch.cos(2 * math.pi * u2)


def hash_uniform(seed: Tensor, keys: Tensor, row: Tensor | None = None) -> Tensor:
    """(M,) float64 uniforms in (0, 1], one per row: a pure function of ``seed`` (M,) int64 and
    ``keys`` (M, K) int64, independent of :func:`hash_normal` for the same arguments; ``row`` as
    in :func:`hash_normal`."""
    return _unit(_hash(seed, keys, 2, row))
