"""Exports of tool-use rows: xLAM / APIGen JSONL, BFCL question + ground-truth files, and
tool-selection classification rows.

The converters are pure functions of one ``Record``; ``WriteToolUseExports`` writes them.
"""

from __future__ import annotations

import json
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.schemas.record import Record, stable_id
from synthbeam.tasks.tool_use import NO_CALL_LABEL
from synthbeam.tools.calls import offered_tools, parse_arguments, query_of, tool_calls_of
from synthbeam.tools.schema import ToolDef

BFCL_CATEGORIES: dict[str, str] = {
    "single": "simple",
    "multiple": "multiple",
    "parallel": "parallel",
    "parallel_multiple": "parallel_multiple",
    "irrelevance": "irrelevance",
}
_XLAM_TYPES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}
_BFCL_TYPES = {"object": "dict", "number": "float"}
SELECTION_TASK = "tool_selection"


def xlam_type(schema: dict[str, Any]) -> str:
    """xLAM's Python-ish type string for a JSON Schema (``List[int]`` for arrays of integers)."""
    name = _XLAM_TYPES.get(str(schema.get("type", "")), "Any")
    items = schema.get("items")
    if name == "list" and isinstance(items, dict) and items.get("type") in _XLAM_TYPES:
        return f"List[{xlam_type(items)}]"
    return name


def xlam_tool(tool: ToolDef) -> dict[str, Any]:
    """An OpenAI tool as xLAM's ``{name, description, parameters: {arg: {type, description, default}}}``."""
    function = tool["function"]
    parameters = function.get("parameters") or {}
    required = set(parameters.get("required") or [])
    flat: dict[str, Any] = {}
    for arg, schema in (parameters.get("properties") or {}).items():
        entry = {
            "type": xlam_type(schema) + ("" if arg in required else ", optional"),
            "description": schema.get("description", ""),
        }
        if "default" in schema:
            entry["default"] = schema["default"]
        flat[arg] = entry
    return {"name": function["name"], "description": function.get("description", ""), "parameters": flat}


def to_xlam(record: Record) -> dict[str, Any]:
    """One xLAM row: ``query``, ``tools`` and ``answers`` (the latter two JSON strings)."""
    answers = [{"name": c["function"]["name"], "arguments": parse_arguments(c)} for c in tool_calls_of(record)]
    return {
        "id": record.id,
        "query": query_of(record),
        "tools": json.dumps([xlam_tool(t) for t in offered_tools(record)], ensure_ascii=False),
        "answers": json.dumps(answers, ensure_ascii=False),
    }


def bfcl_schema(schema: Any) -> Any:
    """JSON Schema back to BFCL's dialect (``object`` -> ``dict``, ``number`` -> ``float``)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if isinstance(out.get("type"), str):
        out["type"] = _BFCL_TYPES.get(out["type"], out["type"])
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: bfcl_schema(v) for k, v in out["properties"].items()}
    if isinstance(out.get("items"), dict):
        out["items"] = bfcl_schema(out["items"])
    return out


def bfcl_category(record: Record) -> str:
    return BFCL_CATEGORIES.get(str(record.meta_dict().get("kind", "")), "simple")


def ground_truth(record: Record) -> list[dict[str, Any]]:
    """BFCL ground truth: each argument's acceptable values; ``""`` lets an optional one be omitted."""
    parameters = {t["function"]["name"]: t["function"].get("parameters") or {} for t in offered_tools(record)}
    truth = []
    for call in tool_calls_of(record):
        name, arguments = call["function"]["name"], parse_arguments(call)
        schema = parameters.get(name, {})
        values: dict[str, list[Any]] = {arg: [value] for arg, value in arguments.items()}
        for arg, prop in (schema.get("properties") or {}).items():
            if arg not in arguments and arg not in (schema.get("required") or []):
                values[arg] = ["", prop["default"]] if "default" in prop else [""]
        truth.append({name: values})
    return truth


def to_bfcl(record: Record) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``(question entry, possible-answer entry)``; irrelevance rows have no answer entry."""
    category = bfcl_category(record)
    entry_id = f"synthbeam_{category}_{record.id}"
    functions = [
        {
            "name": t["function"]["name"],
            "description": t["function"].get("description", ""),
            "parameters": bfcl_schema(t["function"].get("parameters") or {}),
        }
        for t in offered_tools(record)
    ]
    question = {"id": entry_id, "question": [[{"role": "user", "content": query_of(record)}]], "function": functions}
    answer = None if category == "irrelevance" else {"id": entry_id, "ground_truth": ground_truth(record)}
    return question, answer


def calls_several_tools(record: Record) -> bool:
    """Whether a row calls more than one distinct tool (it then has no single router label)."""
    return len({c["function"]["name"] for c in tool_calls_of(record)}) > 1


def to_selection_record(record: Record) -> Record | None:
    """A tool-router row: the query, the candidate tools, label = the one tool called or ``none``.

    Rows that call more than one distinct tool have no single label and give None.
    """
    if calls_several_tools(record):
        return None
    names = {c["function"]["name"] for c in tool_calls_of(record)}
    label = names.pop() if names else NO_CALL_LABEL
    return Record(
        id=stable_id(SELECTION_TASK, record.id),
        task=SELECTION_TASK,
        messages=[{"role": "user", "content": query_of(record)}],
        tools=record.tools,
        label=label,
        source=record.source,
        lineage=record.lineage,
        split=record.split,
        meta=json.dumps({"parent_id": record.id, "kind": record.meta_dict().get("kind", "")}, sort_keys=True),
    )


def _bfcl_lines(record: Record) -> list[tuple[str, str]]:
    question, answer = to_bfcl(record)
    category = bfcl_category(record)
    lines = [(f"BFCL_synthbeam_{category}", json.dumps(question, ensure_ascii=False))]
    if answer is not None:
        lines.append((f"possible_answer/BFCL_synthbeam_{category}", json.dumps(answer, ensure_ascii=False)))
    return lines


def _write_lines(path: str, lines: list[str]) -> str:
    with FileSystems.create(path, mime_type="application/json") as handle:
        handle.write(("\n".join(sorted(lines)) + "\n").encode("utf-8"))
    return path


class WriteToolUseExports(beam.PTransform):
    """Writes tool-use rows as xLAM JSONL and as BFCL files, one file per category.

    Input: ``PCollection[Record]`` (verified tool-use rows). Output: ``PCollection[str]`` of
    written paths: ``{output}/xlam/part-*.jsonl``, ``{output}/bfcl/BFCL_synthbeam_<category>.json``
    and ``{output}/bfcl/possible_answer/BFCL_synthbeam_<category>.json`` (JSON lines, as BFCL).
    """

    def __init__(self, output: str) -> None:
        super().__init__()
        self._output = output

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        output = self._output
        xlam = (
            records
            | "ToXlam" >> beam.Map(lambda r: json.dumps(to_xlam(r), ensure_ascii=False))
            | "WriteXlam" >> beam.io.WriteToText(FileSystems.join(output, "xlam", "part"), file_name_suffix=".jsonl")
        )
        bfcl = (
            records
            | "ToBfcl" >> beam.FlatMap(_bfcl_lines)
            | "ByFile" >> beam.GroupByKey()
            | "WriteBfcl"
            >> beam.MapTuple(
                lambda name, lines: _write_lines(FileSystems.join(output, "bfcl", f"{name}.json"), list(lines))
            )
        )
        return (xlam, bfcl) | "Paths" >> beam.Flatten()
