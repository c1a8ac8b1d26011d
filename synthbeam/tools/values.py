"""Concrete argument values for a tool call, chosen in code from the tool's JSON Schema.

Call-first generation decides the call before the model writes a word: enums, booleans,
numbers (within ``minimum``/``maximum``, by what the parameter's name says it counts),
dates, times, arrays and nested objects come from the schema; strings come from a small
bundled value bank (``synthbeam/data/tool_values.json``) chosen by the parameter's name, then
its description, then an example the description quotes. Everything is drawn from the
``random.Random`` passed in, so a call depends only on the caller's seed.
"""

from __future__ import annotations

import datetime
import functools
import importlib.resources
import json
import random
import re
from typing import Any

MAX_OPTIONAL = 2  # optional arguments included at most, each with OPTIONAL_P
OPTIONAL_P = 0.35
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_QUOTED = re.compile(r"'([^'\n]{1,30})'|\"([^\"\n]{1,30})\"")
_LISTED = re.compile(r"(?:e\.g\.?|for instance|for example|such as|like|i\.e\.)[,:]?\s*([^.()]{1,80})", re.IGNORECASE)

# (name words, low, high): integer ranges by what a number parameter counts; first match wins.
_NUMBER_RANGES: tuple[tuple[frozenset[str], int, int], ...] = (
    (frozenset({"year", "years_since"}), 1990, 2024),
    (frozenset({"age"}), 18, 90),
    (frozenset({"month"}), 1, 12),
    (frozenset({"day"}), 1, 28),
    (frozenset({"hour", "hours"}), 1, 12),
    (frozenset({"minute", "minutes", "second", "seconds", "duration"}), 5, 90),
    (frozenset({"rating", "stars", "star"}), 1, 5),
    (frozenset({"round", "decimal", "decimals", "precision", "digits", "places"}), 1, 4),
    (frozenset({"rate", "percent", "percentage", "interest", "tax", "discount", "growth", "return"}), 2, 15),
    (frozenset({"probability", "fraction", "ratio"}), 0, 1),
    (
        frozenset(
            {
                "price",
                "amount",
                "budget",
                "salary",
                "principal",
                "cost",
                "income",
                "investment",
                "loan",
                "deposit",
                "value",
            }
        ),
        50,
        5000,
    ),
    (frozenset({"temperature", "temp"}), 5, 35),
    (frozenset({"population"}), 1000, 90000),
    (
        frozenset({"number", "num", "count", "quantity", "people", "guests", "rooms", "players", "n", "k", "size"}),
        2,
        12,
    ),
    (frozenset({"top", "limit", "max", "results", "max_results"}), 3, 10),
    (frozenset({"days", "nights", "weeks", "months", "years", "period", "term", "times"}), 2, 30),
    (frozenset({"a", "b", "c", "x", "y", "z", "coefficient", "coef"}), 1, 12),
)
_DEFAULT_RANGE = (2, 60)
_GENERIC_NAMES = frozenset(
    {
        "name",
        "type",
        "title",
        "id",
        "value",
        "item",
        "query",
        "target",
        "source",
        "input",
        "key",
        "category",
        "kind",
        "entity",
        "object",
    }
)
# Keys too common in descriptions to say what a parameter holds ("the start of ...").
_WEAK_KEYS = frozenset(
    {
        "start",
        "end",
        "from",
        "near",
        "where",
        "name",
        "type",
        "text",
        "input",
        "string",
        "content",
        "description",
        "code",
        "table",
        "field",
        "area",
        "body",
        "value",
        "class",
        "source",
        "status",
        "model",
        "format",
        "term",
        "star",
        "cell",
        "user",
        "time",
        "date",
        "condition",
    }
)


@functools.cache
def value_bank() -> dict[str, Any]:
    """The bundled bank: ``{"categories": {name: {"keys", "values" | "generator"}}, "fallback"}``."""
    text = importlib.resources.files("synthbeam").joinpath("data", "tool_values.json").read_text("utf-8")
    return json.loads(text)


def name_words(name: str) -> list[str]:
    """``startDate`` / ``start_date`` -> ``["start", "date"]``."""
    return _WORD.findall(_CAMEL.sub("_", name).lower())


@functools.cache
def _key_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for category, entry in value_bank()["categories"].items():
        for key in entry["keys"]:
            index.setdefault(key, category)
    return index


def category_for(name: str, description: str = "", by_description: bool = True) -> str:
    """The bank category of a string parameter: by full name, then its words from the last,
    generic words ("name", "type") after the others (``recipe_name`` -> food, ``company_name``
    -> company), then the description's words; "" for none."""
    index, words = _key_index(), name_words(name)
    described = [w for w in name_words(description) if len(w) > 3 and w not in _WEAK_KEYS]
    specific = [w for w in reversed(words) if w not in _GENERIC_NAMES]
    by_name = ["_".join(words), *specific]
    generic = [w for w in reversed(words) if w in _GENERIC_NAMES]
    if not specific:  # "name" of what? the description says, in words other than the name's own
        described = [w for w in described if w not in words]
        return next((index[c] for c in [*described, *by_name, *generic] if c in index), "")
    order = [*by_name, *(described if by_description else ()), *generic]
    return next((index[c] for c in order if c in index), "")


def _date(rng: random.Random, description: str) -> str:
    day = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(3 * 365))
    hint = description.upper()
    if "MM/DD/YYYY" in hint or "MM-DD-YYYY" in hint:
        return day.strftime("%m/%d/%Y" if "/" in hint else "%m-%d-%Y")
    if "DD/MM/YYYY" in hint or "DD-MM-YYYY" in hint:
        return day.strftime("%d/%m/%Y" if "DD/MM" in hint else "%d-%m-%Y")
    return day.isoformat()


def _time(rng: random.Random) -> str:
    return f"{rng.randint(7, 21):02d}:{rng.choice((0, 15, 30, 45)):02d}"


def string_value(name: str, schema: dict[str, Any], rng: random.Random) -> str:
    """A string for parameter ``name``: from its bank category, a quoted example, or the fallback."""
    description = str(schema.get("description") or "")
    if schema.get("format") == "date":
        return _date(rng, description)
    if schema.get("format") == "email":
        return rng.choice(value_bank()["categories"]["email"]["values"])
    # A specific name the bank does not know takes the examples its description quotes first.
    category = category_for(name, description, by_description=False)
    examples = described_examples(description)
    if not category and not examples:
        category = category_for(name, description)
    if category:
        entry = value_bank()["categories"][category]
        generator = entry.get("generator")
        if generator == "date":
            return _date(rng, description)
        if generator == "time":
            return _time(rng)
        return rng.choice(entry["values"])
    return rng.choice(examples) if examples else rng.choice(value_bank()["fallback"])


def described_examples(description: str) -> list[str]:
    """Values a description quotes ("'static' or 'dynamic'") or lists ("e.g. Ace, Two, King")."""
    parts = [a or b for a, b in _QUOTED.findall(description)]
    listed = _LISTED.search(description)
    if not parts and listed:
        parts = re.split(r",|\bor\b|\band\b", listed.group(1))
    cleaned = (re.sub(r"\s+etc\.?$", "", p.strip()) for p in parts)
    return list(dict.fromkeys(p for p in cleaned if p and p.lower() not in ("etc", "etc.")))[:6]


def _bounds(schema: dict[str, Any], low: float, high: float) -> tuple[float, float]:
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
    words = set(name_words(name))
    low, high = next(((lo, hi) for keys, lo, hi in _NUMBER_RANGES if words & keys), _DEFAULT_RANGE)
    if integer and names_a_year(words, str(schema.get("description") or "")):
        low, high = _YEARS
    low, high = _bounds(schema, low, high)
    if not integer and high - low <= 1:
        return round(rng.uniform(low, high), 2) or round(high, 2)
    value = rng.randint(int(low), int(high)) if int(low) <= int(high) else int(low)
    if high - low >= 200:
        value = max(int(low), value - value % 5)
    if not integer and rng.random() < 0.4:
        return round(value + rng.choice((0.5, 0.25, 0.1, 0.75)), 2)
    return value if integer else float(value)


_YEARS = (1990, 2024)
_A_YEAR = re.compile(r"\b(?:the|a|which|what|in) year\b(?! ?s\b)|\byear (?:being|of|in which|when)\b", re.IGNORECASE)


def names_a_year(words: set[str], description: str) -> bool:
    """An integer that is a calendar year: named ``year``/``date`` or described as "the year ..."
    (not "number of years")."""
    return bool(words & {"year", "date", "when"}) or bool(_A_YEAR.search(description))


def _singular(name: str) -> str:
    return name[:-3] + "y" if name.endswith("ies") else name[:-1] if name.endswith("s") else name


def array_value(name: str, schema: dict[str, Any], rng: random.Random) -> list[Any]:
    """2-3 distinct items (within ``minItems``/``maxItems``), each chosen as ``name``'s singular."""
    low = max(int(schema.get("minItems", 2)), 1)
    high = max(min(int(schema.get("maxItems", 3)), max(low, 3)), low)
    size = rng.randint(low, high)
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {"type": "string"}
    item_schema = {**items, "description": items.get("description") or schema.get("description", "")}
    out: list[Any] = []
    for _ in range(size * 4):
        value = choose_value(_singular(name), item_schema, rng)
        if value not in out:
            out.append(value)
        if len(out) == size:
            break
    return out


def choose_value(name: str, schema: dict[str, Any], rng: random.Random) -> Any:
    """One value for parameter ``name`` with JSON Schema ``schema``."""
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("integer", "number"):
        return number_value(name, schema, rng, integer=kind == "integer")
    if kind == "array":
        return array_value(name, schema, rng)
    if kind == "object":
        return choose_arguments(schema, rng) if schema.get("properties") else {}
    return string_value(name, schema, rng)


def choose_arguments(parameters: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Arguments for a call: every required parameter, and up to ``MAX_OPTIONAL`` optional
    ones (each with probability ``OPTIONAL_P``), never set to its own default."""
    properties: dict[str, Any] = parameters.get("properties") or {}
    required = [name for name in parameters.get("required") or [] if name in properties]
    optional = [name for name in properties if name not in required and rng.random() < OPTIONAL_P]
    arguments: dict[str, Any] = {}
    for name in [*required, *optional[:MAX_OPTIONAL]]:
        schema = properties[name] if isinstance(properties[name], dict) else {}
        value = choose_value(name, schema, rng)
        if name not in required and "default" in schema:
            for _ in range(4):
                if value != schema["default"]:
                    break
                value = choose_value(name, schema, rng)
            if value == schema["default"]:
                continue
        arguments[name] = value
    return _ordered_counts(arguments)


_PART = re.compile(r"success|favou?rable|part|k$|selected")
_WHOLE = re.compile(r"total|trials|whole|n$|population")


def _ordered_counts(arguments: dict[str, Any]) -> dict[str, Any]:
    """A part is never larger than its whole (``successes`` <= ``trials``): swap when it is."""
    numbers = {k: v for k, v in arguments.items() if isinstance(v, int) and not isinstance(v, bool)}
    for part in (k for k in numbers if _PART.search(k.lower())):
        for whole in (k for k in numbers if _WHOLE.search(k.lower()) and k != part):
            if arguments[part] > arguments[whole]:
                arguments[part], arguments[whole] = arguments[whole], arguments[part]
    return arguments
