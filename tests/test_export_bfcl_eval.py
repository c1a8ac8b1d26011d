"""The BFCL export is loaded and scored by BFCL's own package (``bfcl-eval``), unchanged."""

from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline
from consumers import bfcl_categories, bfcl_check, bfcl_modules, check_bfcl_export, ground_truth_calls

from synthbeam.schemas.record import Record
from synthbeam.tools.schema import normalise_tool_definitions
from synthbeam.transforms.write.bfcl import VERSION_PREFIX, WriteBfclCategories

ORDER = normalise_tool_definitions(
    {
        "name": "shop.place_order",
        "description": "Place an order.",
        "parameters": {
            "type": "dict",
            "properties": {
                "item": {"type": "string", "description": "What to buy."},
                "quantity": {"type": "integer", "description": "How many."},
                "size": {"type": "string", "enum": ["small", "large"], "description": "Size."},
                "shipping": {
                    "type": "dict",
                    "description": "Where to send it.",
                    "properties": {"city": {"type": "string"}, "express": {"type": "boolean"}},
                },
                "lines": {
                    "type": "array",
                    "description": "Order lines.",
                    "items": {"type": "dict", "properties": {"sku": {"type": "string"}, "n": {"type": "integer"}}},
                },
                "note": {"description": "Anything."},
                "discount": {"type": "float", "description": "Discount.", "default": 0.0},
            },
            "required": ["item", "quantity"],
        },
    }
)[0]
WEATHER = normalise_tool_definitions(
    {
        "name": "get_weather",
        "description": "Weather in a city.",
        "parameters": {
            "type": "dict",
            "properties": {"city": {"type": "string"}, "days": {"type": "array", "items": {"type": "integer"}}},
            "required": ["city"],
        },
    }
)[0]


def _row(rid: str, kind: str, calls: list[tuple[str, dict]], tools: list[dict]) -> Record:
    tool_calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, (n, a) in enumerate(calls)
    ]
    reply = (
        {"role": "assistant", "content": "", "tool_calls": tool_calls}
        if calls
        else {
            "role": "assistant",
            "content": "None of these tools can tell a joke.",
        }
    )
    return Record(
        id=rid,
        task="tool_use",
        messages=[{"role": "user", "content": f"request {rid}"}, reply],
        tools=json.dumps(tools),
        meta=json.dumps({"kind": kind}),
        split="eval",
    )


ORDER_ARGS = {
    "item": "Tea",
    "quantity": 2,
    "size": "large",
    "shipping": {"city": "Lyon", "express": True},
    "lines": [{"sku": "T-1", "n": 2}],
    "note": 7,
    "discount": 5,
}
ROWS = [
    _row("s1", "single", [("shop.place_order", ORDER_ARGS)], [ORDER]),
    _row("s2", "single", [("get_weather", {"city": "Oslo", "days": [1, 2]})], [WEATHER]),
    _row("m1", "multiple", [("get_weather", {"city": "Rome"})], [ORDER, WEATHER]),
    _row("p1", "parallel", [("get_weather", {"city": "Rome"}), ("get_weather", {"city": "Nice"})], [WEATHER]),
    _row(
        "pm1",
        "parallel_multiple",
        [("get_weather", {"city": "Rome"}), ("shop.place_order", {"item": "Tea", "quantity": 1})],
        [ORDER, WEATHER],
    ),
    _row("i1", "irrelevance", [], [WEATHER]),
]


def _export(tmp_path) -> str:
    out = str(tmp_path / "bfcl")
    with TestPipeline() as p:
        _ = p | beam.Create(ROWS) | WriteBfclCategories(out)
    return out


def test_file_names_follow_bfcl_version_prefix():
    _, category_mapping, _, _ = bfcl_modules()
    assert category_mapping.VERSION_PREFIX == VERSION_PREFIX


def test_bfcl_loads_every_category_and_scores_every_row_valid(tmp_path, monkeypatch):
    out = _export(tmp_path)
    assert check_bfcl_export(out, monkeypatch) == len(ROWS)
    loaded = bfcl_categories(out, monkeypatch)
    assert set(loaded) == {
        "synthbeam_simple",
        "synthbeam_multiple",
        "synthbeam_parallel",
        "synthbeam_parallel_multiple",
        "synthbeam_irrelevance",
    }
    assert [q["id"] for q in loaded["synthbeam_simple"][0]] == ["synthbeam_simple_0", "synthbeam_simple_1"]


def _checked(out: str, monkeypatch, category: str, index: int, mutate) -> dict:
    questions, answers = bfcl_categories(out, monkeypatch)[category]
    calls = ground_truth_calls(answers[index])
    mutate(calls)
    return bfcl_check(questions[index], answers[index], calls, category)


def test_bfcl_rejects_wrong_calls(tmp_path, monkeypatch):
    out = _export(tmp_path)

    def wrong_value(calls):
        calls[0]["shop.place_order"]["quantity"] = 3

    def wrong_enum(calls):
        calls[0]["shop.place_order"]["size"] = "small"

    def wrong_nested(calls):
        calls[0]["shop.place_order"]["shipping"]["city"] = "Paris"

    def missing_required(calls):
        del calls[0]["shop.place_order"]["item"]

    def extra_parameter(calls):
        calls[0]["shop.place_order"]["colour"] = "red"

    for mutate in (wrong_value, wrong_enum, wrong_nested, missing_required, extra_parameter):
        result = _checked(out, monkeypatch, "synthbeam_simple", 0, mutate)
        assert not result["valid"], (mutate.__name__, result)

    def one_call_missing(calls):
        calls.pop()

    assert not _checked(out, monkeypatch, "synthbeam_parallel", 0, one_call_missing)["valid"]


def test_optional_arguments_the_request_leaves_out_may_be_omitted_or_defaulted(tmp_path, monkeypatch):
    out = _export(tmp_path)
    questions, answers = bfcl_categories(out, monkeypatch)["synthbeam_parallel_multiple"]
    calls = ground_truth_calls(answers[0])
    assert calls[1] == {"shop.place_order": {"item": "Tea", "quantity": 1}}
    calls[1]["shop.place_order"]["discount"] = 0.0  # the default, said or not
    assert bfcl_check(questions[0], answers[0], calls, "synthbeam_parallel_multiple")["valid"]
    calls[1]["shop.place_order"]["size"] = "small"  # a value the request never asked for
    assert not bfcl_check(questions[0], answers[0], calls, "synthbeam_parallel_multiple")["valid"]

    questions, answers = bfcl_categories(out, monkeypatch)["synthbeam_simple"]
    stated = ground_truth_calls(answers[0])
    del stated[0]["shop.place_order"]["size"]  # the request states it: leaving it out is wrong
    assert not bfcl_check(questions[0], answers[0], stated, "synthbeam_simple")["valid"]
    stated = ground_truth_calls(answers[0])
    stated[0]["shop.place_order"]["discount"] = 5.0  # an int in the row, a float in the model's call
    assert bfcl_check(questions[0], answers[0], stated, "synthbeam_simple")["valid"]
