import dataclasses
import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Lineage, Record, SamplingParams, Source, stable_id
from synthbeam.tasks.answer import AnswerInstruction
from synthbeam.tasks.base import ParseError, build_request
from synthbeam.tasks.multi_turn import FOLLOW_UP_SCHEMA, FollowUpQuestion, is_single_turn

PARENT = Record(
    id="p1",
    task="instruction",
    messages=[
        {"role": "user", "content": "How do I boil an egg?"},
        {"role": "assistant", "content": "Boil it for 8 minutes, then cool it in cold water."},
    ],
    label="how_to",
    source=Source("corpus.jsonl", 3, 1),
    lineage=Lineage(template="instructions_from_passage.jinja2", request_hash="h0"),
    meta='{"x": 1}',
)


def _completion(text: str) -> Completion:
    return Completion(request_id="r", text=text, finish_reason="stop", model="m", request_hash="h")


def test_follow_up_format_input_is_exact():
    assert FollowUpQuestion().format_input(PARENT) == [
        {"role": "system", "content": "You write the next message a curious user sends to an assistant."},
        {
            "role": "user",
            "content": "Conversation:\n"
            "User: How do I boil an egg?\n"
            "Assistant: Boil it for 8 minutes, then cool it in cold water.\n\n"
            "Write the user's next message: one follow-up question that asks for more detail on the same topic. "
            "Do not repeat the first question.\n"
            'Reply in JSON with "question".',
        },
    ]


def test_follow_up_format_output_is_exact():
    text = json.dumps({"question": " How do I peel it easily? "})
    assert FollowUpQuestion().format_output(_completion(text), PARENT) == [
        Record(
            id=stable_id("multi_turn", "p1"),
            task="multi_turn",
            messages=[*PARENT.messages, {"role": "user", "content": "How do I peel it easily?"}],
            label="how_to",
            source=Source("corpus.jsonl", 3, 1),
            lineage=Lineage(parent_id="p1", augmentation="multi_turn:follow_up"),
            meta='{"x": 1}',
        )
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"question": "how do I boil an egg"}', reasons.REPEATS_INPUT),
        ('{"question": "Eggs are great for breakfast."}', reasons.NOT_AN_INSTRUCTION),
        ('{"question": "   "}', reasons.EMPTY),
        ('{"question": "Why', reasons.INVALID_JSON),
        ('{"question": "Why \\udc00?"}', reasons.INVALID_TEXT),
        ('{"answer": "Why?"}', reasons.PARSE_FAILED),
        ('{"question": 3}', reasons.PARSE_FAILED),
    ],
)
def test_follow_up_rejections_name_their_reason(text, reason):
    with pytest.raises(ParseError) as caught:
        FollowUpQuestion().format_output(_completion(text), PARENT)
    assert caught.value.reason == reason


def test_form_check_can_be_turned_off():
    text = '{"question": "Eggs are great for breakfast."}'
    (row,) = FollowUpQuestion(check_form=False).format_output(_completion(text), PARENT)
    assert row.messages[-1] == {"role": "user", "content": "Eggs are great for breakfast."}


def test_follow_up_request_uses_the_schema():
    request = build_request(FollowUpQuestion(), PARENT, run_seed=0)
    assert request.response_format == FOLLOW_UP_SCHEMA
    assert json.loads(FOLLOW_UP_SCHEMA)["required"] == ["question"]
    assert request.id == stable_id("multi_turn", "p1")


def test_single_turn_rows_are_recognised():
    assert is_single_turn(PARENT)
    system = Record(id="s", task="t", messages=[{"role": "system", "content": "Be brief."}, *PARENT.messages])
    assert is_single_turn(system)
    assert not is_single_turn(Record(id="u", task="t", messages=PARENT.messages[:1]))
    three = Record(id="3", task="t", messages=[*PARENT.messages, {"role": "user", "content": "And?"}])
    assert not is_single_turn(three)
    empty = Record(id="e", task="t", messages=[PARENT.messages[0], {"role": "assistant", "content": " "}])
    assert not is_single_turn(empty)


def _asked() -> Record:
    (asked,) = FollowUpQuestion().format_output(_completion('{"question": "How do I peel it?"}'), PARENT)
    # As the transform leaves it: the follow-up call's lineage stamped on.
    lineage = dataclasses.replace(
        asked.lineage, template="multi_turn_follow_up.jinja2", template_hash="th", model="m", seed=7, request_hash="rh"
    )
    return dataclasses.replace(asked, lineage=lineage)


def test_answer_format_input_sends_the_conversation_as_chat():
    assert AnswerInstruction("multi_turn").format_input(_asked()) == [
        {
            "role": "system",
            "content": "You are a helpful, accurate assistant. Answer the user's last message directly and concisely.",
        },
        {"role": "user", "content": "How do I boil an egg?"},
        {"role": "assistant", "content": "Boil it for 8 minutes, then cool it in cold water."},
        {"role": "user", "content": "How do I peel it?"},
    ]


def test_answer_keeps_a_rows_own_system_prompt():
    row = Record(id="s", task="t", messages=[{"role": "system", "content": "Answer in French."}, PARENT.messages[0]])
    assert AnswerInstruction().format_input(row) == row.messages


def test_answer_format_output_is_exact_four_turn_row():
    asked = _asked()
    (answered,) = AnswerInstruction("multi_turn").format_output(_completion(" Crack the shell under water. "), asked)
    assert answered == Record(
        id=stable_id("multi_turn", "p1"),
        task="multi_turn",
        messages=[
            {"role": "user", "content": "How do I boil an egg?"},
            {"role": "assistant", "content": "Boil it for 8 minutes, then cool it in cold water."},
            {"role": "user", "content": "How do I peel it?"},
            {"role": "assistant", "content": "Crack the shell under water."},
        ],
        label="how_to",
        source=Source("corpus.jsonl", 3, 1),
        lineage=asked.lineage,
        meta=json.dumps(
            {
                "instruction_lineage": {
                    "model": "m",
                    "request_hash": "rh",
                    "seed": 7,
                    "template": "multi_turn_follow_up.jinja2",
                    "template_hash": "th",
                },
                "x": 1,
            },
            sort_keys=True,
        ),
    )
    assert answered.lineage.parent_id == "p1"


def test_empty_answer_is_rejected():
    with pytest.raises(ParseError) as caught:
        AnswerInstruction().format_output(_completion("  \n"), _asked())
    assert caught.value.reason == reasons.EMPTY


def test_answer_sampling_is_configurable():
    task = AnswerInstruction("evol_instruct", sampling=SamplingParams(max_tokens=32))
    assert task.name == "evol_instruct" and task.response_format == ""
    assert build_request(task, _asked(), 0).sampling.max_tokens == 32
