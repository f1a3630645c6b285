"""Supervised baseline: encoder + linear head trained with cross entropy on augmented views.

The training loop is :class:`training.simclr.SimCLRTrainer`'s (AdamW, cosine schedule, the
shuffle of every epoch and the view of every step drawn from generators seeded by
(seed, epoch, step, rank), atomic checkpoints); only the loss differs: one view per step
(drawn with the generator of SimCLR's first view) and the cross entropy of its labels.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor, nn

from augment._base import Transform
from augment._checks import check_int
from augment._events import Events
from training.simclr import SimCLRTrainer
from training.studies.protocol import precompute

__all__ = ["Classifier", "ClassifierTrainer", "train_classifier"]

_VIEW = 1  # the classifier's view uses the generator stream of SimCLR's first view


class Classifier(nn.Module):
    """``encoder`` (Events -> (B, F), int attribute ``out_features``) + linear head -> (B, K) logits."""

    def __init__(self, encoder: nn.Module, num_classes: int) -> None:
        super().__init__()
        features = getattr(encoder, "out_features", None)
        if not isinstance(encoder, nn.Module) or not isinstance(features, int) or features < 1:
            raise TypeError(f"encoder: expected an nn.Module with an int attribute out_features >= 1, got {features!r}")
        self.encoder = encoder
        self.head = nn.Linear(features, check_int("num_classes", num_classes, 2))

    def forward(self, events: Events) -> Tensor:
        return self.head(self.encoder(events))


class ClassifierTrainer(SimCLRTrainer):
    """:class:`SimCLRTrainer` with a supervised loss: the mean cross entropy of a :class:`Classifier`
    on one view of each batch. Events need int64 ``labels``; ``view2`` and ``temperature`` are unused."""

    def loss(self, events: Events, epoch: int, step: int) -> Tensor:
        if events.labels is None:
            raise ValueError("events: expected int64 labels for supervised training, got None")
        view = self.view1(events, self.view_generator(_VIEW, epoch, step))
        return nn.functional.cross_entropy(self.net(view), view.labels)


def train_classifier(encoder: nn.Module, num_classes: int, events: Events, view: Transform, epochs: int,
                     batch_size: int, lr: float, seed: int, checkpoint_dir: str | os.PathLike | None = None,
                     device: str | torch.device = "cpu", progress: bool = False) -> Classifier:
    """Train ``encoder`` + a fresh linear head (initialised from ``seed``) on labelled ``events``
    seen through ``view`` (drawn anew every step); returns the :class:`Classifier` (train mode
    off). Same arguments, same weights."""
    view, events = precompute(view, events)  # a leading deterministic stage once, not every step
    torch.manual_seed(seed)
    model = Classifier(encoder, num_classes)
    trainer = ClassifierTrainer(model, view, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed,
                                checkpoint_dir=checkpoint_dir, device=device, progress=progress)
    trainer.fit(events)
    return model.eval()
