"""Tool-router rows: a tool-use row's request and candidate tools, labelled with the tool it calls."""

from __future__ import annotations

import json

from synthbeam.schemas.record import Record, stable_id
from synthbeam.tasks.tool_use import NO_CALL_LABEL
from synthbeam.tools.calls import query_of, tool_calls_of

SELECTION_TASK = "tool_selection"


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
