"""Share of a SimCLR training step spent making the two augmented views.

Run from the repository root:

    python -m bench.training_step [--device cuda] [--steps 20]
        [--encoder tests.training.toy:SumPoolEncoder] [--pipeline bench.training_step:default_pipeline]

Two batches: jet-like (256 jets x ~50 constituents, (eta, phi), pT in GeV) and
LArTPC-like (32 events x ~2000 deposits, (x, y, z) in cm, (dE, dx) in MeV and cm).
``--encoder module:factory`` is called as ``factory(in_dim)`` with in_dim = D + C and
must return an encoder with ``out_features``; ``--pipeline module:factory`` as
``factory(D)`` returning an augment Transform. The views are timed alone and the whole
optimiser step (views + forward + backward + AdamW) in the same run; target: views < 5%.
"""

from __future__ import annotations

import argparse
import importlib
import time

import torch

from augment import Compose, Events, Transform, Translate
from training.simclr import SimCLR, SimCLRTrainer


def default_pipeline(dims: int) -> Transform:
    """Three transforms from what exists on main (Translate only for now): a large
    shift, a small one applied half the time, a tiny jitter of the whole event."""
    return Compose([Translate(1.0), Translate(0.1, p=0.5), Translate(0.01)])


def _load(spec: str):
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


def jet_batch(num: int = 256, mean_points: int = 50, seed: int = 0) -> Events:
    """Jets of Poisson(mean_points) constituents, (eta, phi) ~ N(0, 0.3), pT ~ Exp(10 GeV)."""
    g = torch.Generator().manual_seed(seed)
    counts = torch.poisson(torch.full((num,), float(mean_points)), generator=g).long().clamp_min(1)
    n = int(counts.sum())
    batch = torch.repeat_interleave(torch.arange(num), counts)
    return Events(0.3 * torch.randn(n, 2, generator=g), torch.empty(n, 1).exponential_(0.1, generator=g),
                  batch, num, feature_names=("pT",))


def lartpc_batch(num: int = 32, mean_points: int = 2000, seed: int = 0) -> Events:
    """Events of Poisson(mean_points) deposits in a 100 cm box, dE ~ U(0, 2) MeV, dx ~ U(0, 0.5) cm."""
    g = torch.Generator().manual_seed(seed)
    counts = torch.poisson(torch.full((num,), float(mean_points)), generator=g).long().clamp_min(1)
    n = int(counts.sum())
    batch = torch.repeat_interleave(torch.arange(num), counts)
    feats = torch.rand(n, 2, generator=g) * torch.tensor([2.0, 0.5])
    return Events(100 * torch.rand(n, 3, generator=g), feats, batch, num, feature_names=("dE", "dx"))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(name: str, events: Events, encoder_factory, pipeline_factory, device: torch.device, steps: int) -> None:
    dims, channels = events.coords.shape[1], events.feats.shape[1]
    torch.manual_seed(0)
    model = SimCLR(encoder_factory(dims + channels), projection_dim=32)
    trainer = SimCLRTrainer(model, pipeline_factory(dims), lr=1e-3, epochs=1, batch_size=events.num_events,
                            device=device, progress=False)
    trainer.prepare(steps_per_epoch=2 * steps + 2)
    events = events.to(device)
    for step in range(2):  # warm-up
        trainer.train_step(events, 0, step)
    _sync(device)
    t0 = time.perf_counter()
    for step in range(steps):
        trainer.make_views(events, 0, step)
    _sync(device)
    t1 = time.perf_counter()
    for step in range(steps):
        trainer.train_step(events, 0, step + 2)
    _sync(device)
    t2 = time.perf_counter()
    views, total = (t1 - t0) / steps, (t2 - t1) / steps
    print(f"{name:7s} B={events.num_events:4d} N={events.num_points:7d}  step {1e3 * total:8.2f} ms  "
          f"views {1e3 * views:7.2f} ms  augmentation share {100 * views / total:5.1f} %  (target < 5 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--encoder", default="tests.training.toy:SumPoolEncoder")
    parser.add_argument("--pipeline", default="bench.training_step:default_pipeline")
    args = parser.parse_args()
    device = torch.device(args.device)
    encoder, pipeline = _load(args.encoder), _load(args.pipeline)
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, encoder {args.encoder}")
    measure("jets", jet_batch(), encoder, pipeline, device, args.steps)
    measure("lartpc", lartpc_batch(), encoder, pipeline, device, args.steps)


if __name__ == "__main__":
    main()
