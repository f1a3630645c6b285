"""The runs that chose the LArTPC --quick preset (encoder pitch and width, epochs, events).

    python -m bench.lartpc_setup --runs pitch2:all pitch2:ceiling pitch1:all pitch1:ceiling --jobs 2

Each run is ``CONFIG:ROW`` with ROW an augmentation set of the LArTPC task ("all", "none", ...),
``random`` (the random-init encoder) or ``ceiling`` (the same encoder + linear head trained with
labels through the nominal response: the supervised ceiling). A CONFIG overrides the --quick
budget and the encoder pitch (:data:`CONFIGS`). Every run uses the task's data set for its number
of events per class (generated and cached like the ablation's), the ablation's split and
evaluation view, and prints one line: test accuracy (the linear probe's, or the ceiling's own
head), wall and CPU seconds of the run. ``--csv`` writes the lines to a file.
"""

from __future__ import annotations

import dataclasses
import resource
import time
from pathlib import Path

import torch

from bench.setup_runs import parse_setup_arguments
from training.linear_eval import extract_features, train_test_split
from training.studies.ceiling import supervised_ceiling
from training.studies.parallel import map_jobs
from training.studies.protocol import pretrain, probe
from training.studies.report import write_csv
from training.studies.tasks import PRESETS, LArTask, default_strengths

# name -> (encoder pitch in cm, Budget overrides of the LArTPC --quick preset (800 events per class,
# batch 64, width 16; its epochs were 8 when these runs were made, now 6: "pitch1-ep6")
CONFIGS: dict[str, tuple[float, dict]] = {
    "pitch2": (2.0, {"epochs": 8}),
    "pitch1": (1.0, {"epochs": 8}),
    "pitch1-ep6": (1.0, {"epochs": 6}),
    "pitch1-ep12": (1.0, {"epochs": 12}),
}


def run(shared: dict, job: tuple[str, int]) -> dict:
    spec, seed = job
    config, row = spec.split(":")
    pitch, overrides = CONFIGS[config]
    budget = dataclasses.replace(PRESETS[("lartpc", "quick")], **overrides)
    args = default_strengths()
    args.pitch_cm = pitch
    task = LArTask(args, budget)
    events = task.load(Path(shared["data_dir"]), seed=0, workers=1)
    train, test = (i.sort().values for i in train_test_split(events.num_events, budget.test_fraction, seed=0))
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
    evaluation = task.evaluation_view(events)
    workdir = Path(shared["workdir"]) / f"{config}-{row}-{seed}".replace(" ", "_")
    if row == "ceiling":
        accuracy = supervised_ceiling(task, task.ceiling_view(), events.index_select_events(train), evaluation, test,
                                      budget, seed, workdir)[1]["accuracy"]
    else:
        torch.manual_seed(seed)
        encoder = task.encoder() if row == "random" else pretrain(
            task, task.augmentation_sets()[row], events.index_select_events(train), budget, seed, workdir)
        features = extract_features(encoder, evaluation, 256)
        accuracy = probe(features, evaluation, train, test, task.num_classes)["accuracy"]
    return {"config": config, "row": row, "seed": seed, "accuracy": round(accuracy, 4),
            "wall_s": round(time.perf_counter() - wall, 1),
            "cpu_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu, 1)}


def main() -> None:
    args = parse_setup_arguments(__doc__, CONFIGS, "runs/lartpc_setup")
    jobs = [(spec, seed) for spec in args.runs for seed in args.seeds]
    results = map_jobs(run, {"data_dir": args.data_dir, "workdir": args.workdir}, jobs, args.jobs)
    for result in results:
        print(" | ".join(f"{k} {v}" for k, v in result.items()), flush=True)
    if args.csv:
        write_csv(args.csv, results)


if __name__ == "__main__":
    main()
