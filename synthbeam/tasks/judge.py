"""LLM judges of finished rows: a rubric per task, the reason first, then a verdict.

The judge answers JSON constrained by ``VERDICT_SCHEMA``: ``{"reason": str, "verdict":
"pass" | "fail"}``. The reason comes first so the model explains before it decides; the
verdict is read from the same object. A small judge often writes a reason that says
"No" and a verdict that says "pass"; ``verdict_problem`` catches that (and empty or
boilerplate reasons) so such a pass is rejected instead of trusted.

Two rubrics ship: ``ToolUseJudge`` (tool-use rows: does the call answer the request, with
the values the request states; for a row without calls, is declining right) and
``InstructionJudge`` (instruction/response rows: is the request self-contained, does the
response answer it, is it free of prompt wording and placeholders). ``format_output``
returns the judged row with the verdict in ``meta.judge``; the row's lineage is unchanged.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Record, SamplingParams
from synthbeam.tasks.base import ParseError, json_object
from synthbeam.templates import render_messages
from synthbeam.tools.calls import final_answer_of, offered_tools, query_of, tool_calls_of, tool_results_of

PASS, FAIL = "pass", "fail"
VERDICT_SCHEMA: dict[str, Any] = {
    "title": "verdict",
    "type": "object",
    "properties": {
        "reason": {"type": "string", "minLength": 1, "maxLength": 400},
        "verdict": {"type": "string", "enum": [PASS, FAIL]},
    },
    "required": ["reason", "verdict"],
    "additionalProperties": False,
}
MIN_REASON_WORDS = 3  # "Yes.", "Correct", "ok" explain nothing

# A reason that opens with a bare "No" ("No", "No.", "No, the city is wrong") is a fail,
# whatever the verdict says. "No tool can do this" opens a sentence and is not matched.
_BARE_NO = re.compile(r"^\s*(no|nope|not really|false|incorrect|fail(s|ed)?)\s*($|[.,!;:\-])", re.IGNORECASE)
# Phrases that find fault with the row. Kept narrow: each one is a complaint in any rubric.
NEGATIVE_MARKERS: tuple[str, ...] = (
    "does not answer",
    "doesn't answer",
    "do not answer",
    "did not answer",
    "not answer the",
    "fails to",
    "incorrect",
    "wrong",
    "missing",
    "is not correct",
    "are not correct",
    "not the right",
    "not the correct",
    "does not match",
    "doesn't match",
    "do not match",
    "mismatch",
    "should have",
    "should be",
    "instead of",
    "not stated",
    "not mentioned",
    "not provided",
    "not given",
    "not present",
    "placeholder",
    "hallucinat",
    "unclear",
    "incomplete",
    "not self-contained",
    "not included",
    "does not include",
    "doesn't include",
)
# Complaints about relevance, which a correct decline states as its reason ("none of the tools
# is relevant, so not calling one is right"): contradictions only when the row did act.
RELEVANCE_MARKERS: tuple[str, ...] = ("not relevant", "irrelevant", "unrelated", "off-topic", "off topic")
BOILERPLATE_REASONS = frozenset(
    """yes no ok okay correct incorrect true false pass passes passed fail fails good fine valid
    reason n/a na none explanation one sentence the reason""".split()
)


def verdict_problem(reason: str, passes: bool, declined: bool = False) -> str | None:
    """Why a verdict cannot be trusted (a reason code), None when it can.

    A passing verdict whose reason finds fault (a bare "No", "does not answer",
    "incorrect", "missing", ...) is ``judge_contradiction``; a passing verdict whose reason
    is empty, shorter than ``MIN_REASON_WORDS`` words or boilerplate is
    ``judge_no_reason``. A failing verdict is never second-guessed (it rejects the row
    anyway). ``declined`` marks rows where the answer is a refusal to act (a tool-use row
    without calls), for which "not relevant" is the reason to pass, not a complaint.
    """
    if not passes:
        return None
    text = " ".join(reason.split()).lower()
    if _BARE_NO.match(text):
        return reasons.JUDGE_CONTRADICTION
    markers = NEGATIVE_MARKERS if declined else NEGATIVE_MARKERS + RELEVANCE_MARKERS
    if any(marker in text for marker in markers):
        return reasons.JUDGE_CONTRADICTION
    words = re.findall(r"[a-z0-9/'-]+", text)
    if len(words) < MIN_REASON_WORDS or " ".join(words) in BOILERPLATE_REASONS:
        return reasons.JUDGE_NO_REASON
    return None


def parse_verdict(text: str) -> dict[str, Any]:
    """``{"reason": str, "verdict": "pass"|"fail", "passes": bool}`` from the judge's JSON.

    Raises:
        ParseError: ``invalid_json`` or ``invalid_text`` when the text is not a JSON object
            (``json_object``), ``parse_failed`` when it has no ``verdict`` of ``pass`` or ``fail``.
    """
    value = json_object(text)
    verdict = value.get("verdict")
    if not isinstance(verdict, str) or verdict.strip().lower() not in (PASS, FAIL):
        raise ParseError(reasons.PARSE_FAILED, "no 'verdict' of 'pass' or 'fail'")
    verdict = verdict.strip().lower()
    reason = value.get("reason")
    return {"reason": reason.strip() if isinstance(reason, str) else "", "verdict": verdict, "passes": verdict == PASS}


def tool_use_variables(record: Record) -> dict[str, Any]:
    """What the tool-use judge template sees; every value is data, never template source."""
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


judge_variables = tool_use_variables  # the name earlier releases exported


def instruction_variables(record: Record) -> dict[str, Any]:
    """The first user turn and the assistant turn after it, as the instruction judge sees them."""
    request = next((m.get("content") or "" for m in record.messages if m.get("role") == "user"), "")
    response = next((m.get("content") or "" for m in reversed(record.messages) if m.get("role") == "assistant"), "")
    return {"request": request, "response": response}


def _judge_sampling() -> SamplingParams:
    return SamplingParams(temperature=0.0, top_p=1.0, max_tokens=160)


@dataclass(frozen=True)
class _Judge:
    """What every judge task shares: request building, verdict parsing, ``meta.judge``."""

    sampling: SamplingParams = field(default_factory=_judge_sampling)
    name: str = "judge"
    template: str = ""
    response_format: str = json.dumps(VERDICT_SCHEMA)

    def item_id(self, item: Record) -> str:
        return item.id

    def variables(self, item: Record) -> dict[str, Any]:
        raise NotImplementedError

    def declined(self, item: Record) -> bool:
        """Whether the row's answer is a refusal to act (see ``verdict_problem``)."""
        return False

    def format_input(self, item: Record) -> list[Message]:
        return render_messages(self.template, **self.variables(item))

    def format_output(self, completion: Completion, item: Record) -> list[Record]:
        verdict = parse_verdict(completion.text)
        return [item.with_meta(judge={**verdict, "rubric": self.name, "model": completion.model})]


@dataclass(frozen=True)
class ToolUseJudge(_Judge):
    """GenerationTask: tool-use ``Record`` -> the same record with ``meta.judge`` set."""

    name: str = "tool_use_judge"
    template: str = "judge_tool_use.jinja2"

    def variables(self, item: Record) -> dict[str, Any]:
        return tool_use_variables(item)

    def declined(self, item: Record) -> bool:
        return not tool_calls_of(item)


@dataclass(frozen=True)
class InstructionJudge(_Judge):
    """GenerationTask: instruction/response ``Record`` -> the same record with ``meta.judge``."""

    name: str = "instruction_judge"
    template: str = "judge_instruction.jinja2"

    def variables(self, item: Record) -> dict[str, Any]:
        return instruction_variables(item)
