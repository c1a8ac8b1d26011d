import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Passage, Record, Source, stable_id
from synthbeam.tasks.base import ParseError, build_request, request_seed
from synthbeam.tasks.instructions import InstructionSeed, InstructionsFromPassage, parse_pair, seeds_for_passage

PASSAGE = Passage(id="p1", text="Lists are mutable sequences.", source=Source("f.jsonl", 4, 0), title="lists")


def _completion(text: str) -> Completion:
    return Completion(request_id="r", text=text, finish_reason="stop", model="m", request_hash="h")


def test_format_input_is_exact():
    task = InstructionsFromPassage()
    messages = task.format_input(InstructionSeed(PASSAGE, "how_to"))
    assert messages == [
        {
            "role": "system",
            "content": "You write training data for an assistant. You read a passage and write one how-to question "
            "a user could ask about it, then answer it using only the passage.",
        },
        {
            "role": "user",
            "content": 'Passage (lists):\n"""\nLists are mutable sequences.\n"""\n\n'
            "Question type: how-to (how to do something the passage describes).\n"
            'Reply in JSON with "instruction" (the question) and "response" (the answer).',
        },
    ]


def test_format_output_is_exact():
    task = InstructionsFromPassage()
    seed = InstructionSeed(PASSAGE, "factual", 1)
    text = json.dumps({"instruction": " Are lists mutable? ", "response": "Yes, lists are mutable."})
    assert task.format_output(_completion(text), seed) == [
        Record(
            id=stable_id("instruction", "p1/factual/1"),
            task="instruction",
            messages=[
                {"role": "user", "content": "Are lists mutable?"},
                {"role": "assistant", "content": "Yes, lists are mutable."},
            ],
            label="factual",
            source=Source("f.jsonl", 4, 0),
            # The passage travels with the row: the grounding gate checks the answer against it.
            meta=json.dumps(
                {"mode": "question_answer", "passage": PASSAGE.text, "topic": PASSAGE.title}, sort_keys=True
            ),
        )
    ]


@pytest.mark.parametrize(
    ("text", "reason", "detail"),
    [
        ('{"instruction": "q"', reasons.INVALID_JSON, "not JSON"),
        ("[1, 2]", reasons.INVALID_JSON, "not a JSON object"),
        ('{"instruction": "q\\ud800", "response": "a"}', reasons.INVALID_TEXT, "lone surrogate"),
        ('{"instruction": "q"}', reasons.PARSE_FAILED, "missing string field 'response'"),
        ('{"instruction": 3, "response": "a"}', reasons.PARSE_FAILED, "missing string field 'instruction'"),
    ],
)
def test_unparseable_completions_name_their_reason(text, reason, detail):
    with pytest.raises(ParseError) as caught:
        parse_pair(text)
    assert caught.value.reason == reason
    assert detail in caught.value.detail


def test_seeds_rotate_question_types_deterministically():
    seeds = seeds_for_passage(PASSAGE, ("a", "b", "c"), 4)
    assert [s.index for s in seeds] == [0, 1, 2, 3]
    types = [s.question_type for s in seeds]
    assert types[3] == types[0] and len(set(types[:3])) == 3
    assert seeds == seeds_for_passage(PASSAGE, ("a", "b", "c"), 4)


def test_request_carries_schema_and_per_record_seed():
    task = InstructionsFromPassage()
    seed = InstructionSeed(PASSAGE, "factual")
    request = build_request(task, seed, run_seed=3)
    assert request.seed == request_seed(3, "p1/factual/0", "instruction")
    assert request.seed != build_request(task, seed, run_seed=4).seed
    assert json.loads(request.response_format)["required"] == ["instruction", "response"]
    assert request == build_request(task, seed, run_seed=3)


def test_blank_fields_are_rejected_as_empty():
    with pytest.raises(ParseError) as caught:
        parse_pair('{"instruction": "   ", "response": "an answer"}')
    assert caught.value.reason == reasons.EMPTY
