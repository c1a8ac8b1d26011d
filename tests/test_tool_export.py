"""xLAM / BFCL exports and tool-selection rows, exactly; the BFCL export reads back as tools."""

from __future__ import annotations

import dataclasses
import json

import apache_beam as beam
from apache_beam.testing.test_pipeline import TestPipeline

from synthbeam.schemas.record import Record
from synthbeam.tools.schema import normalise
from synthbeam.transforms.export import WriteToolUseExports, to_bfcl, to_selection_record, to_xlam, xlam_tool

CONVERT = normalise(
    {
        "name": "convert",
        "description": "Convert units.",
        "parameters": {
            "type": "dict",
            "properties": {
                "value": {"type": "float", "description": "Amount."},
                "unit": {"type": "string", "enum": ["km", "mi"], "description": "Unit."},
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


def test_xlam_tool_is_a_flat_argument_map() -> None:
    assert xlam_tool(CONVERT) == {
        "name": "convert",
        "description": "Convert units.",
        "parameters": {
            "value": {"type": "float", "description": "Amount."},
            "unit": {"type": "str", "description": "Unit."},
            "precision": {"type": "int, optional", "description": "Digits.", "default": 2},
            "points": {"type": "List[int], optional", "description": ""},
            "note": {"type": "str, optional", "description": ""},
        },
    }


def test_xlam_round_trips_through_the_xlam_reader() -> None:
    back = normalise(xlam_tool(CONVERT))[0]["function"]["parameters"]
    assert back["required"] == ["value", "unit"]
    assert back["properties"]["points"] == {"type": "array", "items": {"type": "integer"}, "description": ""}


def test_to_xlam() -> None:
    assert to_xlam(row("single", [("convert", {"value": 5, "unit": "km"})])) == {
        "id": "r1",
        "query": "Convert 5 km",
        "tools": json.dumps([xlam_tool(CONVERT)]),
        "answers": '[{"name": "convert", "arguments": {"value": 5, "unit": "km"}}]',
    }


def test_to_bfcl_single() -> None:
    question, answer = to_bfcl(row("single", [("convert", {"value": 5, "unit": "km", "note": "x"})]))
    assert question == {
        "id": "synthbeam_simple_r1",
        "question": [[{"role": "user", "content": "Convert 5 km"}]],
        "function": [
            {
                "name": "convert",
                "description": "Convert units.",
                "parameters": {
                    "type": "dict",
                    "properties": {
                        "value": {"type": "float", "description": "Amount."},
                        "unit": {"type": "string", "enum": ["km", "mi"], "description": "Unit."},
                        "precision": {"type": "integer", "description": "Digits.", "default": 2},
                        "points": {"type": "array", "items": {"type": "integer"}},
                        "note": {"type": "string"},
                    },
                    "required": ["value", "unit"],
                },
            }
        ],
    }
    assert answer == {
        "id": "synthbeam_simple_r1",
        "ground_truth": [
            {"convert": {"value": [5], "unit": ["km"], "note": ["x"], "precision": ["", 2], "points": [""]}}
        ],
    }


def test_bfcl_export_reads_back_as_the_same_tools() -> None:
    question, _ = to_bfcl(row("single", [("convert", {"value": 5, "unit": "km"})]))
    assert normalise(question) == [CONVERT]


def test_to_bfcl_parallel_and_irrelevance() -> None:
    _, answer = to_bfcl(
        row("parallel", [("convert", {"value": 1, "unit": "km"}), ("convert", {"value": 2, "unit": "mi"})])
    )
    assert answer["id"] == "synthbeam_parallel_r1" and len(answer["ground_truth"]) == 2
    question, answer = to_bfcl(row("irrelevance", []))
    assert question["id"] == "synthbeam_irrelevance_r1" and answer is None


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
    other = normalise({"name": "other"})[0]
    two_tools = row("parallel_multiple", [("convert", {}), ("other", {})])
    assert to_selection_record(dataclasses.replace(two_tools, tools=json.dumps([CONVERT, other]))) is None


def test_write_exports(tmp_path) -> None:
    rows = [
        row("single", [("convert", {"value": 5, "unit": "km"})], "a"),
        row("single", [("convert", {"value": 6, "unit": "mi"})], "b"),
        row("irrelevance", [], "c"),
    ]
    with TestPipeline() as p:
        _ = p | beam.Create(rows) | WriteToolUseExports(str(tmp_path))
    xlam = [
        json.loads(line)
        for f in sorted((tmp_path / "xlam").glob("part-*.jsonl"))
        for line in f.read_text().splitlines()
    ]
    assert sorted(r["id"] for r in xlam) == ["a", "b", "c"]
    simple = [json.loads(line) for line in (tmp_path / "bfcl" / "BFCL_synthbeam_simple.json").read_text().splitlines()]
    answers = [
        json.loads(line)
        for line in (tmp_path / "bfcl" / "possible_answer" / "BFCL_synthbeam_simple.json").read_text().splitlines()
    ]
    assert [q["id"] for q in simple] == [a["id"] for a in answers] == ["synthbeam_simple_a", "synthbeam_simple_b"]
    assert [
        json.loads(line)["id"]
        for line in (tmp_path / "bfcl" / "BFCL_synthbeam_irrelevance.json").read_text().splitlines()
    ] == ["synthbeam_irrelevance_c"]
    assert not (tmp_path / "bfcl" / "possible_answer" / "BFCL_synthbeam_irrelevance.json").exists()
