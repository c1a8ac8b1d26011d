"""Reading the tool-use parts of a chat-format ``Record``: query, offered tools, calls, results."""

from __future__ import annotations

import json
from typing import Any

from synthbeam.schemas.record import Message, Record, ToolCall
from synthbeam.tools.schema import ToolDef


def query_of(record: Record) -> str:
    """The first user turn's text ("" when there is none)."""
    return next((m.get("content") or "" for m in record.messages if m.get("role") == "user"), "")


def tool_calls_of(record: Record) -> list[ToolCall]:
    """Every tool call of every assistant turn, in order."""
    return [call for m in record.messages if m.get("role") == "assistant" for call in (m.get("tool_calls") or [])]


def tool_results_of(record: Record) -> dict[str, str]:
    """``tool_call_id -> content`` of the ``tool`` turns."""
    return {m.get("tool_call_id") or "": m.get("content") or "" for m in record.messages if m.get("role") == "tool"}


def final_answer_of(record: Record) -> str:
    """The text of the last assistant turn without tool calls ("" when there is none)."""
    texts = [
        m.get("content") or "" for m in record.messages if m.get("role") == "assistant" and not m.get("tool_calls")
    ]
    return texts[-1] if texts else ""


def offered_tools(record: Record) -> list[ToolDef]:
    """The row's ``tools`` column as a list; ``ValueError`` if it is not a list of tool objects."""
    tools = json.loads(record.tools or "[]")
    if not isinstance(tools, list) or not all(
        isinstance(t, dict) and isinstance(t.get("function"), dict) for t in tools
    ):
        raise ValueError("'tools' must be a JSON list of {'type': 'function', 'function': {...}} objects")
    return tools


def parse_arguments(call: ToolCall) -> Any:
    """The call's arguments decoded (``json.JSONDecodeError`` if they are not JSON)."""
    arguments = call["function"].get("arguments") or "{}"
    return json.loads(arguments) if isinstance(arguments, str) else arguments


def with_tool_results(record: Record, results: list[tuple[ToolCall, str]]) -> list[Message]:
    """The record's messages with one ``tool`` turn per result after the assistant turn that called it."""
    by_id = {call["id"]: (call, text) for call, text in results}
    messages: list[Message] = []
    for message in record.messages:
        messages.append(message)
        for call in message.get("tool_calls") or []:
            if call["id"] in by_id:
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": call["id"],
                        "name": call["function"]["name"],
                        "content": by_id[call["id"]][1],
                    }
                )
    return messages
