"""Decontamination against evaluation files: exact reasons, planted items, BFCL recall."""

from __future__ import annotations

import json
import random
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas.record import Record
from synthbeam.transforms.curate.decontaminate import (
    Decontaminate,
    build_index,
    eval_gram_keys,
    find_contamination,
    line_strings,
)

BFCL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "bfcl"
LONG_Q = "What is the total population of the three largest cities in Norway according to the most recent census data available"
SHORT_Q = "Book a table for two at Luigi's tonight"


def rec(rid: str, text: str) -> Record:
    return Record(
        id=rid, task="t", messages=[{"role": "user", "content": text}, {"role": "assistant", "content": "Sure."}]
    )


@pytest.fixture()
def eval_files(tmp_path: Path) -> dict[str, str]:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps({"id": 1, "question": [[{"role": "user", "content": LONG_Q}]], "function": []})
        + "\n"
        + json.dumps({"id": 2, "question": SHORT_Q, "answer": "ok", "n": 3})
        + "\n"
    )
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.txt").write_text("alpha beta gamma delta epsilon zeta eta theta iota kappa\n")
    return {"qa": str(qa), "plain": str(tmp_path / "plain" / "*.txt")}


def test_line_strings_extracts_every_json_string() -> None:
    line = json.dumps({"a": ["x", {"b": "y", "c": 1}], "d": None, "e": "z"})
    assert line_strings(line) == ["x", "y", "z"]
    assert line_strings("not json at all") == ["not json at all"]
    assert line_strings("   ") == []


def test_find_contamination_pure(eval_files: dict[str, str]) -> None:
    index = build_index([("qa", eval_gram_keys([LONG_Q, SHORT_Q, "too short to count"], 13, 8).tobytes())], 13, 8)
    embedded = "Intro words here. " + LONG_Q.upper() + " -- thanks!"
    assert find_contamination(embedded, index, 13) == ("qa", len(LONG_Q.split()) - 12)
    assert find_contamination("Please: BOOK a table, for two at luigis tonight!", index, 13) == ("qa", 1)
    twelve = " ".join(LONG_Q.split()[:12])
    assert find_contamination(twelve, index, 13) is None
    assert find_contamination("too short to count", index, 13) is None


def test_decontaminate_pipeline_reasons_and_reconcile(eval_files: dict[str, str]) -> None:
    records = [
        rec("a", "Tell me: " + LONG_Q + "?"),
        rec("b", SHORT_Q.lower() + ", please"),
        rec("c", "An unrelated question about the weather in Oslo tomorrow morning please answer"),
        rec("d", "Greek letters: alpha beta gamma delta epsilon zeta eta theta iota kappa."),
    ]
    with TestPipeline() as p:
        out = p | beam.Create(records) | Decontaminate(eval_files)
        assert_that(out.main | beam.Map(lambda r: r.id), equal_to(["c"]), label="kept")
        assert_that(
            out.rejected | beam.Map(lambda r: (r.record.id, r.stage, r.reason)),
            equal_to(
                [
                    ("a", "decontaminate", "contaminated:qa"),
                    ("b", "decontaminate", "contaminated:qa"),
                    ("d", "decontaminate", "contaminated:plain"),
                ]
            ),
            label="rejected",
        )


def test_missing_eval_file_fails_with_the_pattern(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no file matches"):
        with TestPipeline() as p:
            _ = p | beam.Create([rec("a", "x")]) | Decontaminate({"gone": str(tmp_path / "nope*.json")})


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="eval_sets is empty"):
        Decontaminate({})
    with pytest.raises(ValueError, match="min_words"):
        Decontaminate({"a": "x"}, n=5, min_words=9)


@pytest.mark.skipif(not BFCL.exists(), reason="BFCL files not present")
def test_planted_bfcl_questions_all_caught() -> None:
    files = sorted(BFCL.glob("BFCL_v4_*.json"))
    questions = []
    for path in files:
        for line in path.read_text().splitlines()[:60]:
            for turn in json.loads(line)["question"][0]:
                if len(turn["content"].split()) >= 8:
                    questions.append(turn["content"])
    rng = random.Random(0)
    planted = rng.sample(questions, 25)
    records = [rec(f"p{i:02d}", f"Here is a task. {q} Answer carefully.") for i, q in enumerate(planted)]
    records += [rec(f"c{i:02d}", " ".join(f"w{rng.randrange(10**6)}" for _ in range(40))) for i in range(25)]
    eval_sets = {p.stem: str(p) for p in files}
    with TestPipeline() as p:
        out = p | beam.Create(records) | Decontaminate(eval_sets)
        assert_that(
            out.rejected | beam.Map(lambda r: r.record.id),
            equal_to([r.id for r in records if r.id.startswith("p")]),
            label="recall",
        )
        assert_that(
            out.main | beam.Map(lambda r: r.id),
            equal_to([r.id for r in records if r.id.startswith("c")]),
            label="clean",
        )
