"""Dataset card: exact rendering, YAML header that Hugging Face datasets understands, charts."""

from __future__ import annotations

import apache_beam as beam
import pytest
import yaml
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.schemas.arrow import RECORD_SCHEMA
from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.write.card_writer import WriteDatasetCard, collect_stats, length_bucket
from synthbeam.transforms.write.dataset_card import hf_features, render_card
from synthbeam.transforms.write.parquet import WriteParquetShards

SHARDS = [
    {
        "split": "train",
        "path": "/o/train/part-00000-of-00001.parquet",
        "num_rows": 8,
        "num_bytes": 1000,
        "arrow_bytes": 4000,
    },
    {
        "split": "eval",
        "path": "/o/eval/part-00000-of-00001.parquet",
        "num_rows": 2,
        "num_bytes": 300,
        "arrow_bytes": 900,
    },
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
        sampling=['{"temperature": 0.7}'],
        facts={
            "recipe": "instructions",
            "inputs": ["synthbeam://pydoc_topics"],
            "model": "SmolLM2-135M-Instruct",
            "seed": 0,
            "templates": {"request_for_answer.jinja2": "ab12"},
        },
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
    assert meta["dataset_info"]["splits"] == [  # bytes in memory, as the Hub defines a split's size
        {"name": "train", "num_bytes": 4000, "num_examples": 8},
        {"name": "eval", "num_bytes": 900, "num_examples": 2},
    ]
    assert meta["dataset_info"]["download_size"] == 1300 and meta["dataset_info"]["dataset_size"] == 4900
    assert meta["license"] == "apache-2.0" and meta["size_categories"] == ["n<1K"]
    expected = """
# Demo

Made by a test.

## Splits

| split | rows | files | file bytes | bytes in memory |
|---|---|---|---|---|
| train | 8 | 1 | 1000 | 4000 |
| eval | 2 | 1 | 300 | 900 |

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

## How the rows were made

- recipe: `instructions` (synthbeam)
- source: `synthbeam://pydoc_topics`
- model: `SmolLM2-135M-Instruct`
- seed: 0
- template `request_for_answer.jinja2`: sha256 `ab12`
- sampling: `{"temperature": 0.7}`

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


def test_card_header_is_huggingface_hub_card_data_and_reads_back() -> None:
    from huggingface_hub import DatasetCard, DatasetCardData

    card = DatasetCard(render_card(collect_stats(SHARDS, pretty_name="Demo")))
    assert isinstance(card.data, DatasetCardData)
    data = card.data.to_dict()
    assert data["license"] == "other" and data["license_name"] == "see-dataset-card"  # the Hub needs a name
    assert data["task_categories"] == ["text-generation"] and data["pretty_name"] == "Demo"
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs

    infos = DatasetInfosDict.from_dataset_card_data(card.data)
    assert {name: split.num_examples for name, split in infos["default"].splits.items()} == {"train": 8, "eval": 2}
    assert MetadataConfigs.from_dataset_card_data(card.data)["default"]["data_files"][0]["split"] == "train"


def test_chart_specs_have_titles_labels_integer_counts_and_only_used_bins() -> None:
    from synthbeam.transforms.write.charts import CLASS_CHART, LENGTH_CHART, chart_specs, render_charts

    stats = collect_stats(
        SHARDS,
        lengths=[(("train", 1), 3), (("train", 3), 2), (("eval", 3), 2)],
        class_counts={"before": {"a": 5, "b": 1}, "after": {"a": 5, "b": 3}},
    )
    specs = chart_specs(stats)
    lengths = specs[LENGTH_CHART]
    assert lengths.categories == ("64-127", "256-511")  # only bins that hold a row
    assert lengths.series == (("train", (3, 2)), ("eval", (0, 2)))
    assert lengths.x_label == "characters" and lengths.y_label == "rows" and lengths.title
    balance = specs[CLASS_CHART]
    assert balance.categories == ("a", "b") and balance.series == (("before", (5, 1)), ("after", (5, 3)))
    assert balance.title and balance.x_label and balance.y_label == "rows"
    assert all(isinstance(v, int) for _, values in lengths.series + balance.series for v in values)
    pngs = render_charts(stats)
    assert set(pngs) == {CLASS_CHART, LENGTH_CHART} and all(p.startswith(b"\x89PNG") for p in pngs.values())
