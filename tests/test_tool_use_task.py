"""The tool-use task: deterministic sampling, exact prompts, exact parsing into chat rows."""

from __future__ import annotations

import json
from collections import Counter

import jsonschema
import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, SamplingParams
from synthbeam.tasks.base import ParseError, build_request
from synthbeam.tasks.tool_use import (
    EXAMPLES,
    KINDS,
    ToolUseSpec,
    ToolUseTask,
    call_label,
    output_schema,
    parse_tool_answer,
    sample_spec,
    tool_use_record,
)
from synthbeam.tools.library import bundled_tools
from synthbeam.tools.schema import normalise_tool_definitions

ADD, ECHO = normalise_tool_definitions(
    [
        {
            "name": "add",
            "description": "Add two numbers.",
            "parameters": {
                "type": "dict",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
        {
            "name": "echo",
            "description": "Echo text.",
            "parameters": {"type": "dict", "properties": {"text": {"type": "string"}}, "required": ["text"]},
        },
    ]
)
SINGLE = ToolUseSpec("s1", "single", (json.dumps(ADD),), ("add",), 1)
IRRELEVANT = ToolUseSpec("s2", "irrelevance", (json.dumps(ADD),), ("echo",), 0, json.dumps(ECHO))
PARALLEL_MULTIPLE = ToolUseSpec("s3", "parallel_multiple", (json.dumps(ADD), json.dumps(ECHO)), ("add", "echo"), 2)
ADD_PARAMS = (
    '{"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"], "type": "object"}'
)
SYSTEM = (
    "You write training data for an assistant that calls tools. You write one question a user could ask in plain English, then the tool calls that answer it, in JSON.\n"
    "Example of the format, with a tool translate_text(text, target_language): "
    '{"query": "How do you say \'good morning\' in Spanish?", "calls": [{"name": "translate_text", "arguments": {"text": "good morning", "target_language": "Spanish"}}]}'
)


def completion(text: str) -> Completion:
    return Completion(request_id="r", text=text, finish_reason="stop", model="m", request_hash="h")


def test_sampling_is_deterministic_and_covers_every_kind() -> None:
    library = bundled_tools()
    specs = [sample_spec(i, library, run_seed=7) for i in range(200)]
    assert specs == [sample_spec(i, library, run_seed=7) for i in range(200)]
    assert specs != [sample_spec(i, library, run_seed=8) for i in range(200)]
    assert set(Counter(s.kind for s in specs)) == set(KINDS)


@pytest.mark.parametrize("index", range(40))
def test_sampled_specs_are_consistent(index: int) -> None:
    spec = sample_spec(index, bundled_tools(), run_seed=1, max_tools=3)
    offered = [t["function"]["name"] for t in spec.offered()]
    assert len(offered) == len(set(offered)) and 1 <= len(offered) <= 3
    if spec.kind == "irrelevance":
        assert (
            spec.calls == 0
            and spec.targets[0] not in offered
            and json.loads(spec.hidden_tool)["function"]["name"] == spec.targets[0]
        )
    else:
        assert set(spec.targets) <= set(offered) and spec.calls >= 1
    if spec.kind in ("single", "parallel"):
        assert len(offered) == 1
    elif spec.kind in ("multiple", "parallel_multiple"):
        assert len(offered) >= 2


def test_mix_restricts_kinds() -> None:
    specs = [sample_spec(i, bundled_tools(), 0, mix={"parallel": 1.0}) for i in range(20)]
    assert {s.kind for s in specs} == {"parallel"} and all(s.calls in (2, 3) for s in specs)


def test_too_small_library_fails() -> None:
    with pytest.raises(ValueError, match="at least 2 tools"):
        sample_spec(0, [ADD], 0)
    with pytest.raises(ValueError, match="max_tools >= 2"):
        sample_spec(0, [ADD, ECHO], 0, max_tools=1)


@pytest.mark.parametrize("index", range(30))
def test_the_smallest_library_still_samples_every_kind(index: int) -> None:
    spec = sample_spec(index, [ADD, ECHO], 0)
    names = {t["function"]["name"] for t in spec.offered()}
    assert len(names) == (2 if spec.kind in ("multiple", "parallel_multiple") else 1)


def test_render_single() -> None:
    assert ToolUseTask().format_input(SINGLE) == [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": "Available tools:\n- add: Add two numbers.\n  parameters: " + ADD_PARAMS + "\n\n"
            "Write a question that needs exactly one call of add, stating concrete values for its arguments.\n"
            'Reply in JSON with "query" (the user\'s question) and "calls" (a list with that one call: "name" and "arguments").',
        },
    ]


def test_render_irrelevance() -> None:
    assert ToolUseTask().format_input(IRRELEVANT)[1]["content"] == (
        "Available tools:\n- add: Add two numbers.\n  parameters: " + ADD_PARAMS + "\n\n"
        "Write a question that needs this other tool, which is NOT available: echo (Echo text.).\n"
        'None of the available tools can answer it. Reply in JSON with "query" (the user\'s question) and "answer" (a short reply saying that the available tools cannot answer it).'
    )


def test_render_parallel_multiple_names_both_targets() -> None:
    text = ToolUseTask().format_input(PARALLEL_MULTIPLE)[1]["content"]
    assert text.endswith(
        "Write a question that needs 2 calls of add and echo, stating different concrete values for each call.\n"
        'Reply in JSON with "query" (the user\'s question) and "calls" (the list of calls: "name" and "arguments").'
    )


def test_examples_rotate_by_spec() -> None:
    systems = {
        ToolUseTask().format_input(ToolUseSpec(f"s{i}", "single", (json.dumps(ADD),), ("add",), 1))[0]["content"]
        for i in range(40)
    }
    assert len(systems) == len(EXAMPLES)
    assert all(json.loads(e[e.index("{") :]) for e in EXAMPLES)


@pytest.mark.parametrize(
    "payload",
    ["{{ ''.__class__.__mro__ }}", "{% raw %}x{% endraw %}", "{{ 7*7 }}", "{% for x in range(3) %}{% endfor %}"],
)
def test_tool_text_cannot_break_the_template(payload: str) -> None:
    hostile = normalise_tool_definitions(
        {
            "name": "evil",
            "description": payload,
            "parameters": {"type": "object", "properties": {"p": {"type": "string", "description": payload}}},
        }
    )[0]
    spec = ToolUseSpec("s", "single", (json.dumps(hostile),), ("evil",), 1)
    text = ToolUseTask().format_input(spec)[1]["content"]
    assert f"- evil: {payload}\n" in text
    assert json.dumps(payload) in text


def test_output_schema_single() -> None:
    assert output_schema(SINGLE) == {
        "title": "tool_use",
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "calls": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "enum": ["add"]},
                        "arguments": {
                            "type": "object",
                            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                            "required": ["a", "b"],
                            "additionalProperties": False,
                        },
                    },
                    "required": ["name", "arguments"],
                    "additionalProperties": False,
                },
                "minItems": 1,
                "maxItems": 1,
            },
        },
        "required": ["query", "calls"],
        "additionalProperties": False,
    }


def test_output_schema_parallel_multiple_accepts_either_tool_and_nothing_else() -> None:
    schema = output_schema(PARALLEL_MULTIPLE)
    good = {
        "query": "q",
        "calls": [{"name": "add", "arguments": {"a": 1, "b": 2}}, {"name": "echo", "arguments": {"text": "x"}}],
    }
    jsonschema.validate(good, schema)
    for bad_call in ({"name": "add", "arguments": {"text": "x"}}, {"name": "other", "arguments": {}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"query": "q", "calls": [good["calls"][0], bad_call]}, schema)


def test_output_schema_irrelevance_has_no_calls() -> None:
    assert output_schema(IRRELEVANT)["properties"] == {"query": {"type": "string"}, "answer": {"type": "string"}}


def test_request_carries_the_item_schema_in_property_order() -> None:
    request = build_request(ToolUseTask(), SINGLE, run_seed=3)
    assert request.response_format == json.dumps(output_schema(SINGLE))
    assert request.response_format.index('"query"') < request.response_format.index('"calls"')
    assert request.sampling == SamplingParams(temperature=0.8, max_tokens=320)
    assert request == build_request(ToolUseTask(), SINGLE, run_seed=3)
    assert request.seed != build_request(ToolUseTask(), SINGLE, run_seed=4).seed


def test_format_output_single_exact_row() -> None:
    text = '{"query": " What is 2 plus 3? ", "calls": [{"name": "add", "arguments": {"b": 3, "a": 2}}]}'
    (record,) = ToolUseTask().format_output(completion(text), SINGLE)
    call_id = record.messages[1]["tool_calls"][0]["id"]
    assert call_id.startswith("call_") and len(call_id) == 17
    assert record.messages == [
        {"role": "user", "content": "What is 2 plus 3?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'}}
            ],
        },
    ]
    assert (record.task, record.label) == ("tool_use", "add")
    assert json.loads(record.tools) == [ADD]
    assert json.loads(record.meta) == {"kind": "single", "targets": ["add"], "expected_calls": 1}


def test_format_output_irrelevance_row_has_no_calls() -> None:
    text = '{"query": "Please echo hi", "answer": "No available tool can echo text."}'
    (record,) = ToolUseTask().format_output(completion(text), IRRELEVANT)
    assert record.messages == [
        {"role": "user", "content": "Please echo hi"},
        {"role": "assistant", "content": "No available tool can echo text."},
    ]
    assert record.label == "none"


def test_labels() -> None:
    assert call_label([]) == "none"
    assert call_label([{"name": "b"}, {"name": "a"}, {"name": "b"}]) == "a,b"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", reasons.INVALID_JSON),
        ("[1, 2]", reasons.INVALID_JSON),
        ('{"query": "\\ud800", "calls": []}', reasons.INVALID_TEXT),
        ('{"calls": []}', reasons.MISSING_QUERY),
        ('{"query": "   ", "calls": []}', reasons.MISSING_QUERY),
        ('{"query": "q", "calls": {"name": "add"}}', reasons.MALFORMED_CALLS),
        ('{"query": "q", "calls": [{"arguments": {}}]}', reasons.MALFORMED_CALLS),
        ('{"query": "q", "calls": ["add"]}', reasons.MALFORMED_CALLS),
    ],
)
def test_parse_failures_have_exact_reasons(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as error:
        parse_tool_answer(text)
    assert error.value.reason == reason


def test_arguments_that_are_strings_stay_strings() -> None:
    record = tool_use_record("tool_use", SINGLE, "q", [{"name": "add", "arguments": '{"a": 1'}])
    assert record.messages[1]["tool_calls"][0]["function"]["arguments"] == '{"a": 1'
