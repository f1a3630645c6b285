"""Two CPU processes (gloo): the gathered loss and gradients equal the single-process ones."""

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from training import distributed
from training.losses import nt_xent, nt_xent_distributed

WORLD, N, D, TAU = 2, 3, 4, 0.2


def _views():
    g = torch.Generator().manual_seed(7)
    return (torch.randn(WORLD * N, D, generator=g, dtype=torch.float64),
            torch.randn(WORLD * N, D, generator=g, dtype=torch.float64))


def _worker(rank, init_file, out_dir):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        z1, z2 = _views()
        mine = slice(rank * N, (rank + 1) * N)
        a = z1[mine].clone().requires_grad_()
        b = z2[mine].clone().requires_grad_()
        gathered = distributed.gather_with_grad(a)
        loss = nt_xent_distributed(a, b, TAU)
        loss.backward()
        with pytest.raises(ValueError, match="x: expected the same number of rows on every rank"):
            distributed.gather_with_grad(torch.zeros(rank + 1, 2))
        torch.save({"rank": distributed.rank(), "world": distributed.world_size(), "main": distributed.is_main(),
                    "gathered": gathered.detach(), "loss": loss.detach(), "g1": a.grad, "g2": b.grad},
                   f"{out_dir}/rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_process_loss_and_gradients_equal_single_process(tmp_path):
    mp.spawn(_worker, args=(str(tmp_path / "init"), str(tmp_path)), nprocs=WORLD, join=True)
    out = [torch.load(tmp_path / f"rank{r}.pt") for r in range(WORLD)]
    z1, z2 = _views()
    z1.requires_grad_()
    z2.requires_grad_()
    loss = nt_xent(z1, z2, TAU)
    loss.backward()
    assert [o["rank"] for o in out] == [0, 1] and all(o["world"] == 2 for o in out)
    assert [o["main"] for o in out] == [True, False]
    for o in out:
        torch.testing.assert_close(o["gathered"], z1.detach(), rtol=0, atol=0)
    # DDP averages gradients over ranks: the optimised loss is the mean of the rank losses.
    torch.testing.assert_close(sum(o["loss"] for o in out) / WORLD, loss.detach(), rtol=1e-12, atol=1e-12)
    g1 = torch.cat([o["g1"] for o in out]) / WORLD
    g2 = torch.cat([o["g2"] for o in out]) / WORLD
    torch.testing.assert_close(g1, z1.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(g2, z2.grad, rtol=1e-10, atol=1e-12)


def test_single_process_defaults(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed.init_from_env("cpu") == torch.device("cpu")
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)
    x = torch.randn(2, 3)
    assert distributed.gather_with_grad(x) is x
