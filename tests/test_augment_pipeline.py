"""The augment recipe with EDA only: a whole pipeline run that needs no model or network."""

from __future__ import annotations

import glob
import json

import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.augment.eda import eda_variants
from synthbeam.pipelines import augment
from synthbeam.pipelines.derived_rows import record_inputs
from synthbeam.pipelines.evol_instruct import parse_modes
from synthbeam.schemas.arrow import decoded_rows, row_to_record
from synthbeam.schemas.record import Record, Source
from synthbeam.tasks.self_instruct import BUNDLED_SEED_TASKS
from synthbeam.transforms.read.records import record_from_object

ROWS = [
    {
        "id": "a",
        "instruction": "Give three quick tips for staying healthy.",
        "output": "Eat well, sleep well, walk daily.",
    },
    {
        "id": "b",
        "messages": [
            {"role": "user", "content": "Explain why the sky is blue."},
            {"role": "assistant", "content": "Air scatters blue light more."},
        ],
    },
]


def test_eda_only_augment_run_writes_originals_and_variants(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n{broken\n")
    out = tmp_path / "out"
    argv = [
        f"--input={path}",
        f"--output={out}",
        "--methods=eda",
        "--eda_ops=sr,rs",
        "--eda_per_row=2",
        "--eda_alpha=0.3",
        "--seed=5",
        "--eval_fraction=0",
    ]
    augment.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))

    originals = [record_from_object(row, Source(str(path), i)) for i, row in enumerate(ROWS)]
    expected = {r.id: r for r in originals}
    for record in originals:
        assert isinstance(record, Record)
        expected.update({v.id: v for v in eda_variants(record, ("sr", "rs"), 2, 0.3, seed=5)})
    files = glob.glob(str(out / "*" / "*.parquet"))
    written = {row["id"]: row for f in files if "/rejected/" not in f for row in decoded_rows(pq.read_table(f))}
    rejected = {row["id"]: row for f in files if "/rejected/" in f for row in decoded_rows(pq.read_table(f))}
    # Every variant is written, or dropped by a quality gate with its reason (a swap can turn
    # "Explain why the sky is blue." into something that is no request).
    assert sorted([*written, *rejected]) == sorted(expected)
    assert {r["drop_stage"] for r in rejected.values()} <= {"quality"} and {"a", "b"} <= set(written)
    for row_id, record in expected.items():
        if row_id not in written:
            continue
        assert row_to_record(written[row_id]).messages == record.messages
        assert written[row_id]["lineage"]["parent_id"] == record.lineage.parent_id
        assert written[row_id]["lineage"]["augmentation"] == record.lineage.augmentation

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["reconciliation"]["balanced"] and manifest["model"] == "" and manifest["methods"] == ["eda"]
    assert manifest["counts"]["dead_lettered/read/invalid_json"] == 1
    rec = manifest["reconciliation"]
    assert rec["rows_in"] == rec["rows_written"] + rec["rows_filtered"] == len(expected)
    assert rec["rows_written"] == len(written) and rec["rows_filtered"] == len(rejected)


def test_bad_flags_fail_before_the_run(tmp_path):
    with pytest.raises(ValueError, match="choose from eda, paraphrase, multi_turn"):
        augment.run([f"--output={tmp_path}", "--methods=eda,rewrite"], test_pipeline=TestPipeline())
    with pytest.raises(ValueError, match="--evol_modes='deeper'"):
        parse_modes("deeper")
    assert parse_modes(" deepen, breadth ") == ("deepen", "breadth")


def test_default_input_is_the_bundled_seed_tasks():
    opts = augment.AugmentOptions([])
    assert record_inputs(opts) == [BUNDLED_SEED_TASKS] == ["synthbeam://seed_tasks"]
    assert record_inputs(augment.AugmentOptions(["--input=a.jsonl, gs://b/*.parquet"])) == [
        "a.jsonl",
        "gs://b/*.parquet",
    ]
