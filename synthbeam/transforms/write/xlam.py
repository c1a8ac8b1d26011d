"""Tool-use rows in the xLAM / APIGen format (``Salesforce/xlam-function-calling-60k``).

One JSON-lines file, rows numbered ``0..n-1`` in row-id order (xLAM ids are integers). Each
row: ``id``, ``query``, ``tools`` and ``answers`` (both JSON text, as xLAM has them), plus
``response``: the assistant's text reply, which is how a row without calls (an irrelevance
row) says that it declines. Tool arguments keep their ``enum`` and, for objects and arrays,
their nested ``properties`` / ``items`` schemas, next to xLAM's type string.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.schemas.record import Record
from synthbeam.tools.calls import final_answer_of, offered_tools, parse_arguments, query_of, tool_calls_of
from synthbeam.tools.schema import ToolDef
from synthbeam.transforms.write.bfcl import write_json_lines

XLAM_FILE = "xlam.jsonl"
_XLAM_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}
_KEPT_KEYS = ("default", "enum", "properties", "required", "items")


def xlam_type(schema: dict[str, Any]) -> str:
    """xLAM's Python-ish type string for a JSON Schema (``List[int]`` for arrays of integers)."""
    name = _XLAM_TYPES.get(str(schema.get("type", "")), "Any")
    items = schema.get("items")
    if name == "list" and isinstance(items, dict) and items.get("type") in _XLAM_TYPES:
        return f"List[{xlam_type(items)}]"
    return name


def xlam_tool(tool: ToolDef) -> dict[str, Any]:
    """An OpenAI tool as xLAM's ``{name, description, parameters: {arg: {type, description, ...}}}``."""
    function = tool["function"]
    parameters = function.get("parameters") or {}
    required = set(parameters.get("required") or [])
    flat: dict[str, Any] = {}
    for arg, schema in (parameters.get("properties") or {}).items():
        entry = {
            "type": xlam_type(schema) + ("" if arg in required else ", optional"),
            "description": schema.get("description", ""),
        }
        entry.update({key: schema[key] for key in _KEPT_KEYS if key in schema})
        flat[arg] = entry
    return {"name": function["name"], "description": function.get("description", ""), "parameters": flat}


def to_xlam(record: Record, row_id: int) -> dict[str, Any]:
    """One xLAM row (``tools`` and ``answers`` JSON text, as in xLAM)."""
    answers = [{"name": c["function"]["name"], "arguments": parse_arguments(c)} for c in tool_calls_of(record)]
    return {
        "id": row_id,
        "query": query_of(record),
        "tools": json.dumps([xlam_tool(t) for t in offered_tools(record)], ensure_ascii=False),
        "answers": json.dumps(answers, ensure_ascii=False),
        "response": final_answer_of(record),
    }


def xlam_rows(records: Iterable[Record]) -> list[dict[str, Any]]:
    return [to_xlam(record, n) for n, record in enumerate(sorted(records, key=lambda r: r.id))]


class WriteXlam(beam.PTransform):
    """Writes tool-use rows to ``{output}/xlam.jsonl``. Output: the written path."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self._output = output

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        path = FileSystems.join(self._output, XLAM_FILE)
        return (
            records
            | "All" >> beam.combiners.ToList()
            | "Write" >> beam.Map(lambda rows: write_json_lines(path, xlam_rows(rows)))
        )
