"""Top-tagging jets generated with Pythia 8 + FastJet, stored in the ragged h5 format.

Follows the top-tagging reference sample (Kasieczka et al., arXiv 1902.09914), without
detector simulation: 14 TeV pp; signal pp -> t tbar with both W -> hadrons, background
QCD 2 -> 2 (HardQCD:all); MPI and hadronisation on. Anti-kT R = 0.8 jets on visible
final-state particles (neutrinos removed). Per event only the leading jet is considered;
it is kept if 550 <= pT < 650 GeV and |eta| < 2, and, for the signal, if the top and its
three decay quarks (b, q, q') of the hard process lie within dR < 0.8 of the jet axis.
Up to 200 constituents per jet, sorted by pT descending.

File: ``coords`` (eta, phi) absolute (phi in rad, (-pi, pi]), ``feats`` (pT,) in GeV,
labels 0 = QCD, 1 = top (class blocks in the order of ``processes``), every setting in the
``settings`` attribute. Command line: ``python -m training.datasets.top_tagging --help``.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch

from augment._checks import check_int
from augment._events import Events
from augment.h5 import read_events, write_events
from training.datasets._pythia import PROCESSES, Chunk, check_process, chunk_seed, generate_chunk, pythia_settings

__all__ = ["TopTaggingConfig", "generate_top_tagging", "load_jets", "PROCESSES", "LABEL_NAMES"]

LABEL_NAMES = ("QCD", "top")
# A chunk sequence that accepts no jet in this many chunks is a selection that cannot be met.
_MAX_EMPTY_CHUNKS = 20
_SEED_NOTE = ("Random:seed = per chunk: chunk_seed(seed, process, chunk), "
              "from SeedSequence(seed, spawn_key=(label, chunk))")


@dataclass(frozen=True)
class TopTaggingConfig:
    """Generator and selection settings. Energies and momenta in GeV, angles in rad.

    ``pt_range``: jet pT window [lo, hi). ``pthat_range``: Pythia's PhaseSpace:pTHatMin/Max,
    the hard-process pT window (see the README for its measured acceptance).
    ``match_radius``: dR between the jet axis and the top and each of its decay quarks.
    ``events_per_chunk``: events per independently seeded Pythia run."""

    ecm: float = 14000.0
    pt_range: tuple[float, float] = (550.0, 650.0)
    eta_max: float = 2.0
    radius: float = 0.8
    match_radius: float = 0.8
    max_constituents: int = 200
    pthat_range: tuple[float, float] = (500.0, 700.0)
    mpi: bool = True
    events_per_chunk: int = 1000

    def __post_init__(self) -> None:
        for name in ("pt_range", "pthat_range"):
            lo, hi = getattr(self, name)
            if not 0 <= lo < hi:
                raise ValueError(f"{name}: expected a non-empty window 0 <= lo < hi in GeV, got ({lo}, {hi})")
        for name in ("ecm", "eta_max", "radius", "match_radius"):
            value = getattr(self, name)
            if not value > 0 or not np.isfinite(value):
                raise ValueError(f"{name}: expected a finite value > 0, got {value}")
        for name in ("max_constituents", "events_per_chunk"):
            value = getattr(self, name)
            check_int(name, value, 1)


def generate_top_tagging(
    path: str | os.PathLike,
    n_jets: int,
    *,
    seed: int = 0,
    workers: int = 1,
    processes: Sequence[str] = PROCESSES,
    config: TopTaggingConfig | None = None,
    progress: bool = True,
) -> Path:
    """Generate ``n_jets`` jets of each process and write them atomically to ``path``.

    Chunk i of a process is seeded from (``seed``, process, i) and the first ``n_jets`` jets
    in chunk order are kept, so the file depends on ``seed`` and ``config`` only, not on
    ``workers`` (processes running chunks in parallel). Returns the path."""
    config = TopTaggingConfig() if config is None else config
    n_jets, seed, workers = check_int("n_jets", n_jets, 1), check_int("seed", seed, 0), check_int("workers", workers, 1)
    if len(processes) == 0 or len(set(processes)) != len(processes):
        raise ValueError(f"processes: expected distinct names from {PROCESSES}, got {processes!r}")
    for process in processes:
        check_process(process)

    executor = ProcessPoolExecutor(workers, mp_context=get_context("spawn")) if workers > 1 else None
    try:
        blocks = {p: _collect(p, n_jets, seed, config, executor, workers, progress) for p in processes}
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)

    counts = np.concatenate([b[0] for b in blocks.values()])
    constituents = np.concatenate([b[1] for b in blocks.values()])
    labels = np.concatenate([np.full(n_jets, PROCESSES.index(p), dtype=np.int64) for p in processes])
    settings = {
        "generator": "training.datasets.top_tagging",
        "seed": seed,
        "n_jets_per_process": n_jets,
        "processes": list(processes),
        "config": dataclasses.asdict(config),
        "pythia_settings": {p: [_SEED_NOTE if line.startswith("Random:seed ") else line
                                for line in pythia_settings(p, 0, config)] for p in processes},
        "selection": "leading anti-kT jet of visible final-state particles (no neutrinos); pt_range [lo, hi), "
                     "|eta| < eta_max; top: top and its 3 decay quarks within match_radius of the jet axis",
        "stats": {p: b[2] for p, b in blocks.items()},
        "versions": _versions(),
    }
    return write_events(
        path, constituents[:, 1:], constituents[:, :1], np.concatenate([[0], np.cumsum(counts)]), labels,
        coord_names=("eta", "phi"), coord_units=("", "rad"), feature_names=("pT",), feature_units=("GeV",),
        label_names=LABEL_NAMES, settings=settings,
    )


def _collect(process: str, n_jets: int, seed: int, config: TopTaggingConfig, executor: Executor | None,
             workers: int, progress: bool) -> tuple[np.ndarray, np.ndarray, dict]:
    """The first ``n_jets`` jets of ``process`` in chunk order: (counts, constituents, stats)."""
    from tqdm import tqdm

    chunks: list[Chunk] = []
    have = empty = 0
    with tqdm(total=n_jets, desc=f"{process} jets", unit="jet", disable=not progress) as bar:
        for chunk in _chunks(process, seed, config, executor, workers):
            chunks.append(chunk)
            n = len(chunk.counts)
            empty = 0 if n else empty + 1
            if empty == _MAX_EMPTY_CHUNKS:
                raise RuntimeError(f"config: no {process} jet passed the selection in {empty} chunks of "
                                   f"{config.events_per_chunk} events; check pt_range, eta_max and pthat_range")
            bar.update(min(n, n_jets - have))
            have += n
            if have >= n_jets:
                break
    counts = np.concatenate([c.counts for c in chunks])[:n_jets]
    constituents = np.concatenate([c.constituents for c in chunks])[: counts.sum()]
    n_events = sum(c.n_events for c in chunks)
    stats = {"chunks": len(chunks), "events": n_events, "jets_accepted": have,
             "acceptance_per_event": have / max(n_events, 1)}
    return counts, constituents, stats


def _chunks(process: str, seed: int, config: TopTaggingConfig, executor: Executor | None,
            workers: int) -> Iterator[Chunk]:
    """Chunk results of ``process`` in chunk order, ``workers`` chunks in flight."""
    tasks = ((process, chunk_seed(seed, process, i), config) for i in itertools.count())
    if executor is None:
        yield from (generate_chunk(*task) for task in tasks)
        return
    pending = deque(executor.submit(generate_chunk, *task) for task in itertools.islice(tasks, workers))
    while True:
        result = pending.popleft().result()
        pending.append(executor.submit(generate_chunk, *next(tasks)))
        yield result


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("pythia8mc", "fastjet", "awkward")}


def load_jets(path: str | os.PathLike, n_constituents: int | None = 200, preprocess: bool = True) -> Events:
    """Read a top-tagging file as Events with ``feature_names=("pT",)`` (GeV) and labels.

    ``preprocess=True`` applies ``augment.jets.preprocess_jets`` (centre on the
    pT-weighted axis, wrap phi, keep the ``n_constituents`` hardest). ``preprocess=False``
    returns the absolute (eta, phi) as stored, cut to the ``n_constituents`` hardest (the file
    is sorted by pT). ``n_constituents=None`` keeps all."""
    if n_constituents is not None:
        check_int("n_constituents", n_constituents, 1)
    events = read_events(path)
    if preprocess:
        from augment.jets import preprocess_jets

        return preprocess_jets(events, n=n_constituents)
    if n_constituents is None:
        return events
    slot = torch.arange(events.num_points) - events.offsets()[events.batch]
    keep = slot < n_constituents
    return events.replace(coords=events.coords[keep], feats=events.feats[keep], batch=events.batch[keep])


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m training.datasets.top_tagging", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default = TopTaggingConfig()
    parser.add_argument("output", type=Path, help="h5 file to write (e.g. data/top_tagging.h5)")
    parser.add_argument("--n-jets", type=int, default=20000, help="jets per process (default 20000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="parallel processes (output does not depend on it)")
    parser.add_argument("--processes", nargs="+", default=list(PROCESSES), choices=PROCESSES)
    parser.add_argument("--pt-range", type=float, nargs=2, default=default.pt_range, metavar=("LO", "HI"))
    parser.add_argument("--pthat-range", type=float, nargs=2, default=default.pthat_range, metavar=("LO", "HI"))
    parser.add_argument("--eta-max", type=float, default=default.eta_max)
    parser.add_argument("--radius", type=float, default=default.radius)
    parser.add_argument("--max-constituents", type=int, default=default.max_constituents)
    parser.add_argument("--events-per-chunk", type=int, default=default.events_per_chunk)
    parser.add_argument("--no-mpi", action="store_true", help="switch multiparton interactions off")
    args = parser.parse_args(argv)
    try:
        config = TopTaggingConfig(
            pt_range=tuple(args.pt_range), pthat_range=tuple(args.pthat_range), eta_max=args.eta_max,
            radius=args.radius, match_radius=args.radius, max_constituents=args.max_constituents,
            events_per_chunk=args.events_per_chunk, mpi=not args.no_mpi,
        )
        path = generate_top_tagging(args.output, args.n_jets, seed=args.seed, workers=args.workers,
                                    processes=args.processes, config=config)
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
