"""Random draws through an explicit ``torch.Generator``.

Draws are made on the events' device, with a generator on that device: an int seed
becomes a fresh generator there (:func:`as_generator`), ``generator=None`` uses torch's
default generator of that device (seeded by ``torch.manual_seed``). Nothing is drawn on
the host and copied, so a GPU batch needs no host round trip; the numbers a seed gives
depend on the device's generator (CPU and CUDA streams differ).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

GeneratorLike = torch.Generator | int | None

__all__ = ["GeneratorLike", "as_generator", "derive_seed", "uniform", "normal", "bernoulli", "randint", "rotation_matrices",
           "positive_normal"]


def as_generator(generator: GeneratorLike, device: torch.device | str = "cpu") -> torch.Generator | None:
    """An int seed becomes a generator on ``device`` seeded with it; a generator on ``device``
    or None passes through. A generator on another device raises ValueError (draws are made
    on the data's device, never on the host and copied)."""
    device = torch.device(device)
    if generator is None:
        return None
    if isinstance(generator, torch.Generator):
        got = generator.device
        other_index = got.index is not None and device.index is not None and got.index != device.index
        if got.type != device.type or other_index:
            raise ValueError(f"generator: expected a torch.Generator on the events' device {device}, got one on "
                             f"{got} (pass an int seed to get one on the right device)")
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return torch.Generator(device=device).manual_seed(generator)
    raise TypeError(f"generator: expected a torch.Generator, an int seed or None, got {type(generator).__name__}")


def uniform(shape: tuple[int, ...], low: float | Tensor, high: float | Tensor, generator: torch.Generator | None,
            device: torch.device, dtype: torch.dtype) -> Tensor:
    """U[low, high) of ``shape`` on ``device``."""
    u = torch.rand(shape, generator=generator, device=device, dtype=dtype)
    if isinstance(low, Tensor) or isinstance(high, Tensor):
        return low + (high - low) * u
    if low == 0.0 and high == 1.0:  # u * 1 + 0 is u, bit for bit (torch.rand never gives -0.0)
        return u
    # Python numbers: the same low + (high - low) * u, in place (no (N,) temporaries).
    return u.mul_(high - low).add_(low)


def normal(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device, dtype: torch.dtype) -> Tensor:
    """Standard normal of ``shape`` on ``device``."""
    return torch.randn(shape, generator=generator, device=device, dtype=dtype)


def positive_normal(shape: tuple[int, ...], mean: float, sigma: float, generator: torch.Generator | None,
                    device: torch.device, dtype: torch.dtype) -> Tensor:
    """Normal(mean, sigma) truncated to [0, inf), drawn by inverse CDF (one uniform per value,
    vectorised, no redraw loop): u ~ U[Phi(-mean / sigma), 1), x = mean + sigma * Phi^-1(u).

    Computed in float64; u is kept in [1e-300, 1 - 2^-53] so that x stays finite (sigma = 0
    included), and rounding below 0 at u = Phi(-mean / sigma) is clamped to 0.

    When the truncation removes less than 2^-53 of the mass (mean > 8.2 sigma, e.g. the default
    (1, 0.05) of LocalSmear), a float64 uniform cannot resolve it: the draw is then the plain normal
    mean + sigma z in ``dtype`` (z ~ N(0, 1), ~4x faster than Phi^-1), clamped at 0 (reached with
    probability < 2^-53)."""
    lo = float(torch.special.ndtr(torch.tensor(-mean / sigma, dtype=torch.float64))) if sigma > 0 else 0.0
    if sigma > 0 and lo < 2 ** -53:
        return normal(shape, generator, device, dtype).mul_(sigma).add_(mean).clamp_min_(0.0)
    u = uniform(shape, max(lo, 1e-300), 1.0, generator, device, torch.float64).clamp_max_(1 - 2 ** -53)
    x = torch.special.ndtri(u, out=u)  # in place, as the steps below: no (N,) float64 temporaries
    return x.mul_(sigma).add_(mean).clamp_min_(0.0).to(dtype)


def bernoulli(shape: tuple[int, ...], p: float | Tensor, generator: torch.Generator | None, device: torch.device) -> Tensor:
    """Boolean tensor, True with probability ``p``."""
    return torch.rand(shape, generator=generator, device=device) < p


def randint(high: Tensor, generator: torch.Generator | None) -> Tensor:
    """Uniform integers in [0, high) elementwise (``high`` > 0), on ``high``'s device."""
    u = torch.rand(high.shape, generator=generator, device=high.device, dtype=torch.float64)
    return torch.minimum((u * high).long(), high - 1)


def rotation_matrices(n: int, dim: int, generator: torch.Generator | None, device: torch.device,
                      dtype: torch.dtype) -> Tensor:
    """(n, dim, dim) rotations uniform in SO(dim) (Haar measure), dim in {2, 3}.

    2D: angle U[0, 2 pi). 3D: from uniform unit quaternions (Shoemake, "Uniform random
    rotations", Graphics Gems III, 1992: unit quaternions uniform on S^3 give Haar rotations,
    S^3 double-covering SO(3)); normalised 4D Gaussians are uniform on S^3 (Muller, Comm.
    ACM 2, 1959), used here instead of Shoemake's three-uniform construction."""
    if dim == 2:
        angle = uniform((n,), 0.0, 2 * math.pi, generator, device, dtype)
        return rotation_2d(angle)
    if dim == 3:
        q = normal((n, 4), generator, device, dtype)
        q = q / q.norm(dim=1, keepdim=True).clamp_min(torch.finfo(dtype).tiny)
        return quaternion_to_matrix(q)
    raise ValueError(f"coords: random rotations need D = 2 or 3, got D = {dim}")


def rotation_2d(angle: Tensor) -> Tensor:
    """(n, 2, 2) counter-clockwise rotations by ``angle`` (rad)."""
    c, s = torch.cos(angle), torch.sin(angle)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def axis_angle_to_matrix(axis: Tensor, angle: Tensor) -> Tensor:
    """(n, 3, 3) rotations by ``angle`` (rad) about the unit vector ``axis`` (3,) (right-hand rule)."""
    half = angle / 2
    q = torch.cat([torch.cos(half)[:, None], torch.sin(half)[:, None] * axis[None, :]], dim=1)
    return quaternion_to_matrix(q)


def quaternion_to_matrix(q: Tensor) -> Tensor:
    """(n, 3, 3) rotation matrices from unit quaternions (n, 4) ordered (w, x, y, z)."""
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
    ], dim=-1).reshape(-1, 3, 3)


def derive_seed(*keys: int) -> int:
    """A 63-bit seed from integer keys (numpy SeedSequence hashing): distinct keys give
    statistically independent streams."""
    import numpy as np

    return int(np.random.SeedSequence(list(keys)).generate_state(1, np.uint64)[0] >> np.uint64(1))
