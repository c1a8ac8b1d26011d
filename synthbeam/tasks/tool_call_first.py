"""Call-first tool use: the pipeline plans the calls, the model only writes the request.

``plan_spec`` picks the row's kind, its tools (round-robin over a seeded shuffle of the
library, so every tool gets an even share of the budget) and concrete argument values
(``synthbeam.tools.values``), all deterministic in (run seed, index, library). The
``CallFirstTask`` then asks the model for one line: the user's request stating those values.
The assistant turn is the planned calls, or for ``irrelevance`` (the request is written for
a tool that is not offered) a decline the pipeline writes.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Record, SamplingParams, stable_id
from synthbeam.tasks.base import ParseError
from synthbeam.tasks.tool_examples import MULTI, SINGLE, Example
from synthbeam.tasks.tool_plain import plain_request, shown
from synthbeam.tasks.tool_purpose import purpose, short_purpose
from synthbeam.tasks.tool_use import DEFAULT_MIX, ToolUseSpec, _pick_kind, _tool_json, tool_use_record
from synthbeam.templates import render_messages
from synthbeam.tools.calls import query_of
from synthbeam.tools.schema import ToolDef, tool_name, tool_parameters
from synthbeam.tools.values import choose_arguments, name_words, unfit_parameters

SHOTS = 3  # few-shot examples per request, drawn from the pool by the spec's hash
_STOP_WORDS = frozenset(
    "a an the of for to in on and or by with from get set find calculate compute return returns given "
    "based specific value values number data information details list using into its their".split()
)
_LEAD_IN = re.compile(r"^(?:user|request|the user's request|assistant)\s*:\s*", re.IGNORECASE)


@functools.cache
def _order(names: tuple[str, ...], run_seed: int) -> tuple[int, ...]:
    order = list(range(len(names)))
    random.Random(int(stable_id("tool_order", run_seed, *names), 16)).shuffle(order)
    return tuple(order)


def tool_order(library: list[ToolDef], run_seed: int) -> tuple[int, ...]:
    """A seeded shuffle of the indexes of the library's plannable tools: row ``i`` is about tool
    ``order[i % n]``; a tool with a required parameter no value fits is skipped (``skipped_tools``)."""
    order = _order(tuple(map(tool_name, library)), run_seed)
    return tuple(i for i in order if _plannable(_tool_json(library[i])))


@functools.cache
def _plannable(tool_json: str) -> bool:
    return not unfit_parameters(tool_parameters(json.loads(tool_json)))


def skipped_tools(library: list[ToolDef]) -> list[str]:
    """Names of the tools never planned: a required parameter has no fitting value."""
    return [tool_name(t) for t in library if not _plannable(_tool_json(t))]


def _content_words(tool: ToolDef) -> set[str]:
    text = f"{tool_name(tool)} {tool['function'].get('description', '')}"
    return {w for w in name_words(text) if w not in _STOP_WORDS and len(w) > 2}


def _unrelated(library: list[ToolDef], hidden: int, rng: random.Random, size: int) -> list[int]:
    """Tools sharing no content word with the hidden one (another domain), else the least related."""
    words = _content_words(library[hidden])
    others = [i for i in range(len(library)) if i != hidden]
    rng.shuffle(others)
    others.sort(key=lambda i: len(words & _content_words(library[i])))
    return others[:size]


def _distinct_calls(tool: ToolDef, rng: random.Random, count: int) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    for _ in range(count * 5):
        call = {"name": tool_name(tool), "arguments": choose_arguments(tool_parameters(tool), rng)}
        if call not in calls:
            calls.append(call)
        if len(calls) == count:
            break
    return calls


def plan_spec(
    index: int, library: list[ToolDef], run_seed: int, max_tools: int = 4, mix: dict[str, float] | None = None
) -> ToolUseSpec:
    """The ``index``-th row of a call-first run, with its planned calls in ``spec.planned``."""
    if len(library) < 2 or max_tools < 2:
        raise ValueError("sampling needs a library of at least 2 tools and max_tools >= 2")
    order = tool_order(library, run_seed)
    if not order:
        raise ValueError("no tool in the library can be planned: every one has a parameter no value fits")
    rng = random.Random(int(stable_id("tool_plan", run_seed, index), 16))
    kind = _pick_kind(rng, mix or DEFAULT_MIX)
    kind = "multiple" if kind == "parallel_multiple" and len(order) < 2 else kind
    primary = order[index % len(order)]
    others = [i for i in range(len(library)) if i != primary]
    if kind == "irrelevance":
        offered = _unrelated(library, primary, rng, rng.randint(1, min(max_tools, len(others))))
        calls = _distinct_calls(library[primary], rng, 1)
        return _spec(run_seed, index, kind, library, offered, (tool_name(library[primary]),), calls, primary)
    size = 1 if kind in ("single", "parallel") else rng.randint(2, min(max_tools, len(library)))
    offered = [primary, *rng.sample(others, size - 1)]
    rng.shuffle(offered)
    if kind == "parallel":
        calls = _distinct_calls(library[primary], rng, rng.randint(2, 3))
        kind = kind if len(calls) >= 2 else "single"  # a tool whose arguments cannot vary
    elif kind == "parallel_multiple":
        plannable = set(order)
        second = rng.choice([i for i in offered if i != primary and i in plannable] or sorted(plannable - {primary}))
        if second not in offered:  # the second call's tool must be one the planner can fill
            offered[next(k for k, i in enumerate(offered) if i != primary)] = second
        calls = _distinct_calls(library[primary], rng, 1) + _distinct_calls(library[second], rng, 1)
    else:
        calls = _distinct_calls(library[primary], rng, 1)
    targets = tuple(dict.fromkeys(c["name"] for c in calls))
    return _spec(run_seed, index, kind, library, offered, targets, calls)


def _spec(
    run_seed: int,
    index: int,
    kind: str,
    library: list[ToolDef],
    offered: list[int],
    targets: tuple[str, ...],
    calls: list[dict[str, Any]],
    hidden: int | None = None,
) -> ToolUseSpec:
    return ToolUseSpec(
        id=stable_id("tool_use_spec", run_seed, index),
        kind=kind,
        tools=tuple(_tool_json(library[i]) for i in offered),
        targets=targets,
        calls=0 if kind == "irrelevance" else len(calls),
        hidden_tool=_tool_json(library[hidden]) if hidden is not None else "",
        planned=json.dumps(calls, ensure_ascii=False),
    )


def candidates(spec: ToolUseSpec, count: int) -> list[ToolUseSpec]:
    """``count`` requests for one plan (own ids, so own seeds and few-shot draws); the gates
    and ``candidate_score`` choose among those that pass."""
    return [
        dataclasses.replace(spec, id=stable_id(spec.id, "candidate", k) if k else spec.id, plan_id=spec.id)
        for k in range(max(count, 1))
    ]


REQUEST_SOURCES = ("plain", "model")


def candidate_score(record: Record, prefer: str = "plain") -> float:
    """Higher is better: the preferred source first (``plain``, the default: read side by side,
    the pipeline's plain request reads better than the bundled 135M model's rewrites, which
    repeat values and add questions; ``model`` for models that phrase well), then a request of
    6-25 words phrased as a question, far from the draft."""
    request, meta = query_of(record), record.meta_dict()
    size = len(request.split())
    draft_likeness = difflib.SequenceMatcher(None, request.lower(), str(meta.get("draft", "")).lower()).ratio()
    preferred = 3.0 if meta.get("request_source", "model") == prefer else 0.0
    return (
        preferred
        + (1.0 if 6 <= size <= 25 else 0.5)
        + (0.5 if request.rstrip().endswith("?") else 0.0)
        - draft_likeness
    )


def _argument_phrase(name: str, value: Any) -> str:
    return f"{' '.join(name_words(name))} {shown(value)}"


def draft_request(calls: list[dict[str, Any]], tools: dict[str, ToolDef]) -> str:
    """A plain request the pipeline writes for the calls ("Calculate the area of a triangle
    for base 10 and height 5."): the model only rewrites it in a user's words."""
    sentences: list[str] = []
    for call in calls:
        what = short_purpose(tools[call["name"]])
        phrases = [_argument_phrase(k, v) for k, v in call["arguments"].items() if not isinstance(v, (bool, dict))]
        phrases += [shown(v) for v in call["arguments"].values() if isinstance(v, dict) and v]
        joined = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1] if phrases else ""
        sentence = f"{what[:1].upper()}{what[1:]}" + (f" for {joined}" if joined else "")
        sentences.append(sentence + ".")
    if len(sentences) == 1:
        return sentences[0]
    return " ".join([sentences[0], *(f"Also, {s[:1].lower()}{s[1:]}" for s in sentences[1:])])


def decline(hidden: ToolDef, offered: list[ToolDef]) -> str:
    """The assistant's reply when no offered tool fits: what is missing and what it can do."""
    can = [purpose(t) for t in offered]
    listed = can[0] if len(can) == 1 else ", ".join(can[:-1]) + " or " + can[-1]
    return f"I can't help with that: none of the available tools can {purpose(hidden)}. The tools I have can {listed}."


def clean_request(text: str) -> str:
    """The request from a completion: its first non-empty line, lead-ins and quotes removed."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = _LEAD_IN.sub("", line).strip()
    if len(line) > 1 and line[0] == line[-1] and line[0] in "\"'":
        line = line[1:-1].strip()
    return line


@dataclass(frozen=True)
class CallFirstTask:
    """GenerationTask: planned ``ToolUseSpec`` -> one chat-format tool-use ``Record``."""

    sampling: SamplingParams = field(
        default_factory=lambda: SamplingParams(temperature=0.7, max_tokens=72, stop=("\n",))
    )
    name: str = "tool_use"
    template: str = "tool_request.jinja2"
    response_format: str = ""

    def item_id(self, item: ToolUseSpec) -> str:
        return item.id

    def examples(self, item: ToolUseSpec) -> list[Example]:
        """``SHOTS`` examples drawn by the spec's hash: multi-call ones for multi-call kinds."""
        rng = random.Random(int(stable_id("shots", item.id)[:8], 16))
        if item.calls > 1:
            return [*rng.sample(MULTI, SHOTS - 1), rng.choice(SINGLE)][::-1]
        return rng.sample(SINGLE, SHOTS)

    def format_input(self, item: ToolUseSpec) -> list[Message]:
        prompt = draft_request(json.loads(item.planned), self._tools(item))
        return render_messages(self.template, examples=self.examples(item), prompt=prompt)

    def format_output(self, completion: Completion, item: ToolUseSpec) -> list[Record]:
        request = clean_request(completion.text)
        if not request:
            raise ParseError(reasons.MISSING_QUERY, "the completion has no request line")
        return [self._record(item, request, "model")]

    def plain_record(self, item: ToolUseSpec) -> Record:
        """The row with the pipeline's own request (``plain_request``), no model call: the
        fallback candidate of its plan, through the same gates (``meta.request_source`` "plain")."""
        calls = json.loads(item.planned)
        kind = "single" if item.kind == "irrelevance" else item.kind
        plain = dataclasses.replace(item, id=stable_id(item.id, "plain"), plan_id=item.plan_id or item.id)
        return self._record(plain, plain_request(kind, calls, self._tools(item)), "plain")

    def _record(self, item: ToolUseSpec, request: str, source: str) -> Record:
        calls = json.loads(item.planned)
        if item.kind == "irrelevance":
            answer = decline(json.loads(item.hidden_tool), item.offered())
            record = tool_use_record(self.name, item, request, [], answer)
        else:
            record = tool_use_record(self.name, item, request, calls)
        draft = draft_request(calls, self._tools(item))
        meta = {
            "planned_calls": calls,
            "generation": "call_first",
            "draft": draft,
            "plan_id": item.plan_id or item.id,
            "request_source": source,
        }
        return record.with_meta(**meta)

    @staticmethod
    def _tools(item: ToolUseSpec) -> dict[str, ToolDef]:
        tools = {tool_name(t): t for t in item.offered()}
        if item.hidden_tool:
            hidden = json.loads(item.hidden_tool)
            tools[tool_name(hidden)] = hidden
        return tools
