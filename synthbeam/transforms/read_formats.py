"""Reading one corpus file into documents and dead letters: pure functions, no Beam.

``read_documents`` turns an open binary file (JSONL, text or Parquet) into documents
(``Passage`` holding the whole text, chunk 0) or ``DeadLetter`` rows, one per bad line or
row, so a bad line never loses the rest of its file. Every non-blank JSONL line, Parquet row
and text paragraph gives exactly one of the two; a file that cannot be read as a whole
(``empty_file``, ``unreadable_file``, no text column) gives exactly one dead letter.
Whitespace-only lines are not records and are skipped. Positions are 0-based: the line
(JSONL), the first line of the paragraph (text) or the row (Parquet).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

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
        detail=detail,
        source=Source(uri=uri, position=position),
        payload=payload[:_PAYLOAD_CHARS],
    )


def parse_record(obj: Any, source: Source, fields: Fields) -> Item:
    """A JSON object or Parquet row as a document, or a dead letter without payload."""
    if not isinstance(obj, dict):
        return dead_letter(
            reasons.INVALID_JSON,
            f"not an object: {type(obj).__name__}",
            source.uri,
            source.position,
        )
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
    try:
        obj = json.loads(line.lstrip("\ufeff") if position == 0 else line)
    except json.JSONDecodeError as error:
        return dead_letter(reasons.INVALID_JSON, str(error), uri, position, line)
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
            for row in batch.to_pylist():
                item = parse(row, Source(uri=uri, position=position))
                if isinstance(item, DeadLetter):
                    payload = json.dumps(row, ensure_ascii=False, default=str)
                    item = dead_letter(item.reason, item.detail, uri, position, payload)
                yield item
                position += 1
    # Not Parquet (ArrowInvalid) or a corrupt page (OSError): the rest of the file is lost and
    # said so. Transient network errors are retried below this, inside Beam's GCS reader.
    except (pa.ArrowInvalid, OSError) as error:
        yield dead_letter(reasons.UNREADABLE_FILE, str(error), uri, position)


def iter_lines(handle: IO[bytes]) -> Iterator[bytes]:
    """Lines of a binary file, one at a time (works for Beam's compressed and GCS files)."""
    while line := handle.readline():
        yield line


def read_documents(handle: IO[bytes], uri: str, fmt: str, fields: Fields, min_chars: int = 1) -> Iterator[Item]:
    """All documents and dead letters of one open file; one ``empty_file`` if none."""
    if fmt == "parquet":
        items = read_parquet(handle, uri, fields)
    elif fmt == "text":
        items = read_text(iter_lines(handle), uri)
    else:
        items = read_jsonl(iter_lines(handle), uri, fields)
    empty = True
    for item in items:
        empty = False
        if isinstance(item, Passage) and len(item.text.strip()) < min_chars:
            detail = f"{len(item.text.strip())} characters < min_chars={min_chars}"
            item = dead_letter(reasons.TOO_SHORT, detail, uri, item.source.position, item.text)
        yield item
    if empty:
        yield dead_letter(reasons.EMPTY_FILE, "no records in file", uri)
