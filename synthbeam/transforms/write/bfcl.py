"""Tool-use rows as a Berkeley Function Calling Leaderboard (BFCL) test category.

BFCL's own package (``bfcl-eval``) reads a category from two JSON-lines files named after it,
``BFCL_v4_<category>.json`` (questions) and ``possible_answer/BFCL_v4_<category>.json``
(ground truth), with entry ids ``<category>_<n>`` (it sorts on ``int(n)``). Each row kind is
one category: ``synthbeam_simple``, ``synthbeam_multiple``, ``synthbeam_parallel``,
``synthbeam_parallel_multiple`` and ``synthbeam_irrelevance`` (no ground truth: the right
answer is no call). BFCL's checker dispatches on ``parallel`` / ``multiple`` /
``irrelevance`` in the category name, as for its own categories.

Function parameters use BFCL's type names (``dict``, ``float``, ``any``); ground truth gives
every argument a list of acceptable values (``dict`` arguments as ``{key: [values]}``), with
``""`` among them where an optional argument may be left out.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
import jsonlines
from apache_beam.io.filesystems import FileSystems

from synthbeam.schemas.record import Record
from synthbeam.tools.calls import offered_tools, parse_arguments, query_of, tool_calls_of

VERSION_PREFIX = "BFCL_v4"  # bfcl-eval's file prefix (its constants.category_mapping.VERSION_PREFIX)
CATEGORY_PREFIX = "synthbeam_"
KIND_CATEGORIES: dict[str, str] = {
    "single": "simple",
    "multiple": "multiple",
    "parallel": "parallel",
    "parallel_multiple": "parallel_multiple",
    "irrelevance": "irrelevance",
}
_BFCL_TYPES = {
    "object": "dict",
    "number": "float",
    "string": "string",
    "integer": "integer",
    "boolean": "boolean",
    "array": "array",
}


def bfcl_type(schema: dict[str, Any]) -> str:
    """BFCL's type name for a JSON Schema: ``object`` -> ``dict``, ``number`` -> ``float``,
    no type or a type list -> ``any`` (its checker then accepts the ground truth's own type)."""
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None) if len(declared) <= 2 else None
    return _BFCL_TYPES.get(str(declared), "any")


def bfcl_schema(schema: Any) -> Any:
    """A JSON Schema in BFCL's dialect, recursively; every property and array item has a type."""
    if not isinstance(schema, dict):
        return schema
    out = {**schema, "type": bfcl_type(schema)}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: bfcl_schema(v) for k, v in out["properties"].items()}
    if out["type"] == "array":
        out["items"] = bfcl_schema(out["items"]) if isinstance(out.get("items"), dict) else {"type": "any"}
    elif isinstance(out.get("items"), dict):
        out["items"] = bfcl_schema(out["items"])
    return out


def bfcl_function(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool["function"]
    parameters = bfcl_schema(function.get("parameters") or {"type": "object", "properties": {}})
    parameters.setdefault("properties", {})
    parameters.setdefault("required", [])
    return {"name": function["name"], "description": function.get("description", ""), "parameters": parameters}


def acceptable_values(value: Any, schema: dict[str, Any]) -> list[Any]:
    """BFCL's list of acceptable values for one argument value of the given (BFCL) schema."""
    if schema.get("type") == "dict" and isinstance(value, dict):
        return [{key: [item] for key, item in value.items()}]
    items = schema.get("items") or {}
    if schema.get("type") == "array" and items.get("type") == "dict" and isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            return [[{key: [v] for key, v in item.items()} for item in value]]
    return [value]


def call_ground_truth(arguments: dict[str, Any], parameters: dict[str, Any]) -> dict[str, list[Any]]:
    """Every argument's acceptable values; an optional argument may also be left out (``""``)."""
    properties = parameters.get("properties") or {}
    required = set(parameters.get("required") or [])
    truth = {arg: acceptable_values(value, properties.get(arg) or {}) for arg, value in arguments.items()}
    for arg, prop in properties.items():
        if arg in required:
            continue
        if arg not in arguments:
            truth[arg] = ["", prop["default"]] if "default" in prop else [""]
        elif "default" in prop and arguments[arg] == prop["default"]:
            truth[arg].append("")
    return truth


def category_of(record: Record) -> str:
    return CATEGORY_PREFIX + KIND_CATEGORIES.get(str(record.meta_dict().get("kind", "")), "simple")


def question_entry(record: Record, entry_id: str) -> dict[str, Any]:
    functions = [bfcl_function(t) for t in offered_tools(record)]
    return {"id": entry_id, "question": [[{"role": "user", "content": query_of(record)}]], "function": functions}


def answer_entry(record: Record, entry_id: str) -> dict[str, Any]:
    parameters = {f["name"]: f["parameters"] for f in map(bfcl_function, offered_tools(record))}
    truth = [
        {call["function"]["name"]: call_ground_truth(parse_arguments(call), parameters[call["function"]["name"]])}
        for call in tool_calls_of(record)
    ]
    return {"id": entry_id, "ground_truth": truth}


def category_files(category: str, records: Iterable[Record]) -> dict[str, list[dict[str, Any]]]:
    """``{relative file path: entries}`` of one category; rows numbered in id order."""
    name = f"{VERSION_PREFIX}_{category}.json"
    questions, answers = [], []
    for n, record in enumerate(sorted(records, key=lambda r: r.id)):
        entry_id = f"{category}_{n}"
        questions.append(question_entry(record, entry_id))
        if not category.endswith("irrelevance"):
            answers.append(answer_entry(record, entry_id))
    files = {name: questions}
    if answers:
        files[f"possible_answer/{name}"] = answers
    return files


def write_json_lines(path: str, entries: list[dict[str, Any]]) -> str:
    """Entries as JSON lines (UTF-8) at ``path``, local or on any Beam file system."""
    with FileSystems.create(path, mime_type="application/json") as handle:
        with jsonlines.Writer(handle, dumps=functools.partial(json.dumps, ensure_ascii=False)) as writer:
            writer.write_all(entries)
    return path


class WriteBfclCategories(beam.PTransform):
    """Writes tool-use rows as BFCL categories under ``output`` (BFCL's ``data/`` layout).

    Input: ``PCollection[Record]``; output: ``PCollection[str]`` of written paths.
    """

    def __init__(self, output: str) -> None:
        super().__init__()
        self._output = output

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        output = self._output
        return (
            records
            | "ByCategory" >> beam.Map(lambda r: (category_of(r), r))
            | "Group" >> beam.GroupByKey()
            | "Files" >> beam.FlatMapTuple(lambda category, rows: category_files(category, rows).items())
            | "Write" >> beam.MapTuple(lambda name, entries: write_json_lines(FileSystems.join(output, name), entries))
        )
