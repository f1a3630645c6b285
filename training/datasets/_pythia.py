"""One chunk of top-tagging generation: Pythia 8 events -> leading anti-kT jets -> selected jets.

A chunk is ``events_per_chunk`` events from a fresh Pythia seeded with its own seed, so chunks
are independent and any worker can make any chunk: the output depends on (seed, process,
chunk index) only, never on how many workers run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from training.datasets.top_tagging import TopTaggingConfig

__all__ = ["PROCESSES", "pythia_settings", "chunk_seed", "generate_chunk", "Chunk"]

PROCESSES = ("qcd", "top")  # label = position: 0 QCD, 1 top
# Pythia's Random:seed accepts 1..900000000 (0 would mean "seed from the clock").
_MAX_PYTHIA_SEED = 900_000_000
# Events per nextBatch call: bounds memory (~2500 particles per event); no effect on the output.
_BATCH_EVENTS = 100

# Process switches (Pythia 8 manual, "QCD Processes", "Top Processes", "Particle Data Scheme").
_PROCESS_SETTINGS = {
    "qcd": ("HardQCD:all = on",),
    # pp -> t tbar; W -> hadrons only (onIfAny: a decay product among d, u, s, c, b).
    "top": ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "24:onMode = off", "24:onIfAny = 1 2 3 4 5"),
}


def check_process(process: str) -> None:
    if process not in PROCESSES:
        raise ValueError(f"process: expected one of {PROCESSES}, got {process!r}")


def pythia_settings(process: str, seed: int, config: "TopTaggingConfig") -> list[str]:
    """The complete list of Pythia ``readString`` settings for one chunk (energies in GeV)."""
    check_process(process)
    lo, hi = config.pthat_range
    return [
        f"Beams:eCM = {config.ecm:g}",
        *_PROCESS_SETTINGS[process],
        f"PhaseSpace:pTHatMin = {lo:g}",
        f"PhaseSpace:pTHatMax = {hi:g}",
        f"PartonLevel:MPI = {'on' if config.mpi else 'off'}",
        "HadronLevel:all = on",
        "Print:quiet = on",
        "Next:numberCount = 0",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
    ]


def chunk_seed(seed: int, process: str, chunk: int) -> int:
    """Pythia seed of chunk ``chunk`` of ``process``: an independent stream from
    ``numpy.random.SeedSequence(seed, spawn_key=(label, chunk))``."""
    check_process(process)
    state = np.random.SeedSequence(seed, spawn_key=(PROCESSES.index(process), chunk)).generate_state(1)
    return int(state[0]) % _MAX_PYTHIA_SEED + 1


class Chunk(NamedTuple):
    """Selected jets of one chunk. ``counts`` (J,) constituents per jet; ``constituents``
    (M, 3) = (pT GeV, eta, phi rad) sorted by pT descending within each jet; ``jet_pt``,
    ``jet_eta`` (J,) of the jets; ``pthat`` (J,) the event's hard-process pT (GeV);
    ``n_events`` the events ``nextBatch`` returned (its default ``errorMode='skip'``)."""

    counts: np.ndarray
    constituents: np.ndarray
    jet_pt: np.ndarray
    jet_eta: np.ndarray
    pthat: np.ndarray
    n_events: int


def generate_chunk(process: str, seed: int, config: "TopTaggingConfig") -> Chunk:
    """Generate ``config.events_per_chunk`` events of ``process`` with Pythia seed ``seed``
    and keep each event's leading jet if it passes the selection (see ``TopTaggingConfig``)."""
    import pythia8mc  # imported here: optional dependency, loaded in each worker process

    from training.datasets._jet_finding import leading_jets, sorted_constituents, top_matched, visible_final_state

    pythia = pythia8mc.Pythia("", False)
    for line in pythia_settings(process, seed, config):
        if not pythia.readString(line):
            raise RuntimeError(f"Pythia rejected the setting {line!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise for process {process!r}")
    lo, hi = config.pt_range
    parts, n_events = [], 0
    for start in range(0, config.events_per_chunk, _BATCH_EVENTS):
        batch = pythia.nextBatch(min(_BATCH_EVENTS, config.events_per_chunk - start))
        n_events += len(batch)
        prt = batch.prt
        particles = visible_final_state(prt)
        pt, eta, phi, index = leading_jets(particles, config.radius, lo)
        keep = (pt >= lo) & (pt < hi) & (np.abs(eta) < config.eta_max)
        if process == "top":
            keep &= top_matched(prt, eta, phi, config.match_radius)
        counts, constituents = sorted_constituents(particles[keep], index[keep], config.max_constituents)
        pthat = np.sqrt(np.asarray(batch.info.pT2Hat, dtype=np.float64))[keep]
        parts.append((counts, constituents, pt[keep], eta[keep], pthat))
    counts, constituents, jet_pt, jet_eta, pthat = (np.concatenate(x) for x in zip(*parts))
    return Chunk(counts, constituents, jet_pt, jet_eta, pthat, n_events)
