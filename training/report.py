"""Tables and plots for the studies: mean and spread over seeds, markdown, CSV, bar plot."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Mapping, Sequence

__all__ = ["summarise", "markdown_table", "write_csv", "bar_plot"]


def summarise(rows: Sequence[Mapping[str, float | str]], key: str, metrics: Sequence[str]) -> list[dict]:
    """Group ``rows`` (one per run) by ``key``, keeping first-seen order; per metric: mean, sample std, runs."""
    groups: dict[str, list[Mapping]] = {}
    for row in rows:
        groups.setdefault(str(row[key]), []).append(row)
    out = []
    for name, runs in groups.items():
        entry: dict = {key: name, "runs": len(runs)}
        for m in metrics:
            values = [float(r[m]) for r in runs]
            mean = sum(values) / len(values)
            std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else float("nan")
            entry[m], entry[f"{m}_std"] = mean, std
        out.append(entry)
    return out


def markdown_table(summary: Sequence[Mapping], key: str, metrics: Sequence[str], digits: int = 3) -> str:
    """``| key | metric (mean +- std) ... | runs |`` as a markdown table."""
    lines = [f"| {key} | " + " | ".join(metrics) + " | runs |", "|---" * (len(metrics) + 2) + "|"]
    for s in summary:
        cells = []
        for m in metrics:
            std = s[f"{m}_std"]
            cells.append(f"{s[m]:.{digits}f}" + ("" if math.isnan(std) else f" ± {std:.{digits}f}"))
        lines.append(f"| {s[key]} | " + " | ".join(cells) + f" | {s['runs']} |")
    return "\n".join(lines)


def write_csv(path: str | Path, rows: Sequence[Mapping]) -> Path:
    """Write one row per run (all keys of the first row as columns)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def bar_plot(path: str | Path, summary: Sequence[Mapping], key: str, metric: str, title: str) -> Path:
    """Horizontal bars of ``metric`` (mean, std as error bars) per ``key``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [s[key] for s in summary]
    means = [s[metric] for s in summary]
    errs = [0.0 if math.isnan(s[f"{metric}_std"]) else s[f"{metric}_std"] for s in summary]
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(names) + 1.2))
    ax.barh(range(len(names)), means, xerr=errs, color="tab:blue", alpha=0.8)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    lo = min(m - e for m, e in zip(means, errs))
    hi = max(m + e for m, e in zip(means, errs))
    ax.set_xlim(max(0.0, lo - 0.1 * (hi - lo + 1e-9)), hi + 0.1 * (hi - lo + 1e-9))
    ax.set_xlabel(metric)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
