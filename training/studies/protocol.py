"""The studies' shared protocol: SimCLR pre-training of a task's encoder and the linear
classifier test on its frozen features (used by the ablation and the robustness study).

Metrics are computed from the probe's test logits by :data:`METRICS`, so a table's value and
its bootstrap interval (:mod:`training.studies.statistics`) come from the same function."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import Tensor

from augment import Compose, Events, Transform
from training.linear_eval import fit_linear, rejection_at, roc_auc
from training.simclr import SimCLR, SimCLRTrainer
from training.studies.tasks import Budget

__all__ = ["PROBE_L2", "METRICS", "probe", "pretrain", "precompute"]

PROBE_L2 = 1e-3  # L2 penalty of the linear classifier test


def _signal_score(logits: Tensor) -> Tensor:
    return logits[:, 1] - logits[:, 0]  # class 1 = signal


# name -> f((M, K) test logits, (M,) labels); AUC and 1/eps_b at eps_s = 0.5 for two classes only.
METRICS: dict[str, Callable[[Tensor, Tensor], float]] = {
    "accuracy": lambda logits, labels: float((logits.argmax(1) == labels).double().mean()),
    "auc": lambda logits, labels: roc_auc(_signal_score(logits), labels),
    "rejection_at_0.5": lambda logits, labels: rejection_at(_signal_score(logits), labels, 0.5),
}


def probe(features: Tensor, events: Events, train: Tensor, test: Tensor, num_classes: int,
          metrics: tuple[str, ...] = ("accuracy",)) -> dict:
    """The linear classifier test: fit on the ``train`` rows of ``features``; returns each of
    ``metrics`` on the ``test`` rows and ``"logits"``, the (len(test), num_classes) float64 test logits."""
    clf = fit_linear(features[train], events.labels[train], num_classes, l2=PROBE_L2)
    logits = clf.logits(features[test])
    labels = events.labels[test]
    return {**{m: METRICS[m](logits, labels) for m in metrics}, "logits": logits}


def pretrain(task, pipeline, events: Events, budget: Budget, seed: int, workdir: Path,
             device: str | torch.device = "cpu") -> torch.nn.Module:
    """SimCLR-train a fresh encoder (initialised from ``seed``) on unlabelled ``events`` on ``device``."""
    pipeline, events = precompute(pipeline, events)
    torch.manual_seed(seed)
    encoder = task.encoder()
    trainer = SimCLRTrainer(SimCLR(encoder, projection_dim=budget.width), pipeline, lr=budget.lr,
                            epochs=budget.epochs, batch_size=budget.batch_size, temperature=budget.temperature,
                            seed=seed, checkpoint_dir=workdir, device=device, progress=False)
    trainer.fit(events)
    return encoder


def precompute(pipeline: Transform, events: Events) -> tuple[Transform, Events]:
    """Split the leading deterministic transforms (class attribute ``deterministic = True``: no
    random draw, every event, e.g. :class:`systematics.ChargeCollection`) off a :class:`Compose`
    ``pipeline`` and apply them once to ``events``: returns (the rest of the pipeline, the events
    after them). Training through the rest on those events is bit for bit the training through
    ``pipeline`` on ``events`` (the stages draw nothing and act on each event alone), at the cost
    of one application per run instead of one per view and step. Other pipelines come back as given."""
    if type(pipeline) is not Compose:
        return pipeline, events
    stages = pipeline.transforms
    n = next((i for i, t in enumerate(stages) if not getattr(t, "deterministic", False)), len(stages))
    if n == 0:
        return pipeline, events
    return Compose(stages[n:]), Compose(stages[:n])(events)
