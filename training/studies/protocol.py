"""The studies' shared protocol: SimCLR pre-training of a task's encoder and the linear
classifier test on its frozen features (used by the ablation and the robustness study)."""

from __future__ import annotations

from pathlib import Path

import torch

from augment import Events
from training.linear_eval import linear_probe
from training.simclr import SimCLR, SimCLRTrainer
from training.studies.tasks import Budget

__all__ = ["PROBE_L2", "probe", "pretrain"]

PROBE_L2 = 1e-3  # L2 penalty of the linear classifier test


def probe(features: torch.Tensor, events: Events, train: torch.Tensor, test: torch.Tensor, num_classes: int) -> dict:
    """The linear classifier test: fit on the ``train`` rows of ``features``, metrics on the ``test`` rows."""
    out = linear_probe(features[train], events.labels[train], features[test], events.labels[test],
                       num_classes=num_classes, l2=PROBE_L2)
    out.pop("confusion")
    return out


def pretrain(task, pipeline, events: Events, budget: Budget, seed: int, workdir: Path) -> torch.nn.Module:
    """SimCLR-train a fresh encoder (initialised from ``seed``) on unlabelled ``events``."""
    torch.manual_seed(seed)
    encoder = task.encoder()
    trainer = SimCLRTrainer(SimCLR(encoder, projection_dim=budget.width), pipeline, lr=budget.lr,
                            epochs=budget.epochs, batch_size=budget.batch_size, temperature=0.1, seed=seed,
                            checkpoint_dir=workdir, device="cpu", progress=False)
    trainer.fit(events)
    return encoder
