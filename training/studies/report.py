"""Tables and plots for the studies: mean and spread over seeds, markdown, CSV, plots (mplhep's
CMS-like style when mplhep is installed)."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

if TYPE_CHECKING:
    from training.studies.statistics import Difference

__all__ = ["summarise", "markdown_table", "write_csv", "ablation_plot", "panel_plot"]


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


def markdown_table(summary: Sequence[Mapping], key: str, metrics: Sequence[str], extra: Sequence[str] = (),
                   digits: int = 3) -> str:
    """``| key | metric (mean +- std) ... | extra ... | runs |`` as a markdown table; ``extra`` columns
    are strings of the summary entries, shown as they are. A metric that is nan shows as "—"."""
    lines = [f"| {key} | " + " | ".join([*metrics, *extra]) + " | runs |", "|---" * (len(metrics) + len(extra) + 2) + "|"]
    for s in summary:
        cells = []
        for m in metrics:
            std = s[f"{m}_std"]
            cells.append("—" if math.isnan(s[m]) else
                         f"{s[m]:.{digits}f}" + ("" if math.isnan(std) else f" ± {std:.{digits}f}"))
        cells += [str(s[e]) for e in extra]
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


def _pyplot():
    """matplotlib.pyplot on the Agg backend, in mplhep's CMS style when mplhep is installed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        import mplhep
    except ImportError:
        plt.style.use("default")
    else:
        plt.style.use(mplhep.style.CMS)
        plt.rcParams.update({"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 9})
    return plt


def panel_plot(path: str | Path, rows: Sequence[Mapping], panel: str, x: str, y: str, curve: str,
               err: str | None = None, marks: Mapping[str, float] | None = None, title: str = "",
               columns: int = 3, xlabels: Mapping[str, str] | None = None, log_x: Sequence[str] = (),
               ylabel: str | None = None, hline: tuple[str, float] | None = None) -> Path:
    """One panel per value of ``rows[panel]`` (first-seen order), ``y`` against ``x`` with one
    curve per value of ``rows[curve]`` (error bars from ``err``); ``marks[panel]`` draws a dashed
    vertical line (e.g. the nominal value). ``xlabels[panel]``: the x axis label (quantity and
    unit; default the panel's name); panels in ``log_x`` get a log x axis; ``ylabel`` labels y;
    ``hline`` (label, value) draws a horizontal dotted line in every panel (e.g. chance level)."""
    plt = _pyplot()

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
            ax.axvline(marks[name], color="grey", ls="--", lw=1, label="nominal" if ax is axes.flat[0] else None)
        if hline is not None:
            ax.axhline(hline[1], color="black", ls=":", lw=1, label=hline[0] if ax is axes.flat[0] else None)
        if name in log_x:
            ax.set_xscale("log")
        ax.set_xlabel((xlabels or {}).get(name, name))
        ax.set_ylabel(ylabel or y)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def ablation_plot(path: str | Path, summary: Sequence[Mapping], key: str, metric: str,
                  vs_none: Mapping[str, "Difference"], vs_random: Mapping[str, "Difference"], chance: float,
                  label: str, title: str) -> Path:
    """Two panels per row of ``summary``: left ``metric`` (mean, error bar = std over seeds) with the
    chance level and the random-init encoder's mean as vertical lines; right the paired differences to
    "none" and to the random-init encoder with their intervals (``Difference`` of
    :mod:`training.studies.statistics`) and a line at 0."""
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [s[key] for s in summary]
    y = list(range(len(names)))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.5 * len(names) + 2.0), sharey=True)
    means = [s[metric] for s in summary]
    errs = [0.0 if math.isnan(s[f"{metric}_std"]) else s[f"{metric}_std"] for s in summary]
    left.errorbar(means, y, xerr=errs, fmt="o", color="tab:blue", capsize=3, label="mean ± std over seeds")
    left.axvline(chance, color="black", ls=":", lw=1, label=f"chance ({chance:g})")
    random_mean = next((s[metric] for s in summary if "random" in str(s[key])), None)
    if random_mean is not None:
        left.axvline(random_mean, color="tab:grey", ls="--", lw=1, label="random-init encoder")
    left.set_yticks(y, names)
    left.invert_yaxis()
    left.set_xlabel(label)
    left.legend(loc="lower left", fontsize=8)
    for offset, (diffs, colour, what) in zip((-0.15, 0.15), ((vs_none, "tab:orange", '"none"'),
                                                             (vs_random, "tab:green", "random init"))):
        rows = [(i, diffs[n]) for i, n in enumerate(names) if n in diffs]
        right.errorbar([d.mean for _, d in rows], [i + offset for i, _ in rows],
                       xerr=[[d.mean - d.low for _, d in rows], [d.high - d.mean for _, d in rows]], fmt="s",
                       ms=4, color=colour, capsize=3, label=f"vs {what} (95% interval)")
    right.axvline(0.0, color="black", lw=1)
    right.set_xlabel(f"paired difference of {label}")
    right.legend(loc="lower left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
