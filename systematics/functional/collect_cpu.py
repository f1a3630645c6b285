"""CPU kernel of :func:`systematics.functional.chain.collect_charge`: recombination, drift,
lifetime, space charge and the analytic diffusion onto the voxel grid in one numba pass per
group of events, event by event, with no temporary larger than one event (docs/physics.md
sections 1.2-1.7).

Per event, the deposits are drifted into a scratch buffer with the formulas of the torch kernels
(:mod:`~systematics.functional.recombination`, :mod:`~systematics.functional.drift`,
:mod:`~systematics.functional.space_charge`; the drift velocity and its nominal-field value once
per event): the electrons reaching the anode and each cloud's centre and widths in voxel units.
Each cloud is then integrated over the voxels it covers (erf differences at the voxel edges, cut
at ``nsigma`` and renormalised, as :func:`~systematics.functional.diffusion.axis_shares`; only the
edges inside the cut need an erf), and the shares are summed per voxel in expansion order
(:func:`~systematics.functional.grid_cpu.sort_and_sum`).

The result equals the torch kernels' to rounding, not bit for bit: float64 inside (each share
rounded to the output dtype before the sums, as there), libm's transcendental functions rather than
torch's vectorised ones; for float32 deposits it is the more accurate of the two (the torch path
computes positions in float32). Every deposit is computed alone, so an event's result is the same,
bit for bit, alone or in any batch. Input that the torch kernels reject (dx, dE, positions outside
the drift volume or the transverse box, space charge without a transverse box or at the fold limit)
or that this kernel cannot read (an unsorted batch, a dtype other than float32 / float64, an event
box past 2^62 voxel keys) is declined (None): the caller then takes the torch path, which raises
its error naming the argument.
"""

from __future__ import annotations

import math
from typing import Iterator

import numba
import numpy as np
import torch
from torch import Tensor

from systematics import constants as C
from systematics.functional.grid_cpu import _DIGIT_BITS, box_strides, sort_and_sum
from systematics.functional.space_charge import space_charge_amplitude, velocity_field_slope
from systematics.parameters import NOMINAL, DriftGeometry

__all__ = ["collect_cpu"]

_EVENT_VALUES = ("efield", "temperature", "lifetime", "diffusion_l", "diffusion_t", "space_charge")


def collect_cpu(coords: Tensor, feats: Tensor, batch: Tensor, num_events: int, values: dict[str, Tensor],
                recombination: str, geometry: DriftGeometry, pitch: Tensor, origin: Tensor, nsigma: float,
                groups: list[tuple[int, int]]) -> Iterator[tuple[Tensor, Tensor, Tensor] | None]:
    """For each group of rows (a, b) of ``groups`` (whole events), the charge of its deposits
    collected per voxel: (voxel (V, 3) int64, charge (V,) electrons in the coords' dtype, event
    (V,) int64), sorted by event then voxel as
    :func:`~systematics.functional.grid_cpu.sum_shares_cpu`; or None where the kernel declines
    (module docstring), and then for every later group too.

    coords (N, 3) cm, feats (N, 2) dE MeV, dx cm, ``batch`` (N,) int64 sorted, ``values`` (B,)
    per event as in :func:`~systematics.functional.chain.detector_response`, the grid of ``pitch``
    (3,) cm from ``origin`` (3,) cm, clouds cut at ``nsigma``: CPU tensors of float32 or float64.
    Each group is one numba pass, event by event: the event's deposits drifted into a scratch
    buffer, their shares expanded, sorted and summed (scratch buffers of one event's size, numpy;
    the outputs are torch tensors, grown when the voxels outnumber a first guess of
    ``_VOXELS_PER_DEPOSIT`` per deposit)."""
    model = ("birks_a", "birks_k") if recombination == "birks" else ("box_alpha", "box_beta")
    names = (*_EVENT_VALUES, *model)
    declined = coords.dtype not in (torch.float32, torch.float64) or feats.dtype != coords.dtype or \
        not nsigma > 0 or any(values[k].shape != (num_events,) for k in names)
    if not declined:
        per_event = torch.stack([values[k].to(torch.float64) for k in names]).numpy()
        constants = _constants(recombination, geometry, pitch, origin, nsigma)
        x, f, e = coords.contiguous().numpy(), feats.contiguous().numpy(), batch.contiguous().numpy()
        declined = not _batch_sorted(e, num_events)
    for a, b in groups:
        if declined:
            yield None
            continue
        out = _collect_rows(x, f, e, a, b, per_event, constants, coords.dtype)
        declined = out is None
        yield out


_VOXELS_PER_DEPOSIT = 4  # the outputs' first size per deposit (2.8 voxels per deposit on 1 m tracks at nominal)


def _collect_rows(coords: np.ndarray, feats: np.ndarray, batch: np.ndarray, a: int, b: int, per_event: np.ndarray,
                  constants: np.ndarray, dtype: torch.dtype) -> tuple[Tensor, Tensor, Tensor] | None:
    """Rows a:b (whole events) through :func:`_collect_pass`, the outputs grown as it asks."""
    capacity = _VOXELS_PER_DEPOSIT * (b - a) + 1024
    voxel = torch.empty(capacity, 3, dtype=torch.int64)
    q = torch.empty(capacity, dtype=dtype)
    event = torch.empty(capacity, dtype=torch.int64)
    V, row = 0, a
    while True:
        V, row, status = _collect_pass(coords, feats, batch, row, b, per_event, constants, voxel.numpy(), q.numpy(),
                                       event.numpy(), V)
        if status < 0:
            return None
        if status == 0:
            return voxel[:V], q[:V], event[:V]
        # Out of room before event batch[row]: room for the rest at the voxels per deposit so far, and that event.
        capacity = V + int((V / max(row - a, 1) + 1) * (b - row)) + status
        voxel, q, event = (torch.cat([t[:V], t.new_empty((capacity - V, *t.shape[1:]))]) for t in (voxel, q, event))


# The layout of the constants array of the numba passes.
(_AXIS, _ANODE, _LENGTH, _DIRECTION, _TPCS, _CHANGES_VELOCITY, _HAS_BOX, _LOW0, _HIGH0, _LOW1, _HIGH1,
 _AMPLITUDE_PER_DENSITY, _SLOPE, _NOMINAL_FIELD, _BIRKS, _NSIGMA, _PITCH, _ORIGIN) = (*range(16), 16, 19)


def _constants(recombination: str, geometry: DriftGeometry, pitch: Tensor, origin: Tensor, nsigma: float) -> np.ndarray:
    """The geometry, grid and model constants of the passes, in the layout above (float64)."""
    g = geometry
    box = ((0.0, 0.0), (0.0, 0.0)) if g.transverse is None else g.transverse
    # The space-charge amplitude per unit density and the slope d ln v / d ln E at the nominal field (section 1.7).
    amplitude_per_density = space_charge_amplitude(1.0, g.max_drift, NOMINAL["efield"])
    return np.array([g.drift_axis, g.anode, g.max_drift, g.direction, g.num_tpcs, g.field_changes_velocity,
                     g.transverse is not None, box[0][0], box[0][1], box[1][0], box[1][1], amplitude_per_density,
                     float(velocity_field_slope(NOMINAL["efield"])), NOMINAL["efield"], recombination == "birks",
                     nsigma, *pitch.tolist(), *origin.tolist()], dtype=np.float64)


@numba.njit(cache=True, error_model="numpy")
def _velocity(efield, temperature):
    """Drift velocity mu(E, T) E in cm/us (drift.drift_velocity; Li et al., NIM A 816 (2016) 160),
    in numba rather than torch on the (B,) values: torch's pow can round a value's last bit by its
    place in the tensor, which would make an event's result depend on the batch around it."""
    a0, a1, a2, a3, a4, a5 = C.MOBILITY_COEFFS
    e = efield
    num = a0 + a1 * e + a2 * e ** 1.5 + a3 * e ** 2.5
    den = 1.0 + (a1 / a0) * e + a4 * e ** 2 + a5 * e ** 3
    return num / den * (temperature / C.MOBILITY_T0) ** -1.5 * (e * 1e3) * 1e-6


@numba.njit(cache=True, error_model="numpy")
def _surviving(rate, efield, a, b, birks):
    """Fraction surviving recombination at dE/dx ``rate`` MeV/cm (recombination.recombination_birks,
    recombination_box, with the box model's small-xi limit and its clip at 0)."""
    if birks:
        return a / (1.0 + b * rate / (efield * C.LAR_DENSITY_RECOMBINATION))
    xi = b * rate / (efield * C.LAR_DENSITY_RECOMBINATION)
    u = xi / a
    log1p_over_u = math.log1p(u) / u if u > 2.220446049250313e-16 else 1.0 - u / 2.0
    log_alpha = math.log(a)
    first = 0.0 if log_alpha == 0.0 else log_alpha / xi
    return max(first + log1p_over_u / a, 0.0)


@numba.njit(cache=True, error_model="numpy")
def _drift_event(coords, feats, a, b, values, k, charge, centre, width):
    """Deposits a:b of one event (its ``values`` (8,), constants ``k``) drifted: electrons reaching
    the anode into ``charge``, the cloud centres and widths in voxel units into ``centre``,
    ``width`` (rows 0 .. b - a). Returns False where the torch kernels would raise."""
    axis, direction, num_tpcs = int(k[_AXIS]), int(k[_DIRECTION]), int(k[_TPCS])
    anode, length = k[_ANODE], k[_LENGTH]
    o0, o1 = (1, 2) if axis == 0 else ((0, 2) if axis == 1 else (0, 1))
    low0, high0, low1, high1 = k[_LOW0], k[_HIGH0], k[_LOW1], k[_HIGH1]
    half0, half1 = (high0 - low0) / 2, (high1 - low1) / 2
    mid0, mid1 = (low0 + high0) / 2, (low1 + high1) / 2
    h_min = min(half0, half1)
    far = num_tpcs * length * (1 + 1e-9)
    efield, temperature, lifetime, dl, dt, density, ma, mb = values
    nominal = _velocity(k[_NOMINAL_FIELD], temperature)
    velocity = _velocity(efield, temperature) if k[_CHANGES_VELOCITY] else nominal
    scale = nominal / velocity
    has_box = k[_HAS_BOX] != 0
    amplitude = density * k[_AMPLITUDE_PER_DENSITY]
    if (not has_box and density != 0) or (has_box and amplitude >= 2 * h_min / math.pi):
        return False
    c = np.empty(3)  # a cloud's centre, cm
    for d in range(a, b):
        r = d - a
        dE, dx = feats[d, 0], feats[d, 1]
        if not (math.isfinite(dx) and dx > 0 and math.isfinite(dE) and dE >= 0):
            return False
        q = _surviving(dE / dx, efield, ma, mb, k[_BIRKS] != 0) * dE / C.W_ION
        # The point's TPC and its distance to that TPC's anode (drift.drift_frame).
        s = direction * (coords[d, axis] - anode)
        if not (s >= 0 and s <= far):
            return False
        tpc = min(max(math.floor(s / length), 0), num_tpcs - 1)
        odd = tpc % 2
        offset = (tpc + odd) * length
        distance = min(max(offset - s if odd else s - offset, 0.0), length)
        sign = (1 - 2 * odd) * direction
        t = distance / velocity  # us
        charge[r] = q * math.exp(-t / lifetime)
        sigma_t = math.sqrt(2 * dt * t)
        sigma_l = math.sqrt(2 * dl * t)
        x = (np.float64(coords[d, 0]), np.float64(coords[d, 1]), np.float64(coords[d, 2]))
        c[0], c[1], c[2] = x
        if k[_CHANGES_VELOCITY]:  # arrival time -> position with the nominal field's velocity (section 1.3)
            c[axis] = anode + direction * offset + sign * distance * scale
            sigma_l *= scale
        if has_box:  # space charge (space_charge.space_charge_displacement), from the true positions
            p0, p1 = x[o0], x[o1]
            if p0 < low0 or p0 > high0 or p1 < low1 or p1 > high1:
                return False
            if amplitude != 0:
                s0, s1 = (p0 - mid0) / half0, (p1 - mid1) / half1
                sin0, cos0 = math.sin(math.pi / 2 * s0), math.cos(math.pi / 2 * s0)
                sin1, cos1 = math.sin(math.pi / 2 * s1), math.cos(math.pi / 2 * s1)
                u = distance / length
                along_drift = (1 - math.cos(math.pi * u)) / 2
                c[o0] += -amplitude * (h_min / half0) * sin0 * cos1 * along_drift
                c[o1] += -amplitude * (h_min / half1) * sin1 * cos0 * along_drift
                c[axis] += sign * (amplitude * k[_SLOPE] * h_min / length) * cos0 * cos1 * math.sin(math.pi * u)
        for i in range(3):
            centre[r, i] = (c[i] - k[_ORIGIN + i]) / k[_PITCH + i]
            width[r, i] = (sigma_l if i == axis else sigma_t) / k[_PITCH + i]
    return True


@numba.njit(cache=True)
def _batch_sorted(batch, num_events):
    """Whether ``batch`` is sorted with every index in [0, num_events)."""
    for d in range(batch.shape[0]):
        if batch[d] < 0 or batch[d] >= num_events or (d > 0 and batch[d] < batch[d - 1]):
            return False
    return True


@numba.njit(cache=True, error_model="numpy")
def _axis_mass(u, w, nsigma, erf_cut, out):
    """The fractions of a cloud at ``u`` of width ``w`` (voxel units) in the voxels floor(u - nsigma w)
    ... floor(u + nsigma w), into ``out``: differences of erf at the voxel edges, the edges clamped
    to the cut (diffusion.axis_shares), renormalised to 1 (over the cut's mass 2 erf_cut).
    Returns (first voxel, count)."""
    first = math.floor(u - nsigma * w)
    count = math.floor(u + nsigma * w) - first + 1
    if count == 1:
        out[0] = 1.0
        return first, 1
    scale = math.sqrt(0.5) / w
    cut = nsigma * math.sqrt(0.5)
    inverse = 0.5 / erf_cut
    below = -erf_cut  # the first edge lies at or beyond the cut
    for j in range(count - 1):
        x = (first + j + 1 - u) * scale
        above = erf_cut if x >= cut else (-erf_cut if x <= -cut else math.erf(x))
        out[j] = (above - below) * inverse
        below = above
    out[count - 1] = (erf_cut - below) * inverse  # the last edge lies at or beyond the cut
    return first, count


@numba.njit(cache=True, error_model="numpy")
def _collect_pass(coords, feats, batch, start, stop, per_event, k, voxel, q, event, V):
    """The loop of :func:`_collect_rows` over rows start:stop from output row V: returns (V, the
    next row, status): status 0 when done, -1 where it declines (an input the torch kernels
    reject, an event's voxel box past 2^62 keys), else the voxels the next event needs at most
    when they would not fit in the outputs."""
    nsigma = k[_NSIGMA]
    erf_cut = math.erf(nsigma * math.sqrt(0.5))
    hist = np.empty(1 << _DIGIT_BITS, np.int64)
    masses = np.empty((3, 8))
    charge, centre, width = np.empty(0), np.empty((0, 3)), np.empty((0, 3))
    work_keys, work_charge = np.empty((2, 0), np.int64), np.empty((2, 0), q.dtype)
    a = start
    while a < stop:
        b = a
        while b < stop and batch[b] == batch[a]:
            b += 1
        if b - a > charge.shape[0]:
            charge, centre, width = np.empty(b - a), np.empty((b - a, 3)), np.empty((b - a, 3))
        if not _drift_event(coords, feats, a, b, per_event[:, batch[a]], k, charge, centre, width):
            return V, a, -1
        lo0 = lo1 = lo2 = 1 << 62
        hi0 = hi1 = hi2 = -(1 << 62)
        m = 0
        for r in range(b - a):  # the event's box of voxels and its number of shares
            p = 1
            for i in range(3):
                u, w = centre[r, i], width[r, i]
                lo, hi = math.floor(u - nsigma * w), math.floor(u + nsigma * w) + 1
                p *= hi - lo
                if hi - lo > masses.shape[1]:
                    masses = np.empty((3, hi - lo))
                if i == 0:
                    lo0, hi0 = min(lo0, lo), max(hi0, hi)
                elif i == 1:
                    lo1, hi1 = min(lo1, lo), max(hi1, hi)
                else:
                    lo2, hi2 = min(lo2, lo), max(hi2, hi)
            m += p
        if V + m > q.shape[0]:
            return V, a, m
        s1, s2 = box_strides(lo0, lo1, lo2, hi0, hi1, hi2)
        if s1 == 0:
            return V, a, -1
        if m > work_keys.shape[1]:
            work_keys, work_charge = np.empty((2, m), np.int64), np.empty((2, m), q.dtype)
        keys, values = work_keys[0], work_charge[0]
        m0, m1, m2 = masses[0], masses[1], masses[2]
        m = 0
        for r in range(b - a):  # expansion, deposit after deposit, z fastest
            f0, n0 = _axis_mass(centre[r, 0], width[r, 0], nsigma, erf_cut, m0)
            f1, n1 = _axis_mass(centre[r, 1], width[r, 1], nsigma, erf_cut, m1)
            f2, n2 = _axis_mass(centre[r, 2], width[r, 2], nsigma, erf_cut, m2)
            for i in range(n0):
                ki = (f0 + i - lo0) * s1
                for j in range(n1):
                    kj = ki + (f1 + j - lo1) * s2 + f2 - lo2
                    qij = charge[r] * (m0[i] * m1[j])
                    for kk in range(n2):
                        keys[m] = kj + kk
                        values[m] = qij * m2[kk]
                        m += 1
        V = sort_and_sum(work_keys, work_charge, m, (hi0 - lo0) * s1, batch[a], lo0, lo1, lo2, s1, s2, hist, voxel, q,
                         event, V)
        a = b
    return V, a, 0
