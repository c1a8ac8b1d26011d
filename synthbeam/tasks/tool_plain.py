"""The pipeline's own plain request for planned calls, in a user's words where code can manage.

``plain_request`` writes one sentence per kind from the tool's purpose and the planned values
("Find the directions from Lisbon to Edinburgh avoiding ferries and tolls." / parallel: "Get
the weather in Paris, and again in Rome." / parallel_multiple: "Book a table for 2 at Luigi's,
and then get directions from the hotel to Luigi's."). It states every value by construction;
a row falls back to it when every model rewrite fails the gates.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from synthbeam.tasks.tool_purpose import short_purpose
from synthbeam.tools.schema import ToolDef
from synthbeam.tools.values import name_words

# What an argument's name says about how a user states it; first match wins.
_PLACE = frozenset({"location", "city", "country", "place", "region", "area", "state", "where", "address"})
_FROM = frozenset(
    {
        "start",
        "origin",
        "from",
        "departure",
        "source",
        "source_location",
        "base_currency",
        "place1",
        "location1",
        "city1",
    }
)
_TO = frozenset({"end", "destination", "to", "arrival", "target", "place2", "location2", "city2"})
_NAMED = frozenset(
    """name title author artist actor player company event team species recipe dish movie film book song
    album product""".split()
)
_UNITS = frozenset({"kg", "km", "celsius", "fahrenheit", "cm", "mm", "lbs", "miles", "meters", "seconds", "minutes"})
# Verbs a description's purpose opens with that read as a user's imperative; others get "Please".
OPENERS = frozenset(
    """find get calculate compute convert book search look check list locate retrieve fetch predict estimate
    generate create make send set plan recommend suggest translate compare sort determine identify analyze
    solve draw plot update order reserve schedule add remove count measure show tell give""".split()
)
_VERB_OPENERS = re.compile(r"^(?:please |can |could |what |how )", re.IGNORECASE)


def shown(value: Any) -> str:
    """A value as a request states it: lists as "a, b and c", whole floats without ".0"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return join_and([shown(v) for v in value])
    if isinstance(value, dict):
        return join_and([f"{' '.join(name_words(k))} {shown(v)}" for k, v in value.items()])
    return str(value)


def join_and(items: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _article(words: str) -> str:
    vowel = words[:1] in "aeiou" and not words.startswith(("us", "un", "eu", "one"))
    return ("an " if vowel else "a ") + words


_SPANS = frozenset({"days", "weeks", "months", "years", "hours", "minutes", "nights"})
_SPAN_NAMES = frozenset({"timeframe", "duration", "period", "stay", "term", "time", "length"})
_UNIT_HINT = re.compile(
    r"\b(?:in|of|number of|previous|past)\s+(?:\w+\s+)?(days|weeks|months|years|hours|minutes|nights)\b", re.I
)
_PAST = re.compile(r"\b(?:past|previous|last|ago|history|historical)\b", re.I)
_FUTURE = re.compile(r"\b(?:from (?:the )?current date|upcoming|next|future|ahead)\b", re.I)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_AT = frozenset({"venue", "stadium", "arena"})
_COUNTS = frozenset({"number", "num", "count", "n", "quantity", "limit", "top", "results", "max"})
_NUMBER_OF = re.compile(
    r"^(?:the )?(?:maximum |max )?number of (\w+(?: \w+)?) to (?:return|show|list|retrieve|find)", re.I
)
_FREE_TEXT = frozenset({"text", "sentence", "string", "phrase", "message", "passage"})
_GERUNDS = {"avoid": "avoiding", "include": "including", "exclude": "excluding"}
_PLACE_ORDER = 3  # argument_phrase's order for "in <place>" and "at <venue>"


def said_date(text: str) -> str:
    """``2026-04-25`` -> ``April 25, 2026``; other text as it is."""
    try:
        day = datetime.date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
    except ValueError:
        day = None
    return f"{day:%B} {day.day}, {day.year}" if day else text


def unit_of(description: str) -> str:
    """The unit a number's description gives ("Duration in hours" -> "hours"), "" for none."""
    found = _UNIT_HINT.search(description)
    return found.group(1).lower() if found else ""


def _span(name: str, words: list[str], text: str, description: str) -> str:
    """A count of days/hours/... said as a span ("over the last 7 days"), "" when it is none."""
    unit = unit_of(description) or next((w for w in words if w in _SPANS), "")
    if not unit or not (set(words) & (_SPANS | _SPAN_NAMES) or "number of" in description.lower()):
        return ""
    if unit.endswith("s") and text == "1":
        unit = unit[:-1]
    if _PAST.search(description):
        return f"over the last {text} {unit}"
    if _FUTURE.search(description) or "forecast" in description.lower():
        return f"for the next {text} {unit}"
    if set(words) & {"limit", "max", "maximum"}:
        return f"within {text} {unit}"
    return f"for {text} {unit}" if set(words) & {"duration", "stay", "nights"} else f"over {text} {unit}"


def argument_phrase(name: str, value: Any, description: str = "") -> tuple[int, str]:
    """``(order, phrase)`` for one argument: names, places and dates first ("for Hamlet",
    "from Lisbon", "on April 25, 2026"), then "with ..." details ("a radius of 5", "cuisine
    Japanese"), then spans ("over 17 years", "over the last 7 days")."""
    words = name_words(name) or [name]
    joined, last = " ".join(words), words[-1]
    text = shown(value)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "__pair__":
        return 0, text
    if not number and isinstance(value, str) and last == "order":
        return 4, f"in {text} order"
    if words[0] in _GERUNDS:
        return 4, f"{_GERUNDS[words[0]]} {text}"
    if not number and isinstance(value, str) and last in _AT:
        return _PLACE_ORDER, f"at {text}"
    if not number and isinstance(value, str) and last in ("unit", "units"):
        ends = {"from": (1, "from"), "to": (2, "to")}  # "from m to km", not "in m in km"
        order, word = ends.get(words[0], (4, "in"))
        return order, f"{word} {text}"
    counted = _NUMBER_OF.match(description)
    if number and set(words) <= _COUNTS and counted:
        return 5, f"{text} {counted.group(1)}"
    if not number and isinstance(value, str):
        if "_".join(words) in _FROM or words[0] in _FROM:
            return 1, f"from {text}"
        if "_".join(words) in _TO or words[0] in _TO:
            return 2, f"to {text}"
        if last in _NAMED or last in ("item", "query", "topic", "subject"):
            return 0, f"for {text}"
        if last in _PLACE:
            return _PLACE_ORDER, f"in {text}"
        if last == "month":
            return 4, f"in {text}"
        if _ISO_DATE.fullmatch(text):
            return 4, f"on {said_date(text)}"
    if not number and last in _FREE_TEXT and " " in text:
        return 5, f'the {joined} "{text}"'  # a sentence to work on, set off from the request's own words
    if not number:
        return 5, f"{joined} {text}"
    if last in ("year", "date") and 1000 <= float(value) <= 2100:
        return 4, f"in {text}"
    if len(name) == 1:
        return 5, f"{name} = {text}"
    if "round" in words or "decimal" in words or "decimals" in words:
        return 5, f"rounded to {text} decimal place{'' if text == '1' else 's'}"
    span = _span(name, words, text, description) if isinstance(value, int) else ""
    if span:
        return 7, span
    if words in (["celsius"], ["fahrenheit"], ["kelvin"]):
        return 4, f"for {text} degrees {last.capitalize()}"  # not "with a celsius of 59.5"
    if last in _UNITS and len(words) > 1:
        return 5, f"{_article(' '.join(words[:-1]))} of {text} {last}"
    if last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(words) <= 2:
        return 5, f"{text} {joined}"
    return 5, f"{_article(joined)} of {text}"


_PAIRED = re.compile(r"^(.+?)_?(?:1|one)$")


def _pair(stated: dict[str, Any]) -> tuple[str, str] | None:
    """Two string arguments ``x1``/``x2`` (or ``x_one``/``x_two``) said together."""
    for key, value in stated.items():
        found = _PAIRED.match(key)
        if not found or not isinstance(value, str):
            continue
        for other in (f"{found.group(1)}2", f"{found.group(1)}_2", f"{found.group(1)}_two"):
            if isinstance(stated.get(other), str):
                return key, other
    return None


def _spoken(value: Any, schema: Any) -> Any:
    """An enum's ``snake_case`` value as words ("number of players"); other values as they are."""
    schema = schema if isinstance(schema, dict) else {}
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    if not (schema.get("enum") or items.get("enum")):
        return value
    if isinstance(value, list):
        return [v.replace("_", " ") if isinstance(v, str) else v for v in value]
    return value.replace("_", " ") if isinstance(value, str) else value


def _places_together(phrases: list[tuple[int, str]]) -> list[str]:
    """A place and the place it is in said once: "in Tokyo, Japan", not "in Tokyo in Japan"."""
    out: list[str] = []
    previous = 0
    for order, phrase in phrases:
        if out and order == previous == _PLACE_ORDER and out[-1].startswith("in ") and phrase.startswith("in "):
            out[-1] = f"{out[-1]}, {phrase[3:]}"
        else:
            out.append(phrase)
        previous = order
    return out


def arguments_phrase(arguments: dict[str, Any], properties: dict[str, Any] | None = None) -> str:
    """Every stated argument of one call: name and place phrases, then "with a, b and c", then
    spans; ``properties`` (the tool's parameter schemas) lend their descriptions' units."""
    properties = properties or {}
    stated = {
        k: _spoken(v, properties.get(k)) for k, v in arguments.items() if not isinstance(v, (bool, dict)) and v != []
    }
    pair = _pair(stated)
    if pair:  # team1/team2: "between X and Y"
        stated = {
            "__pair__": f"between {stated[pair[0]]} and {stated[pair[1]]}",
            **{k: v for k, v in stated.items() if k not in pair},
        }
    described = {
        k: str((s or {}).get("description") or "") for k, s in (properties or {}).items() if isinstance(s, dict)
    }
    parts = sorted(((*argument_phrase(k, v, described.get(k, "")), k) for k, v in stated.items()), key=lambda p: p[0])
    named = [(p, k) for order, p, k in parts if order == 0]
    lead = [p for p, _ in named[:1]] + _places_together([(order, p) for order, p, _ in parts if 0 < order < 5])
    # A second name reads "for X with work title Y", not "for X for Y".
    details = [f"{' '.join(name_words(k))} {shown(stated[k])}" for _, k in named[1:]]
    details += [p for order, p, _ in parts if order in (5, 6)]
    details += [shown(v) for v in arguments.values() if isinstance(v, dict) and v]
    text = " ".join(lead)
    if details:
        text += (" " if text else "") + "with " + join_and(details)
    spans = [p for order, p, _ in parts if order == 7]
    return " ".join(filter(None, [text, *spans]))


def _capital(text: str, openers: frozenset[str]) -> str:
    first = text.split(" ", 1)[0].lower()
    text = text[:1].upper() + text[1:]
    return text if first in openers or _VERB_OPENERS.match(text) else "Please " + text[:1].lower() + text[1:]


def _call_phrase(call: dict[str, Any], tools: dict[str, ToolDef]) -> str:
    properties = (tools[call["name"]]["function"].get("parameters") or {}).get("properties") or {}
    return arguments_phrase(call["arguments"], properties)


_QUOTED_FIRST = re.compile(r'with the (\w+) ("[^"]*")(?:(?:,| and) (.*))?$')


def _asked(call: dict[str, Any], tools: dict[str, ToolDef]) -> str:
    """What one call asks for: its purpose, then its values. A purpose that works on "a text"
    takes the call's quoted text in its place ('reverse the characters of the text "where is
    the library"', not '... of a text with the text "where is the library"')."""
    what, phrase = short_purpose(tools[call["name"]]), _call_phrase(call, tools)
    found = _QUOTED_FIRST.match(phrase)
    slot = re.compile(rf"\b(?:a|an) {found.group(1)}\b") if found else None
    if found and slot and slot.search(what):
        what = slot.sub(lambda _: f"the {found.group(1)} {found.group(2)}", what, count=1)
        phrase = f"with {found.group(3)}" if found.group(3) else ""
    return f"{what} {phrase}".strip()


def plain_request(kind: str, calls: list[dict[str, Any]], tools: dict[str, ToolDef]) -> str:
    """The pipeline's request for ``calls`` of a row of ``kind``; it opens with the purpose's verb
    when that reads as an imperative, else with "Please"."""
    if not calls:
        return ""
    head = _asked(calls[0], tools)
    if kind == "parallel":
        rest = [_call_phrase(c, tools) for c in calls[1:]]
        text = head + "".join(f", and again {r}" if i == len(rest) - 1 else f", again {r}" for i, r in enumerate(rest))
    else:
        text = head + "".join(f", and then {_asked(c, tools)}" for c in calls[1:])
    return _capital(text, OPENERS) + "."
