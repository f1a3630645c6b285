"""The command line shared by the set-up scripts (bench.jets_setup, bench.lartpc_setup): runs named
``CONFIG:ROW``, seeds, processes, data and work folders, an optional CSV."""

from __future__ import annotations

import argparse
from typing import Mapping


def parse_setup_arguments(description: str, configs: Mapping[str, object], workdir: str) -> argparse.Namespace:
    """Parse --runs CONFIG:ROW ... (CONFIG a key of ``configs``), --seeds, --jobs, --data-dir,
    --workdir (default ``workdir``) and --csv; a bad --runs entry is a usage error naming it."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", required=True, help="CONFIG:ROW, CONFIG one of " + ", ".join(configs))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--jobs", type=int, default=1, help="parallel processes")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--workdir", default=workdir)
    parser.add_argument("--csv", default=None, help="write (jets: append) the result lines to this CSV")
    args = parser.parse_args()
    for spec in args.runs:
        if ":" not in spec or spec.split(":")[0] not in configs:
            parser.error(f"--runs: expected CONFIG:ROW with CONFIG in {list(configs)}, got {spec!r}")
    return args
