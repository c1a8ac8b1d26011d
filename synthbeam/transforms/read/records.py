"""Reading existing rows back as ``Record``: the input of recipes that derive rows from rows.

Three shapes are accepted, one per JSONL line or Parquet row:

- a synthbeam row (``id``, ``task``, ``messages``, ... as written to Parquet by a recipe),
- chat format (``{"messages": [{"role", "content"}, ...]}``, TRL / OpenAI fine-tuning),
- instruction format (``{"instruction", "input", "output"}``, Alpaca / Self-Instruct seeds).

Rows without an ``id`` get one from their content, so the same row has the same id
wherever the file lives. A line or row that is none of these becomes a ``DeadLetter``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pvalue import DoOutputsTuple, PBegin, TaggedOutput

from synthbeam.json_text import not_an_object
from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Lineage, Message, Record, Source, message_from_json, stable_id
from synthbeam.tasks.self_instruct import BUNDLED_SEED_TASKS, SeedTask, seed_messages, seed_tasks_path
from synthbeam.transforms.outputs import DEAD_LETTER, MAIN
from synthbeam.transforms.read.corpus import ListFiles, open_file
from synthbeam.transforms.read.formats import (
    Lines,
    dead_letter,
    detect_format,
    read_json_lines,
    read_parquet_rows,
    until_unreadable,
)

_SCALAR_FIELDS = ("label", "completion", "finish_reason", "split", "tools", "meta")


def _messages(value: Any) -> list[Message] | None:
    if not isinstance(value, list) or not value:
        return None
    messages: list[Message] = []
    for turn in value:
        try:  # a JSON object, or its text as pyarrow reads a synthbeam Parquet row
            message = message_from_json(turn) if isinstance(turn, dict | str) else None
        except ValueError:
            return None
        if not message or not isinstance(message.get("role"), str):
            return None
        messages.append(message)
    return messages


def _instruction_messages(obj: dict[str, Any]) -> list[Message]:
    """Instruction-format rows, flat or in the Self-Instruct form (input and output under
    ``instances``: the first instance is the row's)."""
    instances = obj.get("instances")
    holder = instances[0] if isinstance(instances, list) and instances and isinstance(instances[0], dict) else obj
    fields = (
        str(source.get(k) or "").strip() for source, k in ((obj, "instruction"), (holder, "input"), (holder, "output"))
    )
    return seed_messages(SeedTask("", *fields))


def record_from_object(obj: Any, source: Source) -> Record | DeadLetter:
    """One JSON object or Parquet row -> ``Record``, or a ``DeadLetter`` saying what is missing."""
    if not isinstance(obj, dict):
        return dead_letter(reasons.INVALID_JSON, not_an_object(obj), source.uri, source.position)
    if "messages" in obj:
        messages = _messages(obj["messages"])
        if messages is None:
            detail = "'messages' must be a non-empty list of {role, content} objects"
            return dead_letter(reasons.MISSING_TEXT_FIELD, detail, source.uri, source.position)
        task = str(obj.get("task") or "chat")
    elif isinstance(obj.get("instruction"), str) and obj["instruction"].strip():
        messages, task = _instruction_messages(obj), str(obj.get("task") or "instruction")
    else:
        detail = "needs 'messages' (chat format) or 'instruction' (instruction format)"
        return dead_letter(reasons.MISSING_TEXT_FIELD, detail, source.uri, source.position)
    try:
        lineage = Lineage(**(obj.get("lineage") or {}))
        row_source = Source(**obj["source"]) if obj.get("source") else source
    except TypeError as error:
        return dead_letter(reasons.INVALID_JSON, f"bad lineage or source: {error}", source.uri, source.position)
    scalars = {k: _as_text(obj[k]) for k in _SCALAR_FIELDS if obj.get(k) is not None}
    row_id = str(obj.get("id") or stable_id(json.dumps(messages, sort_keys=True, ensure_ascii=False)))
    return Record(id=row_id, task=task, messages=messages, source=row_source, lineage=lineage, **scalars)


def _as_text(value: Any) -> str:
    """A string column's value: JSON for lists and objects (``tools``, ``meta`` hold JSON)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)


class ReadRecordsFn(beam.DoFn):
    """A file URI -> its ``Record`` rows; bad lines, rows and files -> ``DeadLetter``."""

    def __init__(self) -> None:
        self._rows = Metrics.counter("read_records", "rows")
        self._dead = Metrics.counter("read_records", "dead_letters")

    def process(self, uri: str) -> Iterator[Record | TaggedOutput]:
        path = seed_tasks_path(uri)
        fmt = detect_format(path)
        if fmt not in ("jsonl", "parquet"):
            self._dead.inc()
            yield TaggedOutput(DEAD_LETTER, dead_letter(reasons.UNSUPPORTED_FORMAT, "use .jsonl or .parquet", uri))
            return
        with open_file(path) as handle:
            lines = Lines(handle)
            if fmt == "parquet":
                items = read_parquet_rows(handle, uri, record_from_object)
            else:
                items = read_json_lines(lines, uri, record_from_object)
            for item in until_unreadable(items, uri, lines):
                if isinstance(item, DeadLetter):
                    self._dead.inc()
                    yield TaggedOutput(DEAD_LETTER, item)
                else:
                    self._rows.inc()
                    yield item


class ReadRecords(beam.PTransform):
    """Reads rows written by a recipe, chat-format or instruction-format files.

    Input: ``PBegin``. Output: ``DoOutputsTuple`` with ``.main`` (``Record``) and
    ``.dead_letter`` (``DeadLetter`` per unreadable line, row or file).

    Args:
        patterns: File patterns (local or any Beam file system), ``.jsonl[.gz]`` or
            ``.parquet``, or ``synthbeam://seed_tasks`` for the bundled seed tasks.
    """

    def __init__(self, patterns: list[str]) -> None:
        super().__init__()
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(f"ReadRecords needs file patterns, got {patterns!r}")
        self._patterns = patterns

    def expand(self, pbegin: PBegin) -> DoOutputsTuple:
        return (
            pbegin
            | "ListFiles" >> ListFiles(self._patterns, bundled=(BUNDLED_SEED_TASKS,))
            | "ReadFiles" >> beam.ParDo(ReadRecordsFn()).with_outputs(DEAD_LETTER, main=MAIN)
        )
