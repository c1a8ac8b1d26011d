"""PNG charts for the dataset card (matplotlib, Agg backend, imported lazily).

What a chart shows is decided by ``chart_specs`` (pure: titles, axis labels, bars and their
values, only non-empty length bins), which the tests read; ``render_charts`` only draws
them, with integer row ticks and a value on every bar.

matplotlib is the optional ``charts`` extra (``pip install 'synthbeam[charts]'``; ``make
install`` has it): without it the card is written without charts, and a log line says so.
The worker image leaves it out.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

CLASS_CHART = "class_balance.png"
LENGTH_CHART = "lengths.png"
LENGTH_EDGES = (0, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)


@dataclass(frozen=True)
class ChartSpec:
    """A grouped bar chart: one bar per (category, series)."""

    title: str
    x_label: str
    y_label: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (name, one value per category)


def bucket_label(index: int) -> str:
    low = LENGTH_EDGES[index]
    return f">={low}" if index == len(LENGTH_EDGES) - 1 else f"{low}-{LENGTH_EDGES[index + 1] - 1}"


def split_order(name: str) -> tuple[int, str]:
    """train, then eval/validation, then test, then anything else by name."""
    ranks = {"train": 0, "eval": 1, "validation": 1, "test": 2}
    return ranks.get(name, 3), name


def class_chart(counts: dict[str, dict[str, int]]) -> ChartSpec:
    labels = sorted(set(counts["before"]) | set(counts["after"]))
    return ChartSpec(
        title="Rows per class in the train split, before and after oversampling",
        x_label="class (label)",
        y_label="rows",
        categories=tuple(label or "(none)" for label in labels),
        series=tuple((name, tuple(counts[name].get(label, 0) for label in labels)) for name in ("before", "after")),
    )


def length_chart(lengths: dict[str, list[int]]) -> ChartSpec:
    """Rows per length bin and split; only bins that hold a row."""
    names = sorted(lengths, key=split_order)
    used = [i for i in range(len(LENGTH_EDGES)) if any(lengths[n][i] for n in names)]
    return ChartSpec(
        title="Row length (characters of all turns)",
        x_label="characters",
        y_label="rows",
        categories=tuple(bucket_label(i) for i in used),
        series=tuple((name, tuple(lengths[name][i] for i in used)) for name in names),
    )


def chart_specs(stats: dict[str, Any]) -> dict[str, ChartSpec]:
    """The charts the stats have data for, by file name."""
    specs = {}
    if stats.get("class_counts"):
        specs[CLASS_CHART] = class_chart(stats["class_counts"])
    if stats.get("lengths") and any(any(bins) for bins in stats["lengths"].values()):
        specs[LENGTH_CHART] = length_chart(stats["lengths"])
    return specs


def pyplot() -> Any | None:
    """matplotlib's pyplot on the Agg backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def render_charts(stats: dict[str, Any]) -> dict[str, bytes]:
    """PNG bytes of ``chart_specs(stats)``; none without matplotlib."""
    specs = chart_specs(stats)
    if not specs:
        return {}
    plt = pyplot()
    if plt is None:
        logger.info("matplotlib is not installed (the 'charts' extra): the dataset card has no charts.")
        return {}
    return {name: draw(spec, plt) for name, spec in specs.items()}


def draw(spec: ChartSpec, plt: Any) -> bytes:
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(max(5.0, len(spec.categories) * 0.9), 3.6))
    width = 0.8 / len(spec.series)
    for j, (name, values) in enumerate(spec.series):
        offsets = [i - 0.4 + width * (j + 0.5) for i in range(len(spec.categories))]
        bars = ax.bar(offsets, values, width, label=name)
        ax.bar_label(bars, fontsize=8)
    ax.set_xticks(range(len(spec.categories)), spec.categories, rotation=30, ha="right")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(spec.title, fontsize=10)
    ax.set_xlabel(spec.x_label)
    ax.set_ylabel(spec.y_label)
    ax.margins(y=0.15)
    if len(spec.series) > 1:
        ax.legend()
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()
