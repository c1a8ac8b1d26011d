"""PNG charts for the dataset card (matplotlib, Agg backend, imported lazily).

matplotlib is the optional ``charts`` extra (``pip install 'synthbeam[charts]'``; ``make
install`` has it): without it the card is written without charts, and a log line says so.
The worker image leaves it out.
"""

from __future__ import annotations

import io
import logging
from typing import Any

logger = logging.getLogger(__name__)

CLASS_CHART = "class_balance.png"
LENGTH_CHART = "lengths.png"
LENGTH_EDGES = (0, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)


def bucket_label(index: int) -> str:
    low = LENGTH_EDGES[index]
    return f">={low}" if index == len(LENGTH_EDGES) - 1 else f"{low}-{LENGTH_EDGES[index + 1] - 1}"


def split_order(name: str) -> tuple[int, str]:
    """train, then eval/validation, then test, then anything else by name."""
    ranks = {"train": 0, "eval": 1, "validation": 1, "test": 2}
    return ranks.get(name, 3), name


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
    """PNG charts for the stats that have data: class balance and length histogram; none
    without matplotlib."""
    plt = pyplot()
    if plt is None:
        logger.info("matplotlib is not installed (the 'charts' extra): the dataset card has no charts.")
        return {}

    charts: dict[str, bytes] = {}
    counts = stats.get("class_counts")
    if counts:
        labels = sorted(set(counts["before"]) | set(counts["after"]))
        fig, ax = plt.subplots(figsize=(max(4, len(labels) * 0.8), 3))
        x = range(len(labels))
        ax.bar([i - 0.2 for i in x], [counts["before"].get(k, 0) for k in labels], 0.4, label="before")
        ax.bar([i + 0.2 for i in x], [counts["after"].get(k, 0) for k in labels], 0.4, label="after")
        ax.set_xticks(list(x), [k or "(none)" for k in labels], rotation=45, ha="right")
        ax.set_ylabel("rows")
        ax.legend()
        charts[CLASS_CHART] = _png(fig, plt)
    if stats.get("lengths"):
        fig, ax = plt.subplots(figsize=(6, 3))
        names = sorted(stats["lengths"], key=split_order)
        width = 0.8 / len(names)
        for j, name in enumerate(names):
            ax.bar([i + j * width for i in range(len(LENGTH_EDGES))], stats["lengths"][name], width, label=name)
        ax.set_xticks(
            range(len(LENGTH_EDGES)), [bucket_label(i) for i in range(len(LENGTH_EDGES))], rotation=45, ha="right"
        )
        ax.set_ylabel("rows")
        ax.legend()
        charts[LENGTH_CHART] = _png(fig, plt)
    return charts


def _png(fig: Any, plt: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()
