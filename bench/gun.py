"""Toy-gun throughput (events/s on one core) of this tree against a baseline source tree.

``python -m bench.gun --baseline DIR [--events-per-class N] [--repeats R]``

DIR holds another checkout of the package (e.g. ``git archive <commit> | tar -x -C DIR``; the
script never touches git). Each repeat times ``generate(N, seed=repeat, workers=1)`` in a fresh
process per tree (after a warm-up that loads the numba cache), the trees taking turns, so load
changes on a shared machine hit both alike. Prints the median events/s of each and their ratio.
Without ``--baseline`` only this tree is timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = """
import time
from systematics.gun import generate
generate(1, seed=0, progress=False)
start = time.perf_counter()
_, _, offsets, labels = generate({n}, seed={seed}, workers=1, progress=False)
print(len(labels) / (time.perf_counter() - start))
"""


def events_per_second(tree: Path, n_per_class: int, seed: int) -> float:
    """Events/s of ``generate(n_per_class, seed)`` with one worker, in a fresh single-threaded process
    importing the package from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _CHILD.format(n=n_per_class, seed=seed)], cwd=tree, env=env,
                         check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gun", description=__doc__.split("\n\n")[1])
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout of the package")
    parser.add_argument("--events-per-class", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    trees = {"this tree": Path(__file__).resolve().parents[1]}
    if args.baseline is not None:
        if not (args.baseline / "systematics" / "gun").is_dir():
            raise SystemExit(f"--baseline: expected a checkout holding systematics/gun, got {args.baseline}")
        trees["baseline"] = args.baseline.resolve()
    rates: dict[str, list[float]] = {name: [] for name in trees}
    for repeat in range(args.repeats):
        for name, tree in trees.items():
            rates[name].append(events_per_second(tree, args.events_per_class, seed=repeat))
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, rate in medians.items():
        print(f"{name}: {rate:.1f} events/s/core (median of {args.repeats}, "
              f"{5 * args.events_per_class} events of the 5 classes each)")
    if "baseline" in medians:
        print(f"ratio this tree / baseline: {medians['this tree'] / medians['baseline']:.2f}")


if __name__ == "__main__":
    main()
