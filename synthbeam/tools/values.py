"""Concrete argument values for a tool call, chosen in code from the tool's JSON Schema.

Call-first generation decides the call before the model writes a word: enums, booleans,
numbers (``synthbeam.tools.numbers``), dates, times, arrays and nested objects come from the
schema; strings come from a small bundled value bank (``synthbeam/data/tool_values.json``)
chosen by the parameter's name, then an example the description quotes, then the words of the
description that say what the value is. A string nothing fits is never guessed: the picker
raises ``NoFittingValue`` (``unfit_parameters`` says so without drawing), and the planner skips
the tool. Everything is drawn from the ``random.Random`` passed in, so a call depends only on
the caller's seed.
"""

from __future__ import annotations

import datetime
import functools
import random
import re
from typing import Any

from synthbeam.tools.bank import value_bank
from synthbeam.tools.numbers import number_value
from synthbeam.tools.pairs import same_length_pairs
from synthbeam.tools.units import same_quantity_ends
from synthbeam.tools.words import name_words

MAX_OPTIONAL = 2  # optional arguments included at most, each with OPTIONAL_P
OPTIONAL_P = 0.35
_QUOTED = re.compile(r"'([^'\n]{1,30})'|\"([^\"\n]{1,30})\"")
_LISTED = re.compile(
    r"(?:\be\.g\.?|\beg\.|for instance|for example|such as|like|i\.e\.)[,:]?\s*([^.()]{1,80})", re.IGNORECASE
)
_ALTERNATIVES = re.compile(r"['\"]\s*(?:,|or)\s*['\"]")  # quoted values offered as choices: 'a' or 'b'
_DEFAULT_QUOTE = re.compile(r"default(?:s)?(?: is| to| value is)?:?\s*['\"]([^'\"]+)['\"]", re.IGNORECASE)
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
def _key_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for category, entry in value_bank()["categories"].items():
        for key in () if entry.get("context") else entry["keys"]:
            index.setdefault(key, category)
    return index


class NoFittingValue(ValueError):
    """A required parameter has no source of values that fits it (only the bank's fallback)."""

    def __init__(self, parameter: str) -> None:
        super().__init__(f"no fitting value for parameter {parameter!r}")
        self.parameter = parameter


_IDENTITY = frozenset({"name", "names", "title", "titles", "id", "identifier"})
_OF = re.compile(r"\s+of\s+", re.IGNORECASE)


def described_words(description: str) -> list[str]:
    """Words of a description that can say what a value is: in "The size of the painting" only
    "size" (the painting owns the value, it is not one), in "The name of the hotel" all."""
    parts = _OF.split(description.split(".")[0], maxsplit=1)
    keep = description if len(parts) == 1 or _IDENTITY & set(name_words(parts[0])) else parts[0]
    return [w for w in name_words(keep) if len(w) > 3 and w not in _WEAK_KEYS]


def _contextual(words: list[str], description: str) -> str:
    """A category whose keys need a context word in the description ("brand" of an instrument)."""
    context = set(name_words(description))
    for category, entry in value_bank()["categories"].items():
        if entry.get("context") and set(words) & set(entry["keys"]) and context & set(entry["context"]):
            return category
    return ""


def category_for(name: str, description: str = "", by_description: bool = True) -> str:
    """The bank category that fits a string parameter, "" for none: a contextual category, the
    full name, its specific words from the last (``recipe_name`` -> food), then the words of the
    description that say what the value is. A generic word ("title") alone decides only when the
    name has no other word: ``work_title`` is no book title."""
    index, words = _key_index(), name_words(name)
    contextual = _contextual(words, description)
    if contextual:
        return contextual
    specific = [w for w in reversed(words) if w not in _GENERIC_NAMES]
    generic = [w for w in reversed(words) if w in _GENERIC_NAMES]
    described = [w for w in described_words(description) if w not in words]
    if not specific:  # "name" of what? the description says, in words other than the name's own
        return next((index[c] for c in [*described, "_".join(words), *generic] if c in index), "")
    described = described if by_description else []
    return next((index[c] for c in ["_".join(words), *specific, *described] if c in index), "")


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


def string_source(name: str, schema: dict[str, Any]) -> str:
    """Where a fitting string for ``name`` comes from: ``date``, ``email``, ``examples`` (the
    description's), a bank category, or "" when none fits (the bank's random fallback would)."""
    description = str(schema.get("description") or "")
    if schema.get("format") in ("date", "email"):
        return str(schema["format"])
    # A specific name the bank does not know takes the examples its description quotes first.
    examples = described_examples(description)
    if _ALTERNATIVES.search(description) and len(examples) >= 2:
        return "examples"  # "The time display format: '12h' or '24h'": the values it accepts

    if examples and _LISTED.search(description) and set(name_words(name)) <= _GENERIC_NAMES:
        return "examples"  # "category" of a film, e.g. Drama: the examples, not the bank's topics
    category = category_for(name, description, by_description=False)
    if category:
        return category
    if examples:
        return "examples"
    return category_for(name, description)


def string_value(name: str, schema: dict[str, Any], rng: random.Random) -> str:
    """A string for parameter ``name`` from its ``string_source``; raises ``NoFittingValue``
    when none fits."""
    description = str(schema.get("description") or "")
    source = string_source(name, schema)
    if not source:
        raise NoFittingValue(name)
    if source == "examples":
        return rng.choice(described_examples(description))
    entry = value_bank()["categories"][source]
    generator = entry.get("generator", source if source in ("date", "email") else "")
    if generator == "date":
        return _date(rng, description)
    if generator == "time":
        return _time(rng)
    return rng.choice(entry["values"])


def described_examples(description: str) -> list[str]:
    """Values a description quotes ("'static' or 'dynamic'") or lists ("e.g. Ace, Two, King")."""
    default = {d.lower() for d in _DEFAULT_QUOTE.findall(description)}
    quoted = [a or b for a, b in _QUOTED.findall(description)]
    parts = [q for q in quoted if q.lower() not in default] if _LISTED.search(description) else quoted
    listed = _LISTED.search(description)
    if not parts and listed:
        parts = re.split(r",|\bor\b|\band\b", listed.group(1))
    cleaned = (re.sub(r"\s+etc\.?$", "", p.strip()) for p in parts)
    return list(dict.fromkeys(p for p in cleaned if p and p.lower() not in ("etc", "etc.")))[:6]


def _singular(name: str) -> str:
    return name[:-3] + "y" if name.endswith("ies") else name[:-1] if name.endswith("s") else name


def _item_schema(schema: dict[str, Any]) -> dict[str, Any]:
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {"type": "string"}
    return {**items, "description": items.get("description") or schema.get("description", "")}


_BOUNDS = frozenset({"limits", "range", "bounds", "interval"})  # a lower and an upper number


def array_value(name: str, schema: dict[str, Any], rng: random.Random) -> list[Any]:
    """2-3 distinct items (within ``minItems``/``maxItems``), each chosen as ``name``'s singular."""
    low = max(int(schema.get("minItems", 2)), 1)
    high = max(min(int(schema.get("maxItems", 3)), max(low, 3)), low)
    item_schema = _item_schema(schema)
    bounded = set(name_words(name)) & _BOUNDS and _kind(item_schema) in ("integer", "number")
    size = 2 if bounded else rng.randint(low, high)
    out: list[Any] = []
    for _ in range(size * 4):
        value = choose_value(_singular(name), item_schema, rng)
        if value not in out:
            out.append(value)
        if len(out) == size:
            break
    return sorted(out) if bounded else out


def _kind(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    return kind[0] if isinstance(kind, list) and kind else kind


def fits(name: str, schema: dict[str, Any]) -> bool:
    """Whether parameter ``name`` has a fitting source of values (decided without drawing).
    A boolean flag has none: a request states values, not switches, and the grounding gate
    cannot check one, so a tool that requires a flag is not planned."""
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return True
    kind = _kind(schema)
    if kind == "array":
        return fits(_singular(name), _item_schema(schema))
    if kind == "object":
        properties = schema.get("properties") or {}
        some_fit = any(fits(n, p if isinstance(p, dict) else {}) for n, p in properties.items())
        return not unfit_parameters(schema) and (some_fit or not properties)
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return True
    return bool(string_source(name, schema))


def unfit_parameters(parameters: dict[str, Any]) -> list[str]:
    """Required parameters with no fitting value: a tool with any is not planned."""
    properties: dict[str, Any] = parameters.get("properties") or {}
    required = [n for n in parameters.get("required") or [] if n in properties]
    return [n for n in required if not fits(n, properties[n] if isinstance(properties[n], dict) else {})]


def choose_value(name: str, schema: dict[str, Any], rng: random.Random) -> Any:
    """One value for parameter ``name`` with JSON Schema ``schema``; ``NoFittingValue`` when a
    string (or an array's item) has no fitting source."""
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return rng.choice(schema["enum"])
    kind = _kind(schema)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("integer", "number"):
        return number_value(name, schema, rng, integer=kind == "integer")
    if kind == "array":
        return array_value(name, schema, rng)
    if kind == "object":
        return _non_empty_object(schema, rng) if schema.get("properties") else {}
    return string_value(name, schema, rng)


def _non_empty_object(schema: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """An object value with at least one property (``{}`` says nothing a request could state):
    when no property is required or drawn, one fitting property is."""
    value = choose_arguments(schema, rng)
    if value:
        return value
    properties = schema.get("properties") or {}
    fitting = [n for n, s in properties.items() if fits(n, s if isinstance(s, dict) else {})]
    if not fitting:
        raise NoFittingValue(next(iter(properties), "object"))
    name = rng.choice(fitting)
    return {name: choose_value(name, properties[name] if isinstance(properties[name], dict) else {}, rng)}


def choose_arguments(parameters: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Arguments for a call: every required parameter, and up to ``MAX_OPTIONAL`` optional
    ones (each with probability ``OPTIONAL_P``, left out when nothing fits or when it is a
    boolean flag), never set to its own default. Raises ``NoFittingValue`` for a required parameter nothing fits."""
    properties: dict[str, Any] = parameters.get("properties") or {}
    required = [name for name in parameters.get("required") or [] if name in properties]
    unfit = unfit_parameters(parameters)
    if unfit:
        raise NoFittingValue(unfit[0])
    optional = [name for name in properties if name not in required and rng.random() < OPTIONAL_P]
    optional = [n for n in optional if fits(n, properties[n] if isinstance(properties[n], dict) else {})]
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
    arguments = same_quantity_ends(_distinct_ends(arguments, properties, rng), properties, rng)
    return _ordered_counts(_coherent_places(same_length_pairs(arguments, properties), properties))


_ENDS = frozenset({"from", "to", "start", "end", "origin", "destination", "source", "target", "departure", "arrival"})


def _distinct_ends(arguments: dict[str, Any], properties: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The two ends of a conversion or a trip differ (``from_unit`` m, ``to_unit`` km; never m to
    m): an end equal to the other is drawn again, a few times at most."""
    seen: dict[tuple[str, ...], str] = {}
    out = dict(arguments)
    for name in arguments:
        words = name_words(name)
        if not set(words) & _ENDS or not isinstance(out[name], str):
            continue
        key = tuple(w for w in words if w not in _ENDS)
        other = seen.setdefault(key, name)
        schema = properties[name] if isinstance(properties.get(name), dict) else {}
        for _ in range(8):
            if other == name or out[name] != out[other]:
                break
            out[name] = choose_value(name, schema, rng)
    return out


def _coherent_places(arguments: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """A call that names a city and its country or state names the city's own (``places`` in
    the bank): Tokyo with Japan, never with India. A state asked of a city without one (Paris)
    gets a city that has one."""
    places = value_bank()["places"]
    sources = {
        n: string_source(n, s) if isinstance(s, dict) and _kind(s) == "string" else "" for n, s in properties.items()
    }
    cities = [n for n in arguments if sources.get(n) == "city" and arguments[n] in places]
    regions = {n: sources[n] for n in arguments if sources.get(n) in ("country", "state")}
    if len(cities) != 1 or not regions:
        return arguments
    city = arguments[cities[0]]
    if "state" in regions.values() and "state" not in places[city]:
        with_state = sorted(c for c, p in places.items() if "state" in p)
        city = with_state[sum(map(ord, city)) % len(with_state)]  # the same city for the same call
        arguments = {**arguments, cities[0]: city}
    return {**arguments, **{n: places[city][kind] for n, kind in regions.items()}}


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
