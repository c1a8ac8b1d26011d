"""Lines, rows and files that once failed a whole run: each becomes one dead letter with a
reason, the rest of its file is read, and a file read only in part says how far it got."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.pipelines import augment
from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Passage, Source
from synthbeam.transforms.read.corpus import ReadCorpus
from synthbeam.transforms.read.formats import Fields, parse_jsonl_line, read_documents, read_parquet
from synthbeam.transforms.read.records import ReadRecords
from synthbeam.transforms.write.dead_letters import dead_letter_row

DEEP = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
BIG_INTEGER = b'{"text": "fine", "n": ' + b"7" * 5000 + b"}\n"
LONE_SURROGATE = b'{"text": "bad \\ud800 text"}\n'


def gzipped_lines(count: int) -> bytes:
    return gzip.compress(b"".join(json.dumps({"text": f"line {i} " + "x" * 40}).encode() + b"\n" for i in range(count)))


def whole_lines_in(truncated_gzip: bytes) -> int:
    """How many complete lines the readable start of a cut-off gzip stream holds."""
    return zlib.decompressobj(wbits=31).decompress(truncated_gzip).count(b"\n")


def parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="NONE")
    return sink.getvalue()


def encodes_as_utf8(item: Passage | DeadLetter) -> bool:
    texts = (item.text, item.id, item.title) if isinstance(item, Passage) else (item.detail, item.payload)
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize(
    ("raw", "reason", "detail"),
    [
        (DEEP, reasons.INVALID_JSON, "nested too deeply"),
        (BIG_INTEGER, reasons.INVALID_JSON, "4300 digits"),
        (LONE_SURROGATE, reasons.INVALID_TEXT, "lone surrogate"),
        (b'{"text": "ok", "meta": {"k": ["\\udfff"]}}\n', reasons.INVALID_TEXT, "lone surrogate"),
        (b'{"text": "ok", "\\ud800": 1}\n', reasons.INVALID_TEXT, "lone surrogate"),
    ],
    ids=["deep", "big_integer", "lone_surrogate", "nested_surrogate", "surrogate_key"],
)
def test_lines_python_cannot_parse_or_encode_are_dead_letters(raw: bytes, reason: str, detail: str) -> None:
    item = parse_jsonl_line(raw, "f.jsonl", 3, Fields())
    assert isinstance(item, DeadLetter)
    assert (item.reason, item.source) == (reason, Source("f.jsonl", 3))
    assert detail in item.detail
    assert item.payload == raw.decode()[:500] and encodes_as_utf8(item)


def test_surrogate_pairs_are_text_and_so_is_a_backslash_before_u() -> None:
    raw = b'{"text": "smile \\ud83d\\ude00 and C:\\\\udder"}\n'
    assert parse_jsonl_line(raw, "f.jsonl", 0, Fields()) == Passage(
        "", "smile \U0001f600 and C:\\udder", Source("f.jsonl", 0)
    )


def test_bad_lines_do_not_stop_the_rest_of_the_file() -> None:
    data = b'{"text": "before"}\n' + DEEP + BIG_INTEGER + LONE_SURROGATE + b'{"text": "after"}\n'
    items = list(read_documents(io.BytesIO(data), "f.jsonl", "jsonl", Fields()))
    assert [getattr(i, "reason", i.text if isinstance(i, Passage) else "") for i in items] == [
        "before",
        reasons.INVALID_JSON,
        reasons.INVALID_JSON,
        reasons.INVALID_TEXT,
        "after",
    ]


def test_truncated_gzip_keeps_the_lines_before_and_says_where_it_stopped() -> None:
    data = gzipped_lines(200)
    cut = data[: len(data) // 2]
    read = whole_lines_in(cut)
    assert 0 < read < 200
    items = list(read_documents(gzip.GzipFile(fileobj=io.BytesIO(cut)), "t.jsonl.gz", "jsonl", Fields()))
    *documents, last = items
    assert [d.text for d in documents] == [f"line {i} " + "x" * 40 for i in range(read)]
    assert isinstance(last, DeadLetter)
    assert (last.reason, last.source) == (reasons.TRUNCATED_FILE, Source("t.jsonl.gz", read))
    assert f"truncated gzip after line {read}" in last.detail and "the rest of the file is lost" in last.detail


def test_truncated_gzip_text_keeps_its_last_whole_lines() -> None:
    data = gzip.compress(b"".join(b"paragraph %d line\n\n" % i for i in range(300)))
    cut = data[: len(data) // 2]
    items = list(read_documents(gzip.GzipFile(fileobj=io.BytesIO(cut)), "t.txt.gz", "text", Fields()))
    *documents, last = items
    assert all(isinstance(d, Passage) for d in documents) and len(documents) > 10
    assert (last.reason, last.source.position) == (reasons.TRUNCATED_FILE, whole_lines_in(cut))


@pytest.mark.parametrize(
    ("data", "reason", "where"),
    [
        (b'{"text": "plain text, not gzip"}\n', reasons.UNREADABLE_FILE, "not gzip data at the start"),
        (b"", reasons.EMPTY_FILE, "no records"),
    ],
    ids=["plain_text", "empty"],
)
def test_a_gz_file_that_is_not_gzip_is_one_dead_letter(data: bytes, reason: str, where: str) -> None:
    (item,) = read_documents(gzip.GzipFile(fileobj=io.BytesIO(data)), "x.jsonl.gz", "jsonl", Fields())
    assert (item.reason, item.source.position) == (reason, 0) and where in item.detail


def test_corrupt_gzip_data_keeps_the_lines_before_the_damage() -> None:
    data = bytearray(gzip.compress(b"".join(b'{"text": "line %d %d"}\n' % (i, i * i % 10007) for i in range(2000))))
    data[len(data) // 2 : len(data) // 2 + 20] = b"\x00" * 20
    items = list(read_documents(gzip.GzipFile(fileobj=io.BytesIO(bytes(data))), "c.jsonl.gz", "jsonl", Fields()))
    *before, last = items
    assert len(before) > 100 and all(isinstance(i, Passage) for i in before)
    assert (last.reason, last.source.position) == (reasons.UNREADABLE_FILE, len(before))
    assert last.detail.startswith(f"corrupt gzip data after line {len(before)} (")


def not_utf8_strings(values: list[bytes]) -> pa.Array:
    """A Parquet string column holding bytes that are not UTF-8 (as other writers may leave)."""
    return pa.array(values, pa.binary()).view(pa.string())


def test_parquet_row_that_is_not_utf8_is_a_dead_letter_and_the_others_are_read() -> None:
    surrogate_as_utf8 = b"bad \xed\xa0\x80 text"  # how some writers store "\ud800"
    table = pa.table({"text": not_utf8_strings([b"good", surrogate_as_utf8, b"also good"]), "n": [1, 2, 3]})
    items = list(read_parquet(io.BytesIO(parquet_bytes(table)), "p.parquet", Fields()))
    assert [i.text for i in items if isinstance(i, Passage)] == ["good", "also good"]
    (bad,) = [i for i in items if isinstance(i, DeadLetter)]
    assert (bad.reason, bad.source) == (reasons.INVALID_UTF8, Source("p.parquet", 1))
    assert json.loads(bad.payload) == {"text": "bad \ufffd\ufffd\ufffd text"}


def test_parquet_footer_that_is_not_utf8_is_an_unreadable_file() -> None:
    data = parquet_bytes(pa.table({"text": ["a", "b"], "n\u00e9": [1, 2]}))
    data = data.replace("n\u00e9".encode(), b"n\xd8\x00")
    (item,) = read_parquet(io.BytesIO(data), "p.parquet", Fields())
    assert (item.reason, item.source.position) == (reasons.UNREADABLE_FILE, 0)
    assert "the rest of the file is lost" in item.detail


def write_bad_and_good_files(root: Path) -> tuple[dict[tuple[str, int], str], int]:
    """Every kind of input that once failed a run, beside good files; returns
    (uri, position) -> expected outcome, and how many lines the truncated file gives."""
    (root / "good.jsonl").write_bytes(b'{"text": "good one"}\n{"text": "good two"}\n')
    (root / "lines.jsonl").write_bytes(b'{"text": "kept"}\n' + DEEP + BIG_INTEGER + LONE_SURROGATE)
    (root / "plain.jsonl.gz").write_bytes(b'{"text": "not gzip"}\n')
    whole = gzipped_lines(200)
    (root / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    read = whole_lines_in(whole[: len(whole) // 2])
    (root / "zipped.txt.gz").write_bytes(gzip.compress(b"A gzipped paragraph.\n"))
    damaged = parquet_bytes(pa.table({"text": [f"row {i} " + "x" * 200 for i in range(40)]}))
    (root / "damaged.parquet").write_bytes(damaged[: len(damaged) // 2])
    utf8 = pa.table({"text": not_utf8_strings([b"fine row", b"\xed\xa0\x80"])})
    (root / "bytes.parquet").write_bytes(parquet_bytes(utf8))
    expected = {
        ("good.jsonl", 0): "passage",
        ("good.jsonl", 1): "passage",
        ("lines.jsonl", 0): "passage",
        ("lines.jsonl", 1): reasons.INVALID_JSON,
        ("lines.jsonl", 2): reasons.INVALID_JSON,
        ("lines.jsonl", 3): reasons.INVALID_TEXT,
        ("plain.jsonl.gz", 0): reasons.UNREADABLE_FILE,
        **{("cut.jsonl.gz", i): "passage" for i in range(read)},
        ("cut.jsonl.gz", read): reasons.TRUNCATED_FILE,
        ("zipped.txt.gz", 0): "passage",
        ("damaged.parquet", 0): reasons.UNREADABLE_FILE,
        ("bytes.parquet", 0): "passage",
        ("bytes.parquet", 1): reasons.INVALID_UTF8,
    }
    return {(str(root / name), position): kind for (name, position), kind in expected.items()}, read


def outcome(element: Passage | DeadLetter) -> tuple[str, int, str]:
    kind = "passage" if isinstance(element, Passage) else element.reason
    return (element.source.uri, element.source.position, kind)


def test_read_corpus_reads_good_rows_and_dead_letters_every_bad_one(tmp_path: Path) -> None:
    expected, read = write_bad_and_good_files(tmp_path)
    p = TestPipeline()
    out = p | ReadCorpus(str(tmp_path / "*"))
    outcomes = (out.main, out.dead_letter) | beam.Flatten() | beam.Map(outcome)
    assert_that(outcomes, equal_to([(uri, pos, kind) for (uri, pos), kind in expected.items()]))
    # Every element can be written as UTF-8, as the dead-letter writer and the cache key do.
    encodable = (out.main, out.dead_letter) | "All" >> beam.Flatten() | beam.Map(encodes_as_utf8)
    assert_that(encodable | beam.Distinct(), equal_to([True]), label="AllUtf8")
    rows = out.dead_letter | beam.Map(lambda d: json.loads(dead_letter_row(d).encode("utf-8")))
    truncated = rows | beam.Filter(lambda row: row["reason"] == reasons.TRUNCATED_FILE)
    assert_that(
        truncated | beam.Map(lambda row: (row["position"], row["detail"].split(" (")[0])),
        equal_to([(read, f"truncated gzip after line {read}")]),
        label="SaysHowFar",
    )
    result = p.run()
    result.wait_until_finish()
    counters = {
        c.key.metric.name: c.committed
        for c in result.metrics().query(MetricsFilter().with_namespace("synthbeam.transforms.read"))["counters"]
    }
    assert counters["files_with_input_lost"] == 3  # not gzip, cut off, damaged Parquet
    assert counters["documents_read"] + counters["dead_letters"] == len(expected)


def test_read_records_dead_letters_bad_lines_and_files(tmp_path: Path) -> None:
    chat = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    (tmp_path / "rows.jsonl").write_bytes(json.dumps(chat).encode() + b"\n" + DEEP + BIG_INTEGER)
    surrogate = {"messages": [{"role": "user", "content": "q \ud800"}, {"role": "assistant", "content": "a"}]}
    (tmp_path / "more.jsonl").write_bytes(json.dumps(surrogate).encode() + b"\n")
    (tmp_path / "plain.jsonl.gz").write_bytes(json.dumps(chat).encode() + b"\n")
    rows = gzip.compress(b"".join(json.dumps(chat).encode() + b"\n" for _ in range(300)))
    (tmp_path / "cut.jsonl.gz").write_bytes(rows[: len(rows) // 2])
    read = whole_lines_in(rows[: len(rows) // 2])
    with TestPipeline() as p:
        out = p | ReadRecords([str(tmp_path / "*")])
        assert_that(out.main | beam.combiners.Count.Globally(), equal_to([1 + read]))
        reasons_seen = out.dead_letter | beam.Map(lambda d: (d.source.uri.rsplit("/", 1)[-1], d.reason))
        assert_that(
            reasons_seen,
            equal_to(
                [
                    ("rows.jsonl", reasons.INVALID_JSON),
                    ("rows.jsonl", reasons.INVALID_JSON),
                    ("more.jsonl", reasons.INVALID_TEXT),
                    ("plain.jsonl.gz", reasons.UNREADABLE_FILE),
                    ("cut.jsonl.gz", reasons.TRUNCATED_FILE),
                ]
            ),
            label="DeadLetters",
        )


def test_a_run_that_lost_input_says_so_in_its_manifest_and_summary(tmp_path: Path, capsys) -> None:
    chat = {
        "messages": [
            {"role": "user", "content": "Explain why the sky is blue."},
            {"role": "assistant", "content": "Air scatters blue light more than red light."},
        ]
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.jsonl").write_bytes(json.dumps(chat).encode() + b"\n")
    rows = gzip.compress(b"".join(json.dumps({**chat, "id": f"r{i}"}).encode() + b"\n" for i in range(200)))
    (tmp_path / "in" / "cut.jsonl.gz").write_bytes(rows[: len(rows) // 2])
    argv = [f"--input={tmp_path / 'in' / '*'}", f"--output={tmp_path / 'out'}", "--methods=eda", "--eda_per_row=1"]
    augment.run(argv, test_pipeline=TestPipeline(argv=argv, blocking=True))

    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["counts"]["dead_lettered/read/truncated_file"] == 1
    assert manifest["reconciliation"]["input_files_lost"] == 1
    summary = capsys.readouterr().out
    assert "INPUT LOST: 1 file(s) read only in part" in summary
