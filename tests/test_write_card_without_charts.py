"""The dataset card without matplotlib (the worker image has none): written, without charts."""

from __future__ import annotations

import builtins
import logging
from pathlib import Path
from typing import Any

import pytest

from synthbeam.transforms.write import charts
from synthbeam.transforms.write.card_writer import write_card
from synthbeam.transforms.write.charts import CLASS_CHART, LENGTH_CHART

STATS: dict[str, Any] = {
    "pretty_name": "synthbeam test",
    "description": "rows",
    "splits": {"train": {"num_examples": 3, "num_bytes": 100, "files": ["train/part-00000-of-00001.parquet"]}},
    "lengths": {"train": [1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]},
    "rejected": {},
    "samples": [],
    "copies": 0,
    "class_counts": {"before": {"a": 1, "b": 2}, "after": {"a": 2, "b": 2}},
}


def without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def refusing(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refusing)


def test_card_is_written_without_charts_when_matplotlib_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    without_matplotlib(monkeypatch)
    with caplog.at_level(logging.INFO, logger=charts.__name__):
        written = write_card(str(tmp_path), dict(STATS))
    assert [Path(p).name for p in written] == ["README.md"]
    card = (tmp_path / "README.md").read_text()
    assert CLASS_CHART not in card and LENGTH_CHART not in card
    assert "matplotlib is not installed (the 'charts' extra): the dataset card has no charts." in caplog.text


def test_charts_are_drawn_when_matplotlib_is_installed(tmp_path: Path) -> None:
    written = {Path(p).name for p in write_card(str(tmp_path), dict(STATS))}
    assert written == {"README.md", CLASS_CHART, LENGTH_CHART}
    assert (tmp_path / LENGTH_CHART).read_bytes().startswith(b"\x89PNG")
