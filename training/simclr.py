"""SimCLR pre-training on ragged event batches.

Chen et al., arXiv:2002.05709: an encoder f gives features h = f(x); a projection head
g(h) = W2 ReLU(W1 h) (their sec. 2.1) gives the embeddings z on which the NT-Xent loss
(:mod:`training.losses`) contrasts two augmented views of every event.

:class:`SimCLRTrainer` runs AdamW with a cosine learning-rate schedule (optional linear
warm-up), one optimiser step per batch. Reproducibility: the shuffle of every epoch and
the two views of every step come from their own ``torch.Generator`` whose seed is
derived from (seed, epoch, step, rank), so a run resumed from a checkpoint draws exactly
the batches and views of an uninterrupted one. Checkpoints are written atomically
(temporary file + ``os.replace``). Under ``torchrun`` (see :mod:`training.distributed`)
the events are sharded across ranks, the model is wrapped in DDP and the loss takes
the negatives of all ranks.
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from augment._base import Transform
from augment._checks import check_int, check_nonnegative, check_positive
from augment._events import Events
from augment._random import derive_seed
from training import distributed
from training.checkpoint import load_checkpoint, save_checkpoint
from training.losses import nt_xent_distributed

__all__ = ["SimCLR", "SimCLRTrainer", "derive_seed", "cat_events", "save_atomic"]

Data = Events | Callable[[int], Iterable[Events]] | Iterable[Events]

CHECKPOINT = "last.pt"
_SHUFFLE, _VIEW1, _VIEW2 = 0, 1, 2


class SimCLR(nn.Module):
    """Encoder + projection head. ``encoder`` maps :class:`Events` to (B, F) features
    and has an int attribute ``out_features`` = F. ``hidden`` defaults to F."""

    def __init__(self, encoder: nn.Module, projection_dim: int = 64, hidden: int | None = None) -> None:
        super().__init__()
        features = getattr(encoder, "out_features", None)
        if not isinstance(encoder, nn.Module) or not isinstance(features, int) or features < 1:
            raise TypeError(f"encoder: expected an nn.Module with an int attribute out_features >= 1, got {features!r}")
        hidden = features if hidden is None else check_int("hidden", hidden, 1)
        check_int("projection_dim", projection_dim, 1)
        self.encoder = encoder
        self.projector = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, projection_dim))

    def forward(self, events: Events) -> Tensor:
        """(B, projection_dim) embeddings z = g(f(events))."""
        return self.projector(self.encoder(events))


def cat_events(a: Events, b: Events) -> Events:
    """The events of ``a`` followed by those of ``b`` as one batch (labels dropped)."""
    return a.replace(coords=torch.cat([a.coords, b.coords]), feats=torch.cat([a.feats, b.feats]),
                     batch=torch.cat([a.batch, b.batch + a.num_events]),
                     num_events=a.num_events + b.num_events, labels=None)


def save_atomic(obj: object, path: str | os.PathLike) -> None:
    """:func:`training.checkpoint.save_checkpoint`: written atomically with a checksum trailer,
    so ``path`` holds either the previous or the new checkpoint, never a partial one."""
    save_checkpoint(obj, path)


class SimCLRTrainer:
    """Contrastive pre-training of a :class:`SimCLR` model.

    ``view1`` / ``view2``: augment transforms making the two views (``view2=None`` uses
    ``view1`` twice with independent draws). ``batch_size`` is per rank: with W ranks a
    step sees W x batch_size events and the loss W x batch_size x 2 - 1 keys per anchor.
    ``lr`` is the peak learning rate, reached after ``warmup_steps`` linear steps and
    then decayed to 0 along a cosine over the remaining steps. ``checkpoint_dir``: where
    ``last.pt`` is written after every epoch, every ``checkpoint_every`` steps (0: only
    per epoch) and when ``max_steps`` stops a run. ``device`` defaults to CUDA when
    available. The model's initial weights are the caller's (seed before building it);
    the trainer seeds torch's global generator with ``seed`` for anything else."""

    def __init__(self, model: SimCLR, view1: Transform, view2: Transform | None = None, *, lr: float = 1e-3,
                 weight_decay: float = 1e-4, epochs: int = 10, batch_size: int = 256, temperature: float = 0.1,
                 seed: int = 0, checkpoint_dir: str | os.PathLike | None = None,
                 device: str | torch.device | None = None, warmup_steps: int = 0, checkpoint_every: int = 0,
                 progress: bool = True) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
        for name, t in (("view1", view1), ("view2", view2)):
            if not (isinstance(t, Transform) or (name == "view2" and t is None)):
                raise TypeError(f"{name}: expected an augment Transform, got {type(t).__name__}")
        self.lr = check_positive("lr", lr)
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.temperature = check_positive("temperature", temperature)
        self.epochs = check_int("epochs", epochs, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.seed = check_int("seed", seed, 0)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, 0)
        self.checkpoint_every = check_int("checkpoint_every", checkpoint_every, 0)
        self.device = torch.device(device if device is not None else "cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.view1, self.view2 = view1, view2 if view2 is not None else view1
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.progress = progress
        self.net: nn.Module = self.model
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
        self.steps_per_epoch = 0
        self.global_step = 0
        self.history: dict[str, list[float]] = {"loss": [], "lr": []}

    # ----------------------------------------------------------------- set-up
    def prepare(self, steps_per_epoch: int) -> None:
        """Build DDP wrapper, optimiser and schedule for ``epochs x steps_per_epoch`` steps."""
        self.steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, 1)
        torch.manual_seed(self.seed)
        if distributed.world_size() > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        total, warm = self.epochs * self.steps_per_epoch, self.warmup_steps

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            return 0.5 * (1.0 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, factor)
        self.global_step = 0
        self.history = {"loss": [], "lr": []}

    def _steps_per_epoch(self, data: Data, steps_per_epoch: int | None) -> int:
        if steps_per_epoch is not None:
            return check_int("steps_per_epoch", steps_per_epoch, 1)
        if isinstance(data, Events):
            per_step = self.batch_size * distributed.world_size()
            if data.num_events < per_step:
                raise ValueError(f"data: expected at least batch_size x world_size = {per_step} events, "
                                 f"got {data.num_events}")
            return data.num_events // per_step
        if hasattr(data, "__len__"):
            return check_int("len(data)", len(data), 1)
        raise ValueError("steps_per_epoch: expected an int when data has no len() (a function or a generator)")

    # ------------------------------------------------------------------- data
    def epoch_batches(self, data: Data, epoch: int, start: int = 0) -> Iterator[Events]:
        """This rank's batches of ``epoch`` from step ``start`` on.

        A full :class:`Events` is shuffled with a generator seeded from (seed, epoch), cut
        into steps of W x batch_size events (the incomplete last step is dropped) and rank
        r takes the r-th slice of each step. A function is called as ``data(epoch)``; an
        iterable is iterated again each epoch; both are used as given on every rank (shard
        them yourself) and the first ``start`` batches are skipped."""
        if isinstance(data, Events):
            g = torch.Generator().manual_seed(derive_seed(self.seed, _SHUFFLE, epoch))
            perm = torch.randperm(data.num_events, generator=g)
            bs, world = self.batch_size, distributed.world_size()
            for step in range(start, self.steps_per_epoch):
                first = (step * world + distributed.rank()) * bs
                yield data.index_select_events(perm[first:first + bs].to(data.device))
            return
        batches = data(epoch) if callable(data) else data
        yield from itertools.islice(batches, start, self.steps_per_epoch)

    def make_views(self, events: Events, epoch: int, step: int) -> tuple[Events, Events]:
        """The two augmented views of ``events`` at (epoch, step), each drawn with its own
        generator seeded from (seed, view, epoch, step, rank)."""
        return (self.view1(events, self.view_generator(_VIEW1, epoch, step)),
                self.view2(events, self.view_generator(_VIEW2, epoch, step)))

    def view_generator(self, view: int, epoch: int, step: int) -> torch.Generator:
        """The generator of view ``view`` (1 or 2) at (epoch, step) on this rank, on the trainer's
        device (where the batches are when the views are drawn)."""
        return torch.Generator(self.device).manual_seed(derive_seed(self.seed, view, epoch, step, distributed.rank()))

    # --------------------------------------------------------------- training
    def loss(self, events: Events, epoch: int, step: int) -> Tensor:
        """The NT-Xent loss of the two views of ``events`` at (epoch, step) (model in train mode)."""
        v1, v2 = self.make_views(events, epoch, step)
        z = self.net(cat_events(v1, v2))  # one forward pass for both views (one DDP reduction)
        return nt_xent_distributed(z[:v1.num_events], z[v1.num_events:], self.temperature)

    def train_step(self, events: Events, epoch: int, step: int) -> float:
        """One optimiser step on ``events``; returns the loss (mean over ranks)."""
        if self.optimizer is None:
            raise RuntimeError("train_step: call prepare(steps_per_epoch) or fit(data) first")
        self.net.train()
        loss = self.loss(events.to(self.device), epoch, step)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.history["lr"].append(self.optimizer.param_groups[0]["lr"])
        self.optimizer.step()
        self.scheduler.step()
        value = loss.detach()
        if distributed.world_size() > 1:
            torch.distributed.all_reduce(value)
            value = value / distributed.world_size()
        self.history["loss"].append(float(value))
        self.global_step += 1
        return self.history["loss"][-1]

    def fit(self, data: Data, *, steps_per_epoch: int | None = None, resume: bool = False,
            max_steps: int | None = None) -> dict[str, list[float]]:
        """Train for ``epochs`` epochs; returns the history: ``loss`` and ``lr`` per step
        (of the whole run, including steps before a resume).

        ``resume=True`` continues from ``checkpoint_dir/last.pt`` when it exists.
        ``max_steps`` stops after that many steps in total (the schedule still spans all
        epochs), so a run can be split into pieces that together equal one run."""
        self.prepare(self._steps_per_epoch(data, steps_per_epoch))
        if resume:
            if self.checkpoint_dir is None:
                raise ValueError("checkpoint_dir: expected a directory to resume from, got None")
            if (self.checkpoint_dir / CHECKPOINT).exists():
                self.load_checkpoint(self.checkpoint_dir / CHECKPOINT)
        total = self.epochs * self.steps_per_epoch
        stop = total if max_steps is None else min(total, check_int("max_steps", max_steps, 0))
        bar = tqdm(total=stop, initial=self.global_step, disable=not (self.progress and distributed.is_main()),
                   desc="SimCLR")
        while self.global_step < stop:
            epoch, start = divmod(self.global_step, self.steps_per_epoch)
            for step, events in enumerate(self.epoch_batches(data, epoch, start), start):
                loss = self.train_step(events, epoch, step)
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", epoch=epoch)
                end_of_epoch = step + 1 == self.steps_per_epoch
                if end_of_epoch or self.global_step == stop or (
                        self.checkpoint_every and self.global_step % self.checkpoint_every == 0):
                    self.save_checkpoint()
                if self.global_step == stop:
                    break
            else:
                if self.global_step % self.steps_per_epoch:
                    raise ValueError(f"data: expected {self.steps_per_epoch} batches in epoch {epoch}, "
                                     f"got {self.global_step % self.steps_per_epoch}")
                if self.global_step == epoch * self.steps_per_epoch:
                    raise ValueError(f"data: expected {self.steps_per_epoch} batches in epoch {epoch}, got none")
        bar.close()
        return self.history

    # ------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """What a checkpoint holds: model (unwrapped), optimiser, schedule, global step,
        epoch, history, torch RNG state (of rank 0) and the settings a resume must match."""
        rng = {"torch": torch.get_rng_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "step": self.global_step,
                "epoch": self.global_step // self.steps_per_epoch, "history": self.history, "rng": rng,
                "config": self._config()}

    def _config(self) -> dict:
        return {"seed": self.seed, "batch_size": self.batch_size, "epochs": self.epochs,
                "steps_per_epoch": self.steps_per_epoch, "world_size": distributed.world_size()}

    def save_checkpoint(self) -> None:
        """Write ``checkpoint_dir/last.pt`` atomically (rank 0 only; no-op without a dir)."""
        if self.checkpoint_dir is not None and distributed.is_main():
            save_atomic(self.state_dict(), self.checkpoint_dir / CHECKPOINT)

    def load_checkpoint(self, path: str | os.PathLike) -> None:
        """Restore model, optimiser, schedule, step, history and RNG state from ``path``."""
        state = load_checkpoint(path, map_location=self.device)
        if state["config"] != self._config():
            raise ValueError(f"checkpoint: expected a run with settings {self._config()}, got {state['config']}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.global_step = state["step"]
        self.history = state["history"]
        torch.set_rng_state(state["rng"]["torch"].cpu())
        if "cuda" in state["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["cuda"]])
