import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from augment import Compose, Translate
from training import distributed
from training.simclr import SimCLR, SimCLRTrainer, cat_events, derive_seed, save_atomic
from tests.training.toy import SumPoolEncoder, toy_events


def make_model(seed=0):
    torch.manual_seed(seed)
    return SimCLR(SumPoolEncoder(3, 16), projection_dim=8)


def make_trainer(model, tmp_path=None, **kw):
    args = dict(lr=1e-2, epochs=2, batch_size=8, temperature=0.5, seed=3, progress=False, device="cpu",
                checkpoint_dir=tmp_path)
    args.update(kw)
    return SimCLRTrainer(model, Translate(0.1), **args)


def test_two_steps_finite_and_views_independent():
    tr = make_trainer(make_model())
    hist = tr.fit(toy_events(16), max_steps=2)
    assert len(hist["loss"]) == 2 and all(torch.isfinite(torch.tensor(hist["loss"])))
    ev = toy_events(4)
    v1, v2 = tr.make_views(ev, 0, 0)
    assert not torch.equal(v1.coords, v2.coords)
    w1, _ = tr.make_views(ev, 0, 0)
    torch.testing.assert_close(v1.coords, w1.coords, rtol=0, atol=0)
    assert not torch.equal(tr.make_views(ev, 0, 1)[0].coords, v1.coords)
    assert not torch.equal(tr.make_views(ev, 1, 0)[0].coords, v1.coords)


def test_loss_decreases_on_easy_toy():
    tr = make_trainer(make_model(), epochs=30, batch_size=16)
    loss = tr.fit(toy_events(16, seed=1))["loss"]
    assert len(loss) == 30
    first, last = sum(loss[:5]) / 5, sum(loss[-5:]) / 5
    assert last < 0.8 * first, (first, last)


def test_schedule_warmup_then_cosine_to_zero():
    tr = make_trainer(make_model(), epochs=1, warmup_steps=2)
    lr = tr.fit(toy_events(48))["lr"]  # 6 steps
    assert lr[:2] == pytest.approx([0.005, 0.01])
    assert lr[2] == pytest.approx(0.01) and all(a > b for a, b in zip(lr[2:], lr[3:]))
    assert tr.optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_resume_equals_uninterrupted(tmp_path):
    data = toy_events(36)  # 4 steps per epoch, 8 in all; the last incomplete step is dropped
    full = make_trainer(make_model(), tmp_path / "full", warmup_steps=2)
    hist_full = full.fit(data)
    part = make_trainer(make_model(), tmp_path / "split", warmup_steps=2)
    assert len(part.fit(data, max_steps=3)["loss"]) == 3  # stops mid-epoch, checkpoint written
    assert sorted(p.name for p in (tmp_path / "split").iterdir()) == ["last.pt"]  # no temp file left
    resumed = make_trainer(make_model(seed=99), tmp_path / "split", warmup_steps=2)
    hist = resumed.fit(data, resume=True)
    assert hist["loss"] == pytest.approx(hist_full["loss"], rel=1e-6)
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    state = torch.load(tmp_path / "split" / "last.pt", weights_only=False)
    assert (state["step"], state["epoch"]) == (8, 2)


def test_checkpoint_every(tmp_path):
    tr = make_trainer(make_model(), tmp_path, epochs=1, checkpoint_every=2)
    saved = []
    tr.save_checkpoint = lambda: saved.append(tr.global_step)
    tr.fit(toy_events(40))  # 5 steps
    assert saved == [2, 4, 5]


def test_resume_rejects_other_settings(tmp_path):
    make_trainer(make_model(), tmp_path).fit(toy_events(16), max_steps=1)
    with pytest.raises(ValueError, match="checkpoint: expected a run with settings"):
        make_trainer(make_model(), tmp_path, seed=4).fit(toy_events(16), resume=True)
    with pytest.raises(ValueError, match="checkpoint_dir: expected a directory to resume"):
        make_trainer(make_model()).fit(toy_events(16), resume=True)


def test_iterable_and_function_data():
    batches = [toy_events(8, seed=s) for s in range(3)]
    tr = make_trainer(make_model(), epochs=2)
    assert len(tr.fit(batches)["loss"]) == 6
    tr = make_trainer(make_model(), epochs=2)
    assert len(tr.fit(lambda epoch: iter(batches[epoch:epoch + 2]), steps_per_epoch=2)["loss"]) == 4
    with pytest.raises(ValueError, match="steps_per_epoch: expected an int when data has no len"):
        make_trainer(make_model()).fit(lambda epoch: iter(batches))
    with pytest.raises(ValueError, match="data: expected 3 batches in epoch 0, got 2"):
        make_trainer(make_model()).fit(lambda epoch: iter(batches[:2]), steps_per_epoch=3)


def test_cat_events_and_save_atomic(tmp_path):
    a, b = toy_events(3, seed=0), toy_events(2, seed=1)
    c = cat_events(a, b)
    assert c.num_events == 5 and torch.equal(c.counts(), torch.cat([a.counts(), b.counts()]))
    save_atomic({"x": 1}, tmp_path / "sub" / "f.pt")
    assert torch.load(tmp_path / "sub" / "f.pt") == {"x": 1}
    with pytest.raises(Exception):
        save_atomic({"x": lambda: 0}, tmp_path / "sub" / "f.pt")  # fails while pickling
    assert torch.load(tmp_path / "sub" / "f.pt") == {"x": 1}  # the old file survives, no temp file left
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["f.pt"]
    assert derive_seed(1, 2) != derive_seed(2, 1) and 0 <= derive_seed(0) < 2**63


def test_bad_arguments():
    model = make_model()
    with pytest.raises(TypeError, match="encoder: expected an nn.Module with an int attribute out_features"):
        SimCLR(torch.nn.Identity())
    with pytest.raises(ValueError, match="projection_dim: expected an int >= 1"):
        SimCLR(SumPoolEncoder(3), projection_dim=0)
    with pytest.raises(TypeError, match="view1: expected an augment Transform"):
        SimCLRTrainer(model, lambda e: e)
    with pytest.raises(ValueError, match="lr: expected a finite number > 0"):
        SimCLRTrainer(model, Translate(1.0), lr=0)
    with pytest.raises(ValueError, match="batch_size: expected an int >= 1"):
        SimCLRTrainer(model, Translate(1.0), batch_size=0)
    with pytest.raises(ValueError, match="data: expected at least batch_size x world_size = 8 events, got 4"):
        make_trainer(model).fit(toy_events(4))
    with pytest.raises(RuntimeError, match="train_step: call prepare"):
        make_trainer(model).train_step(toy_events(4), 0, 0)


# ----------------------------------------------------------------- DDP, 2 ranks
def _ddp_worker(rank, port, out_file):
    # What torchrun sets; init_from_env then joins the group over env:// with gloo on CPU.
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    assert distributed.init_from_env("cpu") == torch.device("cpu")
    assert dist.get_backend() == "gloo" and distributed.world_size() == 2
    try:
        tr = make_trainer(make_model(), batch_size=4, epochs=1)
        tr.view1 = tr.view2 = Compose([Translate(0.0)])  # identical views: ranks see the same augmentation
        hist = tr.fit(toy_events(17))  # 2 steps of 2 x 4 events
        if rank == 0:
            torch.save({"loss": hist["loss"], "params": [p.detach() for p in tr.model.parameters()]}, out_file)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_two_ranks_equal_single_process_double_batch(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mp.spawn(_ddp_worker, args=(port, str(tmp_path / "out.pt")), nprocs=2, join=True)
    out = torch.load(tmp_path / "out.pt")
    tr = make_trainer(make_model(), batch_size=8, epochs=1)
    tr.view1 = tr.view2 = Compose([Translate(0.0)])
    hist = tr.fit(toy_events(17))
    assert out["loss"] == pytest.approx(hist["loss"], rel=1e-5)
    for a, b in zip(out["params"], tr.model.parameters()):
        torch.testing.assert_close(a, b.detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a GPU"))])
def test_view_generators_live_on_the_trainer_device(device):
    """The views are drawn where the batches are (the trainer moves them to its device first)."""
    tr = make_trainer(make_model(), device=device)
    assert tr.view_generator(1, 0, 0).device == tr.device
    ev = toy_events(4).to(device)
    assert tr.make_views(ev, 0, 0)[0].coords.device == tr.device


def test_resume_from_a_damaged_checkpoint_raises_naming_it(tmp_path):
    # Regression: a checkpoint with 4 KiB of flipped bytes loaded without complaint and training
    # went on with NaN.
    data = toy_events(36)
    make_trainer(make_model(), tmp_path, warmup_steps=2).fit(data, max_steps=3)
    path = tmp_path / "last.pt"
    raw = bytearray(path.read_bytes())
    mid = len(raw) // 2
    raw[mid:mid + 4096] = bytes(b ^ 0xFF for b in raw[mid:mid + 4096])
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"checkpoint .*last\.pt: checksum mismatch"):
        make_trainer(make_model(), tmp_path, warmup_steps=2).fit(data, resume=True)
