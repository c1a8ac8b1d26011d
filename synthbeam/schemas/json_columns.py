"""Arrow JSON columns built in bulk, for the Parquet sink.

A batch's chat turns are serialised by one ``orjson.dumps`` call over all of them, with a
raw NUL byte between each two (an ``orjson.Fragment``, inserted as is). orjson's compact
output never holds a raw control byte (inside strings they are escaped), so splitting the
text at the NULs (with orjson's commas around them) gives back each turn's text, which one
Arrow kernel copies into the string array. Each turn's text is the one ``message_to_json``
gives, byte for byte; a batch orjson refuses (integers beyond 64 bits, lone surrogates)
goes through ``message_to_json`` turn by turn.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from synthbeam.schemas.record import Message, message_to_json, stored_turn

_SEPARATOR = orjson.Fragment(b"\x00")
_SERIALISED_SEPARATOR = ",\x00,"  # a NUL list item, with orjson's commas either side
_MAX_STRING_BYTES = 2**31 - 1  # what 32-bit string offsets address


def json_array(texts: Sequence[str]) -> pa.ExtensionArray:
    """JSON documents held as text, as an ``arrow.json`` array (not parsed again)."""
    return pa.json_().wrap_array(pa.array(texts, type=pa.string()))


def turns_array(conversations: Sequence[Sequence[Message]]) -> pa.ListArray:
    """Conversations as a ``list<arrow.json>`` array, one JSON object per turn."""
    offsets = row_offsets(list(map(len, conversations)))
    turns = list(itertools.chain.from_iterable(conversations))
    return pa.ListArray.from_arrays(pa.array(offsets), pa.json_().wrap_array(turn_texts(turns)))


def row_offsets(lengths: Sequence[int]) -> np.ndarray:
    """Arrow list offsets of rows holding ``lengths`` items each."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def turn_texts(turns: Sequence[Message]) -> pa.StringArray:
    """Each turn's ``message_to_json`` text, as one string array."""
    serialised = bulk_serialised(turns) if turns else None
    if serialised is None:
        return pa.array([message_to_json(t) for t in turns], type=pa.string())
    return split_at_separators(serialised, len(turns))


def bulk_serialised(turns: Sequence[Message]) -> bytes | None:
    """The stored turns as one JSON list, separator between each two; ``None`` where orjson
    refuses one (integers beyond 64 bits, lone surrogates) or the text outgrows 32-bit offsets."""
    try:
        serialised = orjson.dumps(separated(stored_turns(turns)))
    except TypeError:
        return None
    return serialised if len(serialised) <= _MAX_STRING_BYTES else None


def stored_turns(turns: Sequence[Message]) -> list[dict[str, Any]]:
    """The turns as they are stored; only those with null keys or tool calls are rebuilt."""
    return [stored_turn(t) if "tool_calls" in t or None in t.values() else t for t in turns]


def separated(items: list[Any]) -> list[Any]:
    """``items`` with the separator between each two."""
    result = [_SEPARATOR] * (2 * len(items) - 1)
    result[::2] = items
    return result


def split_at_separators(serialised: bytes, count: int) -> pa.StringArray:
    """The ``count`` items of ``serialised`` (a JSON list, separator between each two), their
    texts copied back to back by one Arrow kernel."""
    bounds = pa.py_buffer(np.array([1, len(serialised) - 1], dtype=np.int32))  # inside [ and ]
    whole = pa.StringArray.from_buffers(1, bounds, pa.py_buffer(serialised))
    items = pc.split_pattern(whole, _SERIALISED_SEPARATOR).flatten()
    if len(items) != count:
        raise ValueError(f"expected {count} serialised items, found {len(items)}")
    return items
