"""The pure reading layer: one open file -> documents and dead letters, no pipeline."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Passage, Source
from synthbeam.transforms.read.formats import (
    Fields,
    dead_letter,
    detect_format,
    parse_jsonl_line,
    read_documents,
    read_parquet,
    read_text,
)

FIELDS = Fields(text="text", id="id", title="title")


class CountingReader(io.BytesIO):
    """A file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def parquet_bytes(table: pa.Table, row_group_size: int) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=row_group_size, compression="NONE")
    return sink.getvalue()


@pytest.mark.parametrize(
    ("uri", "fmt"),
    [
        ("gs://b/x.jsonl", "jsonl"),
        ("/d/x.JSON", "jsonl"),
        ("x.jsonl.gz", "jsonl"),
        ("a/b.txt", "text"),
        ("README.md", "text"),
        ("part-0.parquet", "parquet"),
        ("x.csv", None),
        ("jsonl/noext", None),
    ],
)
def test_format_comes_from_the_extension(uri: str, fmt: str | None) -> None:
    assert detect_format(uri) == fmt


def test_jsonl_line_with_id_and_title() -> None:
    raw = b'{"id": 7, "title": "T", "text": "Hello.", "other": 1}\n'
    assert parse_jsonl_line(raw, "f.jsonl", 4, FIELDS) == Passage(
        id="7", text="Hello.", source=Source("f.jsonl", 4), title="T"
    )


def test_jsonl_first_line_may_carry_a_byte_order_mark() -> None:
    raw = '\ufeff{"text": "Hi"}\n'.encode()
    assert parse_jsonl_line(raw, "f.jsonl", 0, Fields()) == Passage("", "Hi", Source("f.jsonl", 0))


def test_invalid_utf8_line_is_a_dead_letter_with_its_position() -> None:
    item = parse_jsonl_line(b'{"text": "\xff"}\n', "f.jsonl", 2, Fields())
    assert isinstance(item, DeadLetter)
    assert (item.stage, item.reason, item.source) == ("read", "invalid_utf8", Source("f.jsonl", 2))
    assert item.payload == '{"text": "\ufffd"}\n'


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json}\n", reasons.INVALID_JSON),
        (b"[1, 2]\n", reasons.INVALID_JSON),
        (b'{"body": "x", "id": "a"}\n', reasons.MISSING_TEXT_FIELD),
        (b'{"text": 3, "id": "a"}\n', reasons.MISSING_TEXT_FIELD),
        (b'{"text": "x"}\n', reasons.MISSING_ID_FIELD),
        (b'{"text": "x", "id": ""}\n', reasons.MISSING_ID_FIELD),
    ],
)
def test_bad_jsonl_lines_give_their_reason_and_keep_the_line(raw: bytes, reason: str) -> None:
    item = parse_jsonl_line(raw, "f.jsonl", 1, FIELDS)
    assert isinstance(item, DeadLetter)
    assert (item.reason, item.source, item.payload) == (reason, Source("f.jsonl", 1), raw.decode())


def test_jsonl_file_skips_blank_lines_and_keeps_line_numbers() -> None:
    data = b'{"text": "a"}\n\n   \n{"text": "b"}\nbroken\n'
    items = list(read_documents(io.BytesIO(data), "f.jsonl", "jsonl", Fields()))
    assert [(type(i).__name__, i.source.position) for i in items] == [
        ("Passage", 0),
        ("Passage", 3),
        ("DeadLetter", 4),
    ]


@pytest.mark.parametrize("data", [b"", b"\n  \n"])
def test_empty_file_is_one_dead_letter(data: bytes) -> None:
    assert list(read_documents(io.BytesIO(data), "e.jsonl", "jsonl", Fields())) == [
        dead_letter(reasons.EMPTY_FILE, "no records in file", "e.jsonl")
    ]


def test_documents_below_min_chars_are_dead_letters() -> None:
    data = b'{"text": "tiny"}\n{"text": "long enough"}\n'
    items = list(read_documents(io.BytesIO(data), "f.jsonl", "jsonl", Fields(), min_chars=5))
    assert items == [
        dead_letter(reasons.TOO_SHORT, "4 characters < min_chars=5", "f.jsonl", 0, "tiny"),
        Passage("", "long enough", Source("f.jsonl", 1)),
    ]


def test_text_paragraphs_start_at_their_first_line() -> None:
    lines = [b"First line\n", b"second line\n", b"\n", b"\n", b"Next\n", b"\xff\xfe\n", b"After\n"]
    items = list(read_text(lines, "t.txt"))
    assert items[:2] == [
        Passage("", "First line\nsecond line", Source("t.txt", 0)),
        Passage("", "Next", Source("t.txt", 4)),
    ]
    assert (items[2].reason, items[2].source) == (reasons.INVALID_UTF8, Source("t.txt", 5))
    assert items[3] == Passage("", "After", Source("t.txt", 6))


def test_jsonl_is_streamed_not_read_whole() -> None:
    data = b"".join(json.dumps({"text": f"line {i}"}).encode() + b"\n" for i in range(5000))
    handle = CountingReader(data)
    first = next(read_documents(handle, "big.jsonl", "jsonl", Fields()))
    assert first == Passage("", "line 0", Source("big.jsonl", 0))
    assert handle.bytes_read < len(data) // 10


def test_parquet_rows_across_row_groups_with_a_bad_row() -> None:
    table = pa.table({"id": ["a", "b", "c", "d", "e"], "text": ["A", "B", None, "D", "E"]})
    handle = io.BytesIO(parquet_bytes(table, row_group_size=2))
    items = list(read_parquet(handle, "p.parquet", Fields(id="id"), batch_rows=2))
    assert [i for i in items if isinstance(i, Passage)] == [
        Passage("a", "A", Source("p.parquet", 0)),
        Passage("b", "B", Source("p.parquet", 1)),
        Passage("d", "D", Source("p.parquet", 3)),
        Passage("e", "E", Source("p.parquet", 4)),
    ]
    (bad,) = [i for i in items if isinstance(i, DeadLetter)]
    assert (bad.reason, bad.source, bad.payload) == (
        reasons.MISSING_TEXT_FIELD,
        Source("p.parquet", 2),
        '{"text": null, "id": "c"}',
    )


def test_parquet_is_streamed_a_row_group_at_a_time() -> None:
    table = pa.table({"text": [f"row {i} " + "x" * 500 for i in range(400)]})
    data = parquet_bytes(table, row_group_size=50)
    handle = CountingReader(data)
    rows = read_parquet(handle, "p.parquet", Fields(), batch_rows=10)
    assert next(rows).text.startswith("row 0 ")
    assert handle.bytes_read < len(data) // 2
    assert sum(1 for _ in rows) == 399


def test_parquet_without_the_text_column_is_one_dead_letter() -> None:
    handle = io.BytesIO(parquet_bytes(pa.table({"body": ["x", "y"]}), row_group_size=10))
    (item,) = read_parquet(handle, "p.parquet", Fields())
    assert (item.reason, item.detail) == (
        reasons.MISSING_TEXT_FIELD,
        "no column 'text' in ['body']",
    )


def test_corrupt_parquet_keeps_the_rows_before_the_damage() -> None:
    table = pa.table({"text": [f"row {i} " + "x" * 200 for i in range(40)]})
    data = bytearray(parquet_bytes(table, row_group_size=10))
    offset = pq.ParquetFile(io.BytesIO(bytes(data))).metadata.row_group(2).column(0).data_page_offset
    data[offset : offset + 30] = b"\xab" * 30
    items = list(read_parquet(io.BytesIO(bytes(data)), "p.parquet", Fields(), batch_rows=5))
    assert sum(isinstance(i, Passage) for i in items) == 20
    assert (items[-1].reason, items[-1].source.position) == (reasons.UNREADABLE_FILE, 20)


def test_not_parquet_is_unreadable_file() -> None:
    (item,) = read_documents(io.BytesIO(b"PAR1 nope"), "p.parquet", "parquet", Fields())
    assert (item.reason, item.source) == (reasons.UNREADABLE_FILE, Source("p.parquet", 0))
