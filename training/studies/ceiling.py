"""The supervised ceiling of a study row: the task's encoder and a linear head trained with the
labels (cross entropy) on the same events, epochs, batch and learning rate as the SimCLR rows,
judged on the same test events; and confusion matrices of test logits."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
from torch import Tensor, nn

from augment import Events, Transform
from training.linear_eval import confusion_matrix, extract_features
from training.studies.protocol import METRICS
from training.studies.supervised import train_classifier
from training.studies.tasks import Budget

__all__ = ["supervised_ceiling", "confusion_markdown"]


def supervised_ceiling(task, view: Transform, train_events: Events, evaluation: Events, test: Tensor,
                       budget: Budget, seed: int, workdir: Path,
                       device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """Train ``task.encoder()`` + head (seed ``seed``) on ``train_events`` seen through ``view``;
    returns the trained encoder and each of ``task.metrics`` and ``"logits"`` (float64) on the
    ``test`` rows of ``evaluation``."""
    torch.manual_seed(seed)
    net = train_classifier(task.encoder(), task.num_classes, train_events, view, budget.epochs, budget.batch_size,
                           budget.lr, seed, checkpoint_dir=workdir, device=device)
    logits = extract_features(net, evaluation.index_select_events(test), batch_size=256).double().cpu()
    labels = evaluation.labels[test]
    return net.encoder, {**{m: METRICS[m](logits, labels) for m in task.metrics}, "logits": logits}


def confusion_markdown(title: str, logits: Sequence[Tensor], labels: Tensor, class_names: Sequence[str]) -> str:
    """Markdown confusion matrix of the argmax of each (M, K) ``logits`` (one per seed, same test
    events ``labels``), summed over them: rows the true class, entries the fraction of that class's
    events predicted as each column's class."""
    k = len(class_names)
    counts = sum(confusion_matrix(l.argmax(1), labels, k) for l in logits)
    fractions = counts.double() / counts.sum(1, keepdim=True).clamp(min=1)
    lines = [f"**{title}** (rows: true class, {len(logits)} seeds x {len(labels)} test events)", "",
             "| true \\ predicted | " + " | ".join(class_names) + " |", "|---" * (k + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(f"{v:.2f}" for v in row.tolist()) + " |"
              for name, row in zip(class_names, fractions)]
    return "\n".join(lines)
