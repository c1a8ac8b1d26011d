"""Arrow schemas derived from the dataclasses in ``record.py`` (never written twice)."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union

import pyarrow as pa

from synthbeam.schemas.record import Record, Rejected

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
    return pa.schema(
        [pa.field(f.name, arrow_type(hints[f.name])) for f in dataclasses.fields(cls)]
    )


def _normalise(value: Any, tp: Any) -> Any:
    """Fills absent TypedDict keys with None so rows match the schema exactly."""
    origin = typing.get_origin(tp)
    if value is None:
        return None
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _normalise(value, inner)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_normalise(v, item) for v in value]
    if _is_typeddict(tp):
        hints = typing.get_type_hints(tp)
        return {k: _normalise(value.get(k), h) for k, h in hints.items()}
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return {f.name: _normalise(getattr(value, f.name), hints[f.name]) for f in dataclasses.fields(tp)}
    return value


RECORD_SCHEMA: pa.Schema = arrow_schema(Record)
REJECTED_SCHEMA: pa.Schema = RECORD_SCHEMA.append(pa.field("drop_stage", pa.string())).append(
    pa.field("drop_reason", pa.string())
).append(pa.field("drop_detail", pa.string()))


def record_to_row(record: Record) -> dict[str, Any]:
    """A record as a plain dict matching ``RECORD_SCHEMA``."""
    return _normalise(record, Record)


def rejected_to_row(rejected: Rejected) -> dict[str, Any]:
    row = record_to_row(rejected.record)
    row.update(drop_stage=rejected.stage, drop_reason=rejected.reason, drop_detail=rejected.detail)
    return row


def row_to_record(row: dict[str, Any]) -> Record:
    """Inverse of ``record_to_row`` (drops None-valued optional message keys)."""
    from synthbeam.schemas.record import Lineage, Source

    messages = [{k: v for k, v in m.items() if v is not None} for m in row["messages"]]
    fields = {f.name for f in dataclasses.fields(Record)}
    values = {k: v for k, v in row.items() if k in fields}
    values.update(
        messages=messages,
        source=Source(**row["source"]),
        lineage=Lineage(**row["lineage"]),
    )
    return Record(**values)
