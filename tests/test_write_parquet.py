"""WriteParquetShards / WriteRejects: layout, round trip, shard sizing, readers."""

from __future__ import annotations

import glob
import os

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas.arrow import RECORD_SCHEMA, REJECTED_SCHEMA, row_to_record
from synthbeam.schemas.record import Lineage, Record, Rejected, Source
from synthbeam.transforms.write.finalize import TempFile, final_names, shard_path
from synthbeam.transforms.write.parquet import TEMP_DIR_PREFIX, WriteParquetShards, WriteRejects


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


def test_shard_path_layout() -> None:
    assert shard_path("/o", "train", 0, 3) == "/o/train/part-00000-of-00003.parquet"
    assert shard_path("gs://b/o", "", 2, 3) == "gs://b/o/part-00002-of-00003.parquet"


def test_final_names_number_files_per_split_by_first_id() -> None:
    files = [
        TempFile(split="train", path="/t/train/b.parquet", num_rows=1, first_id="r5"),
        TempFile(split="eval", path="/t/eval/c.parquet", num_rows=1, first_id="r9"),
        TempFile(split="train", path="/t/train/a.parquet", num_rows=1, first_id="r1"),
    ]
    assert [(f["path"], final) for f, final in final_names("/o", files)] == [
        ("/t/eval/c.parquet", "/o/eval/part-00000-of-00001.parquet"),
        ("/t/train/a.parquet", "/o/train/part-00000-of-00002.parquet"),
        ("/t/train/b.parquet", "/o/train/part-00001-of-00002.parquet"),
    ]


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
        written = (
            p
            | beam.Create(records)
            | WriteParquetShards(out, target_shard_mb=1, row_group_rows=50, compression="snappy")
        )
        assert_that(written | beam.Map(lambda w: w["num_rows"]) | beam.CombineGlobally(sum), equal_to([300]))
    files = sorted(glob.glob(f"{out}/train/*.parquet"))
    assert [os.path.basename(f) for f in files] == ["part-00000-of-00002.parquet", "part-00001-of-00002.parquet"]
    ids = [i for f in files for i in pq.read_table(f).column("id").to_pylist()]
    assert sorted(ids) == sorted(r.id for r in records)
    assert [pq.ParquetFile(f).metadata.row_group(0).num_rows for f in files] == [50, 50]
    assert sorted(os.listdir(out)) == ["train"]  # the temporary directory is gone


def test_every_bundle_writes_its_own_files_in_multi_process_mode(tmp_path) -> None:
    records = [make_record(i, split="train") for i in range(400)]
    out = str(tmp_path / "out")
    options = PipelineOptions(["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    with TestPipeline(options=options) as p:
        _ = p | beam.Create(records) | beam.Reshuffle() | WriteParquetShards(out, row_group_rows=64)
    files = sorted(glob.glob(f"{out}/train/*.parquet"))
    shards = len(files)
    assert shards >= 2  # two workers, each bundle with its own file
    assert [os.path.basename(f) for f in files] == [f"part-{i:05d}-of-{shards:05d}.parquet" for i in range(shards)]
    ids = [i for f in files for i in pq.read_table(f).column("id").to_pylist()]
    assert sorted(ids) == sorted(r.id for r in records)
    assert not [name for name in os.listdir(out) if name.startswith(TEMP_DIR_PREFIX)]


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
    assert row["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"a": 1}
    assert "tool_calls" not in row["messages"][0]


def test_write_rejects_keeps_reason_columns(tmp_path) -> None:
    rejected = [Rejected(make_record(i), "dedup_exact", "exact_duplicate", "r9999") for i in range(5)]
    out = str(tmp_path / "rejected")
    with TestPipeline() as p:
        _ = p | beam.Create(rejected) | WriteRejects(out)
    table = pq.read_table(f"{out}/part-00000-of-00001.parquet")
    assert table.schema.equals(REJECTED_SCHEMA)
    assert set(table.column("drop_reason").to_pylist()) == {"exact_duplicate"}
    assert table.num_rows == 5


def test_rerun_with_fewer_files_leaves_no_stale_parts(tmp_path) -> None:
    out = str(tmp_path / "out")
    records = [make_record(i, split="train", text_len=5_000) for i in range(300)]
    with TestPipeline() as p:
        _ = p | beam.Create(records) | WriteParquetShards(out, target_shard_mb=1, row_group_rows=50)
    assert len(glob.glob(f"{out}/train/*.parquet")) == 2
    with TestPipeline() as p:
        _ = p | beam.Create(records[:10]) | WriteParquetShards(out)
    assert [os.path.basename(f) for f in glob.glob(f"{out}/train/*.parquet")] == ["part-00000-of-00001.parquet"]
    assert pq.read_table(f"{out}/train").num_rows == 10
