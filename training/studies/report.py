"""Tables and plots for the studies: mean and spread over seeds, markdown, CSV, bar plot."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Mapping, Sequence

__all__ = ["summarise", "markdown_table", "write_csv", "bar_plot", "panel_plot"]


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


def panel_plot(path: str | Path, rows: Sequence[Mapping], panel: str, x: str, y: str, curve: str,
               err: str | None = None, marks: Mapping[str, float] | None = None, title: str = "",
               columns: int = 3) -> Path:
    """One panel per value of ``rows[panel]`` (first-seen order), ``y`` against ``x`` with one
    curve per value of ``rows[curve]`` (error bars from ``err``); ``marks[panel]`` draws a dashed
    vertical line (e.g. the nominal value)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    panels = list(dict.fromkeys(str(r[panel]) for r in rows))
    curves = list(dict.fromkeys(str(r[curve]) for r in rows))
    n_rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(n_rows, columns, figsize=(4 * columns, 3.2 * n_rows + 0.6), squeeze=False)
    for ax, name in zip(axes.flat, panels):
        for c in curves:
            sel = sorted((r for r in rows if str(r[panel]) == name and str(r[curve]) == c), key=lambda r: float(r[x]))
            ax.errorbar([float(r[x]) for r in sel], [float(r[y]) for r in sel],
                        yerr=None if err is None else [float(r[err]) for r in sel], marker="o", ms=3, capsize=2,
                        label=c)
        if marks and name in marks:
            ax.axvline(marks[name], color="grey", ls="--", lw=1)
        ax.set_xlabel(name)
        ax.set_ylabel(y)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
