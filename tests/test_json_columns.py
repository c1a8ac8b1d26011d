import json

import orjson
import pyarrow as pa
import pytest

from synthbeam.schemas.json_columns import (
    bulk_serialised,
    json_array,
    separated,
    split_at_separators,
    turn_texts,
    turns_array,
)
from synthbeam.schemas.record import message_to_json

_CALL = {"id": "c0", "type": "function", "function": {"name": "add", "arguments": '{"a": 2, "b": [1.50, "\\u00e9"]}'}}

CONVERSATIONS = [
    [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "", "tool_calls": [_CALL]}],
    [],
    [
        {"role": "user", "content": 'héllo "x" ,\x00, \n 😀 null', "name": None},
        {"role": "assistant", "content": None, "tool_calls": [{**_CALL, "function": {"name": "f", "arguments": "no"}}]},
        {"role": "assistant", "content": "ok", "tool_calls": [], "tool_call_id": None},
        {"role": "tool", "content": "[1]", "tool_call_id": "c0", "name": "add"},
    ],
    [{"role": "user", "content": ""}],
]


def per_turn(conversations):
    """The reference: each turn through ``message_to_json`` on its own."""
    texts = [[message_to_json(m) for m in turns] for turns in conversations]
    return pa.array(texts, type=pa.list_(pa.string())).cast(pa.list_(pa.json_()))


@pytest.mark.parametrize("conversations", [CONVERSATIONS, [[]], [], CONVERSATIONS[2:3]])
def test_bulk_turns_are_byte_identical_to_message_to_json(conversations):
    built = turns_array(conversations)
    built.validate(full=True)
    assert built.type == pa.list_(pa.json_())
    assert built.equals(per_turn(conversations))


@pytest.mark.parametrize(
    "turn",
    [
        {"role": "user", "content": "lone \ud800 surrogate"},
        {"role": "user", "content": "x", "n": 2**70},
        {"role": "assistant", "tool_calls": [{**_CALL, "function": {"name": "f", "arguments": '{"s": "\\ud800"}'}}]},
    ],
)
def test_a_batch_orjson_refuses_is_written_turn_by_turn(turn):
    conversations = [[{"role": "user", "content": "fine"}], [turn]]
    assert bulk_serialised(conversations[1]) is None
    assert turns_array(conversations).equals(per_turn(conversations))


def test_turn_texts_parse_back_to_the_stored_objects():
    texts = turn_texts(CONVERSATIONS[2]).to_pylist()
    assert [json.loads(t) for t in texts] == [
        {"role": "user", "content": 'héllo "x" ,\x00, \n 😀 null'},
        {"role": "assistant", "tool_calls": [{**_CALL, "function": {"name": "f", "arguments": "no"}}]},
        {"role": "assistant", "content": "ok", "tool_calls": []},
        {"role": "tool", "content": "[1]", "tool_call_id": "c0", "name": "add"},
    ]


def test_split_at_separators_gives_each_item_and_checks_the_count():
    serialised = orjson.dumps(separated([{"a": ","}, [], "x\x00"]))
    assert split_at_separators(serialised, 3).to_pylist() == ['{"a":","}', "[]", '"x\\u0000"']
    with pytest.raises(ValueError):
        split_at_separators(serialised, 2)


def test_json_array_wraps_text_without_parsing_it():
    assert json_array(['{"a": 1}', "[]"]).type == pa.json_()
    assert json_array(['{"a": 1}']).storage.to_pylist() == ['{"a": 1}']


def test_tool_call_arguments_keep_every_digit_of_a_big_integer():
    big = 123456789012345678901234567890
    call = {**_CALL, "function": {"name": "add", "arguments": json.dumps({"a": big, "b": 18446744073709551616})}}
    stored = json.loads(message_to_json({"role": "assistant", "content": "", "tool_calls": [call]}))
    assert stored["tool_calls"][0]["function"]["arguments"] == {"a": big, "b": 18446744073709551616}
    column = turns_array([[{"role": "assistant", "content": "", "tool_calls": [call]}]])
    assert json.loads(column.to_pylist()[0][0])["tool_calls"][0]["function"]["arguments"]["a"] == big
