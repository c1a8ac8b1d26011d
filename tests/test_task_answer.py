import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.tasks.answer import (
    check_changed,
    first_instruction,
    has_instruction,
    json_field,
    looks_like_instruction,
    lowercase_words,
    up_to_last_user,
)
from synthbeam.tasks.base import ParseError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write a haiku about the sea.", True),
        ("Recalculate the total with a 5% discount.", True),  # unknown verb: benefit of the doubt
        ("Is a tomato a fruit?", True),
        ("The tomato is a fruit?", True),
        ("using Python, sort a list.", True),
        ("Here are three tips: eat, sleep, walk.", False),
        ("The sea whispers secrets.", False),
        ("Reversing a list is easy.", False),
        ("Lists are mutable.", False),
        ("3 tips for health.", False),
        ("", False),
    ],
)
def test_looks_like_instruction(text, expected):
    assert looks_like_instruction(text) is expected


def test_normalise_and_check_changed():
    assert lowercase_words("  Hello,   WORLD!\n") == "hello world"
    check_changed("Say hello to the world.", "Say hello.")
    with pytest.raises(ParseError) as caught:
        check_changed("say hello!", "Say hello.")
    assert caught.value.reason == reasons.REPEATS_INPUT


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1]", reasons.INVALID_JSON),
        ("{", reasons.INVALID_JSON),
        ('{"a": "\\ud800"}', reasons.INVALID_TEXT),  # a lone surrogate: no later stage could write it
        ('{"b": 1}', reasons.PARSE_FAILED),
    ],
)
def test_json_field_errors_name_their_reason(text, reason):
    assert json_field('{"a": [1]}', "a") == [1]
    with pytest.raises(ParseError) as caught:
        json_field(text, "a")
    assert caught.value.reason == reason


def test_turn_functions():
    row = Record(
        id="r",
        task="t",
        messages=[
            {"role": "system", "content": "S"},
            {"role": "user", "content": " "},
            {"role": "user", "content": "Q1"},
            {"role": "assistant", "content": "A1"},
        ],
    )
    assert has_instruction(row) and first_instruction(row) == "Q1"
    assert up_to_last_user(row) == row.messages[:3]
    no_user = Record(id="n", task="t", messages=[{"role": "assistant", "content": "A"}])
    assert not has_instruction(no_user) and up_to_last_user(no_user) == []
    with pytest.raises(ValueError, match="has no user turn"):
        first_instruction(no_user)
