"""Are models trained with detector throws more robust to mis-modelled detector parameters?

    python -m training.studies.robustness --quick            # 2 CPU cores
    python -m training.studies.robustness --full             # a larger machine

Three LArTPC classifiers (e, gamma, mu, pi, p), same training split and encoder, each trained
with every seed of the budget (``--seeds``; the seeds run in ``--jobs`` processes):

* ``SimCLR cards + throws``: SimCLR pre-trained on the ablation's "all" views (detector throws of
  every parameter, lifetime log-uniform, then the handcrafted card transforms), as seed 000's
  contrastive model; frozen; linear head fitted on nominal-response features of the training
  split (the linear classifier test of :mod:`training.studies.protocol`);
* ``supervised nominal``: encoder + head trained with cross entropy on the nominal response
  (fresh diffusion and noise draws every step);
* ``supervised nominal + throws``: the same, through the same throws with p = 0.5 (half of the
  events of a step at thrown, half at nominal parameters).

Each model is evaluated on the test split's deposits passed through the response at shifted
parameters, one parameter at a time (:data:`PARAMETERS`: every parameter of the table in
:mod:`systematics.parameters` with a throw range, e.g. efield, lifetime, diffusion_t, diffusion_l,
birks_a, birks_k) on ``--grid`` points over its throw range (edges included) plus the nominal value,
the others nominal. Every simulated test set uses the same noise draws (diffusion is deterministic)
(generator seeded with :data:`training.studies.tasks.EVALUATION_SEED`), so all models see the same
events and a shift changes only the parameter. Per model and point: accuracy, its binomial
error, the mean softmax score of the true class p_true, and against the nominal test set the
mean over events of |p_true(shifted) - p_true(nominal)| and of the signed change.

At the two range edges of each parameter, the contrastive model is compared with each
classifier, paired by seed and on the same test events (bootstrap over seeds and test events,
:func:`training.studies.statistics.paired_difference`, 95 %): the difference of mean |delta p_true| (negative: the
contrastive model's score moves less) and of the accuracy change (positive: it loses less).
Seed 000 claims the contrastive model is the more robust one.

Writes ``points.csv`` (every grid point), ``table.md`` (per model and parameter: accuracy at
the low edge, nominal, high edge, max |delta accuracy|, largest mean |delta p_true|; then the
paired differences with their intervals and verdicts), ``accuracy.png`` (one panel per
parameter) and ``score_change.png`` (seed 000's second figure: per range edge, the
distribution of delta p_true over the test events, one histogram per model) under ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from pathlib import Path
from typing import Callable, Sequence

import torch
from torch import Tensor

from augment import Events
from augment._checks import check_int
from systematics.parameters import NOMINAL, PARAMETERS as DETECTOR_PARAMETERS, RANGES, used_parameters
from training.invariance import score_change, true_class_score
from training.linear_eval import extract_features, fit_linear, train_test_split
from training.studies.parallel import map_jobs
from training.studies.protocol import PROBE_L2, pretrain
from training.studies.report import panel_plot, write_csv
from training.studies.statistics import paired_difference
from training.studies.supervised import train_classifier
from training.studies.tasks import PRESETS, Budget, LArTask, add_strength_arguments

__all__ = ["PARAMETERS", "MODELS", "BUDGETS", "Sweep", "grid_values", "score_shift", "evaluation_sets", "sweep",
           "mean_over_seeds", "compare_models", "comparison_table", "score_change_plot", "run_study", "main"]

# Every parameter of the table with a throw range that the (Birks) response uses, in table order.
PARAMETERS = tuple(name for name in used_parameters("birks") if name in RANGES)
MODELS = ("SimCLR cards + throws (frozen, linear)", "supervised nominal", "supervised nominal + throws")
BUDGETS = {"quick": PRESETS[("lartpc", "quick")], "full": PRESETS[("lartpc", "full")]}
UNITS = {name: DETECTOR_PARAMETERS[name].unit for name in PARAMETERS}

Model = Callable[[Events], Tensor]  # events -> (B, K) logits


def grid_values(name: str, points: int) -> list[float]:
    """``points`` >= 2 evenly spaced values over RANGES[name] (edges included, rounded to 12
    decimals) and the nominal value, sorted."""
    if name not in PARAMETERS:
        raise ValueError(f"name: expected one of {PARAMETERS}, got {name!r}")
    check_int("points", points, 2)  # the range edges
    low, high = RANGES[name]
    grid = torch.linspace(low, high, points, dtype=torch.float64).tolist()
    return sorted({round(v, 12) for v in grid} | {NOMINAL[name]})


def score_shift(logits: Tensor, reference: Tensor, labels: Tensor) -> dict[str, float]:
    """Accuracy (with binomial error sqrt(a (1 - a) / n)) and mean true-class score of ``logits``
    (B, K); mean |delta p_true| and mean signed delta p_true against ``reference`` logits of the
    same events."""
    a = float((logits.argmax(1) == labels).double().mean())
    dp = score_change(logits, reference, labels)
    return {"accuracy": a, "accuracy_error": math.sqrt(a * (1 - a) / len(labels)),
            "mean_p_true": float(true_class_score(logits, labels).mean()),
            "mean_abs_dp": float(dp.abs().mean()), "mean_dp": float(dp.mean())}


def train_models(task: LArTask, train_deposits: Events, nominal_train: Events, budget: Budget, seed: int,
                 workdir: Path, device: str = "cpu") -> dict[str, Model]:
    """The three models (functions events -> logits) trained on ``train_deposits`` with ``seed``:
    SimCLR's encoder frozen with the ablation's linear classifier test fitted on ``nominal_train``
    (the same events through :meth:`LArTask.evaluation_view`), and the two classifiers."""
    encoder = pretrain(task, task.augmentation_sets()["all"], train_deposits, budget, seed, workdir / "simclr",
                       device=device)
    clf = fit_linear(extract_features(encoder, nominal_train, batch_size=256), nominal_train.labels, task.num_classes,
                     l2=PROBE_L2)
    models: dict[str, Model] = {MODELS[0]: lambda ev: clf.logits(extract_features(encoder, ev, batch_size=256))}
    views = {MODELS[1]: task.nominal_view(), MODELS[2]: task.thrown(p=0.5)}
    for i, (name, view) in enumerate(views.items()):
        torch.manual_seed(seed)
        net = train_classifier(task.encoder(), task.num_classes, train_deposits, view, budget.epochs,
                               budget.batch_size, budget.lr, seed, checkpoint_dir=workdir / f"supervised-{i}",
                               device=device)
        models[name] = lambda ev, net=net: extract_features(net, ev, batch_size=256)
    return models


Key = tuple[str, float]  # (parameter, value) of one shifted test set


def evaluation_sets(task: LArTask, test_deposits: Events, points: int) -> tuple[Events, dict[Key, Events]]:
    """The nominal test set and one per grid point of every parameter (:func:`grid_values`), each
    the test deposits through the response with that one parameter shifted, all with the same
    noise draws (:meth:`LArTask.evaluation_view`). Simulated once, shared by every model and seed."""
    shifted = {(param, value): task.evaluation_view(test_deposits, **{param: value})
               for param in PARAMETERS for value in grid_values(param, points)}
    return task.evaluation_view(test_deposits), shifted


@dataclasses.dataclass
class Sweep:
    """What the models gave on the evaluation sets: ``rows`` (one per seed, model, parameter and
    grid point, see :func:`score_shift`), the nominal test ``reference`` logits and the shifted
    ``edges`` logits per (parameter, range-edge value), each a dict model -> (S, M, K) logits of
    the S seeds, and the test ``labels`` (M,)."""

    rows: list[dict]
    reference: dict[str, Tensor]
    edges: dict[Key, dict[str, Tensor]]
    labels: Tensor


def sweep(logits: list[tuple[dict[str, Tensor], dict[Key, dict[str, Tensor]]]], seeds: Sequence[int],
          labels: Tensor) -> Sweep:
    """Rows and range-edge logits from each seed's (nominal logits per model, shifted logits per
    grid point and model); deltas against the same seed's nominal test set."""
    rows, edges = [], {}
    keys = list(logits[0][1])
    for seed, (reference, shifted) in zip(seeds, logits):
        for param, value in keys:
            for name, out in shifted[(param, value)].items():
                rows.append({"seed": seed, "model": name, "parameter": param, "value": value,
                             "nominal": value == NOMINAL[param], **score_shift(out, reference[name], labels)})
    for param, value in keys:
        if any(math.isclose(value, edge, rel_tol=1e-9) for edge in RANGES[param]):
            edges[(param, value)] = {name: torch.stack([shifted[(param, value)][name] for _, shifted in logits])
                                     for name in MODELS}
    reference = {name: torch.stack([r[name] for r, _ in logits]) for name in MODELS}
    return Sweep(rows, reference, edges, labels)


def _mean_abs_change(scores: Tensor, labels: Tensor) -> float:
    """scores (M, 2, K): shifted and nominal logits of M events -> mean |delta p_true|."""
    return float(score_change(scores[:, 0], scores[:, 1], labels).abs().mean())


def _accuracy_change(scores: Tensor, labels: Tensor) -> float:
    """scores (M, 2, K): shifted and nominal logits -> accuracy(shifted) - accuracy(nominal)."""
    correct = scores.argmax(2) == labels[:, None]
    return float(correct[:, 0].double().mean() - correct[:, 1].double().mean())


def compare_models(result: Sweep, n_boot: int = 1000) -> list[dict]:
    """Per range edge and classifier: the contrastive model (``MODELS[0]``) minus the classifier, in
    mean |delta p_true| and in accuracy change, paired by seed and on the test events, with 95 %
    intervals (bootstrap over seeds and test events, :func:`paired_difference`)."""
    rows = []
    for (param, value), logits in result.edges.items():
        stacked = {name: torch.stack([logits[name], result.reference[name]], 2) for name in logits}
        for other in MODELS[1:]:
            d_abs = paired_difference(_mean_abs_change, stacked[MODELS[0]], stacked[other], result.labels,
                                      n_boot=n_boot)
            d_acc = paired_difference(_accuracy_change, stacked[MODELS[0]], stacked[other], result.labels,
                                      n_boot=n_boot)
            rows.append({"parameter": param, "value": value, "against": other, "d_mean_abs_dp": d_abs,
                         "d_accuracy_change": d_acc,
                         "more_robust": "yes" if d_abs.high < 0 else "no, moves more" if d_abs.low > 0 else "not resolved"})
    return rows


def comparison_table(rows: list[dict]) -> str:
    """Markdown of :func:`compare_models`."""
    lines = [f"Contrastive ({MODELS[0]}) minus classifier, paired by seed and on the test events, 95 % bootstrap "
             "intervals over seeds and test events; "
             "more robust = its mean |delta p_true| is lower with an interval excluding 0.", "",
             "| parameter | value | against | delta mean abs. delta p_true | delta accuracy change | more robust |",
             "|---" * 6 + "|"]
    lines += [f"| {r['parameter']} | {r['value']:g} | {r['against']} | {r['d_mean_abs_dp']} | "
              f"{r['d_accuracy_change']} | {r['more_robust']} |" for r in rows]
    return "\n".join(lines)


def score_change_plot(path: str | Path, result: Sweep, bins: int = 40) -> Path:
    """Seed 000's second figure: per range edge (one panel each), the distribution over the test events
    (of every seed) of delta p_true = p_true(shifted) - p_true(nominal), one histogram per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(result.edges)
    columns = 4
    n_rows = -(-len(keys) // columns)
    fig, axes = plt.subplots(n_rows, columns, figsize=(3.6 * columns, 2.8 * n_rows + 0.6), squeeze=False)
    edges = torch.linspace(-1, 1, bins + 1).tolist()
    for ax, (param, value) in zip(axes.flat, keys):
        for name, logits in result.edges[(param, value)].items():  # (S, M, K): every seed's test events
            dp = score_change(logits.flatten(0, 1), result.reference[name].flatten(0, 1),
                              result.labels.repeat(len(logits)))
            ax.hist(dp.tolist(), bins=edges, histtype="step", label=name)
        ax.set_yscale("log")
        ax.set_xlabel(f"delta p_true, {param} = {value:g} {UNITS[param]}".rstrip())
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.suptitle("LArTPC: change of the true-class score at the range edges (test events)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def mean_over_seeds(rows: list[dict]) -> list[dict]:
    """The rows of :func:`sweep` averaged over the seeds, one per model, parameter and value (in order)."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["model"], r["parameter"], r["value"]), []).append(r)
    numeric = ("accuracy", "accuracy_error", "mean_p_true", "mean_abs_dp", "mean_dp")
    return [{**{k: v for k, v in group[0].items() if k != "seed"}, "seeds": len(group),
             **{k: sum(r[k] for r in group) / len(group) for k in numeric}} for group in groups.values()]


def summary_table(rows: list[dict], plain: dict[str, float]) -> str:
    """Markdown: per model and parameter, averaged over the seeds, the accuracy at the low edge,
    nominal (plain) and high edge, the largest |accuracy - nominal| over the grid, and the largest
    mean |delta p_true| with its signed mean at that point."""
    lines = ["| model | parameter | acc. low edge | acc. nominal | acc. high edge | max abs. delta acc. "
             "| max mean abs. delta p_true (signed) |", "|---" * 7 + "|"]
    rows = mean_over_seeds(rows)
    for name in plain:
        for param in PARAMETERS:
            sel = [r for r in rows if r["model"] == name and r["parameter"] == param]
            worst = max(sel, key=lambda r: r["mean_abs_dp"])
            d_acc = max(abs(r["accuracy"] - plain[name]) for r in sel)
            lines.append(f"| {name} | {param} | {sel[0]['accuracy']:.3f} | {plain[name]:.3f} | "
                         f"{sel[-1]['accuracy']:.3f} | {d_acc:.3f} | {worst['mean_abs_dp']:.3f} "
                         f"({worst['mean_dp']:+.3f}) |")
    return "\n".join(lines)


@dataclasses.dataclass
class _Study:
    """What every seed's run needs (sent once to each worker process)."""

    task: LArTask
    train_deposits: Events
    nominal_train: Events  # the training events through the nominal response (for the linear head)
    budget: Budget
    workdir: Path
    device: str
    nominal: Events  # the nominal test set
    shifted: dict[Key, Events]  # the shifted test sets


def _seed_run(s: _Study, seed: int) -> tuple[dict[str, float], dict[str, Tensor], dict[Key, dict[str, Tensor]]]:
    """One seed: the three models trained, then their logits on the nominal and every shifted test set,
    and each one's accuracy on the nominal test set."""
    models = train_models(s.task, s.train_deposits, s.nominal_train, s.budget, seed, s.workdir / f"seed{seed}",
                          s.device)
    reference = {name: model(s.nominal) for name, model in models.items()}
    plain = {name: float((logits.argmax(1) == s.nominal.labels).double().mean()) for name, logits in reference.items()}
    shifted = {key: {name: model(events) for name, model in models.items()} for key, events in s.shifted.items()}
    return plain, reference, shifted


def run_study(args: argparse.Namespace, budget: Budget, preset: str = "quick") -> dict:
    """The whole study over the budget's seeds (``args.jobs`` processes); writes ``points.csv``,
    ``table.md``, ``accuracy.png`` and ``score_change.png`` under ``args.out`` and returns
    ``{"rows": ..., "nominal": plain nominal accuracy per model (mean over seeds), "table": markdown,
    "comparisons": ...}``."""
    out = Path(args.out)
    task = LArTask(args, budget)
    start = time.perf_counter()
    deposits = task.load(Path(args.data_dir), seed=args.data_seed, workers=args.workers)
    generated = time.perf_counter() - start
    train, test = (i.sort().values for i in train_test_split(deposits.num_events, budget.test_fraction, seed=0))
    test_deposits = deposits.index_select_events(test)
    nominal, shifted = evaluation_sets(task, test_deposits, args.grid)
    train_deposits = deposits.index_select_events(train)
    study = _Study(task, train_deposits, task.evaluation_view(train_deposits), budget, out / "checkpoints",
                   args.device, nominal, shifted)
    seeds = budget.seeds
    per_seed = map_jobs(_seed_run, study, seeds, min(args.jobs, len(seeds)), args.threads)
    trained = time.perf_counter() - start - generated
    result = sweep([(reference, logits) for _, reference, logits in per_seed], seeds, test_deposits.labels)
    rows = result.rows
    comparisons = compare_models(result)
    plain = {name: sum(p[name] for p, _, _ in per_seed) / len(seeds) for name in MODELS}
    n_test = len(test)
    spread = ", ".join(f"{plain[name]:.3f} ± {_std([p[name] for p, _, _ in per_seed]):.3f}" for name in MODELS)
    n_params = sum(p.numel() for p in task.encoder().parameters())
    header = (f"### LArTPC robustness ({preset}): {deposits.num_events} events ({budget.events_per_class} per class, "
              f"{len(train)} train, {n_test} test), {budget.epochs} epochs, batch {budget.batch_size}, lr {budget.lr}, "
              f"encoder {type(task.encoder()).__name__} with {n_params:,} parameters, seeds {list(seeds)}, grid "
              f"{args.grid} + nominal; data {generated:.0f} s, training and "
              f"sweep {trained:.0f} s, total {time.perf_counter() - start:.0f} s, {min(args.jobs, len(seeds))} "
              f"processes x {args.threads} threads on {args.device}.\n"
              f"Nominal accuracy, mean ± sample std over seeds (binomial error of one seed sqrt(a(1-a)/n) "
              f"~{math.sqrt(0.25 / n_test):.3f}): {spread} (models in table order); the tables average over the "
              f"seeds. Units: " + ", ".join(f"{k} {u}" for k, u in UNITS.items() if u) + ".")
    table = header + "\n\n" + summary_table(rows, plain) + "\n\n" + comparison_table(comparisons)
    print(table, flush=True)
    write_csv(out / "points.csv", rows)
    (out / "table.md").write_text(table + "\n")
    panel_plot(out / "accuracy.png", mean_over_seeds(rows), "parameter", "value", "accuracy", "model",
               err="accuracy_error", marks={k: NOMINAL[k] for k in PARAMETERS},
               title="LArTPC: test accuracy at shifted detector parameters (mean over seeds)",
               xlabels={k: DETECTOR_PARAMETERS[k].axis_label for k in PARAMETERS}, log_x=("lifetime",),
               ylabel="test accuracy (5 classes)", hline=("chance (0.2)", 0.2))
    score_change_plot(out / "score_change.png", result)
    return {"rows": rows, "nominal": plain, "table": table, "comparisons": comparisons}


def _std(values: list[float]) -> float:
    """Sample standard deviation (0 for one value)."""
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m training.studies.robustness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", dest="preset", action="store_const", const="quick", help="2 CPU cores (default)")
    size.add_argument("--full", dest="preset", action="store_const", const="full", help="a larger machine")
    parser.add_argument("--out", default="runs/robustness", help="output folder (CSV, table, plot)")
    parser.add_argument("--grid", type=int, default=5, help="points per parameter, range edges included (>= 2)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds of the models' initialisation and training (default: the preset's)")
    parser.add_argument("--jobs", type=int, default=2, help="processes running the seeds")
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's epochs (all three models)")
    parser.add_argument("--data-dir", default="data", help="where generated data are cached")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the generated data set")
    parser.add_argument("--workers", type=int, default=2, help="processes for data generation")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                        help="training device (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch intra-op threads (1 is fastest for these small models on a shared 2-core machine)")
    add_strength_arguments(parser)  # the encoder's --pitch-cm
    args = parser.parse_args(argv)
    grid_values(PARAMETERS[0], args.grid)  # validates --grid before any work
    torch.set_num_threads(args.threads)
    preset = args.preset or "quick"
    budget = BUDGETS[preset]
    if args.epochs is not None:
        budget = dataclasses.replace(budget, epochs=check_int("--epochs", args.epochs, 1))
    if args.seeds is not None:
        budget = dataclasses.replace(budget, seeds=tuple(args.seeds))
    check_int("--jobs", args.jobs, 1)
    return run_study(args, budget, preset)


if __name__ == "__main__":
    main()
