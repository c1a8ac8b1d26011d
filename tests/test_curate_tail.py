"""The one curation tail every recipe ends with: each stage shows in the counts, the flags
act, eval keeps each row once, and the output carries a card."""

from __future__ import annotations

import glob
import json
import os

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.schemas.record import Record
from synthbeam.transforms.curate.curate import Curate, CurationSettings
from synthbeam.transforms.curate.filters import LengthFilter


def _row(i: int, text: str, label: str) -> Record:
    return Record(
        id=f"r{i:03d}",
        task="instruction",
        messages=[{"role": "user", "content": f"Question {text}?"}, {"role": "assistant", "content": text}],
        label=label,
    )


def _run(tmp_path, rows: list[Record], **settings) -> dict[str, int]:
    out = str(tmp_path / "out")
    counts_path = tmp_path / "counts.json"
    with TestPipeline() as p:
        curated = (
            p
            | beam.Create(rows)
            | Curate(
                CurationSettings(output=out, **settings),
                filters=[("filters", [LengthFilter(min_chars=12, roles=("assistant",))])],
            )
        )
        _ = (
            curated.counts
            | beam.combiners.ToDict()
            | beam.Map(lambda d: counts_path.write_text(json.dumps(d, sort_keys=True)))
        )
    return json.loads(counts_path.read_text())


def _words(i: int) -> str:
    return " ".join(f"w{i}_{k}" for k in range(80))


def test_every_stage_shows_and_the_flags_act(tmp_path):
    rows = [_row(i, _words(i), "a" if i < 12 else "b") for i in range(16)]
    rows.append(_row(100, _words(0), "a"))  # an exact copy of r000's text
    near = _words(1).replace("w1_79", "changed")
    rows.append(_row(101, near, "a"))  # 79 of 80 words shared with r001
    rows.append(_row(102, "short", "b"))  # under the length filter
    eval_file = tmp_path / "eval.jsonl"
    eval_file.write_text(json.dumps({"text": _words(5)}) + "\n")
    counts = _run(
        tmp_path,
        rows,
        eval_sets={"held_out": str(eval_file)},
        oversample="max",
        oversample_max_factor=10.0,
        eval_fraction=0.25,
        seed=3,
    )
    for stage in ("dedup_exact", "dedup_near", "decontaminate", "oversample"):
        assert f"kept/{stage}" in counts, counts
    assert counts["filtered/filters/too_short"] == 1
    assert counts["filtered/dedup_exact/exact_duplicate"] == 1
    assert counts["filtered/dedup_near/near_duplicate"] == 1
    assert sum(n for k, n in counts.items() if k.startswith("filtered/decontaminate/")) == 1
    card = (tmp_path / "out" / "README.md").read_text()
    assert card.startswith("---\n") and "configs:" in card
    shards = glob.glob(str(tmp_path / "out" / "*" / "*.parquet"))
    assert {os.path.basename(os.path.dirname(f)) for f in shards} >= {"train", "rejected"}
    written = sum(n for k, n in counts.items() if k.startswith("written/"))
    added = sum(n for k, n in counts.items() if k.startswith("added/oversample/"))
    assert written == counts["kept/decontaminate"] + added == counts["kept/oversample"]


def test_stages_show_with_zero_counts_when_nothing_reaches_them(tmp_path):
    counts = _run(tmp_path, [_row(1, "tiny", "a")])
    assert counts["filtered/filters/too_short"] == 1
    assert {counts[f"kept/{s}"] for s in ("dedup_exact", "dedup_near", "decontaminate", "oversample")} == {0}


def test_near_dedup_works_across_families_never_within_one(tmp_path):
    import dataclasses

    from synthbeam.schemas.record import Lineage

    original = _row(1, _words(1), "a")
    variant = dataclasses.replace(
        _row(900, _words(1).replace("w1_79", "changed"), "a"),
        id="a-variant",
        lineage=Lineage(parent_id=original.id, augmentation="eda:random_deletion"),
    )
    other_family = _row(2, _words(1).replace("w1_78", "other"), "a")  # a near copy from another family
    counts = _run(tmp_path, [original, variant, other_family, _row(3, _words(3), "a")])
    assert counts["filtered/dedup_near/near_duplicate"] == 1  # r002 goes; r001 and its variant stay
    assert counts["kept/dedup_near"] == 3
