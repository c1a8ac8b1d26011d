"""Reading one corpus file into documents and dead letters: pure functions, no Beam.

``read_documents`` turns an open binary file (JSONL, text or Parquet) into documents
(``Passage`` holding the whole text, chunk 0) or ``DeadLetter`` rows, one per bad line or
row, so a bad line never loses the rest of its file. Every non-blank JSONL line, Parquet row
and text paragraph gives exactly one of the two; a file that cannot be read as a whole
(``empty_file``, ``unreadable_file``, no text column) gives exactly one dead letter, and a
file whose reading stops part-way (a cut-off or corrupt ``.gz``, a damaged Parquet page)
keeps what came before and ends with one ``reasons.INPUT_LOST`` dead letter saying how far
reading got. No string that UTF-8 cannot carry (a lone surrogate, from a JSON ``\\ud800``
escape) leaves this module: its line is dead-lettered ``invalid_text``.
Whitespace-only lines are not records and are skipped. Positions are 0-based: the line
(JSONL), the first line of the paragraph (text) or the row (Parquet).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from synthbeam.json_text import load_json, not_an_object, utf8_safe
from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Passage, Source

STAGE = "read"
FORMATS = ("jsonl", "text", "parquet")
EXTENSIONS = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".txt": "text",
    ".md": "text",
    ".parquet": "parquet",
}
_PAYLOAD_CHARS = 500
_PARQUET_BATCH_ROWS = 1024
Item = Passage | DeadLetter
ObjectParser = Callable[[Any, Source], Any]  # a JSON object or Parquet row -> an item or a DeadLetter
# Compressed data that is not what its name says, ends early or is damaged: errors no retry
# cures, so the rest of the file becomes a dead letter instead of failing the job.
COMPRESSED_DATA_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


@dataclass(frozen=True)
class Fields:
    """Which fields of a JSON object or Parquet row hold the text, the id and the title."""

    text: str = "text"
    id: str | None = None
    title: str | None = None


def detect_format(uri: str) -> str | None:
    """The format named by the file extension (``.gz`` ignored), None if unknown."""
    name = uri.rsplit("/", 1)[-1].lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for extension, fmt in EXTENSIONS.items():
        if name.endswith(extension):
            return fmt
    return None


def dead_letter(reason: str, detail: str, uri: str, position: int = 0, payload: str = "") -> DeadLetter:
    return DeadLetter(
        stage=STAGE,
        reason=reason,
        detail=utf8_safe(detail),
        source=Source(uri=uri, position=position),
        payload=utf8_safe(payload[:_PAYLOAD_CHARS]),
    )


def parse_record(obj: Any, source: Source, fields: Fields) -> Item:
    """A JSON object or Parquet row as a document, or a dead letter without payload."""
    if not isinstance(obj, dict):
        return dead_letter(reasons.INVALID_JSON, not_an_object(obj), source.uri, source.position)
    text = obj.get(fields.text)
    if not isinstance(text, str):
        detail = f"field {fields.text!r} is missing or not a string"
        return dead_letter(reasons.MISSING_TEXT_FIELD, detail, source.uri, source.position)
    doc_id = ""
    if fields.id:
        value = obj.get(fields.id)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            detail = f"field {fields.id!r} is missing or not a string or integer"
            return dead_letter(reasons.MISSING_ID_FIELD, detail, source.uri, source.position)
        doc_id = str(value)
    title = obj.get(fields.title) if fields.title else ""
    return Passage(id=doc_id, text=text, source=source, title=title if isinstance(title, str) else "")


def parse_jsonl_line(raw: bytes, uri: str, position: int, fields: Fields) -> Item:
    """One JSONL line (bytes, with or without its newline) as a document or a dead letter."""
    return parse_json_line(raw, uri, position, passage_parser(fields))


def passage_parser(fields: Fields) -> ObjectParser:
    return lambda obj, source: parse_record(obj, source, fields)


def parse_json_line(raw: bytes, uri: str, position: int, parse: ObjectParser) -> Any:
    """One JSONL line as whatever ``parse`` makes of its object, or a dead letter (with the
    line as payload): shared by every reader of JSONL, documents or rows."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        payload = raw.decode("utf-8", errors="replace")
        return dead_letter(reasons.INVALID_UTF8, str(error), uri, position, payload)
    obj, reason, detail = load_json(line.lstrip("\ufeff") if position == 0 else line)
    if reason:
        return dead_letter(reason, detail, uri, position, line)
    item = parse(obj, Source(uri=uri, position=position))
    if isinstance(item, DeadLetter):
        return dead_letter(item.reason, item.detail, uri, position, line)
    return item


def read_jsonl(lines: Iterable[bytes], uri: str, fields: Fields) -> Iterator[Item]:
    return read_json_lines(lines, uri, passage_parser(fields))


def read_json_lines(lines: Iterable[bytes], uri: str, parse: ObjectParser) -> Iterator[Any]:
    """Every non-blank line through ``parse_json_line``."""
    for position, raw in enumerate(lines):
        if raw.strip():
            yield parse_json_line(raw, uri, position, parse)


def read_text(lines: Iterable[bytes], uri: str) -> Iterator[Item]:
    """Blank-line separated paragraphs as documents; a line that is not UTF-8 ends one."""
    paragraph: list[str] = []
    start = 0
    try:
        for position, raw in enumerate(lines):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield from _paragraph(paragraph, uri, start)
                paragraph = []
                yield dead_letter(reasons.INVALID_UTF8, str(error), uri, position, raw.decode("utf-8", "replace"))
                continue
            if not line.strip():
                yield from _paragraph(paragraph, uri, start)
                paragraph = []
            else:
                start = start if paragraph else position
                paragraph.append(line.lstrip("\ufeff") if position == 0 else line)
    except COMPRESSED_DATA_ERRORS:
        yield from _paragraph(paragraph, uri, start)  # the whole lines read before the damage
        raise
    yield from _paragraph(paragraph, uri, start)


def _paragraph(lines: list[str], uri: str, start: int) -> Iterator[Passage]:
    if lines:
        yield Passage(id="", text="".join(lines).strip(), source=Source(uri=uri, position=start))


def read_parquet(handle: IO[bytes], uri: str, fields: Fields, batch_rows: int = _PARQUET_BATCH_ROWS) -> Iterator[Item]:
    """Rows as documents, streamed a batch at a time (never the whole file in memory)."""
    columns = [c for c in (fields.text, fields.id, fields.title) if c]
    return read_parquet_rows(handle, uri, passage_parser(fields), columns, fields.text, batch_rows)


def read_parquet_rows(
    handle: IO[bytes],
    uri: str,
    parse: ObjectParser,
    columns: list[str] | None = None,
    required: str | None = None,
    batch_rows: int = _PARQUET_BATCH_ROWS,
) -> Iterator[Any]:
    """Each row (of ``columns`` that exist; all when None) through ``parse``; a row it
    refuses becomes a dead letter with the row as payload. A file without the ``required``
    column, or that is not Parquet, gives one dead letter."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    position = 0
    try:
        # pre_buffer (the default) would fetch every row group up front.
        parquet = pq.ParquetFile(handle, pre_buffer=False)
        names = parquet.schema_arrow.names
        if required and required not in names:
            yield dead_letter(reasons.MISSING_TEXT_FIELD, f"no column {required!r} in {names}", uri)
            return
        present = None if columns is None else [c for c in columns if c in names]
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=present):
            for offset, row in enumerate(_batch_rows(batch)):
                if row is None:
                    payload = _lossy_row(batch.slice(offset, 1))
                    yield dead_letter(
                        reasons.INVALID_UTF8, "a string column holds bytes that are not UTF-8", uri, position, payload
                    )
                else:
                    yield _parsed_row(row, parse, uri, position)
                position += 1
    # Not Parquet (ArrowInvalid), a corrupt page (OSError), a footer that is not UTF-8: the rest
    # of the file is lost and said so. Transient network errors are retried below this, inside
    # Beam's GCS reader.
    except (pa.ArrowException, OSError, UnicodeDecodeError) as error:
        detail = f"{error}; reading stopped after row {position}, the rest of the file is lost"
        yield dead_letter(reasons.UNREADABLE_FILE, detail, uri, position)


def _parsed_row(row: dict[str, Any], parse: ObjectParser, uri: str, position: int) -> Any:
    item = parse(row, Source(uri=uri, position=position))
    if isinstance(item, DeadLetter):
        payload = json.dumps(row, ensure_ascii=False, default=str)
        item = dead_letter(item.reason, item.detail, uri, position, payload)
    return item


def _batch_rows(batch: Any) -> list[dict[str, Any] | None]:
    """The rows of a record batch; None for a row with a string that is not UTF-8."""
    try:
        return batch.to_pylist()
    except UnicodeDecodeError:
        return [_row_or_none(batch.slice(offset, 1)) for offset in range(batch.num_rows)]


def _row_or_none(row: Any) -> dict[str, Any] | None:
    try:
        return row.to_pylist()[0]
    except UnicodeDecodeError:
        return None


def _lossy_row(row: Any) -> str:
    """A one-row batch's string columns as JSON, bytes that are not UTF-8 shown as U+FFFD."""
    import pyarrow as pa

    values: dict[str, Any] = {}
    for name, column in zip(row.schema.names, row.columns, strict=True):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            raw = column.cast(pa.large_binary())[0].as_py()
            values[name] = None if raw is None else raw.decode("utf-8", "replace")
    return json.dumps(values, ensure_ascii=False)


class Lines:
    """The lines of a binary file, read one at a time, and how many were read so far."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.count = 0

    def __iter__(self) -> Iterator[bytes]:
        while line := self._handle.readline():
            self.count += 1
            yield line


def until_unreadable(items: Iterable[Any], uri: str, lines: Lines) -> Iterator[Any]:
    """``items``; if the file's compressed data stops them, then one dead letter that says
    how far reading got (the rest of the file is lost, and counted as such)."""
    try:
        yield from items
    except COMPRESSED_DATA_ERRORS as error:
        yield rest_lost(error, uri, lines.count)


def rest_lost(error: Exception, uri: str, lines_read: int) -> DeadLetter:
    """The dead letter of a file whose reading stopped after ``lines_read`` whole lines."""
    if isinstance(error, EOFError):
        reason, what = reasons.TRUNCATED_FILE, "truncated gzip"
    elif isinstance(error, gzip.BadGzipFile):
        reason, what = reasons.UNREADABLE_FILE, "not gzip data"
    else:
        reason, what = reasons.UNREADABLE_FILE, "corrupt gzip data"
    where = f"after line {lines_read}" if lines_read else "at the start"
    detail = f"{what} {where} ({error}): the rest of the file is lost"
    return dead_letter(reason, detail, uri, lines_read)


def read_documents(handle: IO[bytes], uri: str, fmt: str, fields: Fields, min_chars: int = 1) -> Iterator[Item]:
    """All documents and dead letters of one open file; one ``empty_file`` if none."""
    lines = Lines(handle)
    if fmt == "parquet":
        items = read_parquet(handle, uri, fields)
    elif fmt == "text":
        items = read_text(lines, uri)
    else:
        items = read_jsonl(lines, uri, fields)
    empty = True
    for item in until_unreadable(items, uri, lines):
        empty = False
        if isinstance(item, Passage) and len(item.text.strip()) < min_chars:
            detail = f"{len(item.text.strip())} characters < min_chars={min_chars}"
            item = dead_letter(reasons.TOO_SHORT, detail, uri, item.source.position, item.text)
        yield item
    if empty:
        yield dead_letter(reasons.EMPTY_FILE, "no records in file", uri)
