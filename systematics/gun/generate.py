"""Single-particle event generation: kinematics, chunked reproducible seeding, multiprocessing."""

from __future__ import annotations

import contextlib
import multiprocessing
from typing import Mapping, Sequence

import os
from pathlib import Path

import numpy as np
from tqdm import tqdm

from augment._checks import check_int, check_range
from systematics.gun.config import GunConfig
from systematics.gun.tracking import simulate_batch
from systematics.particles import PARTICLE_CLASSES

# Kinetic energy ranges (MeV) of the seed's single-particle sets (docs/physics.md section 2).
DEFAULT_ENERGY_RANGES_MEV: dict[str, tuple[float, float]] = {
    "e": (50.0, 1000.0), "gamma": (50.0, 1000.0), "mu": (50.0, 1000.0), "pi": (50.0, 1000.0), "p": (50.0, 400.0)}

CHUNK_EVENTS = 64  # events per independently seeded chunk; fixed, so output does not depend on workers


def simulate_events(labels: np.ndarray, energies_mev: np.ndarray, vertices_cm: np.ndarray, directions: np.ndarray,
                    rng: np.random.Generator, config: GunConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Transport one primary per event (labels index PARTICLE_CLASSES, kinetic energies in MeV,
    vertices in cm, unit directions) with the random draws of ``rng``.

    Returns (deposits (M, 5) float64 with columns x, y, z (cm), dE (MeV), dx (cm);
    counts (B,) int64), events in order. Deposits outside ``config.volume_cm`` are dropped.
    """
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    n = len(labels)
    if labels.ndim != 1 or (n and not 0 <= labels.min() <= labels.max() < len(PARTICLE_CLASSES)):
        raise ValueError(f"labels: expected (B,) ints in [0, {len(PARTICLE_CLASSES)}) indexing PARTICLE_CLASSES, "
                         f"got shape {labels.shape}" + (f", values in [{labels.min()}, {labels.max()}]" if n else ""))
    energies_mev = np.ascontiguousarray(energies_mev, dtype=np.float64)
    if energies_mev.shape != (n,) or not (np.isfinite(energies_mev) & (energies_mev > 0)).all():
        raise ValueError(f"energies_mev: expected ({n},) finite kinetic energies > 0 MeV")
    vertices_cm = np.ascontiguousarray(vertices_cm, dtype=np.float64)
    if vertices_cm.shape != (n, 3) or not np.isfinite(vertices_cm).all():
        raise ValueError(f"vertices_cm: expected ({n}, 3) finite positions, got shape {vertices_cm.shape}")
    directions = np.ascontiguousarray(directions, dtype=np.float64)
    if directions.shape != (n, 3) or not np.allclose(np.linalg.norm(directions, axis=1), 1.0, atol=1e-6):
        raise ValueError(f"directions: expected ({n}, 3) unit vectors")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    config = GunConfig() if config is None else config
    return simulate_batch(labels, energies_mev, vertices_cm, directions, config.to_array(), rng)


MAX_RESAMPLING_ROUNDS = 1000


def _draw_kinematics(labels: np.ndarray, low: np.ndarray, high: np.ndarray, config: GunConfig,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uniform T per class, vertex uniform in the volume, isotropic direction."""
    n = len(labels)
    energies = rng.uniform(low[labels], high[labels])
    vertices = rng.uniform(*config.volume_cm, size=(n, 3))
    directions = rng.normal(size=(n, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return energies, vertices, directions


def _run_chunk(task: tuple) -> tuple[np.ndarray, np.ndarray, int]:
    """One chunk: sample kinematics and transport, all from the chunk's own seed. With
    ``resample_empty``, events without any deposit in the volume are drawn again (new
    kinematics, same label) until every event has one. Returns (deposits, counts, number of
    empty draws)."""
    labels, seed_seq, low, high, config, resample_empty = task
    rng = np.random.default_rng(seed_seq)
    deposits, counts = simulate_events(labels, *_draw_kinematics(labels, low, high, config, rng), rng, config)
    empty = np.flatnonzero(counts == 0)
    n_empty = len(empty)
    if not resample_empty or n_empty == 0:
        return deposits, counts, n_empty
    events = np.split(deposits, np.cumsum(counts)[:-1])
    for _ in range(MAX_RESAMPLING_ROUNDS):
        redrawn, redrawn_counts = simulate_events(labels[empty], *_draw_kinematics(labels[empty], low, high, config, rng),
                                                  rng, config)
        for i, d in zip(empty, np.split(redrawn, np.cumsum(redrawn_counts)[:-1])):
            events[i] = d
        empty = empty[redrawn_counts == 0]
        if len(empty) == 0:
            counts = np.array([len(d) for d in events], dtype=np.int64)
            return np.concatenate(events), counts, n_empty
        n_empty += len(empty)
    raise RuntimeError(f"resample_empty: classes {sorted({PARTICLE_CLASSES[i] for i in labels[empty]})} still left no "
                       f"deposit in the volume after {MAX_RESAMPLING_ROUNDS} draws: check volume_cm and the energy ranges")


def generate(n_per_class: int, seed: int, classes: Sequence[str] = PARTICLE_CLASSES, workers: int = 1,
             progress: bool = True, energy_ranges_mev: Mapping[str, tuple[float, float]] | None = None,
             config: GunConfig | None = None, resample_empty: bool = True,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Generate ``n_per_class`` single-particle events of each class, interleaved
    (event i has class ``classes[i % len(classes)]``).

    Kinetic energies are uniform in ``energy_ranges_mev`` (default the seed's 50-1000 MeV,
    protons 50-400 MeV), directions isotropic, vertices uniform in the volume. Events are
    cut into chunks of ``CHUNK_EVENTS`` seeded by ``np.random.SeedSequence(seed).spawn``, so
    the output depends on ``seed`` only, not on ``workers`` (processes, spawn start method).

    With ``resample_empty`` (the default, used by the studies) an event that leaves no deposit in
    the volume (e.g. a photon escaping before it interacts) is drawn again with new kinematics;
    without it such events are kept, empty, under their label. :func:`generate_file` reports the
    fraction of empty draws.

    Returns (coords (N, 3) float32 cm, feats (N, 2) float32 columns dE (MeV), dx (cm),
    offsets (B + 1,) int64, labels (B,) int64 indexing PARTICLE_CLASSES).
    """
    coords, feats, offsets, labels, _ = _generate(n_per_class, seed, classes, workers, progress, energy_ranges_mev,
                                                  config, resample_empty)
    return coords, feats, offsets, labels


def _generate(n_per_class, seed, classes, workers, progress, energy_ranges_mev, config, resample_empty):
    """:func:`generate`, also returning the number of empty draws."""
    n_per_class, seed, workers = (check_int("n_per_class", n_per_class, 0), check_int("seed", seed, 0),
                                  check_int("workers", workers, 1))
    classes = [classes] if isinstance(classes, str) else list(classes)
    unknown = [name for name in classes if name not in PARTICLE_CLASSES]
    if not classes or unknown or len(set(classes)) != len(classes):
        raise ValueError(f"classes: expected distinct names from {PARTICLE_CLASSES}, got {classes!r}")
    ranges = {**DEFAULT_ENERGY_RANGES_MEV, **(energy_ranges_mev or {})}
    if set(ranges) != set(PARTICLE_CLASSES):
        raise ValueError(f"energy_ranges_mev: expected keys from {PARTICLE_CLASSES}, got {sorted(ranges)}")
    low, high = np.empty(len(PARTICLE_CLASSES)), np.empty(len(PARTICLE_CLASSES))
    for i, name in enumerate(PARTICLE_CLASSES):
        low[i], high[i] = check_range(f"energy_ranges_mev['{name}']", ranges[name])
        if low[i] <= 0:
            raise ValueError(f"energy_ranges_mev['{name}']: expected kinetic energies > 0 MeV, got {ranges[name]!r}")
    config = GunConfig() if config is None else config

    labels = np.tile(np.array([PARTICLE_CLASSES.index(name) for name in classes], dtype=np.int64), n_per_class)
    starts = range(0, len(labels), CHUNK_EVENTS)
    seeds = np.random.SeedSequence(seed).spawn(len(starts))
    if not isinstance(resample_empty, bool):
        raise TypeError(f"resample_empty: expected a bool, got {type(resample_empty).__name__}")
    tasks = [(labels[s:s + CHUNK_EVENTS], seq, low, high, config, resample_empty) for s, seq in zip(starts, seeds)]
    use_pool = workers > 1 and len(tasks) > 1
    results = []
    with (multiprocessing.get_context("spawn").Pool(workers) if use_pool else contextlib.nullcontext()) as pool, \
            tqdm(total=len(labels), unit="event", disable=not progress) as bar:
        for task, result in zip(tasks, pool.imap(_run_chunk, tasks) if use_pool else map(_run_chunk, tasks)):
            results.append(result)
            bar.update(len(task[0]))
    deposits = np.concatenate([r[0] for r in results]) if results else np.empty((0, 5))
    counts = np.concatenate([r[1] for r in results]) if results else np.empty(0, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    n_empty = sum(r[2] for r in results)
    return deposits[:, :3].astype(np.float32), deposits[:, 3:].astype(np.float32), offsets, labels, n_empty


def generate_file(path: str | os.PathLike, n_per_class: int, seed: int, classes: Sequence[str] = PARTICLE_CLASSES,
                  workers: int = 1, progress: bool = True, config: GunConfig | None = None,
                  resample_empty: bool = True) -> tuple[Path, int, int, float]:
    """:func:`generate` and write the deposits atomically to ``path`` in the ragged h5 format
    (coords x, y, z in cm; feats dE in MeV, dx in cm; every setting in ``settings``, with the
    fraction of empty draws: resampled, or with ``resample_empty=False`` written empty).
    Returns (path, number of events, number of deposits, fraction of draws that were empty)."""
    from augment.h5 import write_events

    config = GunConfig() if config is None else config
    coords, feats, offsets, labels, n_empty = _generate(n_per_class, seed, classes, workers, progress, None, config,
                                                        resample_empty)
    empty_fraction = n_empty / (len(labels) + n_empty) if resample_empty else n_empty / max(len(labels), 1)
    settings = {"generator": "systematics.gun", "events_per_class": n_per_class, "seed": seed,
                "classes": list(classes), "chunk_events": CHUNK_EVENTS, "energy_ranges_mev": DEFAULT_ENERGY_RANGES_MEV,
                "config": config.as_dict(), "resample_empty": resample_empty, "empty_draws": n_empty,
                "empty_fraction": empty_fraction}
    path = write_events(path, coords, feats, offsets, labels, coord_names=("x", "y", "z"),
                        coord_units=("cm", "cm", "cm"), feature_names=("dE", "dx"), feature_units=("MeV", "cm"),
                        label_names=PARTICLE_CLASSES, settings=settings)
    return path, len(labels), len(coords), empty_fraction


__all__ = ["generate", "generate_file", "simulate_events", "DEFAULT_ENERGY_RANGES_MEV", "CHUNK_EVENTS"]
