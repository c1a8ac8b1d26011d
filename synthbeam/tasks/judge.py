"""LLM judge of tool-use rows: do the calls (and their results) answer the user's query?

The verdict is JSON constrained by ``VERDICT_SCHEMA`` (the reason comes first, so the model
explains before it decides). ``format_output`` returns the judged row with the verdict in
``meta.judge``; it does not change the row's own lineage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Record, SamplingParams
from synthbeam.tasks.base import ParseError
from synthbeam.templates import render_messages
from synthbeam.tools.calls import final_answer_of, offered_tools, query_of, tool_calls_of, tool_results_of

VERDICT_SCHEMA: dict[str, Any] = {
    "title": "verdict",
    "type": "object",
    "properties": {"reason": {"type": "string"}, "passes": {"type": "boolean"}},
    "required": ["reason", "passes"],
    "additionalProperties": False,
}


def judge_variables(record: Record) -> dict[str, Any]:
    """What the judge template sees; every value is data, never template source."""
    results = tool_results_of(record)
    calls = [
        {"name": c["function"]["name"], "arguments": c["function"]["arguments"], "result": results.get(c["id"], "")}
        for c in tool_calls_of(record)
    ]
    tools = [
        {"name": t["function"]["name"], "description": t["function"].get("description", "")}
        for t in offered_tools(record)
    ]
    return {"query": query_of(record), "tools": tools, "calls": calls, "answer": final_answer_of(record)}


def parse_verdict(text: str) -> dict[str, Any]:
    """``{"passes": bool, "reason": str}`` from the judge's JSON, else ``ParseError``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError(reasons.INVALID_JSON, f"not JSON: {error.msg}") from None
    if not isinstance(value, dict) or not isinstance(value.get("passes"), bool):
        raise ParseError(reasons.PARSE_FAILED, "no boolean 'passes'")
    reason = value.get("reason")
    return {"passes": value["passes"], "reason": reason.strip() if isinstance(reason, str) else ""}


@dataclass(frozen=True)
class ToolUseJudge:
    """GenerationTask: tool-use ``Record`` -> the same record with ``meta.judge`` set."""

    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(temperature=0.0, top_p=1.0, max_tokens=160))
    name: str = "tool_use_judge"
    template: str = "judge_tool_use.jinja2"
    response_format: str = json.dumps(VERDICT_SCHEMA)

    def item_id(self, item: Record) -> str:
        return item.id

    def format_input(self, item: Record) -> list[Message]:
        return render_messages(self.template, **judge_variables(item))

    def format_output(self, completion: Completion, item: Record) -> list[Record]:
        verdict = parse_verdict(completion.text)
        return [item.with_meta(judge={**verdict, "model": completion.model})]
