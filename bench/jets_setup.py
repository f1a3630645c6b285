"""The runs that chose the jets encoder and SimCLR set-up of the ablation's --quick preset.

    python -m bench.jets_setup --runs as-is:random as-is:rotations log-mean:random log-mean:rotations
    python -m bench.jets_setup --runs log-mean:supervised --jobs 2

Each run is ``CONFIG:ROW`` with ROW an augmentation set of the jets task, ``random`` (the
random-init encoder) or ``supervised`` (encoder + linear head trained with labels on the
pre-training split through the "rotations" view: the ceiling of the same encoder). Every run
uses the jets --quick data set (generated and cached like the ablation's) and split, and the
budget :data:`BASE` unless the CONFIG overrides it, and prints one line: linear-probe test AUC, wall and CPU
seconds. ``--csv`` appends the lines to a file.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch

from bench.setup_runs import parse_setup_arguments
from training.encoders import JetTransformer
from training.linear_eval import extract_features, train_test_split
from training.studies.protocol import pretrain, probe
from training.studies.supervised import train_classifier
from training.studies.tasks import Budget, JetTask, default_strengths

# The budget the runs start from: the jets --quick data set and schedule as they were before these
# runs (temperature 0.1, lr 1e-3); a CONFIG's overrides change it.
BASE = Budget(events_per_class=2000, epochs=16, batch_size=256, seeds=(0,), width=32, temperature=0.1, lr=1e-3)

# name -> (JetTransformer options, Budget overrides)
CONFIGS: dict[str, tuple[dict, dict]] = {
    "as-is": ({}, {}),
    "log": ({"log_pt": True, "coord_scale": 0.25}, {}),
    "log-mean": ({"log_pt": True, "coord_scale": 0.25, "pooling": "mean"}, {}),
    "log-mean-lr3e-3": ({"log_pt": True, "coord_scale": 0.25, "pooling": "mean"}, {"lr": 3e-3}),
    "log-mean-T0.2": ({"log_pt": True, "coord_scale": 0.25, "pooling": "mean"}, {"temperature": 0.2}),
    "log-mean-T0.5": ({"log_pt": True, "coord_scale": 0.25, "pooling": "mean"}, {"temperature": 0.5}),
    "log-mean-T0.5-lr3e-3": ({"log_pt": True, "coord_scale": 0.25, "pooling": "mean"},
                             {"temperature": 0.5, "lr": 3e-3}),
    "log-mean-bs128": ({"log_pt": True, "coord_scale": 0.25, "pooling": "mean"}, {"batch_size": 128}),
    "log-mean-ep8": ({"log_pt": True, "coord_scale": 0.25, "pooling": "mean"}, {"epochs": 8}),
}


class _Task(JetTask):
    """The jets task with the encoder options of a CONFIG."""

    def __init__(self, args, budget, options: dict) -> None:
        super().__init__(args, budget)
        self.options = options

    def encoder(self) -> torch.nn.Module:
        w = self.budget.width
        return JetTransformer(embed_dim=w, num_heads=4, num_layers=2, ff_dim=2 * w, **self.options)


def run(spec: str, seed: int, data_dir: str, workdir: str) -> dict:
    torch.set_num_threads(1)
    config, row = spec.split(":")
    options, overrides = CONFIGS[config]
    budget = dataclasses.replace(BASE, **overrides)
    task = _Task(default_strengths(), budget, options)
    events = task.load(Path(data_dir), seed=0, workers=1)
    train, test = (i.sort().values for i in train_test_split(events.num_events, budget.test_fraction, seed=0))
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
    torch.manual_seed(seed)
    if row == "random":
        encoder = task.encoder()
    elif row == "supervised":
        net = train_classifier(task.encoder(), 2, events.index_select_events(train),
                               task.augmentation_sets()["rotations"], budget.epochs, budget.batch_size, budget.lr,
                               seed)
        encoder = net.encoder
    else:
        encoder = pretrain(task, task.augmentation_sets()[row], events.index_select_events(train), budget, seed,
                           Path(workdir) / f"{config}-{row}-{seed}".replace(" ", "_"))
    auc = probe(extract_features(encoder, events, 256), events, train, test, 2, ("auc",))["auc"]
    return {"config": config, "row": row, "seed": seed, "auc": round(auc, 4),
            "wall_s": round(time.perf_counter() - wall, 1),
            "cpu_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu, 1)}


def main() -> None:
    args = parse_setup_arguments(__doc__, CONFIGS, "runs/jets_setup")
    jobs = [(spec, seed) for spec in args.runs for seed in args.seeds]
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run, spec, seed, args.data_dir, args.workdir) for spec, seed in jobs]
        for f in futures:
            result = f.result()
            print(" | ".join(f"{k} {v}" for k, v in result.items()), flush=True)
            if args.csv:
                Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
                new = not os.path.exists(args.csv)
                with open(args.csv, "a", newline="") as fh:
                    writer = csv.DictWriter(fh, fieldnames=list(result))
                    if new:
                        writer.writeheader()
                    writer.writerow(result)


if __name__ == "__main__":
    main()
