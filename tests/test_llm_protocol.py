from __future__ import annotations

import json

from synthbeam.llm import protocol
from synthbeam.schemas.record import ChatRequest, SamplingParams

SCHEMA = {
    "title": "Answer v1",
    "type": "object",
    "properties": {"n": {"type": "integer"}},
    "required": ["n"],
    "additionalProperties": False,
}


def test_request_body_carries_sampling_seed_tools_and_schema() -> None:
    tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    request = ChatRequest(
        id="r1",
        messages=[{"role": "user", "content": "hi", "name": None}],
        sampling=SamplingParams(temperature=0.1, top_p=0.5, max_tokens=7),
        seed=42,
        tools=json.dumps(tools),
        response_format=json.dumps(SCHEMA),
    )
    body = protocol.request_body(request, "served")
    assert body == {
        "model": "served",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.1,
        "top_p": 0.5,
        "max_tokens": 7,
        "seed": 42,
        "tools": tools,
        "response_format": {"type": "json_schema", "json_schema": {"name": "Answer_v1", "schema": SCHEMA}},
    }


def test_plain_request_has_no_tools_or_format() -> None:
    body = protocol.request_body(ChatRequest(id="r", messages=[{"role": "user", "content": "x"}]), "m")
    assert "tools" not in body and "response_format" not in body


def test_parse_response_with_tool_calls_and_usage() -> None:
    body = {
        "choices": [
            {
                "finish_reason": "tool_calls",
                "message": {
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 5},
    }
    request = ChatRequest(id="r9", messages=[])
    completion = protocol.parse_response(body, request, "m@1", "key")
    assert completion.request_id == "r9" and completion.text == "" and completion.finish_reason == "tool_calls"
    assert completion.tool_calls == [
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
    ]
    assert (completion.prompt_tokens, completion.completion_tokens, completion.model, completion.request_hash) == (
        11,
        5,
        "m@1",
        "key",
    )


def test_schema_violation_reasons() -> None:
    schema = json.dumps(SCHEMA)
    assert protocol.schema_violation('{"n": 3}', schema) == ""
    assert protocol.schema_violation('{"n": "3"}', schema).startswith("schema:")
    assert protocol.schema_violation('{"n": 3, "x": 1}', schema).startswith("schema:")
    assert protocol.schema_violation('{"n": 3', schema).startswith("not JSON")


def test_context_errors_are_recognised() -> None:
    text = "This model's maximum context length is 2048 tokens. However, you requested 3000 tokens"
    assert protocol.looks_like_context_error(400, text)
    assert not protocol.looks_like_context_error(400, "bad temperature")
    assert not protocol.looks_like_context_error(500, text)
