"""Rows as written load into chat templates and TRL's SFT preparation unchanged."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
from consumers import check_chat_templates, check_trl_preparation, load_rows

from synthbeam.schemas.arrow import records_to_table
from synthbeam.schemas.record import Record

TOOL = {
    "type": "function",
    "function": {
        "name": "convert",
        "description": "Convert units.",
        "parameters": {
            "type": "object",
            "properties": {"value": {"type": "number", "description": "Amount."}, "unit": {"type": "string"}},
            "required": ["value", "unit"],
        },
    },
}


def _call(i: int, arguments: dict) -> dict:
    return {"id": f"c{i}", "type": "function", "function": {"name": "convert", "arguments": json.dumps(arguments)}}


ROWS = [
    Record(
        id="parallel",
        task="tool_use",
        messages=[
            {"role": "user", "content": "Convert 5 km and 2 mi"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [_call(0, {"value": 5, "unit": "km"}), _call(1, {"value": 2, "unit": "mi"})],
            },
            {"role": "tool", "tool_call_id": "c0", "name": "convert", "content": "3.1"},
            {"role": "tool", "tool_call_id": "c1", "name": "convert", "content": "3.2"},
            {"role": "assistant", "content": "5 km is 3.1 mi; 2 mi is 3.2 km."},
        ],
        tools=json.dumps([TOOL]),
    ),
    Record(
        id="irrelevance",
        task="tool_use",
        messages=[
            {"role": "user", "content": "Tell me a joke"},
            {"role": "assistant", "content": "No tool here tells jokes."},
        ],
        tools=json.dumps([TOOL]),
    ),
    Record(
        id="instruction",
        task="instruction",
        messages=[
            {"role": "user", "content": "What is a tuple?"},
            {"role": "assistant", "content": "An immutable sequence."},
        ],
    ),
]


def _loaded(tmp_path) -> list[dict]:
    pq.write_table(records_to_table(ROWS), tmp_path / "rows.parquet")
    return load_rows([str(tmp_path / "rows.parquet")], str(tmp_path / "cache"))


def test_rows_render_with_real_tool_chat_templates(tmp_path, bundled_model_dir):
    rows = _loaded(tmp_path)
    assert rows[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"value": 5, "unit": "km"}
    assert rows[0]["tools"] == [TOOL] and rows[2]["tools"] == []
    assert check_chat_templates(rows, bundled_model_dir) == 2 * 2  # two calls, two templates


def test_trl_prepares_rows_to_token_ids(tmp_path, bundled_model_dir):
    check_trl_preparation(_loaded(tmp_path), bundled_model_dir, str(tmp_path / "trl"))
