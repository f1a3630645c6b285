"""Which invariances help? One SimCLR model per augmentation set, same seeds and budget,
judged by the linear classifier test on frozen features.

    python -m training.studies.ablation --task jets --quick
    python -m training.studies.ablation --task lartpc --quick
    python -m training.studies.ablation --task both --full      # a larger machine
    python -m training.studies.ablation --data train.h5 --quick  # your files (see training.studies.user_data)

Besides one row per augmentation set the table carries two baselines: the linear classifier
on the raw (flattened, padded) inputs and the same encoder with random, untrained weights.
Every row is run with each seed of the budget and shows mean ± sample std. For the first
metric each row also gets its difference to "none" and to the random-init encoder, paired
by seed, with a 95% bootstrap interval over test events and seeds
(:mod:`training.studies.statistics`): "better" / "worse" only where the interval excludes 0.
Per key invariance (the task's :meth:`invariance_views`) a column gives each row's
:func:`training.invariance.invariance_score` (1 = invariant, 0 = no better than unrelated events).
The header states the budget (events, epochs, batch, model size, wall time) and the strengths.
Runs (seed x row) are spread over ``--jobs`` processes; the result does not depend on it.
Writes ``runs.csv`` (one line per run), ``table.md`` and ``<metric>.png`` under ``--out/<task>``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from augment import Events
from training.invariance import invariance_score
from training.linear_eval import extract_features, train_test_split
from training.studies.ceiling import confusion_markdown, supervised_ceiling
from training.studies.parallel import map_jobs
from training.studies.protocol import METRICS, pretrain, probe
from training.studies.report import ablation_plot, markdown_table, summarise, write_csv
from training.studies.statistics import Difference, paired_difference, verdict
from training.studies.tasks import EVALUATION_SEED, PRESETS, TASKS, Budget, add_strength_arguments
from training.studies.user_data import USER_TASKS, add_data_arguments, task_for_data

__all__ = ["run_task", "main"]

RAW, RANDOM, NONE, CEILING = "raw inputs (linear)", "random-init encoder", "none", "supervised (ceiling)"
INVARIANCE_EVENTS = 512  # test events on which the invariance scores are measured
CHANCE = {"auc": 0.5, "accuracy": None}  # accuracy: 1 / number of classes


@dataclass
class _Study:
    """What every run of one task needs (sent once to each worker process)."""

    task: object
    budget: Budget
    pretrain_events: Events
    evaluation: Events
    invariance_events: Events
    train: Tensor
    test: Tensor
    checkpoints: Path
    device: str


def _run(s: _Study, job: tuple[int, str]) -> dict:
    """One run: the encoder of ``row`` (pre-trained, random-init, or the supervised ceiling's) with
    ``seed``; its test logits (the probe's; the ceiling's own head) and metrics, and its invariance scores."""
    seed, row = job
    t0 = time.perf_counter()
    task = s.task
    if row == CEILING:
        encoder, result = supervised_ceiling(task, task.ceiling_view(), s.pretrain_events, s.evaluation, s.test,
                                             s.budget, seed, s.checkpoints / f"{row}-{seed}", device=s.device)
    else:
        if row == RANDOM:
            torch.manual_seed(seed)
            encoder = task.encoder().to(s.device)
        else:
            encoder = pretrain(task, task.augmentation_sets()[row], s.pretrain_events, s.budget, seed,
                               s.checkpoints / f"{row}-{seed}", device=s.device)
        features = extract_features(encoder, s.evaluation, batch_size=256)
        result = probe(features, s.evaluation, s.train, s.test, task.num_classes, task.metrics)
    for name, (transform, reference) in task.invariance_views().items():
        g = torch.Generator().manual_seed(EVALUATION_SEED)
        result[f"inv. {name}"] = invariance_score(encoder, s.invariance_events, transform, g, reference=reference)
    return {"row": row, "seed": seed, **result, "seconds": round(time.perf_counter() - t0, 1)}


def compare(runs: list[dict], rows: list[str], reference: str, metric: str, labels: Tensor, seeds: tuple[int, ...],
            n_boot: int) -> dict[str, Difference]:
    """Per row (other than ``reference``): the paired difference of ``metric`` to ``reference``. A row
    run once (the raw-input probe, which has no seed) is paired with every seed of the reference."""
    def logits(row: str) -> Tensor:
        by_seed = {r["seed"]: r["logits"] for r in runs if r["row"] == row}
        return torch.stack([by_seed[s] if s in by_seed else next(iter(by_seed.values())) for s in seeds])

    ref = logits(reference)
    return {row: paired_difference(METRICS[metric], logits(row), ref, labels, n_boot=n_boot)
            for row in rows if row != reference}


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
    t0 = time.perf_counter()
    raw = probe(task.raw_features(evaluation), evaluation, train, test, task.num_classes, task.metrics)
    no_encoder = {f"inv. {k}": float("nan") for k in task.invariance_views()}  # the raw inputs have none
    runs = [{"row": RAW, "seed": 0, **raw, **no_encoder, "seconds": round(time.perf_counter() - t0, 1)}]
    study = _Study(task, budget, events.index_select_events(train), evaluation,
                   events.index_select_events(test[:INVARIANCE_EVENTS]), train, test, out / "checkpoints",
                   args.device)
    # Longest first, so that the processes finish together: the augmentation sets are listed from
    # "none" to "all", whose views cost most (jets: 150 s against 65 s), so in reverse; then the
    # ceiling, random-init last. Tasks with a ceiling_view also get the supervised ceiling: same
    # encoder, events and budget.
    ceiling = [CEILING] if hasattr(task, "ceiling_view") else []
    jobs = [(seed, row) for row in [*reversed(sets), *ceiling, RANDOM] for seed in budget.seeds]
    done = {(r["seed"], r["row"]): r for r in map_jobs(_run, study, jobs, args.jobs, args.threads)}
    runs += [done[(seed, row)] for row in [RANDOM, *sets, *ceiling] for seed in budget.seeds]

    metric, labels = task.metrics[0], evaluation.labels[test]
    rows = list(dict.fromkeys(r["row"] for r in runs))
    invariances = [f"inv. {k}" for k in task.invariance_views()]
    vs_none = compare(runs, rows, NONE, metric, labels, budget.seeds, args.bootstrap)
    vs_random = compare(runs, rows, RANDOM, metric, labels, budget.seeds, args.bootstrap)
    summary = summarise(runs, "row", [*task.metrics, *invariances])
    for entry in summary:
        for column, diffs in ((f"Δ {metric} vs none", vs_none), (f"Δ {metric} vs random init", vs_random)):
            d = diffs.get(entry["row"])
            entry[column] = "—" if d is None else f"{d} {verdict(d)}"
    n_params = sum(p.numel() for p in task.encoder().parameters())
    data = (f"from {', '.join(p.name for p in args.data)}" if getattr(args, "data", None)
            else f"{budget.events_per_class} per class")
    header = (f"### {name} ablation ({preset}): {events.num_events} events ({data}, "
              f"{len(train)} pre-train/probe-train, {len(test)} probe-test), {budget.epochs} epochs, batch "
              f"{budget.batch_size}, lr {budget.lr}, temperature {budget.temperature}, encoder "
              f"{type(task.encoder()).__name__} with {n_params:,} parameters, seeds {list(budget.seeds)}; data "
              f"{generated:.0f} s, total {time.perf_counter() - start:.0f} s, {args.jobs} processes x "
              f"{args.threads} threads on {args.device}.\nStrengths: " + strengths(name, args))
    legend = (f"Δ: the row's {metric} minus that of \"none\" / of the random-init encoder with the same seed, mean "
              f"over seeds, [95% bootstrap interval over test events and seeds, {args.bootstrap} replicates]; "
              f"\"better\" / \"worse\" only where the interval excludes 0. inv.: invariance score (1 = invariant, "
              f"0 = no better than unrelated events) on {study.invariance_events.num_events} test events.")
    table = (header + "\n\n" + markdown_table(summary, "row", task.metrics[:1],
                                               [f"Δ {metric} vs none", f"Δ {metric} vs random init"])
             + "\n\n" + markdown_table(summary, "row", [*task.metrics[1:], *invariances]) + "\n\n" + legend)
    if ceiling:
        confusions = [confusion_markdown(row, [r["logits"] for r in runs if r["row"] == row], labels, task.class_names)
                      for row in ("all", CEILING) if row in rows]
        table += "\n\n" + "\n\n".join(confusions)
    print(table, flush=True)
    write_csv(out / "runs.csv", [{k: v for k, v in r.items() if k != "logits"} for r in runs])
    (out / "table.md").write_text(table + "\n")
    chance = CHANCE.get(metric) or 1.0 / task.num_classes
    ablation_plot(out / f"{metric}.png", summary, "row", metric, vs_none, vs_random, chance=chance,
                  label=METRIC_LABELS.get(metric, metric), title=f"{name}: linear classifier test")
    return runs


METRIC_LABELS = {"auc": "ROC AUC (top vs QCD)", "accuracy": "accuracy", "rejection_at_0.5": "1/eps_b at eps_s = 0.5"}


def strengths(name: str, args: argparse.Namespace) -> str:
    keys = (("jet_shift", "soft_scale", "split_fraction") if name == "jets" else
            ("shift_cm", "energy_scale", "drop", "cutout_cm", "smear", "pitch_cm"))
    return ", ".join(f"{k} = {getattr(args, k)}" for k in keys)


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.studies.ablation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("jets", "lartpc", "both"), default="both")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="preset", action="store_const", const="quick", help="2 CPU cores (default)")
    size.add_argument("--medium", dest="preset", action="store_const", const="medium",
                      help="2 CPU cores, both tasks within 60 minutes")
    size.add_argument("--full", dest="preset", action="store_const", const="full", help="a larger machine (GPU)")
    parser.add_argument("--out", default="runs/ablation", help="output folder (CSV, table, plot)")
    parser.add_argument("--data-dir", default="data", help="where generated data are cached")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the generated data set")
    parser.add_argument("--workers", type=int, default=2, help="processes for data generation")
    parser.add_argument("--jobs", type=int, default=2, help="processes running the (seed, row) trainings")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads per process (1 is fastest for these small models)")
    parser.add_argument("--device", default=default_device(), help="training device (default: cuda when available)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates of the intervals")
    add_strength_arguments(parser)
    add_data_arguments(parser)
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs: expected an int >= 1, got {args.jobs}")
    torch.set_num_threads(args.threads)
    names = ("jets", "lartpc") if args.task == "both" else (args.task,)
    if args.data:  # the files decide the task
        names = (task_for_data(args),)
    for name in names:
        run_task(name, args.preset or "quick", args)


if __name__ == "__main__":
    main()
