"""``python -m systematics.gun --events-per-class N --out data/lartpc.h5 --seed S --workers W``.

Writes the true deposits in the ragged h5 format of :mod:`augment.h5` (coords x, y, z in cm;
feats dE in MeV, dx in cm; labels indexing PARTICLE_CLASSES; every setting in ``settings``)
and prints the generation speed.
"""

from __future__ import annotations

import argparse
import time

from systematics.particles import PARTICLE_CLASSES
from systematics.gun.generate import generate_file


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m systematics.gun", description=__doc__.split("\n\n")[1])
    parser.add_argument("--events-per-class", type=int, required=True)
    parser.add_argument("--out", default="data/lartpc.h5")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--classes", nargs="+", default=list(PARTICLE_CLASSES), choices=PARTICLE_CLASSES)
    parser.add_argument("--keep-empty", action="store_true",
                        help="write events without any deposit (default: draw them again)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    path, n, deposits, empty_fraction = generate_file(args.out, args.events_per_class, args.seed, args.classes,
                                                      args.workers, progress=not args.no_progress,
                                                      resample_empty=not args.keep_empty)
    seconds = time.perf_counter() - start
    empty = (f"{empty_fraction:.2%} of the events written are empty" if args.keep_empty else
             f"{empty_fraction:.2%} of the draws left no deposit and were drawn again")
    print(f"{path}: {n} events, {deposits} deposits in {seconds:.1f} s with {args.workers} worker(s): "
          f"{n / seconds:.1f} events/s, {n / seconds / args.workers:.1f} events/s/worker; {empty}")


if __name__ == "__main__":
    main()
