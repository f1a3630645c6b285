"""Share of a SimCLR training step spent making the two augmented views, with the encoders and
augmentation sets of the ablation study (:mod:`training.studies.tasks`).

    python -m bench.training_step [--device cuda] [--steps 10] [--threads 1] [--cpu-time]

Jets: 256 toy jets of ~50 constituents ((eta, phi), pT in GeV), JetTransformer, the "all" set
(rotation, translation, soft smearing, collinear splitting). LArTPC: 64 toy-gun events (true
deposits), SparseResNet, the "all" set (detector throw = full response, then the six card
transforms), the "none" set (nominal response only) and "cards": the six card transforms alone
on charge that went through the response beforehand (as with a stored, simulated data set).
As in the study (:func:`training.studies.protocol.precompute`), a set's leading deterministic
stage (the nominal charge collection of "none" and the card rows) is applied once beforehand, so
"none" times the readout (channels, noise, threshold) alone. The views are timed alone and the
whole optimiser step (views + forward + backward + AdamW) in the same run; target: views < 5 %.
For LArTPC the detector response is part of the views: it is the simulation itself.
``--cpu-time`` times the process's CPU time (``time.process_time``, CPU and 1 thread only): on a
shared machine it counts the work, not the time other jobs took.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import torch

from augment import Compose, Events
from bench.workloads import gun_batch, jet_batch
from training.simclr import SimCLR, SimCLRTrainer
from training.studies.protocol import precompute
from training.studies.tasks import PRESETS, JetTask, LArTask, default_strengths


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(name: str, events: Events, task, pipeline: str, device: torch.device, steps: int,
            clock: Callable[[], float] = time.perf_counter) -> None:
    """One table row: ``pipeline`` names an augmentation set of ``task``, or "cards" for the six card
    transforms alone on events that already went through the detector response."""
    torch.manual_seed(0)
    encoder = task.encoder()
    views = Compose(list(task.card_transforms().values())) if pipeline == "cards" else task.augmentation_sets()[pipeline]
    views, events = precompute(views, events)  # as the study trains: a leading deterministic stage once per run
    trainer = SimCLRTrainer(SimCLR(encoder, projection_dim=32), views, lr=1e-3,
                            epochs=1, batch_size=events.num_events, device=device, progress=False)
    trainer.prepare(steps_per_epoch=2 * steps + 2)
    events = events.to(device)
    for step in range(2):  # warm-up
        trainer.train_step(events, 0, step)
    _sync(device)
    t0 = clock()
    for step in range(steps):
        trainer.make_views(events, 0, step)
    _sync(device)
    t1 = clock()
    for step in range(steps):
        trainer.train_step(events, 0, step + 2)
    _sync(device)
    t2 = clock()
    views, total = (t1 - t0) / steps, (t2 - t1) / steps
    print(f"| {name} | {pipeline} | {events.num_events} | {events.num_points} | {1e3 * total:.1f} | "
          f"{1e3 * views:.1f} | {100 * views / total:.1f} % |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the process's CPU time, not wall time (CPU, 1 thread: robust to other jobs' load)")
    args = parser.parse_args()
    if args.cpu_time and (args.device != "cpu" or args.threads != 1):
        parser.error("--cpu-time: needs --device cpu and --threads 1 (CPU time of several threads adds up)")
    clock = time.process_time if args.cpu_time else time.perf_counter
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    strengths = default_strengths()
    jets = JetTask(strengths, PRESETS[("jets", "quick")])
    lartpc = LArTask(strengths, PRESETS[("lartpc", "quick")])
    print(f"device {device}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"{'CPU' if args.cpu_time else 'wall'} time\n")
    print("| task | views | events | points | step (ms) | views (ms) | augmentation share |\n|---|---|---|---|---|---|---|")
    measure("jets", jet_batch(), jets, "all", device, args.steps, clock)
    deposits = gun_batch()
    measure("lartpc", deposits, lartpc, "all", device, args.steps, clock)
    measure("lartpc", deposits, lartpc, "none", device, args.steps, clock)
    measure("lartpc", lartpc.evaluation_view(deposits), lartpc, "cards", device, args.steps, clock)


if __name__ == "__main__":
    main()
