"""The two studies' tasks: data, encoder, evaluation view, raw-input baseline and augmentation sets.

* ``jets``: top vs QCD jets generated with Pythia 8 + FastJet (:mod:`training.datasets.top_tagging`),
  JetCLR-style transformer (:class:`training.encoders.JetTransformer`), binary linear probe.
* ``lartpc``: single e, gamma, mu, pi, p events from the toy gun (:mod:`systematics.gun`), seen
  through the detector response, sparse CNN (:class:`training.encoders.SparseResNet`), 5-class probe.

Generated data are cached under ``data_dir`` by their settings, so a second run reuses them.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import Tensor, nn

from augment import (Compose, Cutout, EnergyScale, Events, CollinearSplit, LocalSmear, Rotate, SoftSmear,
                     Transform, Translate, VoxelDrop)
from augment.functional import event_mean
from systematics import (ChargeCollection, DetectorParams, DetectorResponse, DetectorThrow, DriftGeometry, Readout,
                         ReadoutConfig)
from systematics.particles import PARTICLE_CLASSES

__all__ = ["Budget", "PRESETS", "JetTask", "LArTask", "TASKS", "add_strength_arguments", "default_strengths",
           "LARTPC_GEOMETRY", "EVALUATION_SEED"]

# The toy gun fills a cube of 230.4 cm (PILArNet's 768 voxels of 3 mm, arXiv 2006.01993). The throw ranges
# are larnd-sim's, for ND-LAr's modules of two TPCs around a central cathode (50.4 cm drift, t_max 0.32 ms), so
# we read the cube out along x as two such modules: 4 TPCs of 57.6 cm, anodes at x = 0, 115.2 (back to back)
# and 230.4 cm, cathodes at 57.6 and 172.8 cm (t_max = 57.6 cm / 0.16 cm/us = 0.36 ms against tau = 0.5-5 ms;
# docs/physics.md section 1.10). Results measured before this used one 230.4 cm drift (t_max 1.44 ms).
LARTPC_GEOMETRY = DriftGeometry(drift_axis=0, anode=0.0, max_drift=57.6, num_tpcs=4,
                                transverse=((0.0, 230.4), (0.0, 230.4)))

# (eta, phi) of centred jets are divided by this before the jet encoder: the spread (std over all
# constituents of the 50 hardest) of the --quick data set is 0.243 in eta and 0.237 in phi (rad).
JET_COORD_SCALE = 0.25

# Seed of the diffusion and noise draws of the evaluation (test) responses.
EVALUATION_SEED = 12345


@dataclass(frozen=True)
class Budget:
    """What one study row costs: events generated per class, SimCLR epochs and batch, seeds, model width."""

    events_per_class: int
    epochs: int
    batch_size: int
    seeds: tuple[int, ...]
    width: int
    test_fraction: float = 0.3
    lr: float = 1e-3
    temperature: float = 0.1


PRESETS = {
    # --quick: each task within 15 minutes on 2 CPU cores (README: the runs that chose it, measured times).
    # Jets: 12 epochs (16 took 918-1163 s of the 900 s, 14 took 1021 s in ./dev run; bench/jets_setup.py chose
    # the rest, README).
    ("jets", "quick"): Budget(events_per_class=2000, epochs=12, batch_size=256, seeds=(0, 1, 2), width=32,
                              temperature=0.5),
    # LArTPC: 1 cm encoder pitch and 6 epochs, chosen by bench/lartpc_setup.py (README).
    ("lartpc", "quick"): Budget(events_per_class=800, epochs=6, batch_size=64, seeds=(0, 1, 2), width=16),
    # --medium: both tasks within 60 minutes on 2 CPU cores (twice --quick's 30): twice the events, the same
    # schedule, so the intervals tighten and each verdict can be checked against --quick's (README: the run).
    ("jets", "medium"): Budget(events_per_class=4000, epochs=14, batch_size=256, seeds=(0, 1, 2), width=32,
                               temperature=0.5),
    ("lartpc", "medium"): Budget(events_per_class=1600, epochs=6, batch_size=64, seeds=(0, 1, 2), width=16),
    # --full: a larger machine (GPU): the JetCLR-sized set and a longer schedule. Defined, never run.
    ("jets", "full"): Budget(events_per_class=100_000, epochs=100, batch_size=1024, seeds=(0, 1, 2), width=128,
                             temperature=0.5),
    ("lartpc", "full"): Budget(events_per_class=20_000, epochs=50, batch_size=256, seeds=(0, 1, 2), width=32),
}


def add_strength_arguments(parser: argparse.ArgumentParser) -> None:
    """Augmentation strengths: script arguments, recorded in the table header."""
    jets = parser.add_argument_group("jet augmentation strengths")
    jets.add_argument("--jet-shift", type=float, default=0.5, help="Translate half-width in eta and phi (default 0.5)")
    jets.add_argument("--soft-scale", type=float, default=0.1, help="SoftSmear Lambda_soft in GeV (JetCLR: 0.1)")
    jets.add_argument("--split-fraction", type=float, default=0.5, help="CollinearSplit fraction of constituents")
    lar = parser.add_argument_group("LArTPC augmentation strengths")
    lar.add_argument("--shift-cm", type=float, default=20.0, help="Translate half-width in cm")
    lar.add_argument("--energy-scale", type=float, default=0.1, help="EnergyScale uniform in 1 -+ this")
    lar.add_argument("--drop", type=float, default=0.2, help="VoxelDrop probability")
    lar.add_argument("--cutout-cm", type=float, nargs=2, default=(3.0, 10.0), help="Cutout sphere radius range, cm")
    lar.add_argument("--smear", type=float, default=0.05, help="LocalSmear relative sigma per voxel")
    lar.add_argument("--pitch-cm", type=float, default=1.0,
                     help="encoder voxel pitch in cm (default 1: bench/lartpc_setup.py, README)")


def settings_tag(*settings: object) -> str:
    """8 hex digits naming generator settings, so cached data are regenerated when they change."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:8]


def default_strengths() -> argparse.Namespace:
    """The augmentation strengths at their defaults (as the scripts' argument parsers give them)."""
    parser = argparse.ArgumentParser()
    add_strength_arguments(parser)
    return parser.parse_args([])


class JetTask:
    """Top tagging: jets of ``load_jets`` (centred, 50 hardest constituents), binary probe."""

    name = "jets"
    metrics = ("auc", "rejection_at_0.5", "accuracy")
    num_classes = 2
    n_constituents = 50

    def __init__(self, args: argparse.Namespace, budget: Budget) -> None:
        self.args, self.budget = args, budget

    def load(self, data_dir: Path, seed: int, workers: int) -> Events:
        from training.datasets.top_tagging import TopTaggingConfig, generate_top_tagging, load_jets

        tag = settings_tag(dataclasses.asdict(TopTaggingConfig()))
        path = Path(data_dir) / f"top_tagging_{self.budget.events_per_class}_seed{seed}_{tag}.h5"
        if not path.exists():
            generate_top_tagging(path, self.budget.events_per_class, seed=seed, workers=workers)
        return load_jets(path, n_constituents=self.n_constituents)

    def evaluation_view(self, events: Events) -> Events:
        return events

    def encoder(self) -> nn.Module:
        from training.encoders import JetTransformer

        w = self.budget.width
        # log(pT fraction) input, (eta, phi) at unit spread, mean pooling: chosen by bench/jets_setup.py (README).
        return JetTransformer(embed_dim=w, num_heads=4, num_layers=2, ff_dim=2 * w, log_pt=True,
                              coord_scale=JET_COORD_SCALE, pooling="mean")

    def raw_features(self, events: Events) -> Tensor:
        """Flattened padded (pT fraction, eta, phi) of the hardest constituents (zeros where absent)."""
        coords, feats, mask = events.padded(self.n_constituents)
        pt = feats[..., 0] * mask
        frac = pt / pt.sum(1, keepdim=True).clamp_min(1e-12)
        return torch.cat([frac[..., None], coords * mask[..., None]], -1).flatten(1)

    def augmentation_sets(self) -> dict[str, Transform]:
        a = self.args
        translate, rotate = Translate(a.jet_shift), Rotate(centre="origin")  # jets are centred on their axis
        soft_collinear = [SoftSmear(a.soft_scale), CollinearSplit(a.split_fraction)]
        return {
            "none": Compose([]),
            "translations": Compose([translate]),
            "rotations": Compose([rotate]),
            "soft + collinear": Compose(soft_collinear),
            "all": Compose([rotate, translate, *soft_collinear]),
        }

    def invariance_views(self) -> dict[str, tuple[Transform, None]]:
        """name -> (transform, reference) for :func:`training.invariance.invariance_score` on the
        loaded jets: rotation about the jet axis, soft smearing + collinear splitting."""
        a = self.args
        return {"rotation": (Rotate(centre="origin"), None),
                "soft + collinear": (Compose([SoftSmear(a.soft_scale), CollinearSplit(a.split_fraction)]), None)}


class LArTask:
    """Single-particle classification (e, gamma, mu, pi, p): gun deposits seen through the
    response; views are detector throws and/or card transforms on the charge voxels."""

    name = "lartpc"
    metrics = ("accuracy",)
    num_classes = 5
    class_names = PARTICLE_CLASSES
    raw_points = 64

    def __init__(self, args: argparse.Namespace, budget: Budget) -> None:
        self.args, self.budget = args, budget
        self.readout = ReadoutConfig()
        self.nominal = DetectorResponse(geometry=LARTPC_GEOMETRY, readout=self.readout)
        # The nominal response as its two stages: the deterministic charge collection is applied
        # once per training run (training.studies.protocol.precompute), the readout every step.
        self.collection = ChargeCollection(geometry=LARTPC_GEOMETRY, readout=self.readout)
        self.readout_stage = Readout(geometry=LARTPC_GEOMETRY, readout=self.readout)

    def load(self, data_dir: Path, seed: int, workers: int) -> Events:
        from augment.h5 import read_events
        from systematics.gun import DEFAULT_ENERGY_RANGES_MEV, GunConfig, generate_file

        tag = settings_tag(GunConfig().as_dict(), DEFAULT_ENERGY_RANGES_MEV)
        path = Path(data_dir) / f"lartpc_{self.budget.events_per_class}_seed{seed}_{tag}.h5"
        if not path.exists():
            generate_file(path, self.budget.events_per_class, seed, workers=workers)
        return read_events(path)

    def evaluation_view(self, events: Events, **changes: float) -> Events:
        """The nominal detector, or with ``changes`` (DetectorParams fields, e.g. ``lifetime=500.0`` us)
        applied to it, always with the same noise draws (seeded by EVALUATION_SEED; diffusion is
        deterministic)."""
        response = self.nominal if not changes else DetectorResponse(
            params=DetectorParams.nominal().replace(**changes), geometry=LARTPC_GEOMETRY, readout=self.readout)
        return response(events, torch.Generator().manual_seed(EVALUATION_SEED))

    def thrown(self, p: float = 1.0) -> Compose:
        """Every throwable detector parameter drawn per event with probability ``p`` (the others
        nominal), the lifetime log-uniformly (its effect exp(-t / tau) depends on log tau; a uniform
        draw on [500, 5000] us puts only 1 in 9 views below 1000 us), space charge included
        (``LARTPC_GEOMETRY`` has the field cage's extent), then the response once."""
        return Compose([DetectorThrow(log_uniform=("lifetime",), p=p, space_charge=True), self.nominal])

    def nominal_view(self) -> Compose:
        """The nominal response (fresh noise each step) as its two stages, the "none" row's view;
        the same, bit for bit, as ``Compose([self.nominal])``."""
        return Compose([self.collection, self.readout_stage])

    def ceiling_view(self) -> Transform:
        """The view the supervised ceiling trains on: the nominal response (fresh noise each step),
        the "none" row's view (tasks that redefine the sets, e.g. on user data, redefine it too)."""
        return self.augmentation_sets()["none"]

    def encoder(self) -> nn.Module:
        from training.encoders import SparseResNet

        w = self.budget.width
        # Charge in electrons: a MIP leaves ~2.4e4 e- per 0.38 cm voxel at nominal.
        return SparseResNet(channels=(w, 2 * w, 4 * w), blocks=(1, 1, 0), pitch=self.args.pitch_cm,
                            feature_scale=1e4)

    def raw_features(self, events: Events) -> Tensor:
        """Flattened (x, y, z relative to the charge-weighted centroid in cm, log charge) of each
        event's ``raw_points`` highest-charge voxels (zeros where absent)."""
        from augment.functional import keep_hardest

        centre = event_mean(events.coords, events.batch, events.num_events, events.feats[:, 0])
        rel = events.replace(coords=events.coords - centre[events.batch], feats=torch.log1p(events.feats / 1e4))
        coords, feats, batch = keep_hardest(rel.coords, rel.feats, rel.batch, rel.num_events, self.raw_points)
        hardest = rel.replace(coords=coords, feats=feats, batch=batch)
        coords, feats, mask = hardest.padded(self.raw_points)
        return torch.cat([coords, feats], -1).mul(mask[..., None]).flatten(1)

    def card_transforms(self) -> dict[str, Transform]:
        a = self.args
        return {
            "rotation": Rotate(),
            "translation": Translate(a.shift_cm),
            "energy scale": EnergyScale((1 - a.energy_scale, 1 + a.energy_scale)),
            "voxel drop": VoxelDrop(a.drop),
            "cutout": Cutout(tuple(a.cutout_cm), shape="sphere"),
            "local smear": LocalSmear((1.0, a.smear)),
        }

    def augmentation_sets(self) -> dict[str, Transform]:
        cards = self.card_transforms()
        sets = {"none": self.nominal_view()}
        sets.update({name: Compose([self.collection, self.readout_stage, t]) for name, t in cards.items()})
        sets["detector throws"] = self.thrown()
        sets["all"] = Compose([self.thrown(), *cards.values()])
        return sets

    def invariance_views(self) -> dict[str, tuple[View, View | None]]:
        """name -> (transform, reference) for :func:`training.invariance.invariance_score` on the
        loaded deposits: x is :meth:`evaluation_view` (nominal response, EVALUATION_SEED draws);
        "rotation" rotates that same x, "detector throws" simulates the deposits with thrown
        parameters (:meth:`thrown`, fresh noise draws)."""
        nominal = _EvaluationView(self)
        return {"rotation": (_Then(nominal, Rotate()), nominal),
                "detector throws": (self.thrown(), nominal)}


View = Callable[..., Events]  # (events, generator) -> events


@dataclass(frozen=True)
class _EvaluationView:
    """``task.evaluation_view`` as a view (the generator is not used: its draws are fixed)."""

    task: LArTask

    def __call__(self, events: Events, generator: torch.Generator | None = None) -> Events:
        return self.task.evaluation_view(events)


@dataclass(frozen=True)
class _Then:
    """``second(first(events, generator), generator)``."""

    first: View
    second: View

    def __call__(self, events: Events, generator: torch.Generator | None = None) -> Events:
        return self.second(self.first(events, generator), generator)


TASKS = {"jets": JetTask, "lartpc": LArTask}

