"""GenerateRecords' parse step: rows out, or the prompt and raw completion kept as a reject."""

import json

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Lineage, Passage, Record, Source
from synthbeam.tasks.base import build_request
from synthbeam.tasks.instructions import InstructionSeed, InstructionsFromPassage
from synthbeam.transforms.generate_records import PARSE_STAGE, ParseCompletionFn, unparsed_record
from synthbeam.transforms.outputs import MAIN, REJECTED

SEED = InstructionSeed(Passage("p", "Dicts map keys to values.", Source("c.jsonl", 2)), "factual")
TASK = InstructionsFromPassage()


def _completion(text: str) -> Completion:
    return Completion(request_id="r", text=text, finish_reason="stop", model="m", request_hash="h")


def test_unparsed_record_keeps_prompt_raw_answer_and_source():
    request = build_request(TASK, SEED, run_seed=0)
    row = unparsed_record(TASK, request, _completion("not json"), SEED)
    assert row.messages == [*request.messages, {"role": "assistant", "content": "not json"}]
    assert row.source == Source("c.jsonl", 2)


class _RecordTask(InstructionsFromPassage):
    def item_id(self, item: Record) -> str:
        return item.id


def test_unparsed_record_points_to_the_record_it_was_derived_from():
    parent = Record(id="parent", task="t", messages=[], source=Source("s.parquet", 9))
    request = build_request(TASK, SEED, run_seed=0)
    row = unparsed_record(_RecordTask(), request, _completion("x"), parent)
    assert (row.lineage, row.source) == (Lineage(parent_id="parent"), Source("s.parquet", 9))


def test_parse_step_splits_rows_and_rejects_with_full_lineage():
    request = build_request(TASK, SEED, run_seed=0)
    good = (
        _completion(json.dumps({"instruction": "What do dicts map?", "response": "Keys to values."})),
        (request, SEED),
    )
    bad = (_completion('{"instruction": '), (request, SEED))
    with TestPipeline() as p:
        out = p | beam.Create([good, bad]) | beam.ParDo(ParseCompletionFn(TASK)).with_outputs(REJECTED, main=MAIN)
        assert_that(
            out.main | "Rows" >> beam.Map(lambda r: (r.messages[0]["content"], r.lineage.request_hash, r.lineage.seed)),
            equal_to([("What do dicts map?", "h", request.seed)]),
            label="rows",
        )
        assert_that(
            out.rejected
            | "Why" >> beam.Map(lambda r: (r.stage, r.reason, r.record.completion, r.record.lineage.template)),
            equal_to([(PARSE_STAGE, reasons.INVALID_JSON, '{"instruction": ', TASK.template)]),
            label="rejects",
        )
