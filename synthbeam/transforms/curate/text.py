"""Text shared by the curation stages: which text a record has, and its normal form."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence

from synthbeam.schemas.record import Record

MESSAGES = "messages"
TEXT_FIELDS = ("messages", "completion", "tools", "label", "task")
# Whitespace that NFKC does not turn into U+0020 (str.split() splits on it too).
_OTHER_SPACES = {c: " " for c in (0x85, 0x1680, 0x2028, 0x2029)}


@functools.cache
def _punctuation() -> dict[int, None]:
    """Every punctuation code point, mapped to nothing (built on first use: ~0.1 s)."""
    return {i: None for i in range(0x110000) if unicodedata.category(chr(i)).startswith("P")}


def check_fields(fields: Sequence[str]) -> tuple[str, ...]:
    """Validates text field names, failing with the list of valid ones."""
    unknown = [f for f in fields if f not in TEXT_FIELDS]
    if unknown or not fields:
        raise ValueError(f"fields={tuple(fields)!r}: choose from {TEXT_FIELDS}")
    return tuple(fields)


def message_texts(record: Record) -> Iterable[str]:
    """Every string a conversation carries: contents, then each tool call's name and args."""
    for message in record.messages:
        content = message.get("content")
        if content:
            yield content
        for call in message.get("tool_calls") or ():
            yield call["function"]["name"]
            yield call["function"]["arguments"]


def record_text(record: Record, fields: Sequence[str] = (MESSAGES,)) -> str:
    """The text of the given fields, newline-joined (``messages`` covers all turns)."""
    parts: list[str] = []
    for name in fields:
        if name == MESSAGES:
            parts.extend(message_texts(record))
        else:
            parts.append(getattr(record, name))
    return "\n".join(parts)


def normalised_text(text: str, strip_punctuation: bool = False) -> str:
    """NFKC, lowercase, whitespace collapsed to one space; punctuation removed on request."""
    text = unicodedata.normalize("NFKC", text).lower()
    if strip_punctuation:
        text = text.translate(_punctuation())
    return " ".join(text.split())


def shingle_text(text: str, strip_punctuation: bool = False) -> str:
    """``normalised_text`` without collapsing whitespace, for word tokenisers that split on any run
    of ASCII whitespace (``minhash.token_codes``): the same words, for less work."""
    text = unicodedata.normalize("NFKC", text).lower()
    if strip_punctuation:
        text = text.translate(_punctuation())
    return text if text.isascii() else text.translate(_OTHER_SPACES)
