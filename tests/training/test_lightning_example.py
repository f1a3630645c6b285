"""Example: SimCLR in PyTorch Lightning on an augment pipeline, fed by augment.io.

    module = SimCLRModule(SimCLR(encoder), Compose([...]), seed=0)
    loader = event_loader(EventsDataset(path), batch_size=256, seed=0)
    pl.Trainer(max_epochs=10).fit(module, loader)

Two things matter: Lightning moves the :class:`augment.Events` batch with its ``.to()``,
and it cannot tell how many events a batch holds (it would count points), so every
``self.log`` passes ``batch_size=events.num_events``. The views are drawn on the batch's
device from a generator seeded by (seed, step), so a run repeats exactly.
"""

import numpy as np
import pytest
import torch

pl = pytest.importorskip("pytorch_lightning")

from augment import Compose, Jitter, Rotate, SoftSmear  # noqa: E402
from augment._random import derive_seed  # noqa: E402
from augment.io import EventsDataset, event_loader  # noqa: E402
from augment.jets import preprocess_jets  # noqa: E402
from tests.io.writers import jets, write_top_tagging  # noqa: E402
from tests.training.toy import SumPoolEncoder  # noqa: E402
from training.losses import nt_xent  # noqa: E402
from training.simclr import SimCLR  # noqa: E402


class SimCLRModule(pl.LightningModule):
    def __init__(self, model: SimCLR, views: Compose, seed: int, temperature: float = 0.1) -> None:
        super().__init__()
        self.model, self.views, self.seed, self.temperature = model, views, seed, temperature
        self.seen: list[tuple[int, float]] = []  # (events, loss) per step, for the test below

    def training_step(self, events, batch_idx):
        g = torch.Generator(device=events.device).manual_seed(derive_seed(self.seed, self.global_step))
        events = preprocess_jets(events, n=None)
        loss = nt_xent(self.model(self.views(events, g)), self.model(self.views(events, g)), self.temperature)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=events.num_events)
        self.seen.append((events.num_events, float(loss.detach())))
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)


def fit(path, tmp_path, seed=0):
    torch.manual_seed(seed)
    module = SimCLRModule(SimCLR(SumPoolEncoder(4, 8), projection_dim=4), Compose([Rotate(), Jitter(0.01),
                                                                                   SoftSmear()]), seed)
    loader = event_loader(EventsDataset(path), batch_size=8, seed=seed)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)
    trainer.fit(module, loader)
    return module, trainer


def test_lightning_trains_simclr_and_weights_the_loss_by_events(tmp_path):
    path = write_top_tagging(tmp_path / "train.h5", jets(20, 6, seed=0), np.arange(20) % 2, "table")
    module, trainer = fit(path, tmp_path)
    sizes, losses = map(np.array, zip(*module.seen))
    assert sizes.tolist() == [8, 8, 4] and np.isfinite(losses).all()
    # The epoch value is the mean over events (not over points, nor over steps).
    epoch_loss = float(trainer.callback_metrics["train_loss"])
    assert epoch_loss == pytest.approx(float((sizes * losses).sum() / sizes.sum()), rel=1e-6)
    assert epoch_loss != pytest.approx(float(losses.mean()), rel=1e-6)
    again, _ = fit(path, tmp_path)
    assert again.seen == module.seen  # one seed, one run
