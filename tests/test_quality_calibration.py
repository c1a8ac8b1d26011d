"""A hand-written calibration set of good and bad instruction rows, and what the gates do with it.

The bad rows are real outputs of earlier runs (and their kind); each must be rejected with its
own reason code. Good rows are kept, except those marked with the reason the gates wrongly give
(the price of gates strict enough for a 135M model). The report printed (``pytest -s``) is the
table a reviewer reads when a gate changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from synthbeam.schemas.record import Record
from synthbeam.tasks.backtranslate import RequestForAnswer
from synthbeam.templates import template_fixed_text
from synthbeam.transforms.curate.filters import first_failure
from synthbeam.transforms.curate.quality import quality_gates

CALIBRATION = Path(__file__).parent / "data" / "calibration_instructions.jsonl"


def calibration_rows() -> list[dict]:
    return [json.loads(line) for line in CALIBRATION.read_text("utf-8").splitlines() if line.strip()]


def as_record(i: int, row: dict) -> Record:
    meta = {"passage": row["passage"], "topic": row.get("topic", "")} if row.get("passage") else {}
    return Record(
        id=f"cal{i}",
        task="instruction",
        messages=[{"role": "user", "content": row["request"]}, {"role": "assistant", "content": row["answer"]}],
        meta=json.dumps(meta),
    )


def test_gates_on_the_calibration_set() -> None:
    prompts = [template_fixed_text("instructions_from_passage.jinja2"), *RequestForAnswer().prompt_texts()]
    gates = quality_gates(prompts)
    rows = calibration_rows()
    outcomes = []
    for i, row in enumerate(rows):
        failure = first_failure(as_record(i, row), gates)
        outcomes.append("keep" if failure is None else failure[1])
    print(f"\n{'expected':<22} {'gates':<22} request")
    for row, outcome in zip(rows, outcomes, strict=True):
        expected = row.get("reason", "keep")
        print(f"{expected:<22} {outcome:<22} {row['request'][:60]!r}")
    kept_good = sum(o == "keep" for r, o in zip(rows, outcomes, strict=True) if r["expect"] == "keep")
    caught_bad = sum(o != "keep" for r, o in zip(rows, outcomes, strict=True) if r["expect"] == "reject")
    goods = sum(r["expect"] == "keep" for r in rows)
    print(f"gates keep {kept_good}/{goods} good rows and reject {caught_bad}/{len(rows) - goods} bad rows")
    assert goods >= 10 and len(rows) - goods >= 12
    # Every bad row is rejected for its own reason; a good row the gates reject is listed with
    # the reason they give ("gates"), so that a change in either direction shows here.
    assert outcomes == [row.get("gates", row.get("reason", "keep")) for row in rows]
    assert kept_good >= 0.8 * goods
