"""Parsing JSON text without surprises: every failure is a reason code, never an exception,
and no string that UTF-8 cannot carry gets through. Used wherever JSON text comes in: input
files (one JSONL line) and model completions (one JSON object).

``json.loads`` raises more than ``JSONDecodeError``: ``RecursionError`` for deep nesting,
``ValueError`` for an integer of more than 4300 digits; and a ``\\ud800`` escape gives a
lone surrogate, which parses but fails the first time the text is encoded (a cache key, a
Parquet column). ``load_json`` turns each into ``invalid_json`` or ``invalid_text``;
``load_json_object`` also wants an object (``invalid_json`` otherwise).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from synthbeam.schemas import reasons

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # how JSON text spells a surrogate
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def utf8_safe(text: str) -> str:
    """``text`` with any lone surrogate written as its escape (``\\ud800``), so UTF-8 can carry it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def load_json(text: str) -> tuple[Any, str, str]:
    """``(value, "", "")`` for JSON text whose strings are all valid Unicode, else
    ``(None, reason, detail)``: never an exception, whatever the text holds."""
    try:
        value = json.loads(text)
    except RecursionError:
        return None, reasons.INVALID_JSON, "nested too deeply to parse"
    except json.JSONDecodeError as error:
        return None, reasons.INVALID_JSON, f"not JSON: {error}"
    except ValueError as error:  # an integer of more digits than Python converts
        return None, reasons.INVALID_JSON, str(error)
    if _SURROGATE_ESCAPE.search(text) and any(_SURROGATE.search(s) for s in _strings(value)):
        return None, reasons.INVALID_TEXT, "a string holds a lone surrogate such as \\ud800: not Unicode text"
    return value, "", ""


def not_an_object(value: Any) -> str:
    """The detail of an ``invalid_json`` that parsed to something other than an object."""
    return f"not a JSON object: {type(value).__name__}"


def load_json_object(text: str) -> tuple[dict[str, Any] | None, str, str]:
    """``(object, "", "")`` for JSON text holding an object whose strings are all valid
    Unicode, else ``(None, reason, detail)`` as ``load_json`` gives them (``invalid_json``
    too for a value that is not an object)."""
    value, reason, detail = load_json(text)
    if reason:
        return None, reason, detail
    if not isinstance(value, dict):
        return None, reasons.INVALID_JSON, not_an_object(value)
    return value, "", ""


def _strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included, at any depth (no recursion)."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
