"""Dataset card: exact rendering, YAML header that Hugging Face datasets understands, charts."""

from __future__ import annotations

import apache_beam as beam
import pytest
import yaml
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.schemas.arrow import RECORD_SCHEMA
from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.write.dataset_card import (
    WriteDatasetCard,
    collect_stats,
    hf_features,
    length_bucket,
    render_card,
    to_yaml,
)
from synthbeam.transforms.write.parquet import WriteParquetShards

SHARDS = [
    {"split": "train", "path": "/o/train/part-00000-of-00001.parquet", "num_rows": 8, "num_bytes": 1000},
    {"split": "eval", "path": "/o/eval/part-00000-of-00001.parquet", "num_rows": 2, "num_bytes": 300},
]


def test_to_yaml_block_style() -> None:
    assert to_yaml({"a": [{"b": 1, "c": "x y"}], "d": {"e": True}, "f": []}) == [
        "a:",
        "- b: 1",
        '  c: "x y"',
        "d:",
        "  e: true",
        "f: []",
    ]


def test_hf_features_nested_types() -> None:
    features = {f["name"]: f for f in hf_features(RECORD_SCHEMA)}
    assert features["id"] == {"name": "id", "dtype": "string"}
    assert features["source"]["struct"][1] == {"name": "position", "dtype": "int64"}
    assert features["messages"] == {"name": "messages", "list": "json"}
    assert features["tools"] == {"name": "tools", "dtype": "json"}


def test_length_bucket_edges() -> None:
    assert [length_bucket(n) for n in (0, 63, 64, 1023, 1024, 10**6)] == [0, 0, 1, 4, 5, 10]


def test_render_card_exact_body_and_header() -> None:
    stats = collect_stats(
        SHARDS,
        lengths=[(("train", 1), 8), (("eval", 2), 2)],
        rejected=[(("filters", "too_short"), 3), (("dedup_exact", "exact_duplicate"), 1)],
        class_counts={"before": {"a": 5, "b": 1}, "after": {"a": 5, "b": 3}},
        samples=[{"request": "What is a tuple?", "answer": "A tuple is an immutable sequence.\nIt can be a dict key."}],
        pretty_name="Demo",
        license="apache-2.0",
        description="Made by a test.",
    )
    card = render_card(stats)
    _, header, body = card.split("---\n", 2)
    meta = yaml.safe_load(header)
    assert meta["configs"] == [
        {
            "config_name": "default",
            "data_files": [{"split": "train", "path": "train/*.parquet"}, {"split": "eval", "path": "eval/*.parquet"}],
        }
    ]
    assert meta["dataset_info"]["splits"] == [
        {"name": "train", "num_bytes": 1000, "num_examples": 8},
        {"name": "eval", "num_bytes": 300, "num_examples": 2},
    ]
    assert meta["license"] == "apache-2.0"
    expected = """
# Demo

Made by a test.

## Splits

| split | rows | files | bytes |
|---|---|---|---|
| train | 8 | 1 | 1000 |
| eval | 2 | 1 | 300 |

## Class balance

| label | before | after |
|---|---|---|
| a | 5 | 5 |
| b | 1 | 3 |

## Lengths (characters of all turns)

| chars | train | eval |
|---|---|---|
| 64-127 | 8 | 0 |
| 128-255 | 0 | 2 |

## Sample rows

A fixed sample of kept rows (chosen by a hash of their ids):

- **request**: What is a tuple?
  **answer**: A tuple is an immutable sequence. ⏎ It can be a dict key.

## Curation

Kept 10 of 14 generated rows (71%).

Rows removed, by stage and reason (reason codes are listed in the manifest):

| stage | reason | rows |
|---|---|---|
| dedup_exact | exact_duplicate | 1 |
| filters | too_short | 3 |

## Columns
"""
    assert body.startswith(expected)
    assert "- `messages`: list of JSON\n" in body


def record(i: int, split: str) -> Record:
    return Record(
        id=f"r{i}",
        task="t",
        messages=[{"role": "user", "content": "x" * (70 * (i + 1))}],
        label="ab"[i % 2],
        split=split,
    )


def test_write_card_pipeline_loads_with_hf_datasets(tmp_path, monkeypatch) -> None:
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    out = str(tmp_path / "ds")
    records = [record(i, "train" if i < 6 else "eval") for i in range(8)]
    with TestPipeline() as p:
        rows = p | "Rows" >> beam.Create(records)
        shards = rows | WriteParquetShards(out)
        counts = p | "Counts" >> beam.Create([{"before": {"a": 4, "b": 4}, "after": {"a": 4, "b": 4}}])
        rejected = p | "Rejected" >> beam.Create([Rejected(record(9, ""), "filters", "too_short")])
        _ = {"shards": shards, "records": rows, "class_counts": counts, "rejected": rejected} | WriteDatasetCard(
            out, pretty_name="Tiny"
        )
    assert sorted(f.name for f in (tmp_path / "ds").iterdir()) == [
        "README.md",
        "class_balance.png",
        "eval",
        "lengths.png",
        "train",
    ]
    assert (tmp_path / "ds" / "class_balance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    card = (tmp_path / "ds" / "README.md").read_text()
    assert "| filters | too_short | 1 |" in card and "![class balance](class_balance.png)" in card
    ds = datasets.load_dataset(out, cache_dir=str(tmp_path / "cache"))
    assert {name: d.num_rows for name, d in ds.items()} == {"train": 6, "eval": 2}
