"""Speed of the symmetry/masking transforms (Reflect, ElasticDistortion, Crop, FeatureDrop and the
JetCLR options) batched against the per-event loop, in one run (ratios, not absolute times).

    nice python -m bench.new_transforms [--threads 1] [--repeats 9]

Workloads as :mod:`bench.transforms`: 256 voxel-like events of Poisson(1000) points in a 100 cm box
and 1024 jets of Poisson(50) constituents. Each row: batched sample + apply, batched apply alone
(params drawn beforehand), the same transform on each single-event batch in a Python loop, and
loop / batched.
"""

from __future__ import annotations

import argparse

import torch

from augment import CollinearSplit, Crop, ElasticDistortion, FeatureDrop, Reflect, Rotate, Translate
from bench.transforms import per_transform_row, split_events
from bench.workloads import jet_batch, voxel_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    voxels, jets = voxel_batch(256, 1000), jet_batch(1024, 50)
    rows = [("voxels", voxels, t) for t in (Reflect(axes=(0, 1, 2)), ElasticDistortion(20.0, 2.0),
                                            Crop((20.0, 60.0)), FeatureDrop(1, per="point"))]
    rows += [("jets", jets, t) for t in (Reflect(axes=(0, 1), centre="jet"), Rotate(centre="weighted"),
                                         Translate(relative=True), CollinearSplit(fill_to=50))]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, median of {args.repeats} "
          f"after {args.warmup} warm-up calls\n")
    print("| workload | transform | batched sample+apply (ms) | batched apply (ms) | loop sample+apply (ms) "
          "| loop / batched |\n|---|---|---|---|---|---|")
    for name, events, t in rows:
        print(per_transform_row(name, t, events, split_events(events), args), flush=True)


if __name__ == "__main__":
    main()
