"""Stage "verify_grounding": deterministic gates on tool-use rows, one reason code each.

In order: ``not_a_request`` (no request at all: empty, prompt wording, JSON/code, placeholders,
a function name), ``copied_example`` (the request is a few-shot example's), ``kind_mismatch``
(the calls do not have the row kind's shape), ``not_a_decline`` (an irrelevance reply that
does not decline), ``ungrounded_argument`` and, for call-first rows (which carry the plain
request the model rewrote, ``meta.draft``), ``extra_value``: a number or capitalised name in the
request that neither the calls' values nor the draft contain ("Inception in 2010" when no call
has 2010), i.e. the model added content the calls do not answer.

Grounding rule: every scalar argument value (walking arrays and nested objects) must be
stated in the request. Numbers match numerically ("25" grounds 25.0, "1,500" grounds 1500,
"five" grounds 5, "5%" grounds 0.05); dates match in common forms ("2024-05-12",
"May 12, 2024", "12 May 2024", "05/12/2024"); times as "19:30" or "7:30 pm"; strings
case-insensitively as whole words after punctuation is dropped (a leading "the" is optional;
currency codes and units also match their names: "USD" ~ "dollars", "km" ~ "kilometers").
Booleans are exempt. Enum values are checked loosely: one word of the value (3+ letters) must
begin a word of the request with its first four letters ("asc" ~ "ascending").
For irrelevance rows the planned call of the hidden tool (``meta.planned_calls``) is checked.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.tools.calls import offered_tools, parse_arguments, query_of, tool_calls_of
from synthbeam.transforms.verify.base import Drop

STAGE = "verify_grounding"
COPY_RATIO = 0.85  # difflib ratio of normalised requests at or above which a request is a copy
MIN_WORDS, MAX_WORDS = 3, 50
ECHO_RATIO = 0.9  # a request this close to the prompt's own plain request is an echo of it

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?:\s*%)?")
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "hundred": 100, "dozen": 12, "thousand": 1000}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
} | {m[:3]: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_MONTH_FIRST = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_FIRST = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9}),?\s+(\d{4})\b")
_TIME_24 = re.compile(r"\b(\d{1,2}):(\d{2})\b(?!\s*[ap]\.?m)")
_TIME_12 = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?")
_PLACEHOLDER = re.compile(r"\[[^\]]{0,30}\]|<[a-z_ ]{1,30}>|\{[a-z_ ]{1,30}\}|\bxxx+\b|\bplaceholder\b", re.IGNORECASE)
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
ALIASES: dict[str, tuple[str, ...]] = {
    "usd": ("dollar", "us dollar", "$"),
    "eur": ("euro", "€"),
    "gbp": ("pound", "sterling", "£"),
    "jpy": ("yen", "¥"),
    "cad": ("canadian dollar",),
    "aud": ("australian dollar",),
    "chf": ("swiss franc",),
    "inr": ("rupee",),
    "sek": ("swedish krona", "krona"),
    "mxn": ("mexican peso", "peso"),
    "km": ("kilometer", "kilometre"),
    "kilometers": ("km",),
    "miles": ("mi",),
    "kg": ("kilogram",),
    "kilograms": ("kg",),
    "pounds": ("lb", "lbs"),
    "celsius": ("°c",),
    "fahrenheit": ("°f",),
}


def normalise(text: str) -> str:
    """NFKC, lowercase, punctuation (not ``%$€£¥°@.:/``) to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    text = "".join(c if c.isalnum() or c in "%$€£¥°@.:/+-'" or c.isspace() else " " for c in text)
    text = re.sub(r"'s\b", "", text)  # possessive: "O'Brien's" states "O'Brien"
    text = re.sub(r"(?<!\w)['.:/-]|['.:/-](?!\w)", " ", text)  # edge punctuation, not "3.5" or "o'brien"
    return " ".join(text.split())


def numbers_in(text: str) -> set[float]:
    """Every number the text states: digits (commas allowed), number words, percents as fractions too."""
    found: set[float] = set()
    for match in _NUMBER.findall(text):
        digits = match.replace(",", "").replace("%", "").strip()
        try:
            value = float(digits)
        except ValueError:
            continue
        found.add(value)
        if "%" in match:
            found.add(round(value / 100, 10))
    words = re.findall(r"[a-z]+", text.lower())
    found.update(float(_NUMBER_WORDS[w]) for w in words if w in _NUMBER_WORDS)
    return found


def _valid(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def dates_in(text: str) -> set[datetime.date]:
    """Dates stated in ISO, slash (both day/month orders), "May 12, 2024" or "12 May 2024" form."""
    lower = text.lower()
    found = [_valid(int(y), int(m), int(d)) for y, m, d in _ISO_DATE.findall(lower)]
    for a, b, y in _SLASH_DATE.findall(lower):
        found += [_valid(int(y), int(a), int(b)), _valid(int(y), int(b), int(a))]
    for month, d, y in _MONTH_FIRST.findall(lower):
        found.append(_valid(int(y), _MONTHS.get(month, 0), int(d)))
    for d, month, y in _DAY_FIRST.findall(lower):
        found.append(_valid(int(y), _MONTHS.get(month, 0), int(d)))
    return {d for d in found if d}


def times_in(text: str) -> set[tuple[int, int]]:
    """(hour, minute) pairs stated as "19:30", "7:30 pm" or "7pm"; "noon" and "midnight" too."""
    lower = text.lower()
    found = {(int(h), int(m)) for h, m in _TIME_24.findall(lower)}
    for h, m, half in _TIME_12.findall(lower):
        hour = int(h) % 12 + (12 if half == "p" else 0)
        found.add((hour, int(m or 0)))
    found |= {(12, 0)} if "noon" in lower else set()
    found |= {(0, 0)} if "midnight" in lower else set()
    return found


def _as_date(value: str) -> datetime.date | None:
    dates = dates_in(value)
    return next(iter(dates)) if len(dates) == 1 and len(value) <= 20 else None


def _phrase_in(phrase: str, text: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


def string_grounded(value: str, request: str) -> bool:
    """A string argument is stated in the request (see the module docstring for the rule)."""
    if not value.strip():
        return False
    date = _as_date(value)
    if date is not None:
        return date in dates_in(request) or _phrase_in(normalise(value), normalise(request))
    time = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if time:
        return (int(time.group(1)), int(time.group(2))) in times_in(request)
    text, phrase = normalise(request), normalise(value)
    candidates = {phrase, phrase.removeprefix("the ")}
    candidates |= {alias for c in list(candidates) for alias in ALIASES.get(c, ())}
    words = text.split()
    plural_stems = {w[:-1] for w in words if w.endswith("s")} | {w[:-2] for w in words if w.endswith("es")}
    stemmed = " ".join(words) + " " + " ".join(plural_stems)
    return any(_phrase_in(c, text) or (" " not in c and _phrase_in(c, stemmed)) for c in candidates)


def number_grounded(value: float, request: str) -> bool:
    return any(abs(value - n) < 1e-9 for n in numbers_in(request))


def enum_grounded(value: Any, request: str) -> bool:
    """Loose: one 3+ letter word of the value begins a request word with its first 4 letters."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, (int, float)):
        return number_grounded(float(value), request)
    words = [w for w in re.findall(r"[a-z]+", str(value).lower()) if len(w) >= 3]
    request_words = re.findall(r"[a-z]+", request.lower())
    return not words or any(r.startswith(w[:4]) for w in words for r in request_words)


def scalar_leaves(value: Any, schema: dict[str, Any], path: str) -> Iterator[tuple[str, Any, bool]]:
    """``(path, value, is_enum)`` for each scalar inside an argument value."""
    schema = schema if isinstance(schema, dict) else {}
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, item in value.items():
            yield from scalar_leaves(item, properties.get(key, {}), f"{path}.{key}")
    elif isinstance(value, list):
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        for i, item in enumerate(value):
            yield from scalar_leaves(item, items, f"{path}[{i}]")
    else:
        yield path, value, isinstance(schema.get("enum"), list)


def ungrounded_values(request: str, calls: Iterable[dict[str, Any]], tools: dict[str, dict[str, Any]]) -> list[str]:
    """``name.arg=value`` for every argument value the request does not state."""
    missing: list[str] = []
    for call in calls:
        parameters = tools.get(call["name"], {})
        for path, value, is_enum in scalar_leaves(call.get("arguments") or {}, parameters, call["name"]):
            if is_enum:
                grounded = enum_grounded(value, request)
            elif isinstance(value, bool) or value is None:
                grounded = True
            elif isinstance(value, (int, float)):
                grounded = number_grounded(float(value), request)
            else:
                grounded = string_grounded(str(value), request)
            if not grounded:
                missing.append(f"{path}={json.dumps(value, ensure_ascii=False)}")
    return missing


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
    lower = text.lower()
    phrase = next((p for p in PROMPT_PHRASES if p in lower), "")
    if phrase:
        return f"prompt wording {phrase!r}"
    named = next((n for n in function_names if ("_" in n or "." in n) and n.lower() in lower), "")
    if named:
        return f"names the function {named}"
    if prompt and difflib.SequenceMatcher(None, normalise(text), normalise(prompt)).ratio() >= ECHO_RATIO:
        return "echo of the prompt"
    return "" if is_request_form(text) else "a statement, not a request"


def extra_values(request: str, draft: str) -> list[str]:
    """Numbers and capitalised names in ``request`` that ``draft`` (purpose and every planned
    value) does not contain; the first word of a sentence and "I" are not names."""
    planned = numbers_in(draft)
    extra = [n.strip(", ") for n in _NUMBER.findall(request) if not numbers_in(n) & planned]
    known = normalise(draft) + " " + normalise(draft).replace("-", " ")  # "Comic-Con" states "Comic"
    sentences = re.split(r"(?<=[.!?])\s+", request.strip())
    for sentence in sentences:
        for word in re.findall(r"(?<=\s)[A-Z][A-Za-z]+", sentence):
            if word != "I" and not _phrase_in(normalise(word), known):
                extra.append(word)
    return extra


def draft_wording(request: str, calls: Iterable[dict[str, Any]]) -> str:
    """A multi-word parameter name followed by its value ("food type mushroom risotto"): the
    plain request's wording kept instead of a user's ("" when there is none)."""
    text = normalise(request)
    for call in calls:
        for name, value in (call.get("arguments") or {}).items():
            words = " ".join(re.findall(r"[a-z0-9]+", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()))
            if " " in words and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                shown = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
                if _phrase_in(f"{words} {normalise(shown)}", text):
                    return f"keeps the plain request's wording {words!r}"
    return ""


def repeats_itself(request: str, draft: str = "") -> str:
    """A number said more often than the plain request says it ("in 2005 ... the year 2005"),
    or two words with a number said twice ("in 2001 in 2001")."""
    said, planned = _NUMBER.findall(request), _NUMBER.findall(draft) if draft else []
    for number in {n.strip(", ") for n in said}:
        if sum(n.strip(", ") == number for n in said) > max(1, sum(n.strip(", ") == number for n in planned)):
            return f"repeats {number!r}"
    words = normalise(request).split()
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
    text = normalise(request)
    for example in examples:
        if difflib.SequenceMatcher(None, text, normalise(example)).ratio() >= COPY_RATIO:
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
        self._parameters = {t["function"]["name"]: t["function"].get("parameters") or {} for t in library}

    def __call__(self, record: Record) -> Record | Drop:
        request, meta = query_of(record), record.meta_dict()
        calls, kind = _decoded_calls(record), meta.get("kind", "")
        planned = meta.get("planned_calls") or []
        names = {*self._parameters, *(c["name"] for c in calls + planned)}
        for reason, detail in (
            (reasons.NOT_A_REQUEST, request_problem(request, names, meta.get("draft", ""))),
            (reasons.NOT_A_REQUEST, repeats_itself(request, meta.get("draft", "")) or draft_wording(request, planned)),
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
        extra = extra_values(request, meta["draft"]) if meta.get("draft") else []
        return Drop(reasons.EXTRA_VALUE, ", ".join(extra)[:300]) if extra else record
