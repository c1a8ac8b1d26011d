"""xLAM / BFCL exports and tool-selection rows, exactly; both read back as the same tools."""

from __future__ import annotations

import dataclasses
import json

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.schemas.record import Record
from synthbeam.tasks.tool_selection import to_selection_record
from synthbeam.tools.schema import normalise_tool_definitions
from synthbeam.transforms.write.bfcl import WriteBfclCategories, answer_entry, question_entry
from synthbeam.transforms.write.xlam import WriteXlam, to_xlam, xlam_tool

CONVERT = normalise_tool_definitions(
    {
        "name": "convert",
        "description": "Convert units.",
        "parameters": {
            "type": "dict",
            "properties": {
                "value": {"type": "float", "description": "Amount."},
                "unit": {"type": "string", "enum": ["km", "mi"], "description": "Unit."},
                "options": {
                    "type": "dict",
                    "properties": {
                        "round": {"type": "boolean"},
                        "style": {"type": "string", "enum": ["short", "long"]},
                    },
                },
                "anything": {"description": "Any value."},
                "precision": {"type": "integer", "description": "Digits.", "default": 2},
                "points": {"type": "array", "items": {"type": "integer"}},
                "note": {"type": "string"},
            },
            "required": ["value", "unit"],
        },
    }
)[0]


def row(kind: str, calls: list[tuple[str, dict]], rid: str = "r1") -> Record:
    tool_calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, (n, a) in enumerate(calls)
    ]
    assistant = (
        {"role": "assistant", "content": "", "tool_calls": tool_calls}
        if calls
        else {"role": "assistant", "content": "I cannot."}
    )
    return Record(
        id=rid,
        task="tool_use",
        messages=[{"role": "user", "content": "Convert 5 km"}, assistant],
        tools=json.dumps([CONVERT]),
        label=",".join(sorted({n for n, _ in calls})) or "none",
        meta=json.dumps({"kind": kind}),
        split="train",
    )


def test_xlam_tool_keeps_enums_and_nested_schemas() -> None:
    assert xlam_tool(CONVERT) == {
        "name": "convert",
        "description": "Convert units.",
        "parameters": {
            "value": {"type": "float", "description": "Amount."},
            "unit": {"type": "str", "description": "Unit.", "enum": ["km", "mi"]},
            "options": {
                "type": "dict, optional",
                "description": "",
                "properties": {"round": {"type": "boolean"}, "style": {"type": "string", "enum": ["short", "long"]}},
            },
            "anything": {"type": "Any, optional", "description": "Any value."},
            "precision": {"type": "int, optional", "description": "Digits.", "default": 2},
            "points": {"type": "List[int], optional", "description": "", "items": {"type": "integer"}},
            "note": {"type": "str, optional", "description": ""},
        },
    }


def test_xlam_round_trips_through_the_xlam_reader() -> None:
    back = normalise_tool_definitions(xlam_tool(CONVERT))[0]["function"]["parameters"]
    for prop in back["properties"].values():  # xLAM gives every argument a description
        if prop["description"] == "":
            del prop["description"]
    assert back == CONVERT["function"]["parameters"]


def test_to_xlam_numbers_rows_and_says_when_a_row_declines() -> None:
    assert to_xlam(row("single", [("convert", {"value": 5, "unit": "km"})]), 7) == {
        "id": 7,
        "query": "Convert 5 km",
        "tools": json.dumps([xlam_tool(CONVERT)]),
        "answers": '[{"name": "convert", "arguments": {"value": 5, "unit": "km"}}]',
        "response": "",
    }
    declined = to_xlam(row("irrelevance", []), 0)
    assert declined["answers"] == "[]" and declined["response"] == "I cannot."


def test_bfcl_question_keeps_every_type() -> None:
    question = question_entry(row("single", [("convert", {"value": 5, "unit": "km"})]), "synthbeam_simple_0")
    parameters = question["function"][0]["parameters"]
    assert parameters["type"] == "dict" and parameters["required"] == ["value", "unit"]
    types = {name: prop["type"] for name, prop in parameters["properties"].items()}
    assert types == {
        "value": "float",
        "unit": "string",
        "options": "dict",
        "anything": "any",
        "precision": "integer",
        "points": "array",
        "note": "string",
    }
    assert parameters["properties"]["options"]["properties"]["round"] == {"type": "boolean"}
    assert question["question"] == [[{"role": "user", "content": "Convert 5 km"}]]


def test_bfcl_ground_truth_lists_acceptable_values() -> None:
    arguments = {"value": 5, "unit": "km", "options": {"round": True}, "anything": 3, "precision": 2}
    answer = answer_entry(row("single", [("convert", arguments)]), "synthbeam_simple_0")
    assert answer == {
        "id": "synthbeam_simple_0",
        "ground_truth": [
            {
                "convert": {
                    "value": [5],
                    "unit": ["km"],
                    "options": [{"round": [True]}],
                    "anything": [3],
                    "precision": [2, ""],
                    "points": [""],
                    "note": [""],
                }
            }
        ],
    }


def test_bfcl_export_reads_back_as_the_same_tools() -> None:
    question = question_entry(row("single", [("convert", {"value": 5, "unit": "km"})]), "synthbeam_simple_0")
    assert normalise_tool_definitions(question) == [CONVERT]


def test_selection_rows() -> None:
    single = to_selection_record(row("single", [("convert", {"value": 5, "unit": "km"})]))
    assert (single.task, single.label, single.messages, single.split) == (
        "tool_selection",
        "convert",
        [{"role": "user", "content": "Convert 5 km"}],
        "train",
    )
    assert single.tools == json.dumps([CONVERT]) and json.loads(single.meta) == {"kind": "single", "parent_id": "r1"}
    assert to_selection_record(row("irrelevance", [])).label == "none"
    assert to_selection_record(row("parallel", [("convert", {}), ("convert", {})])).label == "convert"
    other = normalise_tool_definitions({"name": "other"})[0]
    two_tools = row("parallel_multiple", [("convert", {}), ("other", {})])
    assert to_selection_record(dataclasses.replace(two_tools, tools=json.dumps([CONVERT, other]))) is None


def _json_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_write_exports(tmp_path) -> None:
    rows = [
        row("single", [("convert", {"value": 6, "unit": "mi"})], "b"),
        row("single", [("convert", {"value": 5, "unit": "km"})], "a"),
        row("irrelevance", [], "c"),
    ]
    with TestPipeline() as p:
        records = p | beam.Create(rows)
        _ = records | WriteXlam(str(tmp_path))
        _ = records | WriteBfclCategories(str(tmp_path / "bfcl"))
    xlam = _json_lines(tmp_path / "xlam.jsonl")
    assert [(r["id"], r["query"]) for r in xlam] == [(0, "Convert 5 km"), (1, "Convert 5 km"), (2, "Convert 5 km")]
    assert [json.loads(r["answers"]) for r in xlam][2] == []
    simple = _json_lines(tmp_path / "bfcl" / "BFCL_v4_synthbeam_simple.json")
    answers = _json_lines(tmp_path / "bfcl" / "possible_answer" / "BFCL_v4_synthbeam_simple.json")
    assert [q["id"] for q in simple] == [a["id"] for a in answers] == ["synthbeam_simple_0", "synthbeam_simple_1"]
    assert answers[0]["ground_truth"][0]["convert"]["value"] == [5]  # numbered in row-id order: "a" first
    irrelevance = _json_lines(tmp_path / "bfcl" / "BFCL_v4_synthbeam_irrelevance.json")
    assert [q["id"] for q in irrelevance] == ["synthbeam_irrelevance_0"]
    assert not (tmp_path / "bfcl" / "possible_answer" / "BFCL_v4_synthbeam_irrelevance.json").exists()
