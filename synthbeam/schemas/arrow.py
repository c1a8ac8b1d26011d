"""Arrow schemas derived from the dataclasses in ``record.py`` (never written twice).

``JsonText`` fields and chat turns (``Message``, whose keys are optional) are Arrow's
canonical JSON type: text in Parquet, Python objects in Hugging Face ``datasets``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import types
import typing
from collections.abc import Sequence
from typing import Any, Union

import pyarrow as pa

from synthbeam.gc_pause import gc_paused
from synthbeam.schemas.json_columns import json_array, turns_array
from synthbeam.schemas.record import JsonText, Message, Record, Rejected, message_from_json

_SCALARS: dict[type, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    float: pa.float64(),
    bool: pa.bool_(),
}


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__annotations__")


def arrow_type(tp: Any) -> pa.DataType:
    """Maps a type hint (scalars, list[X], X | None, TypedDict, dataclass) to Arrow."""
    if tp is JsonText or tp is Message:
        return pa.json_()
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"only optional unions are supported, got {tp}")
        return arrow_type(args[0])
    if origin is list:
        (item,) = typing.get_args(tp)
        return pa.list_(arrow_type(item))
    if tp in _SCALARS:
        return _SCALARS[tp]
    if _is_typeddict(tp) or dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return pa.struct([pa.field(name, arrow_type(hint)) for name, hint in hints.items()])
    raise TypeError(f"no Arrow type for {tp!r}")


def arrow_schema(cls: type) -> pa.Schema:
    """Arrow schema of a dataclass, one column per field."""
    hints = typing.get_type_hints(cls)
    return pa.schema([pa.field(f.name, arrow_type(hints[f.name])) for f in dataclasses.fields(cls)])


RECORD_SCHEMA: pa.Schema = arrow_schema(Record)
REJECTED_SCHEMA: pa.Schema = (
    RECORD_SCHEMA.append(pa.field("drop_stage", pa.string()))
    .append(pa.field("drop_reason", pa.string()))
    .append(pa.field("drop_detail", pa.string()))
)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _columns(values: Sequence[Any], cls: type, fields: Sequence[pa.Field]) -> list[pa.Array]:
    """One Arrow array per field of the dataclass ``cls`` over ``values``, built column by
    column (nested dataclasses become struct arrays of their own columns)."""
    if len(fields) == 1:
        columns = [[getattr(v, fields[0].name) for v in values]]
    else:  # one C-level call per value, then a transpose: far fewer Python steps than getattr
        columns = list(zip(*map(operator.attrgetter(*(f.name for f in fields)), values), strict=True)) or [
            [] for _ in fields
        ]
    arrays = []
    for field, column in zip(fields, columns, strict=True):
        hint = _hints(cls)[field.name]
        if dataclasses.is_dataclass(hint):
            children = list(field.type)
            arrays.append(pa.StructArray.from_arrays(_columns(column, hint, children), fields=children))
        elif hint == list[Message]:
            arrays.append(turns_array(column))
        elif field.type == pa.json_():
            arrays.append(json_array(column))
        else:
            arrays.append(pa.array(column, type=field.type))
    return arrays


def records_to_table(records: Sequence[Record]) -> pa.Table:
    """Records as a table of ``RECORD_SCHEMA``, converted a column at a time (no row dicts)."""
    with gc_paused():
        return pa.Table.from_arrays(_columns(records, Record, list(RECORD_SCHEMA)), schema=RECORD_SCHEMA)


def rejected_to_table(rejected: Sequence[Rejected]) -> pa.Table:
    """Rejected rows as a table of ``REJECTED_SCHEMA``."""
    with gc_paused():
        columns = _columns([r.record for r in rejected], Record, list(RECORD_SCHEMA))
    for name in ("stage", "reason", "detail"):
        columns.append(pa.array([getattr(r, name) for r in rejected], type=pa.string()))
    return pa.Table.from_arrays(columns, schema=REJECTED_SCHEMA)


def record_to_row(record: Record) -> dict[str, Any]:
    """A record as the plain dict pyarrow reads back (JSON columns as text)."""
    return records_to_table([record]).to_pylist()[0]


def row_to_record(row: dict[str, Any]) -> Record:
    """Inverse of ``record_to_row``; also takes a row as ``datasets`` loads it (JSON decoded)."""
    from synthbeam.schemas.record import Lineage, Source

    fields = {f.name for f in dataclasses.fields(Record)}
    values = {k: v for k, v in row.items() if k in fields}
    for name in ("tools", "meta"):
        if name in values and not isinstance(values[name], str):
            values[name] = json.dumps(values[name], ensure_ascii=False)
    values.update(
        messages=[message_from_json(m) for m in row["messages"]],
        source=Source(**row["source"]),
        lineage=Lineage(**row["lineage"]),
    )
    return Record(**values)


def decoded_rows(table: pa.Table) -> list[dict[str, Any]]:
    """A table's rows as dicts with chat turns decoded to ``Message`` dicts (tool-call
    arguments as JSON text, as in ``Record``); other JSON columns stay text."""
    rows = table.to_pylist()
    for row in rows:
        if "messages" in row:
            row["messages"] = [message_from_json(m) for m in row["messages"]]
    return rows
