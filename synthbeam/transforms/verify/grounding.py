"""Stage "verify_grounding": deterministic gates on tool-use rows, one reason code each.

In order: ``not_a_request`` (no request at all: empty, prompt wording, JSON/code, placeholders,
a function name), ``copied_example`` (the request is a few-shot example's), ``kind_mismatch``
(the calls do not have the row kind's shape), ``not_a_decline`` (an irrelevance reply that
does not decline), ``ungrounded_argument`` and, for call-first rows (which carry the plain
request the model rewrote, ``meta.draft``), ``extra_value``: a number or capitalised name in the
request that neither the calls' values nor the draft contain ("Inception in 2010" when no call
has 2010), i.e. the model added content the calls do not answer. ``unasked_call``: a request
for calls to two or more functions that never says what one of them is for (``purpose``).

``padded_request``: content words that neither the calls' values nor the tool's own wording
nor common request words account for ("sushi on a tokyo sesh"), beyond ``PADDING_BUDGET``.
Value matching (numbers, dates, times, aliases) lives in ``value_grounding``. A row whose
request the pipeline wrote itself (``meta.request_source`` "plain") is not compared with its
own draft (echo, draft wording, repeats). For irrelevance rows the planned call of the hidden
tool (``meta.planned_calls``) is checked.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from typing import Any

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.tools.calls import offered_tools, parse_arguments, query_of, tool_calls_of
from synthbeam.transforms.checks import Drop
from synthbeam.transforms.verify.padding import padding_problem
from synthbeam.transforms.verify.purpose import unasked_calls
from synthbeam.transforms.verify.value_grounding import (
    NUMBER,
    months_said,
    numbers_in,
    phrase_in,
    ungrounded_values,
    value_match_text,
)

STAGE = "verify_grounding"
COPY_RATIO = 0.85  # difflib ratio of normalised requests at or above which a request is a copy
MIN_WORDS, MAX_WORDS = 3, 50
ECHO_RATIO = 0.9  # a request this close to the prompt's own plain request is an echo of it

_PLACEHOLDER = re.compile(r"\[[^\]]{0,30}\]|<[a-z_ ]{1,30}>|\{[a-z_ ]{1,30}\}|\bxxx+\b|\bplaceholder\b", re.IGNORECASE)
_COUNT_AS_YEAR = re.compile(r"\bthe year \d{1,3}\b(?![,.]?\d)", re.IGNORECASE)  # "in the year 4" for 4 years
PROMPT_PHRASES = (
    "values:",
    "task:",
    "task 1",
    "user's request",
    "rewritten request",
    "plain request",
    "as a user would",
)
# A request asks ("...?") or opens as one: a polite form, a wish, or an imperative verb.
_OPENERS = frozenset(
    """please can could would will may is are do does did what which who whom whose when where why how
    i'd i'm id let lets help show tell give find get calculate compute convert book search look check list
    locate retrieve fetch predict estimate generate create make send set plan recommend suggest translate
    compare sort determine identify analyze analyse solve draw plot update order buy reserve schedule add
    remove delete count measure work figure run perform train build compose play open start stop find
    describe explain provide return predict verify evaluate simulate shuffle combine modify query""".split()
)
_WISHES = ("i want", "i need", "i would like", "i'd like", "i'm looking", "i am looking", "help me")
DECLINE = re.compile(
    r"\b(can(?:no|')t|unable|not able|don't have|do not have|no (?:available )?tool|none of)\b", re.IGNORECASE
)


def is_request_form(text: str) -> bool:
    """A question, or a sentence that opens as a request ("Please ...", "I'd like ...", "Find ...")."""
    lower = text.lower().lstrip("\"' ")
    first = re.split(r"[^a-z']", lower, maxsplit=1)[0]
    return text.rstrip().endswith("?") or first in _OPENERS or lower.startswith(_WISHES)


def request_problem(request: str, function_names: Iterable[str] = (), prompt: str = "") -> str:
    """Why ``request`` is not a user request ("" when it is one); ``prompt`` is the plain
    request the model was asked to rewrite (an unchanged copy of it is an echo)."""
    text = request.strip()
    words = text.split()
    if not text:
        return "empty"
    if text[0] in "{[`<" or text.startswith(("def ", "import ", "SELECT ")):
        return "JSON or code"
    if len(words) < MIN_WORDS or len(words) > MAX_WORDS:
        return f"{len(words)} words"
    if text.endswith((":", ",", "-")):
        return "unfinished"
    if _PLACEHOLDER.search(text):
        return "placeholder"
    if _COUNT_AS_YEAR.search(text):
        return "a count said as a year"
    lower = text.lower()
    phrase = next((p for p in PROMPT_PHRASES if p in lower), "")
    if phrase:
        return f"prompt wording {phrase!r}"
    named = next((n for n in function_names if ("_" in n or "." in n) and n.lower() in lower), "")
    if named:
        return f"names the function {named}"
    if prompt and difflib.SequenceMatcher(None, value_match_text(text), value_match_text(prompt)).ratio() >= ECHO_RATIO:
        return "echo of the prompt"
    return "" if is_request_form(text) else "a statement, not a request"


def extra_values(request: str, draft: str) -> list[str]:
    """Numbers and capitalised names in ``request`` that ``draft`` (purpose and every planned
    value) does not contain; the first word of a sentence and "I" are not names, and the month
    of a planned date ("June" for 2026-06-15) and each part of a value ("America" of
    "America/New_York") are the draft's."""
    planned = numbers_in(draft)
    extra = [n.strip(", ") for n in NUMBER.findall(request) if not numbers_in(n) & planned]
    text = value_match_text(draft)
    months = " ".join(months_said(draft)).lower()
    known = (
        f"{text} {re.sub(r'[-/_:]', ' ', text)} {months}"  # "Comic-Con" states "Comic", "America/New_York" "America"
    )
    sentences = re.split(r"(?<=[.!?])\s+", request.strip())
    for sentence in sentences:
        for word in re.findall(r"(?<=\s)[A-Z][A-Za-z]+", sentence):
            if word != "I" and not phrase_in(value_match_text(word), known):
                extra.append(word)
    return extra


def draft_wording(request: str, calls: Iterable[dict[str, Any]]) -> str:
    """A multi-word parameter name followed by its value ("food type mushroom risotto"): the
    plain request's wording kept instead of a user's ("" when there is none)."""
    text = value_match_text(request)
    for call in calls:
        for name, value in (call.get("arguments") or {}).items():
            words = " ".join(re.findall(r"[a-z0-9]+", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()))
            if " " in words and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                shown = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
                if phrase_in(f"{words} {value_match_text(shown)}", text):
                    return f"keeps the plain request's wording {words!r}"
    return ""


def repeats_itself(request: str, draft: str = "") -> str:
    """A number said more often than the plain request says it ("in 2005 ... the year 2005"),
    or two words with a number said twice ("in 2001 in 2001")."""
    said, planned = NUMBER.findall(request), NUMBER.findall(draft) if draft else []
    for number in {n.strip(", ") for n in said}:
        if sum(n.strip(", ") == number for n in said) > max(1, sum(n.strip(", ") == number for n in planned)):
            return f"repeats {number!r}"
    words = value_match_text(request).split()
    seen: set[tuple[str, ...]] = set()
    for size in (2,):
        for i in range(len(words) - size + 1):
            gram = tuple(words[i : i + size])
            if gram in seen and any(c.isdigit() for w in gram for c in w):
                return f"repeats {' '.join(gram)!r}"
            seen.add(gram)
    return ""


def copied_from(request: str, examples: Iterable[str]) -> str:
    """The few-shot example ``request`` equals or nearly equals ("" when none)."""
    text = value_match_text(request)
    for example in examples:
        if difflib.SequenceMatcher(None, text, value_match_text(example)).ratio() >= COPY_RATIO:
            return example
    return ""


def kind_problem(kind: str, calls: list[dict[str, Any]], expected: int | None) -> str:
    """Why the calls do not have the shape of ``kind`` ("" when they do)."""
    names = [c["name"] for c in calls]
    if expected is not None and len(calls) != expected:
        return f"{len(calls)} calls, expected {expected}"
    if kind == "irrelevance":
        return f"{len(calls)} calls in an irrelevance row" if calls else ""
    if kind in ("single", "multiple"):
        return "" if len(calls) == 1 else f"{len(calls)} calls in a {kind} row"
    if kind == "parallel":
        if len(calls) < 2 or len(set(names)) != 1:
            return f"parallel row calls {names}"
        arguments = [json.dumps(c.get("arguments"), sort_keys=True) for c in calls]
        return "" if len(set(arguments)) == len(arguments) else "parallel calls repeat their arguments"
    if kind == "parallel_multiple":
        return "" if len(set(names)) >= 2 else f"parallel_multiple row calls one function: {names}"
    return f"unknown kind {kind!r}"


def decline_problem(reply: str) -> str:
    """Why an irrelevance reply is not a decline ("" when it is one)."""
    if len(reply.split()) < 5 or not DECLINE.search(reply):
        return f"not a decline: {reply[:80]!r}"
    return ""


def _decoded_calls(record: Record) -> list[dict[str, Any]]:
    return [{"name": c["function"]["name"], "arguments": parse_arguments(c)} for c in tool_calls_of(record)]


class GroundingCheck:
    """The grounding stage's check (``RecordCheck``); ``examples`` are the prompts' few-shot
    requests, ``library`` every tool definition (for the hidden tool of irrelevance rows)."""

    def __init__(self, examples: Iterable[str] = (), library: Iterable[dict[str, Any]] = ()) -> None:
        self._examples = tuple(examples)
        self._functions = {t["function"]["name"]: t["function"] for t in library}
        self._parameters = {name: f.get("parameters") or {} for name, f in self._functions.items()}

    def __call__(self, record: Record) -> Record | Drop:
        request, meta = query_of(record), record.meta_dict()
        calls, kind = _decoded_calls(record), meta.get("kind", "")
        planned = meta.get("planned_calls") or []
        names = {*self._parameters, *(c["name"] for c in calls + planned)}
        model_written = meta.get("request_source", "model") != "plain"
        draft = meta.get("draft", "")
        for reason, detail in (
            (reasons.NOT_A_REQUEST, request_problem(request, names, draft if model_written else "")),
            (
                reasons.NOT_A_REQUEST,
                (model_written and (repeats_itself(request, draft) or draft_wording(request, planned))) or "",
            ),
            (reasons.COPIED_EXAMPLE, copied_from(request, self._examples)),
            (reasons.KIND_MISMATCH, kind_problem(kind, calls, meta.get("expected_calls"))),
        ):
            if detail:
                return Drop(reason, detail[:300])
        if kind == "irrelevance":
            replies = [m.get("content") or "" for m in record.messages if m.get("role") == "assistant"]
            problem = decline_problem(replies[-1] if replies else "")
            if problem:
                return Drop(reasons.NOT_A_DECLINE, problem)
        tools = {
            **self._parameters,
            **{t["function"]["name"]: t["function"].get("parameters") or {} for t in offered_tools(record)},
        }
        missing = ungrounded_values(request, calls if kind != "irrelevance" else planned, tools)
        if missing:
            return Drop(reasons.UNGROUNDED_ARGUMENT, "; ".join(missing)[:300])
        extra = extra_values(request, draft) if draft else []
        if extra:
            return Drop(reasons.EXTRA_VALUE, ", ".join(extra)[:300])
        functions = {**self._functions, **{t["function"]["name"]: t["function"] for t in offered_tools(record)}}
        unasked = unasked_calls(request, calls, functions) if kind != "irrelevance" else []
        if unasked:
            return Drop(reasons.UNASKED_CALL, f"never asks for {', '.join(unasked)}"[:300])
        padding = padding_problem(request, planned or calls, functions) if draft else ""
        return Drop(reasons.PADDED_REQUEST, padding[:300]) if padding else record
