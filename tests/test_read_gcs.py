"""gs:// reading and writing against a real local GCS emulator (no mocks)."""

from __future__ import annotations

import gzip
import io
import json
import zlib

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from gcs_emulator import GcsEmulator

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Passage, Source
from synthbeam.transforms.read.corpus import FileReadCounts, ReadCorpus


def parquet_bytes(columns: dict[str, list[object]]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink, row_group_size=2)
    return sink.getvalue()


def test_read_corpus_from_gs_glob(gcs_emulator: GcsEmulator, gcs_bucket: str) -> None:
    prefix = f"{gcs_bucket}/corpus"
    jsonl_uri, parquet_uri, _ = gcs_emulator.upload_files(
        prefix,
        {
            "a.jsonl": b'{"id": "j0", "text": "From JSONL."}\nnot json\n',
            "b.parquet": parquet_bytes({"id": ["p0", "p1", "p2"], "text": ["Row 0.", "Row 1.", "Row 2."]}),
            "skip/c.jsonl": b'{"id": "deeper", "text": "not matched by a single star"}\n',
        },
    )
    with TestPipeline() as p:
        out = p | ReadCorpus(f"{prefix}/*.*", id_field="id")
        assert_that(
            out.main,
            equal_to(
                [
                    Passage("j0", "From JSONL.", Source(jsonl_uri, 0, 0)),
                    *(Passage(f"p{i}", f"Row {i}.", Source(parquet_uri, i, 0)) for i in range(3)),
                ]
            ),
        )
        assert_that(
            out.dead_letter | beam.Map(lambda d: (d.reason, d.source.uri, d.source.position)),
            equal_to([(reasons.INVALID_JSON, jsonl_uri, 1)]),
            label="DeadLetters",
        )
        assert_that(
            out.files,
            equal_to([FileReadCounts(jsonl_uri, 1, 1, 1), FileReadCounts(parquet_uri, 3, 0, 3)]),
            label="Files",
        )


def test_cut_off_and_mislabelled_gz_on_gs_are_dead_letters(gcs_emulator: GcsEmulator, gcs_bucket: str) -> None:
    lines = gzip.compress(b"".join(b'{"text": "line %d"}\n' % i for i in range(3000)))
    cut = lines[: len(lines) // 2]
    read = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    cut_uri, plain_uri = gcs_emulator.upload_files(
        f"{gcs_bucket}/gz", {"cut.jsonl.gz": cut, "plain.jsonl.gz": b'{"text": "not gzip"}\n'}
    )
    with TestPipeline() as p:
        out = p | ReadCorpus(f"{gcs_bucket}/gz/*.gz")
        assert_that(out.main | beam.combiners.Count.Globally(), equal_to([read]))
        assert_that(
            out.dead_letter | beam.Map(lambda d: (d.reason, d.source.uri, d.source.position)),
            equal_to([(reasons.TRUNCATED_FILE, cut_uri, read), (reasons.UNREADABLE_FILE, plain_uri, 0)]),
            label="DeadLetters",
        )


def test_beam_write_to_text_on_gs(gcs_emulator: GcsEmulator, gcs_bucket: str) -> None:
    rows = [json.dumps({"n": n}) for n in range(3)]
    with TestPipeline() as p:
        _ = p | beam.Create(rows) | beam.io.WriteToText(f"{gcs_bucket}/out/part", num_shards=1)
    (written,) = gcs_emulator.list(f"{gcs_bucket}/out/")
    assert written == f"{gcs_bucket}/out/part-00000-of-00001"
    assert sorted(gcs_emulator.read(written).decode().splitlines()) == rows
    assert [m.path for m in FileSystems.match([f"{gcs_bucket}/out/*"])[0].metadata_list] == [written]
