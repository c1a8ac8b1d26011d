"""Numbers for a tool call's arguments, in the range the parameter's description or name says.

The description speaks first ("between 0 and 1", "in hours", "percentage", "significance
level", "number of days"), then the parameter's name (``year``, ``age``, ``price`` ...), then
a small default range; the schema's ``minimum``/``maximum`` bound the result.
"""

from __future__ import annotations

import random
import re
from typing import Any

from synthbeam.tools.words import name_words

# (name words, low, high): integer ranges by what a number parameter counts; first match wins.
_NUMBER_RANGES: tuple[tuple[frozenset[str], float, float], ...] = (
    (frozenset({"year", "years_since"}), 1990, 2024),
    (frozenset({"age"}), 18, 90),
    (frozenset({"month"}), 1, 12),
    (frozenset({"day"}), 1, 28),
    (frozenset({"hour", "hours"}), 1, 12),
    (frozenset({"minute", "minutes", "second", "seconds", "duration"}), 5, 90),
    (frozenset({"rating", "stars", "star"}), 1, 5),
    (frozenset({"round", "rounding", "decimal", "decimals", "precision", "digits", "places"}), 1, 4),
    (frozenset({"rate", "percent", "percentage", "interest", "tax", "discount", "growth", "return"}), 2, 15),
    (frozenset({"probability", "fraction", "ratio", "proportion", "alpha"}), 0, 1),
    (
        frozenset(
            "price amount budget salary principal cost income investment loan deposit value".split(),
        ),
        50,
        5000,
    ),
    (frozenset({"temperature", "temp"}), 5, 35),
    (frozenset({"population"}), 1000, 90000),
    (frozenset("number num count quantity people guests rooms players n k size".split()), 2, 12),
    (frozenset({"top", "limit", "max", "results", "max_results"}), 3, 10),
    (frozenset({"days", "nights", "weeks", "months", "years", "period", "term", "times", "timeframe"}), 2, 30),
    (frozenset({"a", "b", "c", "x", "y", "z", "coefficient", "coef"}), 1, 12),
)
_DEFAULT_RANGE = (2, 60)
_BETWEEN = re.compile(r"\bbetween (-?\d+(?:\.\d+)?) and (-?\d+(?:\.\d+)?)", re.IGNORECASE)
# (description pattern, low, high): what the description says the number is; first match wins.
_DESCRIBED_RANGES: tuple[tuple[re.Pattern[str], float, float], ...] = (
    (re.compile(r"\b(?:probability|fraction|proportion)\b", re.I), 0, 1),
    (re.compile(r"\bpercent(?:age)?\b|%", re.I), 2, 15),
    (re.compile(r"\bin (?:hours|hrs)\b|\bhours\b", re.I), 1, 12),
    (re.compile(r"\bin minutes\b|\bminutes\b", re.I), 5, 90),
    (re.compile(r"\bin (?:months)\b", re.I), 2, 24),
    (re.compile(r"\bin years\b|\bnumber of years\b", re.I), 2, 30),
    (re.compile(r"\b(?:number of|previous|past) (?:\w+ )?days\b|\bin days\b|\btimeframe\b", re.I), 1, 30),
    (re.compile(r"\bnights\b", re.I), 1, 14),
    (re.compile(r"\bout of 5\b|\b5(?:\.0)? scale\b", re.I), 1, 5),
)
SIGNIFICANCE_LEVELS = (0.01, 0.05, 0.1)
_SIGNIFICANCE = re.compile(r"\bsignificance level\b|\bconfidence level\b", re.I)
YEARS = (1990, 2024)
_A_YEAR = re.compile(r"\b(?:the|a|which|what|in) year\b(?! ?s\b)|\byear (?:being|of|in which|when)\b", re.IGNORECASE)


PER_PERIOD = (1.0, 12.0)


def names_a_year(words: set[str], description: str) -> bool:
    """An integer that is a calendar year: named ``year``/``date`` or described as "the year ..."
    (not "number of years", not a rate such as ``compounds_per_year``)."""
    if "per" in words:
        return False
    return bool(words & {"year", "date", "when"}) or bool(_A_YEAR.search(description))


def number_range(name: str, description: str, integer: bool) -> tuple[float, float]:
    """The range a number for ``name`` is drawn from, before the schema's bounds: a year, then
    what the description says, then what the name counts, then ``_DEFAULT_RANGE``."""
    words = set(name_words(name))
    if integer and "per" in words:
        return PER_PERIOD  # compounds_per_year, doses_per_day: a count in a period
    if integer and names_a_year(words, description):
        return YEARS
    between = _BETWEEN.search(description)
    if between:
        return float(between.group(1)), float(between.group(2))
    described = next(((lo, hi) for pattern, lo, hi in _DESCRIBED_RANGES if pattern.search(description)), None)
    if described and not (integer and described[1] <= 1):
        return described
    return next(((lo, hi) for keys, lo, hi in _NUMBER_RANGES if words & keys), _DEFAULT_RANGE)


def bounds(schema: dict[str, Any], low: float, high: float) -> tuple[float, float]:
    """``(low, high)`` narrowed to the schema's ``minimum``/``maximum`` (exclusive ones too)."""
    if isinstance(schema.get("minimum"), (int, float)):
        low = max(low, schema["minimum"]) if schema["minimum"] <= high else schema["minimum"]
    if isinstance(schema.get("exclusiveMinimum"), (int, float)):
        low = max(low, schema["exclusiveMinimum"] + 1)
    if isinstance(schema.get("maximum"), (int, float)):
        high = min(high, schema["maximum"]) if schema["maximum"] >= low else schema["maximum"]
    if isinstance(schema.get("exclusiveMaximum"), (int, float)):
        high = min(high, schema["exclusiveMaximum"] - 1)
    return (low, high) if low <= high else (high, low)


def number_value(name: str, schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    """A number that suits what ``name`` counts, inside the schema's bounds; round-ish so a
    request can state it exactly (prices in fives, rates and floats to one decimal)."""
    description = str(schema.get("description") or "")
    if not integer and (_SIGNIFICANCE.search(description) or "significance" in name_words(name)):
        return rng.choice(SIGNIFICANCE_LEVELS)
    low, high = bounds(schema, *number_range(name, description, integer))
    if not integer and high - low <= 1:
        return round(rng.uniform(low, high), 2) or round(high, 2)
    value = rng.randint(int(low), int(high)) if int(low) <= int(high) else int(low)
    if high - low >= 200:
        value = max(int(low), value - value % 5)
    fraction = rng.choice((0.5, 0.25, 0.1, 0.75))
    if not integer and rng.random() < 0.4 and value + fraction <= high:
        return round(value + fraction, 2)
    return value if integer else float(value)
