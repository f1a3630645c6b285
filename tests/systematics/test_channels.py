import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from systematics.functional.channels import (channel_entries, channel_gains, channel_keys, channel_response,
                                            channel_runs, dead_channels, noisy_channels)

I64 = dict(dtype=torch.int64)


def grid(n_channels: int, n_times: int) -> torch.Tensor:
    """Voxel indices (x = drift/time, y, z): n_channels pixels on a square, n_times samples each."""
    side = math.ceil(math.sqrt(n_channels))
    pix = torch.stack(torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij"), -1).reshape(-1, 2)
    pix = pix[:n_channels]
    t = torch.arange(n_times)
    return torch.cat([t.repeat(n_channels)[:, None], pix.repeat_interleave(n_times, 0)], 1)


def response(voxel, charge, seed, dead=0.0, noisy=0.0, rms=0.0, spread=0.0, noise=0.0):
    m = len(voxel)
    full = lambda v: torch.full((m,), v, dtype=torch.float64)  # noqa: E731
    return channel_response(voxel, charge, torch.full((m,), seed, **I64), 0, full(dead), full(noisy), full(spread),
                            noise, rms)


@given(st.integers(0, 2**52), st.sampled_from([torch.float32, torch.float64]))
def test_zero_fractions_and_spread_are_the_identity(seed, dtype):
    voxel = grid(50, 4)
    charge = torch.rand(len(voxel), dtype=dtype) * 1e5
    q, alive, rms = response(voxel, charge, seed, rms=2500.0, noise=500.0)
    assert q.dtype == dtype and torch.equal(q, charge) and alive.all() and (rms == 500.0).all()


@given(st.integers(0, 2**52))
def test_dead_fraction_one_kills_everything_zero_kills_nothing(seed):
    voxel = grid(30, 3)
    charge = torch.rand(len(voxel), dtype=torch.float64)
    assert not response(voxel, charge, seed, dead=1.0)[1].any()
    assert response(voxel, charge, seed, dead=0.0)[1].all()


@given(st.integers(0, 2**52), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_dead_channels_are_whole_pixels_and_nested_in_the_fraction(seed, f1, f2):
    voxel = grid(64, 5)
    seeds = torch.full((len(voxel),), seed, **I64)
    channel = channel_keys(voxel, 0)
    low, high = sorted((f1, f2))
    dead_low = dead_channels(seeds, channel, torch.full((len(voxel),), low, dtype=torch.float64))
    dead_high = dead_channels(seeds, channel, torch.full((len(voxel),), high, dtype=torch.float64))
    assert (dead_high | ~dead_low).all()  # a larger fraction kills a superset
    per_pixel = dead_high.reshape(64, 5)  # every time sample of a pixel shares its fate
    assert (per_pixel == per_pixel[:, :1]).all()


def test_dead_and_noisy_fractions_are_the_fractions_of_channels():
    # 10^4 channels: the fraction dead is within 5 binomial sigma of the requested one.
    voxel = grid(10_000, 1)
    seeds = torch.full((10_000,), 77, **I64)
    channel = channel_keys(voxel, 0)
    for f in (0.02, 0.1, 0.5):
        frac = torch.full((10_000,), f, dtype=torch.float64)
        sigma = math.sqrt(f * (1 - f) / 10_000)
        assert abs(dead_channels(seeds, channel, frac).double().mean().item() - f) < 5 * sigma
        assert abs(noisy_channels(seeds, channel, frac).double().mean().item() - f) < 5 * sigma
    # Dead and noisy are independent streams: their overlap is ~ f^2.
    half = torch.full((10_000,), 0.5, dtype=torch.float64)
    both = (dead_channels(seeds, channel, half) & noisy_channels(seeds, channel, half)).double().mean().item()
    assert abs(both - 0.25) < 5 * math.sqrt(0.25 * 0.75 / 10_000)


def test_gain_spread_gives_mean_one_and_the_requested_rms():
    voxel = grid(10_000, 1)
    seeds = torch.full((10_000,), 5, **I64)
    g = channel_gains(seeds, channel_keys(voxel, 0), torch.full((10_000,), 0.05, dtype=torch.float64))
    assert (g > 0).all()
    assert abs(g.mean().item() - 1) < 5 * 0.05 / 100
    assert abs(g.std().item() / 0.05 - 1) < 0.05
    q, alive, _ = response(voxel, torch.full((10_000,), 1e4, dtype=torch.float64), 5, spread=0.05)
    torch.testing.assert_close(q, 1e4 * g)
    assert alive.all()
    # Gains belong to channels: every time sample of a pixel gets the same one.
    voxel = grid(100, 6)
    q, _, _ = response(voxel, torch.ones(600, dtype=torch.float64), 9, spread=0.1)
    assert (q.reshape(100, 6) == q.reshape(100, 6)[:, :1]).all()


def test_noisy_channels_add_their_noise_in_quadrature():
    # A noisy channel's voxels get RMS sqrt(noise^2 + extra^2) (independent Gaussians add in quadrature);
    # the draw itself is the readout's (digitise), per voxel.
    voxel = grid(2_000, 5)
    charge = torch.full((10_000,), 2e4, dtype=torch.float64)
    q, alive, rms = response(voxel, charge, 11, noisy=1.0, rms=2500.0, noise=500.0)
    assert alive.all() and torch.equal(q, charge)
    torch.testing.assert_close(rms, torch.full_like(rms, math.hypot(500.0, 2500.0)))
    _, _, rms = response(voxel, charge, 11, noisy=0.3, rms=2500.0, noise=500.0)
    noisy = (rms > 500.0).reshape(2_000, 5)
    assert (noisy == noisy[:, :1]).all()  # whole pixels
    assert abs(noisy[:, 0].double().mean().item() - 0.3) < 5 * math.sqrt(0.3 * 0.7 / 2_000)


@given(st.integers(0, 2**31 - 1))
def test_batched_equals_per_event_and_is_deterministic(seed):
    # Two events with their own seeds and fractions; any subset or order of voxels gives the same values.
    g = torch.Generator().manual_seed(seed)
    voxel = torch.randint(0, 40, (120, 3), generator=g)
    charge = torch.rand(120, generator=g, dtype=torch.float64) * 1e5
    event = torch.arange(2).repeat_interleave(60)
    seeds = torch.tensor([123, 2**40 + 7], **I64)[event]
    per = lambda a, b: torch.tensor([a, b], dtype=torch.float64)[event]  # noqa: E731
    args = (per(0.1, 0.6), per(0.3, 0.0), per(0.02, 0.1))
    q, alive, rms = channel_response(voxel, charge, seeds, 0, *args, 500.0, 2500.0)
    q2, alive2, rms2 = channel_response(voxel, charge, seeds, 0, *args, 500.0, 2500.0)
    assert torch.equal(q, q2) and torch.equal(alive, alive2) and torch.equal(rms, rms2)
    for b in range(2):
        m = event == b
        order = torch.randperm(int(m.sum()), generator=g)
        qb, ab, rb = channel_response(voxel[m][order], charge[m][order], seeds[m][order], 0,
                                      *(a[m][order] for a in args), 500.0, 2500.0)
        assert torch.equal(qb, q[m][order]) and torch.equal(ab, alive[m][order]) and torch.equal(rb, rms[m][order])


@pytest.mark.parametrize("name, kwargs", [("dead_fraction", dict(dead=1.5)), ("dead_fraction", dict(dead=-0.1)),
                                          ("dead_fraction", dict(dead=math.nan)), ("noisy_fraction", dict(noisy=2.0)),
                                          ("gain_spread", dict(spread=-0.01))])
def test_bad_fractions_raise_naming_the_argument(name, kwargs):
    with pytest.raises(ValueError, match=name):
        response(grid(4, 1), torch.ones(4, dtype=torch.float64), 0, **kwargs)


@given(st.integers(0, 2**31 - 1), st.sampled_from([0, 1, 2]), st.booleans())
def test_per_event_tables_equal_per_voxel_values(seed, drift_axis, collected):
    # With row (the voxels' events) the seeds and channel values are per-event tables; on collected (sorted)
    # voxels with the drift axis last each channel is hashed once: the same values as per voxel, in any order.
    g = torch.Generator().manual_seed(seed)
    voxel = torch.randint(-5, 5, (150, 3), generator=g)
    event = torch.randint(0, 3, (150,), generator=g)
    if collected:
        rows = torch.unique(torch.cat([event[:, None], voxel], 1), dim=0)  # sorted by event then index
        event, voxel = rows[:, 0].contiguous(), rows[:, 1:].contiguous()
    charge = torch.rand(len(voxel), generator=g, dtype=torch.float64) * 1e5
    seeds = torch.randint(0, 2**52, (3,), generator=g)
    tables = (torch.tensor([0.1, 0.6, 0.0]), torch.tensor([0.3, 0.0, 0.5]), torch.tensor([0.02, 0.1, 0.05]))
    out = channel_response(voxel, charge, seeds, drift_axis, *tables, 500.0, 2500.0, event)
    per_voxel = channel_response(voxel, charge, seeds[event], drift_axis, *(t[event] for t in tables), 500.0, 2500.0)
    for a, b in zip(out, per_voxel):
        assert torch.equal(a, b)


@given(st.integers(0, 300), st.integers(0, 2**31 - 1), st.booleans(), st.sampled_from([3, 40, 2**40]))
def test_channel_entries_group_each_events_voxels_by_channel(m, seed, sort, spread):
    # Every voxel's entry points at a voxel of the same event and channel; with ``row`` sorted the
    # numba kernel (CPU) finds each distinct (event, channel) once; the torch runs are valid groups too.
    g = torch.Generator().manual_seed(seed)
    row = torch.randint(0, 4, (m,), generator=g)
    row = torch.sort(row).values if sort else row
    channel = torch.randint(-spread, spread, (m, 2), generator=g)
    for fn in (channel_entries, channel_runs):
        first, entry = fn(row, channel)
        assert entry.shape == (m,) and (entry >= 0).all() and (entry < len(first)).all()
        rep = first.index_select(0, entry)
        assert torch.equal(row[rep], row) and torch.equal(channel[rep], channel)
    if sort:
        first, _ = channel_entries(row, channel)
        assert len(first) == len(torch.unique(torch.cat([row[:, None], channel], 1), dim=0))


def test_each_tpc_has_its_own_pixel_plane():
    """Four TPCs along x: the same transverse pixel in two TPCs is two channels (independent draws),
    within one TPC one channel (the same draw for every voxel of its column)."""
    from systematics import ReadoutConfig
    from systematics.functional.chain import read_out
    from systematics.functional.readout import Voxels
    from systematics.parameters import DriftGeometry

    geometry = DriftGeometry(drift_axis=0, anode=0.0, max_drift=57.6, num_tpcs=4)
    readout = ReadoutConfig(pitch=0.38, noise=0.0, threshold=0.0)
    pixels = torch.arange(2000)
    # per pixel: two voxels in TPC 0 (x index 10, 20) and one in TPC 1 (x index 200: 76 cm)
    voxel = torch.cat([torch.stack([torch.full_like(pixels, x), pixels, torch.zeros_like(pixels)], 1)
                       for x in (10, 20, 200)])
    voxels = Voxels(voxel, torch.ones(len(voxel), dtype=torch.float64), torch.zeros(len(voxel), dtype=torch.int64),
                    torch.zeros(1, dtype=torch.int64))
    values = {"dead_fraction": torch.tensor([0.5], dtype=torch.float64),
              "noisy_fraction": torch.zeros(1, dtype=torch.float64), "gain_spread": torch.zeros(1, dtype=torch.float64)}
    out = read_out(voxels, values, torch.tensor([7]), geometry, readout)
    alive = torch.zeros(3, len(pixels), dtype=torch.bool)
    x_row = {10: 0, 20: 1, 200: 2}
    for (x, y, _) in out.voxel.tolist():
        alive[x_row[x], y] = True
    assert torch.equal(alive[0], alive[1])  # one TPC: one pixel, one draw
    agree = (alive[0] == alive[2]).double().mean()
    assert 0.4 < agree < 0.6  # two TPCs: independent draws at dead fraction 0.5 agree half of the time
    single = read_out(voxels, values, torch.tensor([7]), DriftGeometry(drift_axis=0, max_drift=230.4), readout)
    assert torch.equal(single.voxel[single.voxel[:, 0] == 10, 1], single.voxel[single.voxel[:, 0] == 200, 1])
