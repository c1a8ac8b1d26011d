"""Choosing one row per key: the best request survives, every other is rejected with its reason."""

from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.transforms.curate.select import SelectOnePerKey, best_of, normalised_request, request_score

ANSWER = "A generator function returns an iterator that yields values lazily, one at a time."


def candidate(record_id: str, request: str, span: str = "s1") -> Record:
    return Record(
        id=record_id,
        task="instruction",
        messages=[{"role": "user", "content": request}, {"role": "assistant", "content": ANSWER}],
        meta=json.dumps({"span": span}),
    )


def test_request_score_prefers_a_question_of_sound_length_about_the_answer() -> None:
    good = candidate("a", "What does a generator function return when it is called?")
    unrelated = candidate("b", "What does the weather look like on a cold day in winter?")
    statement = candidate("c", "Generator function return")
    assert request_score(good) > request_score(unrelated)
    assert request_score(good) > request_score(statement)


def test_best_of_breaks_ties_by_smallest_id() -> None:
    same = "What does a generator function return when it is called?"
    assert best_of([candidate("z", same), candidate("m", same)], request_score) == "m"


def test_normalised_request_ignores_case_and_punctuation() -> None:
    first = candidate("a", "What does a generator return?")
    second = candidate("b", "what does a  generator return")
    assert normalised_request(first) == normalised_request(second)


def test_one_candidate_per_span_survives_and_the_rest_are_rejected_with_the_survivor() -> None:
    records = [
        candidate("a1", "What does a generator function return when it is called?", span="s1"),
        candidate("a2", "Generator?", span="s1"),
        candidate("a3", "What is the weather like today?", span="s1"),
        candidate("b1", "How are values produced by a generator function?", span="s2"),
    ]
    with TestPipeline() as p:
        chosen = (
            p
            | beam.Create(records)
            | SelectOnePerKey(lambda r: r.meta_dict()["span"], request_score, reasons.REDUNDANT_CANDIDATE)
        )
        assert_that(chosen.main | "KeptIds" >> beam.Map(lambda r: r.id), equal_to(["a1", "b1"]), label="kept")
        assert_that(
            chosen.rejected | "Why" >> beam.Map(lambda j: (j.record.id, j.stage, j.reason, j.detail)),
            equal_to(
                [
                    ("a2", "select", reasons.REDUNDANT_CANDIDATE, "a1"),
                    ("a3", "select", reasons.REDUNDANT_CANDIDATE, "a1"),
                ]
            ),
            label="rejected",
        )
