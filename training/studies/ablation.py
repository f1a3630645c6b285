"""Which invariances help? One SimCLR model per augmentation set, same seeds and budget,
judged by the linear classifier test on frozen features.

    python -m training.studies.ablation --task jets --quick
    python -m training.studies.ablation --task lartpc --quick
    python -m training.studies.ablation --task both --full      # a larger machine
    python -m training.studies.ablation --data train.h5 --quick  # your files (see training.studies.user_data)

Besides one row per augmentation set the table carries two baselines: the linear classifier
on the raw (flattened, padded) inputs and the same encoder with random, untrained weights.
Every row is run with each seed of the budget and shows mean ± sample std; the header states
the budget (events, epochs, batch, model size, wall time) and the augmentation strengths.
Writes ``runs.csv`` (one line per run), ``table.md`` and ``<metric>.png`` under ``--out/<task>``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from training.linear_eval import extract_features, train_test_split
from training.studies.protocol import pretrain, probe
from training.studies.report import bar_plot, markdown_table, summarise, write_csv
from training.studies.tasks import PRESETS, TASKS, add_strength_arguments
from training.studies.user_data import USER_TASKS, add_data_arguments, task_for_data

__all__ = ["run_task", "main"]

RAW, RANDOM = "raw inputs (linear)", "random-init encoder"


def run_task(name: str, preset: str, args: argparse.Namespace) -> list[dict]:
    budget = PRESETS[(name, preset)]
    task = (USER_TASKS if getattr(args, "data", None) else TASKS)[name](args, budget)
    out = Path(args.out) / name
    start = time.perf_counter()
    events = task.load(Path(args.data_dir), seed=args.data_seed, workers=args.workers)
    generated = time.perf_counter() - start
    train, test = (i.sort().values for i in train_test_split(events.num_events, budget.test_fraction, seed=0))
    evaluation = task.evaluation_view(events)
    sets = task.augmentation_sets()
    runs: list[dict] = []

    def record(row: str, seed: int, metrics: dict, seconds: float) -> None:
        runs.append({"row": row, "seed": seed, **{m: metrics[m] for m in task.metrics}, "seconds": round(seconds, 1)})

    t0 = time.perf_counter()
    record(RAW, 0, probe(task.raw_features(evaluation), evaluation, train, test, task.num_classes),
           time.perf_counter() - t0)
    pretrain_events = events.index_select_events(train)
    jobs = [(seed, row) for seed in budget.seeds for row in [RANDOM, *sets]]
    for seed, row in tqdm(jobs, desc=f"ablation {name}", disable=not args.progress):
        t0 = time.perf_counter()
        if row == RANDOM:
            torch.manual_seed(seed)
            encoder = task.encoder()
        else:
            encoder = pretrain(task, sets[row], pretrain_events, budget, seed, out / "checkpoints" / f"{row}-{seed}")
        features = extract_features(encoder, evaluation, batch_size=256)
        record(row, seed, probe(features, evaluation, train, test, task.num_classes), time.perf_counter() - t0)

    summary = summarise(runs, "row", task.metrics)
    n_params = sum(p.numel() for p in task.encoder().parameters())
    data = (f"from {', '.join(p.name for p in args.data)}" if getattr(args, "data", None)
            else f"{budget.events_per_class} per class")
    header = (f"### {name} ablation ({preset}): {events.num_events} events ({data}, "
              f"{len(train)} pre-train/probe-train, {len(test)} probe-test), {budget.epochs} epochs, batch "
              f"{budget.batch_size}, encoder {type(task.encoder()).__name__} with {n_params:,} parameters, seeds "
              f"{list(budget.seeds)}; data {generated:.0f} s, total {time.perf_counter() - start:.0f} s on "
              f"{torch.get_num_threads()} threads.\nStrengths: " + strengths(name, args))
    table = header + "\n\n" + markdown_table(summary, "row", task.metrics)
    print(table, flush=True)
    write_csv(out / "runs.csv", runs)
    (out / "table.md").write_text(table + "\n")
    bar_plot(out / f"{task.metrics[0]}.png", summary, "row", task.metrics[0], f"{name}: linear classifier test")
    return runs


def strengths(name: str, args: argparse.Namespace) -> str:
    keys = (("jet_shift", "soft_scale", "split_fraction") if name == "jets" else
            ("shift_cm", "energy_scale", "drop", "cutout_cm", "smear", "pitch_cm"))
    return ", ".join(f"{k} = {getattr(args, k)}" for k in keys)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.studies.ablation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("jets", "lartpc", "both"), default="both")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="preset", action="store_const", const="quick", help="2 CPU cores (default)")
    size.add_argument("--full", dest="preset", action="store_const", const="full", help="a larger machine")
    parser.add_argument("--out", default="runs/ablation", help="output folder (CSV, table, plot)")
    parser.add_argument("--data-dir", default="data", help="where generated data are cached")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the generated data set")
    parser.add_argument("--workers", type=int, default=2, help="processes for data generation")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (1 is fastest for these small models on a shared 2-core machine)")
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    add_strength_arguments(parser)
    add_data_arguments(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = ("jets", "lartpc") if args.task == "both" else (args.task,)
    if args.data:  # the files decide the task
        names = (task_for_data(args),)
    for name in names:
        run_task(name, args.preset or "quick", args)


if __name__ == "__main__":
    main()
