"""The pipeline's own plain request for planned calls, in a user's words where code can manage.

``plain_request`` writes one sentence per kind from the tool's purpose and the planned values
("Find the directions from Lisbon to Edinburgh avoiding ferries and tolls." / parallel: "Get
the weather in Paris, and again in Rome." / parallel_multiple: "Book a table for 2 at Luigi's,
and then get directions from the hotel to Luigi's."). It states every value by construction;
a row falls back to it when every model rewrite fails the gates.
"""

from __future__ import annotations

import re
from typing import Any

from synthbeam.tools.schema import ToolDef
from synthbeam.tools.values import name_words

# What an argument's name says about how a user states it; first match wins.
_PLACE = frozenset({"location", "city", "country", "place", "region", "area", "state", "where", "address"})
_FROM = frozenset({"start", "origin", "from", "departure", "source_location", "place1", "location1", "city1"})
_TO = frozenset({"end", "destination", "to", "arrival", "place2", "location2", "city2"})
_NAMED = frozenset({"name", "title", "author", "artist", "actor", "player", "company", "event", "team", "species"})
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
        return "; ".join(f"{' '.join(name_words(k))} = {shown(v)}" for k, v in value.items())
    return str(value)


def join_and(items: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _article(words: str) -> str:
    return ("an " if words[:1] in "aeiou" else "a ") + words


_SPANS = frozenset({"days", "weeks", "months", "years", "hours", "minutes", "nights"})
_GERUNDS = {"avoid": "avoiding", "include": "including", "exclude": "excluding"}


def argument_phrase(name: str, value: Any) -> tuple[int, str]:
    """``(order, phrase)`` for one argument: names, places and dates first ("for Hamlet",
    "from Lisbon", "in 2004"), then "with ..." details ("a radius of 5", "cuisine Japanese"),
    then spans ("over 17 years")."""
    words = name_words(name) or [name]
    joined, last = " ".join(words), words[-1]
    text = shown(value)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if words[0] in _GERUNDS:
        return 4, f"{_GERUNDS[words[0]]} {text}"
    if not number and isinstance(value, str):
        if "_".join(words) in _FROM or words[0] in _FROM:
            return 1, f"from {text}"
        if "_".join(words) in _TO or words[0] in _TO:
            return 2, f"to {text}"
        if last in _NAMED or last in ("item", "query", "topic", "subject"):
            return 0, f"for {text}"
        if last in _PLACE:
            return 3, f"in {text}"
        if last == "month":
            return 4, f"in {text}"
        if last == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return 4, f"on {text}"
    if not number:
        return 5, f"{joined} {text}"
    if last in ("year", "date") and 1000 <= float(value) <= 2100:
        return 4, f"in {text}"
    if len(name) == 1:
        return 5, f"{name} = {text}"
    if "round" in words or "decimal" in words or "decimals" in words:
        return 5, f"rounded to {text} decimal places"
    if last in _SPANS and len(words) <= 2:
        return 7, f"over {text} {joined}"
    if last in _UNITS and len(words) > 1:
        return 5, f"{_article(' '.join(words[:-1]))} of {text} {last}"
    if last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(words) <= 2:
        return 5, f"{text} {joined}"
    return 5, f"{_article(joined)} of {text}"


def arguments_phrase(arguments: dict[str, Any]) -> str:
    """Every stated argument of one call: name and place phrases, then "with a, b and c", then spans."""
    stated = {k: v for k, v in arguments.items() if not isinstance(v, (bool, dict)) and v != []}
    parts = sorted(((*argument_phrase(k, v), k) for k, v in stated.items()), key=lambda p: p[0])
    named = [(p, k) for order, p, k in parts if order == 0]
    lead = [p for p, _ in named[:1]] + [p for order, p, _ in parts if 0 < order < 5]
    # A second name reads "for X with work title Y", not "for X for Y".
    details = [f"{' '.join(name_words(k))} {shown(stated[k])}" for _, k in named[1:]]
    details += [p for order, p, _ in parts if order in (5, 6)]
    details += [shown(v) for v in arguments.values() if isinstance(v, dict) and v]
    text = " ".join(lead)
    if details:
        text += (" " if text else "") + "with " + join_and(details)
    spans = [p for order, p, _ in parts if order == 7]
    return " ".join(filter(None, [text, *spans]))


def first_sentence(text: str) -> str:
    """The description's first sentence (not cut inside "U.S." or "e.g."), without its period."""
    sentence = re.split(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])", " ".join(text.split()), maxsplit=1)[0]
    return sentence.rstrip(".!? ")


def purpose(tool: ToolDef) -> str:
    """A tool's description as a verb phrase after "can" ("Calculates the area" -> "calculate the area")."""
    text = first_sentence(tool["function"].get("description") or "")
    text = re.sub(r"^(?:(?:this|the|a) )?(?:function|tool|api|method)(?: that| to| which)?\s+", "", text, flags=re.I)
    text = re.sub(r"\s+and returns?\b.*$|\s+such as\b.*$", "", text, flags=re.I)
    first, _, rest = text.partition(" ")
    low = first.lower()
    if not text or low in ("the", "a", "an", "this", "it"):
        return f"handle {' '.join(name_words(tool['function']['name']))} requests"
    if low.endswith(("ches", "shes", "sses", "xes")):
        low = low[:-2]
    elif low.endswith("ies"):
        low = low[:-3] + "y"
    elif low.endswith("s") and not low.endswith("ss"):
        low = low[:-1]
    return f"{low} {rest}".strip()


# Where a description's purpose turns into detail the values will give ("based on ...").
_CUT = re.compile(
    r"\s(?:based on|given|using|according to|with (?:a |the )?(?:given|specified|specific)|"
    r"(?:for|of|in|at|from|on|by|within) (?:a |an |the )?(?:specific|specified|given|particular|certain|provided|defined)\b)|,|;|\s\(",
    re.IGNORECASE,
)
# A generic tail the values replace ("... for a city" + "in Paris"), cut when 2+ words remain.
_GENERIC_TAIL = re.compile(r"\s(?:(?:for|from) (?:a|an|one) |between two )", re.IGNORECASE)


def short_purpose(tool: ToolDef) -> str:
    """``purpose`` up to where the description starts on the details the values give."""
    head = _CUT.split(purpose(tool), maxsplit=1)[0].strip()
    shorter = _GENERIC_TAIL.split(head, maxsplit=1)[0].strip()
    return shorter if len(shorter.split()) >= 2 else head


def _capital(text: str, openers: frozenset[str]) -> str:
    first = text.split(" ", 1)[0].lower()
    text = text[:1].upper() + text[1:]
    return text if first in openers or _VERB_OPENERS.match(text) else "Please " + text[:1].lower() + text[1:]


def plain_request(kind: str, calls: list[dict[str, Any]], tools: dict[str, ToolDef]) -> str:
    """The pipeline's request for ``calls`` of a row of ``kind``; it opens with the purpose's verb
    when that reads as an imperative, else with "Please"."""
    if not calls:
        return ""
    first = calls[0]
    head = f"{short_purpose(tools[first['name']])} {arguments_phrase(first['arguments'])}".strip()
    if kind == "parallel":
        rest = [arguments_phrase(c["arguments"]) for c in calls[1:]]
        text = head + "".join(f", and again {r}" if i == len(rest) - 1 else f", again {r}" for i, r in enumerate(rest))
    else:
        later = [f"{short_purpose(tools[c['name']])} {arguments_phrase(c['arguments'])}".strip() for c in calls[1:]]
        text = head + "".join(f", and then {s}" for s in later)
    return _capital(text, OPENERS) + "."
