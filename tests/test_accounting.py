import json

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas.record import DeadLetter, Record, Rejected
from synthbeam.transforms.accounting import (
    CountBy,
    WriteManifest,
    dead_letter_key,
    filtered_key,
    reconcile,
    written_key,
)


def _record(i: int, split: str = "train") -> Record:
    return Record(id=str(i), task="t", messages=[], split=split)


def test_reconcile_balances_generation_rows_and_ignores_reading_dead_letters():
    counts = {
        "requests": 10,
        "written/train": 5,
        "written/eval": 1,
        "filtered/parse/parse_failed": 2,
        "filtered/filter/too_short": 1,
        "dead_lettered/generate/context_length": 1,
        "dead_lettered/read/invalid_json": 4,
    }
    assert reconcile(counts, "requests", ["generate"]) == {
        "rows_in": 10,
        "rows_added": 0,
        "rows_written": 6,
        "rows_filtered": 3,
        "rows_dead_lettered": 1,
        "balanced": True,
        "input_files_lost": 0,
    }
    counts["requests"] = 11
    assert reconcile(counts, "requests", ["generate"])["balanced"] is False
    counts["requests"], counts["added/oversample/x"] = 9, 1
    assert reconcile(counts, "requests", ["generate"])["balanced"] is True


def test_reconcile_says_when_input_files_were_read_only_in_part():
    counts = {
        "requests": 2,
        "written/train": 2,
        "dead_lettered/read/truncated_file": 1,
        "dead_lettered/read/unreadable_file": 2,
        "dead_lettered/read/invalid_json": 5,
        "dead_lettered/read/empty_file": 1,
    }
    rec = reconcile(counts, "requests", ["generate"])
    assert (rec["balanced"], rec["input_files_lost"]) == (True, 3)


def test_manifest_is_written_with_counts_per_stage_and_reason(tmp_path):
    path = str(tmp_path / "manifest.json")
    with TestPipeline() as p:
        rows = p | "Rows" >> beam.Create([_record(1), _record(2), _record(3, "eval")])
        rejected = p | "Rejected" >> beam.Create([Rejected(_record(4), "filter", "too_short")])
        dead = p | "Dead" >> beam.Create([DeadLetter("generate", "context_length")])
        requests = p | "Requests" >> beam.Create(range(5))
        counts = (
            requests | "CountRequests" >> CountBy(lambda _: "requests"),
            rows | "CountWritten" >> CountBy(written_key),
            rejected | "CountFiltered" >> CountBy(filtered_key),
            dead | "CountDead" >> CountBy(dead_letter_key),
        )
        manifest = counts | WriteManifest(path, {"recipe": "t"}, "requests", ("generate",))
        assert_that(manifest | beam.Map(lambda m: m["reconciliation"]["balanced"]), equal_to([True]))
    with open(path) as handle:
        written = json.load(handle)
    assert written["counts"] == {
        "dead_lettered/generate/context_length": 1,
        "filtered/filter/too_short": 1,
        "requests": 5,
        "written/eval": 1,
        "written/train": 2,
    }
    assert written["recipe"] == "t"


def test_quality_summary_reports_yield_and_removals_per_stage() -> None:
    from synthbeam.transforms.accounting import quality_summary

    counts = {
        "requests": 40,
        "written/train": 12,
        "written/eval": 2,
        "added/oversample/a": 4,
        "filtered/quality/off_topic_request": 15,
        "filtered/quality/placeholder": 1,
        "filtered/select/redundant_candidate": 10,
    }
    assert quality_summary(counts, "requests") == {
        "rows_in": 40,
        "kept": 10,
        "yield": 0.25,
        "removed_by_stage": {"quality": 16, "select": 10},
    }


def test_sample_kept_rows_is_fixed_and_skips_copies() -> None:
    import dataclasses

    import apache_beam as beam
    from apache_beam.testing.test_pipeline import TestPipeline
    from apache_beam.testing.util import assert_that, equal_to

    from synthbeam.schemas.record import Lineage, Record
    from synthbeam.transforms.accounting import SampleKeptRows, row_preview

    rows = [
        Record(
            id=f"r{i}",
            task="t",
            messages=[{"role": "user", "content": f"q{i}?"}, {"role": "assistant", "content": "a"}],
        )
        for i in range(6)
    ]
    copy = dataclasses.replace(rows[0], id="copy", lineage=Lineage(oversampled_from="r0"))
    with TestPipeline() as p:
        sample = p | beam.Create([*rows, copy]) | SampleKeptRows(n=6)
        ids = sample | beam.Map(lambda previews: sorted(v["id"] for v in previews))
        assert_that(ids, equal_to([[f"r{i}" for i in range(6)]]))
    assert row_preview(rows[1]) == {"id": "r1", "label": "", "request": "q1?", "answer": "a"}
