"""WriteParquetShards / WriteRejects: layout, round trip, shard sizing, readers."""

from __future__ import annotations

import glob
import os

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas.arrow import RECORD_SCHEMA, REJECTED_SCHEMA, row_to_record
from synthbeam.schemas.record import Lineage, Record, Rejected, Source
from synthbeam.transforms.write.parquet import (
    WriteParquetShards,
    WriteRejects,
    num_shards,
    shard_path,
    write_row_groups,
)


def make_record(i: int, split: str = "", text_len: int = 20) -> Record:
    return Record(
        id=f"r{i:04d}",
        task="qa",
        messages=[
            {"role": "user", "content": f"question {i} " + "x" * text_len},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}],
            },
        ],
        label="a" if i % 2 else "b",
        source=Source(uri="mem://x", position=i),
        lineage=Lineage(model="m", seed=i),
        split=split,
        meta='{"k": 1}',
    )


def test_num_shards_rounds_up_and_never_zero() -> None:
    assert num_shards(0, 256) == 1
    assert num_shards(256 << 20, 256) == 1
    assert num_shards((256 << 20) + 1, 256) == 2


def test_shard_path_layout() -> None:
    assert shard_path("/o", "train", 0, 3) == "/o/train/part-00000-of-00003.parquet"
    assert shard_path("gs://b/o", "", 2, 3) == "gs://b/o/part-00002-of-00003.parquet"


def test_write_row_groups_rechunks_to_exact_size(tmp_path) -> None:
    schema = pa.schema([pa.field("x", pa.int64())])
    tables = [pa.table({"x": list(range(s, s + n))}, schema=schema) for s, n in [(0, 3), (3, 5), (8, 4)]]
    path = str(tmp_path / "t.parquet")
    writer = pq.ParquetWriter(path, schema)
    assert write_row_groups(writer, tables, 5) == 12
    writer.close()
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [5, 5, 2]
    assert pq.read_table(path).column("x").to_pylist() == list(range(12))


def test_constructor_rejects_unknown_compression() -> None:
    with pytest.raises(ValueError, match="use one of"):
        WriteParquetShards("/tmp/x", compression="lzma")


def test_writes_one_directory_per_split_and_round_trips(tmp_path) -> None:
    records = [make_record(i, split=["train", "eval", ""][i % 3]) for i in range(30)]
    out = str(tmp_path / "out")
    with TestPipeline() as p:
        written = p | beam.Create(records) | WriteParquetShards(out, row_group_rows=4)
        assert_that(
            written | beam.Map(lambda w: (w["split"], os.path.basename(w["path"]), w["num_rows"])),
            equal_to(
                [
                    ("train", "part-00000-of-00001.parquet", 10),
                    ("eval", "part-00000-of-00001.parquet", 10),
                    ("data", "part-00000-of-00001.parquet", 10),
                ]
            ),
        )
    for split in ("train", "eval", "data"):
        table = pq.read_table(f"{out}/{split}/part-00000-of-00001.parquet")
        assert table.schema.equals(RECORD_SCHEMA)
        assert pq.ParquetFile(f"{out}/{split}/part-00000-of-00001.parquet").metadata.num_row_groups == 3
    back = {r.id: r for r in map(row_to_record, pq.read_table(f"{out}/train").to_pylist())}
    assert sorted(back) == sorted(r.id for r in records if r.split == "train")
    assert back["r0000"] == records[0]


def test_large_split_is_sharded_and_every_row_lands_once(tmp_path) -> None:
    records = [make_record(i, split="train", text_len=5_000) for i in range(300)]  # ~1.5 MB
    out = str(tmp_path / "out")
    with TestPipeline() as p:
        written = p | beam.Create(records) | WriteParquetShards(out, target_shard_mb=1, compression="snappy")
        assert_that(written | beam.Map(lambda w: w["num_rows"]) | beam.CombineGlobally(sum), equal_to([300]))
    files = sorted(glob.glob(f"{out}/train/*.parquet"))
    assert [os.path.basename(f) for f in files] == ["part-00000-of-00002.parquet", "part-00001-of-00002.parquet"]
    ids = [i for f in files for i in pq.read_table(f).column("id").to_pylist()]
    assert sorted(ids) == sorted(r.id for r in records)


def test_output_loads_with_hf_datasets(tmp_path, monkeypatch) -> None:
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    records = [make_record(i, split="train" if i < 8 else "eval") for i in range(10)]
    out = str(tmp_path / "out")
    with TestPipeline() as p:
        _ = p | beam.Create(records) | WriteParquetShards(out)
    ds = datasets.load_dataset(
        "parquet",
        data_files={"train": f"{out}/train/*.parquet", "eval": f"{out}/eval/*.parquet"},
        cache_dir=str(tmp_path / "cache"),
    )
    assert ds["train"].num_rows == 8 and ds["eval"].num_rows == 2
    row = ds["train"].filter(lambda r: r["id"] == "r0000")[0]
    assert row["messages"][1]["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'


def test_write_rejects_keeps_reason_columns(tmp_path) -> None:
    rejected = [Rejected(make_record(i), "dedup_exact", "exact_duplicate", "r9999") for i in range(5)]
    out = str(tmp_path / "rejected")
    with TestPipeline() as p:
        _ = p | beam.Create(rejected) | WriteRejects(out)
    table = pq.read_table(f"{out}/part-00000-of-00001.parquet")
    assert table.schema.equals(REJECTED_SCHEMA)
    assert set(table.column("drop_reason").to_pylist()) == {"exact_duplicate"}
    assert table.num_rows == 5
