"""Counter-based random draws: a deviate that is a pure function of (seed, integer key, stream).

Readout noise must be replayable and identical whether an event is processed alone or in a
batch, but the voxels that receive it are only known after the response. Hashing the event's
seed with the voxel's integer coordinates gives every voxel its own deviate without a generator
and without depending on the voxel's row in the batch (docs/physics.md section 1.6).

The generator is SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014), whose i-th output from state s is mix(s + i * golden): the state is
hashed once per (seed, stream) (two mixes, per entry of a seed table), the key columns are packed
into one int64 i, and each deviate costs one mix. On CPU the packing and the last mix run in one
numba pass (:func:`_hash_keys_cpu`, the same bits: integer arithmetic modulo 2^64); elsewhere in
torch operations.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch
from torch import Tensor

__all__ = ["hash_normal", "hash_uniform", "pack_keys", "check_digits", "stream_state", "splitmix_output",
           "box_muller_uniforms", "uniform_from_output", "normal_from_bits", "normal_from_uniforms", "ANGLE_UNIT",
           "HASH_NORMAL_MAX"]

# The largest |deviate| hash_normal can return: u1 >= 2^-32, so sqrt(-2 ln u1) <= sqrt(64 ln 2) = 6.66.
HASH_NORMAL_MAX: float = math.sqrt(-2.0 * math.log(2.0 ** -32))


def _signed(x: int) -> int:
    """A uint64 constant as the int64 with the same bits."""
    return x - (1 << 64) if x >= 1 << 63 else x


_GOLDEN = _signed(0x9E3779B97F4A7C15)
_M1 = _signed(0xBF58476D1CE4E5B9)
_M2 = _signed(0x94D049BB133111EB)
_LOW32 = (1 << 32) - 1
ANGLE_UNIT = 2 * math.pi * 2.0 ** -32  # radians per unit of the low 32 bits in normal_from_bits
# The same constants as uint64, for the numba kernel.
_GOLDEN_U, _M1_U, _M2_U = (np.uint64(x % (1 << 64)) for x in (_GOLDEN, _M1, _M2))


def _shr(x: Tensor, s: int) -> Tensor:
    """Logical right shift of int64 bits (torch's >> is arithmetic)."""
    return (x >> s).bitwise_and_((1 << (64 - s)) - 1)


def _mix(z: Tensor) -> Tensor:
    """SplitMix64 finaliser, on int64 with wrap-around multiplication. Consumes ``z`` (updated in
    place: two temporaries instead of eight)."""
    z.bitwise_xor_(_shr(z, 30)).mul_(_M1)
    z.bitwise_xor_(_shr(z, 27)).mul_(_M2)
    return z.bitwise_xor_(_shr(z, 31))


def pack_keys(keys: Tensor) -> Tensor:
    """(M, 1) int64: the K columns of ``keys`` (M, K) int64 as signed digits of b = 64 // K bits,
    k_0 2^(b (K - 1)) + ... + k_(K-1), so that the hashes of the packed keys equal those of
    ``keys`` (pack them once for several streams). One-to-one while every key lies in
    [-2^(b - 1), 2^(b - 1)) (balanced digits: the sum never leaves int64), so distinct keys get
    independent deviates; keys outside that range raise a ValueError (for voxel indices, K = 3:
    +-2^20 voxels, 4 km at 3.8 mm). One host sync when K > 1."""
    M, K = keys.shape
    if K == 0:
        return keys.new_zeros(M, 1)
    if K == 1:
        return keys
    bits = check_digits(keys)
    packed = keys[:, 0]
    for j in range(1, K):
        packed = packed * (1 << bits) + keys[:, j]
    return packed[:, None]


def check_digits(keys: Tensor) -> int:
    """The digit width b = 64 // K of :func:`pack_keys` for ``keys`` (M, K > 1) int64; ValueError
    unless every key lies in [-2^(b - 1), 2^(b - 1)). One host sync."""
    M, K = keys.shape
    bits = 64 // K
    if M:
        low, high = torch.aminmax(keys)
        low, high = torch.stack([low, high]).tolist()
        if low < -(1 << bits - 1) or high >= 1 << bits - 1:
            raise ValueError(f"keys: expected each of the {K} columns in [-2^{bits - 1}, 2^{bits - 1}) (packed "
                             f"into one int64), got min {low}, max {high}")
    return bits


def stream_state(seed: Tensor, stream: int, uniform: bool) -> Tensor:
    """The SplitMix64 state of each ``seed`` (int64, any shape) for draws of ``stream`` >= 0,
    uniform or normal: output i of a key i is mix(state + i * golden)."""
    if isinstance(stream, bool) or not isinstance(stream, int) or stream < 0:
        raise ValueError(f"stream: expected an integer >= 0, got {stream!r}")
    return _mix(_mix(seed + _GOLDEN) ^ (2 * stream + uniform))


def _hash(seed: Tensor, keys: Tensor, stream: int, uniform: bool, row: Tensor | None) -> Tensor:
    """(M,) int64 random bits: SplitMix64 output number pack_keys(keys) from the state of (seed,
    stream, uniform or normal)."""
    state = stream_state(seed, stream, uniform)
    return (_hash_keys_cpu if keys.device.type == "cpu" else _hash_keys_torch)(state, keys, row)


def _hash_keys_torch(state: Tensor, keys: Tensor, row: Tensor | None) -> Tensor:
    """The last step of :func:`_hash`, mix(state[row] + pack_keys(keys) * golden), in torch
    operations (any device; state (M,) when ``row`` is None)."""
    if row is not None:  # the seed's part once per seed, then gathered to the keys
        state = state.index_select(0, row)
    return _mix(state + pack_keys(keys)[:, 0] * _GOLDEN)


def _hash_keys_cpu(state: Tensor, keys: Tensor, row: Tensor | None) -> Tensor:
    """:func:`_hash_keys_torch` on CPU tensors in one numba pass, the same bits (tested)."""
    M, K = keys.shape
    bits = check_digits(keys) if K > 1 else 64
    out = torch.empty(M, dtype=torch.int64)
    index = state.new_empty(0) if row is None else row
    _hash_keys(state.numpy().view(np.uint64), index.contiguous().numpy(), row is not None,
               keys.numpy().view(np.uint64), bits, out.numpy().view(np.uint64))
    return out


@numba.njit(cache=True)
def _hash_keys(state, row, gather, keys, bits, out):
    """The loop of :func:`_hash_keys_cpu` in uint64 (wrap-around arithmetic, logical shifts: the
    bits of torch's int64 operations)."""
    radix = np.uint64(1 << bits) if bits < 64 else np.uint64(0)
    for i in range(keys.shape[0]):
        packed = keys[i, 0]
        for j in range(1, keys.shape[1]):
            packed = packed * radix + keys[i, j]
        out[i] = splitmix_output(state[row[i] if gather else i], packed)


@numba.njit(cache=True)
def splitmix_output(state, packed):
    """mix(state + packed * golden) on uint64 scalars (wrap-around arithmetic, logical shifts): the
    SplitMix64 output of a packed key, for numba kernels (the bits of :func:`_mix` in torch)."""
    z = state + packed * _GOLDEN_U
    z = (z ^ (z >> np.uint64(30))) * _M1_U
    z = (z ^ (z >> np.uint64(27))) * _M2_U
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def box_muller_uniforms(z):
    """(u1, angle) float64 of the Box-Muller step from a uint64 SplitMix64 output ``z``, as
    :func:`normal_from_bits` makes them: u1 = (high 32 bits + 1) 2^-32 in (0, 1], angle = low 32
    bits times ANGLE_UNIT in [0, 2 pi) rad (exact conversions, one rounded product); for numba kernels."""
    return (np.float64((z >> np.uint64(32)) + np.uint64(1)) * 2.0 ** -32,
            np.float64(z & np.uint64(0xFFFFFFFF)) * ANGLE_UNIT)


@numba.njit(cache=True)
def uniform_from_output(z):
    """The (0, 1] float64 uniform of :func:`hash_uniform` from a uint64 output ``z``: (z >> 11) + 1
    times 2^-53 (exact); for numba kernels."""
    return np.float64((z >> np.uint64(11)) + np.uint64(1)) * 2.0 ** -53


def hash_normal(seed: Tensor, keys: Tensor, row: Tensor | None = None, stream: int = 0) -> Tensor:
    """(M,) float64 standard normals, one per row: a pure function of the seed (int64), ``keys``
    (M, K) int64 (e.g. voxel indices; each column within +-2^(64 // K - 1), else ValueError) and
    ``stream`` >= 0 (different streams are independent). ``seed`` is (M,), or with ``row`` (M,)
    int64 a (B,) table (e.g. one seed per event) that ``row`` indexes: the same deviates as
    ``hash_normal(seed[row], keys)``, the seed hashed once per entry.

    Box-Muller on the two 32-bit halves of one hash, u1 in (0, 1] and u2 in [0, 1): 32 bits
    resolve the normal to |z| <= :data:`HASH_NORMAL_MAX` = 6.66 (the Gaussian's mass beyond is
    3e-11, far below any count a batch can show)."""
    return normal_from_bits(_hash(seed, keys, stream, False, row))


def normal_from_bits(h: Tensor) -> Tensor:
    """(M,) float64 standard normals from (M,) int64 random bits ``h`` (the Box-Muller step of
    :func:`hash_normal`): u1 = (high 32 bits + 1) 2^-32 in (0, 1], the angle u2 = low 32 bits
    2 pi 2^-32 in [0, 2 pi), then :func:`normal_from_uniforms`."""
    u1 = (_shr(h, 32) + 1).to(torch.float64) * 2.0 ** -32
    u2 = (h & _LOW32).to(torch.float64) * ANGLE_UNIT
    return normal_from_uniforms(u1, u2)


def normal_from_uniforms(u1: Tensor, angle: Tensor, inplace: bool = False) -> Tensor:
    """Box-Muller: sqrt(-2 ln u1) cos(angle), (M,) float64 from ``u1`` in (0, 1] and ``angle`` in
    [0, 2 pi) (radians). ``inplace``: computed in ``u1``'s memory (``angle`` overwritten), the same
    values without temporaries."""
    if inplace:
        return u1.log_().mul_(-2.0).sqrt_().mul_(angle.cos_())
    return (-2.0 * u1.log()).sqrt() * torch.cos(angle)


def hash_uniform(seed: Tensor, keys: Tensor, row: Tensor | None = None, stream: int = 0) -> Tensor:
    """(M,) float64 uniforms in (0, 1] (53 bits), one per row: a pure function of ``seed``,
    ``keys`` and ``stream`` as in :func:`hash_normal`, independent of :func:`hash_normal` for the
    same arguments and of other streams; ``row`` as in :func:`hash_normal`."""
    return (_shr(_hash(seed, keys, stream, True, row), 11) + 1).to(torch.float64) * 2.0 ** -53
