"""Tool-use examples: a user query and the tool calls that answer it, from sampled tools.

Each example (a ``ToolUseSpec``) offers 1..k tools of a library and asks for one of the
BFCL-style kinds: ``single`` (one tool, one call), ``multiple`` (choose one of several),
``parallel`` (several calls of one tool), ``parallel_multiple`` (calls of two tools) or
``irrelevance`` (the query needs a tool that is not offered: the right answer is no call).
Sampling is hash-based, so an example depends only on (run seed, index, library).

The model answers in JSON constrained by a schema built from the offered tools, so the
call names and argument shapes parse even from a small model; verification stages
(``synthbeam.transforms.verify``) check the rest.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Record, SamplingParams, ToolCall, stable_id
from synthbeam.tasks.base import ParseError, json_object
from synthbeam.templates import render_messages
from synthbeam.tools.schema import ToolDef, strict_schema, tool_name, tool_parameters

KINDS: tuple[str, ...] = ("single", "multiple", "parallel", "parallel_multiple", "irrelevance")
DEFAULT_MIX: dict[str, float] = {
    "single": 0.3,
    "multiple": 0.3,
    "parallel": 0.15,
    "parallel_multiple": 0.1,
    "irrelevance": 0.15,
}
NO_CALL_LABEL = "none"
# Shown to the model as the answer format, one per example by hash: a single fixed example is
# copied verbatim by small models. Their tools are in no library, so nothing leaks into labels.
EXAMPLES: tuple[str, ...] = (
    'with a tool get_weather(city, unit): {"query": "What is the weather in Paris and in Rome today, in celsius?", '
    '"calls": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}, '
    '{"name": "get_weather", "arguments": {"city": "Rome", "unit": "celsius"}}]}',
    'with a tool search_flights(origin, destination, date): {"query": "Find me a flight from Boston to Denver on 2024-05-12.", '
    '"calls": [{"name": "search_flights", "arguments": {"origin": "Boston", "destination": "Denver", "date": "2024-05-12"}}]}',
    'with a tool translate_text(text, target_language): {"query": "How do you say \'good morning\' in Spanish?", '
    '"calls": [{"name": "translate_text", "arguments": {"text": "good morning", "target_language": "Spanish"}}]}',
    'with a tool book_table(restaurant, people, time): {"query": "Book a table for 4 at Luigi\'s at 19:30.", '
    '"calls": [{"name": "book_table", "arguments": {"restaurant": "Luigi\'s", "people": 4, "time": "19:30"}}]}',
)


def example_queries() -> tuple[str, ...]:
    """The queries of the format examples: a row that copies one is dropped (``copied_example``)."""
    return tuple(json.loads(e[e.index("{") :])["query"] for e in EXAMPLES)


@dataclass(frozen=True)
class ToolUseSpec:
    """One example to generate: which tools are offered and which the query must need."""

    id: str
    kind: str
    tools: tuple[str, ...]  # offered tools, each a JSON-encoded OpenAI tool definition
    targets: tuple[str, ...]  # names the query must need (for irrelevance: the hidden tool)
    calls: int  # number of calls expected (0 for irrelevance)
    hidden_tool: str = ""  # irrelevance only: JSON of the tool the query is about, not offered
    planned: str = ""  # call-first only: JSON list of the planned calls ({name, arguments})
    plan_id: str = ""  # call-first only: the plan this candidate phrases (several candidates per plan)

    def offered(self) -> list[ToolDef]:
        return [json.loads(tool) for tool in self.tools]


def _tool_json(tool: ToolDef) -> str:
    return json.dumps(tool, ensure_ascii=False)  # key order kept: it is the argument order shown


def _pick_kind(rng: random.Random, mix: dict[str, float]) -> str:
    kinds = [k for k in KINDS if mix.get(k, 0) > 0]
    return rng.choices(kinds, weights=[mix[k] for k in kinds])[0]


def sample_spec(
    index: int, library: list[ToolDef], run_seed: int, max_tools: int = 4, mix: dict[str, float] | None = None
) -> ToolUseSpec:
    """The ``index``-th example of a run: deterministic in (run_seed, index, library names)."""
    if len(library) < 2 or max_tools < 2:
        raise ValueError("sampling needs a library of at least 2 tools and max_tools >= 2")
    rng = random.Random(int(stable_id("tool_use", run_seed, index), 16))
    kind = _pick_kind(rng, mix or DEFAULT_MIX)
    hidden = 1 if kind == "irrelevance" else 0  # the tool the query needs is not offered
    upper = min(max_tools, len(library) - hidden)
    size = 1 if kind in ("single", "parallel") else rng.randint(1 if hidden else 2, upper)
    chosen = rng.sample(range(len(library)), size + hidden)
    offered = [library[i] for i in chosen[:size]]
    if kind == "irrelevance":
        hidden = library[chosen[-1]]
        targets, calls, hidden_json = (tool_name(hidden),), 0, _tool_json(hidden)
    else:
        n_targets = 2 if kind == "parallel_multiple" else 1
        targets = tuple(tool_name(t) for t in rng.sample(offered, n_targets))
        calls = {"single": 1, "multiple": 1, "parallel": rng.randint(2, 3), "parallel_multiple": 2}[kind]
        hidden_json = ""
    spec_id = stable_id("tool_use_spec", run_seed, index)
    return ToolUseSpec(spec_id, kind, tuple(_tool_json(t) for t in offered), targets, calls, hidden_json)


def call_schema(tool: ToolDef) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "name": {"type": "string", "enum": [tool_name(tool)]},
            "arguments": strict_schema(tool_parameters(tool)),
        },
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def output_schema(spec: ToolUseSpec) -> dict[str, Any]:
    """JSON schema of the model's answer for ``spec`` (constrained decoding)."""
    # No minLength/maxLength: with them xgrammar lets a small model ramble inside strings.
    query = {"type": "string"}
    if spec.kind == "irrelevance":
        properties = {"query": query, "answer": {"type": "string"}}
        return {
            "title": "tool_use",
            "type": "object",
            "properties": properties,
            "required": ["query", "answer"],
            "additionalProperties": False,
        }
    callable_tools = [t for t in spec.offered() if tool_name(t) in spec.targets]
    items = (
        call_schema(callable_tools[0])
        if len(callable_tools) == 1
        else {"anyOf": [call_schema(t) for t in callable_tools]}
    )
    calls = {"type": "array", "items": items, "minItems": spec.calls, "maxItems": spec.calls}
    return {
        "title": "tool_use",
        "type": "object",
        "properties": {"query": query, "calls": calls},
        "required": ["query", "calls"],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class ToolUseTask:
    """GenerationTask: ``ToolUseSpec`` -> one chat-format tool-use ``Record``.

    The schema of the answer depends on the offered tools: ``response_format_for(spec)``
    gives it per item (``response_format`` here is the empty default).
    """

    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(temperature=0.8, max_tokens=320))
    name: str = "tool_use"
    template: str = "tool_use.jinja2"
    response_format: str = ""

    def item_id(self, item: ToolUseSpec) -> str:
        return item.id

    def response_format_for(self, item: ToolUseSpec) -> str:
        # Not sorted: the grammar follows property order, and the query must come first.
        return json.dumps(output_schema(item))

    def format_input(self, item: ToolUseSpec) -> list[Message]:
        tools = [t["function"] for t in item.offered()]
        hidden = json.loads(item.hidden_tool)["function"] if item.hidden_tool else None
        example = EXAMPLES[int(stable_id("example", item.id)[:8], 16) % len(EXAMPLES)]
        return render_messages(
            self.template,
            kind=item.kind,
            tools=tools,
            targets=list(item.targets),
            calls=item.calls,
            hidden=hidden,
            example=example,
        )

    def format_output(self, completion: Completion, item: ToolUseSpec) -> list[Record]:
        query, calls, answer = parse_tool_answer(completion.text, item.kind == "irrelevance")
        return [tool_use_record(self.name, item, query, calls, answer)]


def parse_tool_answer(text: str, irrelevance: bool = False) -> tuple[str, list[dict[str, Any]], str]:
    """``(query, calls, answer)`` from the model's JSON; ``ParseError`` when it cannot be read.

    Only the shape is checked here (calls are objects with a string ``name``); whether the
    calls are right is the format verification stage's job.
    """
    value = json_object(text)
    query = value.get("query")
    if not isinstance(query, str) or not query.strip():
        raise ParseError(reasons.MISSING_QUERY, "no non-empty string 'query'")
    if irrelevance:
        answer = value.get("answer")
        return query.strip(), [], answer.strip() if isinstance(answer, str) else ""
    calls = value.get("calls")
    if not isinstance(calls, list) or not all(isinstance(c, dict) and isinstance(c.get("name"), str) for c in calls):
        raise ParseError(reasons.MALFORMED_CALLS, "'calls' must be a list of objects with a string 'name'")
    return query.strip(), calls, ""


def to_tool_calls(calls: list[dict[str, Any]], record_id: str) -> list[ToolCall]:
    """OpenAI ``tool_calls``: arguments serialised to a JSON string (a string is kept as is)."""
    out: list[ToolCall] = []
    for i, call in enumerate(calls):
        arguments = call.get("arguments", {})
        text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False, sort_keys=True)
        out.append(
            ToolCall(
                id=f"call_{stable_id(record_id, i)[:12]}",
                type="function",
                function={"name": call["name"], "arguments": text},
            )
        )
    return out


def call_label(calls: list[ToolCall] | list[dict[str, Any]]) -> str:
    """The row's label: the called tool names (sorted, unique, comma-joined) or ``none``."""
    names = sorted({(c.get("function") or c)["name"] for c in calls})
    return ",".join(names) if names else NO_CALL_LABEL


def tool_use_record(
    task_name: str, spec: ToolUseSpec, query: str, calls: list[dict[str, Any]], answer: str = ""
) -> Record:
    record_id = stable_id(task_name, spec.id)
    tool_calls = to_tool_calls(calls, record_id)
    assistant: Message = (
        {"role": "assistant", "content": answer}
        if not tool_calls
        else {"role": "assistant", "content": "", "tool_calls": tool_calls}
    )
    meta = {"kind": spec.kind, "targets": list(spec.targets), "expected_calls": spec.calls}
    return Record(
        id=record_id,
        task=task_name,
        messages=[{"role": "user", "content": query}, assistant],
        tools=json.dumps([json.loads(t) for t in spec.tools], ensure_ascii=False),
        label=call_label(tool_calls),
        meta=json.dumps(meta, sort_keys=True),
    )
