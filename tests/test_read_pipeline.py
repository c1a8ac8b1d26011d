"""ReadCorpus in a pipeline: each format, bad input accounting, multi-process runner."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Passage, Source, stable_id
from synthbeam.transforms.read.corpus import FileReadCounts, ReadCorpus


def jsonl(rows: list[dict[str, object]]) -> bytes:
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def write_parquet(path: Path, columns: dict[str, list[object]], row_group_size: int = 2) -> str:
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return str(path)


def test_jsonl_with_id_and_title_fields(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_bytes(jsonl([{"doc": "d1", "name": "One", "body": "First. Second."}]))
    with TestPipeline() as p:
        out = p | ReadCorpus(
            str(tmp_path / "*.jsonl"),
            text_field="body",
            id_field="doc",
            title_field="name",
            max_chars=8,
        )
        assert_that(
            out.main,
            equal_to(
                [
                    Passage("d1#0", "First.", Source(str(path), 0, 0), "One"),
                    Passage("d1#1", "Second.", Source(str(path), 0, 1), "One"),
                ]
            ),
        )
        assert_that(out.dead_letter, equal_to([]), label="NoDeadLetters")


def test_gzipped_jsonl_and_text_and_parquet_in_one_read(tmp_path: Path) -> None:
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(jsonl([{"text": "zipped"}])))
    txt = tmp_path / "b.txt"
    txt.write_text("Para one\ncontinues.\n\nPara two.\n")
    parquet = write_parquet(tmp_path / "c.parquet", {"text": ["row zero", "row one", "row two"]})
    with TestPipeline() as p:
        out = p | ReadCorpus([str(gz), str(txt), str(tmp_path / "*.parquet")])
        assert_that(
            out.main,
            equal_to(
                [
                    Passage(stable_id(gz, 0, 0), "zipped", Source(str(gz), 0, 0)),
                    Passage(stable_id(txt, 0, 0), "Para one\ncontinues.", Source(str(txt), 0, 0)),
                    Passage(stable_id(txt, 3, 0), "Para two.", Source(str(txt), 3, 0)),
                    *(
                        Passage(stable_id(parquet, i, 0), text, Source(parquet, i, 0))
                        for i, text in enumerate(["row zero", "row one", "row two"])
                    ),
                ]
            ),
        )
        assert_that(
            out.files,
            equal_to(
                [
                    FileReadCounts(str(gz), 1, 0, 1),
                    FileReadCounts(str(txt), 2, 0, 2),
                    FileReadCounts(parquet, 3, 0, 3),
                ]
            ),
            label="PerFileCounts",
        )


def write_bad_inputs(root: Path) -> dict[tuple[str, int], str]:
    """Writes corrupt files; returns (uri, position) -> expected outcome for every record."""
    (root / "mixed.jsonl").write_bytes(
        b'{"text": "good one"}\n'
        b"{broken\n"
        b'{"text": "caf\xe9"}\n'
        b'{"title": "no text"}\n'
        b'{"text": "First sentence here. Second sentence here."}\n'
    )
    (root / "empty.jsonl").write_bytes(b"")
    (root / "notes.txt").write_bytes(b"Fine paragraph.\n\nBad \xff line\nTail.\n")
    write_parquet(root / "rows.parquet", {"text": ["p0", None, "p2"]})
    (root / "table.csv").write_text("a,b\n")
    expected = {
        ("mixed.jsonl", 0): "passage",
        ("mixed.jsonl", 1): reasons.INVALID_JSON,
        ("mixed.jsonl", 2): reasons.INVALID_UTF8,
        ("mixed.jsonl", 3): reasons.MISSING_TEXT_FIELD,
        ("mixed.jsonl", 4): "passage",
        ("empty.jsonl", 0): reasons.EMPTY_FILE,
        ("notes.txt", 0): "passage",
        ("notes.txt", 2): reasons.INVALID_UTF8,
        ("notes.txt", 3): "passage",
        ("rows.parquet", 0): "passage",
        ("rows.parquet", 1): reasons.MISSING_TEXT_FIELD,
        ("rows.parquet", 2): "passage",
        ("table.csv", 0): reasons.UNSUPPORTED_FORMAT,
    }
    return {(str(root / name), position): outcome for (name, position), outcome in expected.items()}


def outcome(element: Passage | DeadLetter) -> tuple[str, int, str]:
    kind = "passage" if isinstance(element, Passage) else element.reason
    return (element.source.uri, element.source.position, kind)


def test_every_bad_input_record_is_a_passage_or_a_dead_letter(tmp_path: Path) -> None:
    expected = write_bad_inputs(tmp_path)
    p = TestPipeline()
    out = p | ReadCorpus(str(tmp_path / "*"), max_chars=30)
    documents = out.main | beam.Filter(lambda passage: passage.source.chunk == 0)
    outcomes = (documents, out.dead_letter) | beam.Flatten() | beam.Map(outcome)
    assert_that(outcomes, equal_to([(u, pos, kind) for (u, pos), kind in expected.items()]))
    result = p.run()
    result.wait_until_finish()

    counters = {
        c.key.metric.name: c.committed
        for c in result.metrics().query(MetricsFilter().with_namespace("synthbeam.transforms.read"))["counters"]
    }
    dead = sum(kind != "passage" for kind in expected.values())
    assert counters["documents_read"] + counters["dead_letters"] == len(expected)
    assert counters["dead_letters"] == dead
    assert counters["dead_letters_invalid_utf8"] == 2
    assert counters["passages"] == len(expected) - dead + 1  # one document made two passages
    assert counters["files_read"] == 5


def test_multi_process_runner(tmp_path: Path) -> None:
    files = [tmp_path / f"part-{i}.jsonl" for i in range(3)]
    for i, path in enumerate(files):
        path.write_bytes(jsonl([{"id": f"{i}-{j}", "text": f"text {i} {j}"} for j in range(4)]))
    options = PipelineOptions(["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    with TestPipeline(options=options) as p:
        out = p | ReadCorpus(str(tmp_path / "part-*.jsonl"), id_field="id")
        assert_that(
            out.main | beam.Map(lambda passage: (passage.id, passage.text, passage.source.uri)),
            equal_to([(f"{i}-{j}", f"text {i} {j}", str(files[i])) for i in range(3) for j in range(4)]),
        )


def test_overlapping_patterns_read_a_file_once(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl([{"text": "once"}]))
    with TestPipeline() as p:
        out = p | ReadCorpus([str(path), str(tmp_path / "*.jsonl")])
        assert_that(out.main | beam.Map(lambda passage: passage.text), equal_to(["once"]))


def test_explicit_format_overrides_the_extension(tmp_path: Path) -> None:
    path = tmp_path / "corpus.data"
    path.write_bytes(b"Only paragraph.\n")
    with TestPipeline() as p:
        out = p | ReadCorpus(str(path), format="text")
        assert_that(out.main | beam.Map(lambda passage: passage.text), equal_to(["Only paragraph."]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"file_pattern": []}, "file_pattern"),
        ({"file_pattern": "x", "format": "csv"}, "format must be"),
        ({"file_pattern": "x", "text_field": ""}, "text_field"),
        ({"file_pattern": "x", "max_chars": 100, "overlap_chars": 100}, "overlap_chars"),
        ({"file_pattern": "x", "min_chars": -1}, "min_chars"),
    ],
)
def test_bad_configuration_fails_in_the_constructor(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReadCorpus(**kwargs)  # type: ignore[arg-type]
