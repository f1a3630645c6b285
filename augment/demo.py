"""`python -m augment.demo`: build a batch, apply a pipeline, print what each transform did."""

from __future__ import annotations

import argparse

import torch

from augment import Compose, Events, OneOf, RandomApply, Translate


def toy_batch(num_events: int, points: int, generator: torch.Generator) -> Events:
    """Straight 'tracks' of ``points`` deposits (x, y, z in cm; dE in MeV, dx in cm)."""
    start = torch.rand(num_events, 1, 3, generator=generator) * 100
    direction = torch.nn.functional.normalize(torch.randn(num_events, 1, 3, generator=generator), dim=-1)
    step = torch.arange(points).view(1, -1, 1) * 0.3
    coords = (start + step * direction).reshape(-1, 3)
    feats = torch.stack([torch.full((num_events * points,), 2.1 * 0.3), torch.full((num_events * points,), 0.3)], 1)
    batch = torch.arange(num_events).repeat_interleave(points)
    return Events(coords, feats, batch, num_events, feature_names=("dE", "dx"))


def describe(name: str, params) -> str:
    if isinstance(params, list):
        return "\n".join(describe(f"{name}[{i}]", p) for i, p in enumerate(params))
    parts = [f"applied to {int(params['apply'].sum())} events"]
    for k, v in params.items():
        if k != "apply" and v.is_floating_point():
            parts.append(f"{k}: mean {v.mean():.3g}, std {v.std() if v.numel() > 1 else 0:.3g}")
    return f"{name}: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=8)
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    g = torch.Generator().manual_seed(args.seed)
    events = toy_batch(args.events, args.points, g)
    pipeline = Compose([Translate(5.0), RandomApply(Translate(1.0), p=0.5), OneOf([Translate(2.0), Translate(10.0)])])
    out, params = pipeline.sample_apply(events, g)
    print(events)
    print(pipeline)
    for i, (t, p) in enumerate(zip(pipeline.transforms, params)):
        print(describe(f"{i} {type(t).__name__}", p))
    replay = pipeline.apply(events, params)
    print("replay identical:", torch.equal(replay.coords, out.coords) and torch.equal(replay.feats, out.feats))


if __name__ == "__main__":
    main()
