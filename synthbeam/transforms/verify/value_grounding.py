"""Value grounding: is each argument value of a call stated in the request?

Every scalar argument value (walking arrays and nested objects) must be stated in the
request. Numbers match numerically ("25" grounds 25.0, "1,500" grounds 1500, "five" grounds
5, "5%" grounds 0.05); dates match in common forms ("2024-05-12", "May 12, 2024",
"12 May 2024", "05/12/2024"); times as "19:30" or "7:30 pm"; strings case-insensitively as
whole words after punctuation is dropped (a leading "the" is optional; currency codes and
units also match their names: "USD" ~ "dollars", "km" ~ "kilometers"). Booleans are exempt.
Enum values are checked loosely: one word of the value (3+ letters) must begin a word of the
request with its first four letters ("asc" ~ "ascending"). Used by the ``verify_grounding``
stage (``grounding.GroundingCheck``) and the grounding benchmark.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?:\s*%)?")
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


def value_match_text(text: str) -> str:
    """NFKC, lowercase, punctuation (not ``%$€£¥°@.:/``) to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    text = "".join(c if c.isalnum() or c in "%$€£¥°@.:/+-'" or c.isspace() else " " for c in text)
    text = re.sub(r"'s\b", "", text)  # possessive: "O'Brien's" states "O'Brien"
    text = re.sub(r"(?<!\w)['.:/-]|['.:/-](?!\w)", " ", text)  # edge punctuation, not "3.5" or "o'brien"
    return " ".join(text.split())


def numbers_in(text: str) -> set[float]:
    """Every number the text states: digits (commas allowed), number words, percents as fractions too."""
    found: set[float] = set()
    for match in NUMBER.findall(text):
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


def months_said(text: str) -> list[str]:
    """The month names of the dates in ``text``: 2026-06-15 is said "June 15, 2026"."""
    return [f"{day:%B}" for day in sorted(dates_in(text))]


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


def phrase_in(phrase: str, text: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


def string_grounded(value: str, request: str) -> bool:
    """A string argument is stated in the request (see the module docstring for the rule)."""
    if not value.strip():
        return False
    date = _as_date(value)
    if date is not None:
        return date in dates_in(request) or phrase_in(value_match_text(value), value_match_text(request))
    time = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if time:
        return (int(time.group(1)), int(time.group(2))) in times_in(request)
    text, phrase = value_match_text(request), value_match_text(value)
    candidates = {phrase, phrase.removeprefix("the ")}
    candidates |= {alias for c in list(candidates) for alias in ALIASES.get(c, ())}
    words = text.split()
    plural_stems = {w[:-1] for w in words if w.endswith("s")} | {w[:-2] for w in words if w.endswith("es")}
    stemmed = " ".join(words) + " " + " ".join(plural_stems)
    return any(phrase_in(c, text) or (" " not in c and phrase_in(c, stemmed)) for c in candidates)


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
