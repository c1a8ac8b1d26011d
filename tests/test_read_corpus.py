"""The bundled default corpus (Python's pydoc topics) and reading it with ReadCorpus."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.data.corpus import DEFAULT_CORPUS_URI, default_corpus_path, pydoc_topics
from synthbeam.schemas.record import Passage, Source
from synthbeam.transforms.read.chunk import split_document
from synthbeam.transforms.read.corpus import ReadCorpus


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYNTHBEAM_CACHE", str(tmp_path))
    return tmp_path / "corpus" / "pydoc_topics.jsonl"


def test_corpus_file_has_every_topic_sorted(cache: Path) -> None:
    assert default_corpus_path() == str(cache)
    rows = [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    topics = pydoc_topics()
    assert [row["id"] for row in rows] == sorted(topics)
    assert all(row["title"] == row["id"] and row["text"] == topics[row["id"]] for row in rows)


def test_corpus_file_is_written_once_and_repaired_when_stale(cache: Path) -> None:
    default_corpus_path()
    written = cache.stat().st_mtime_ns
    default_corpus_path()
    assert cache.stat().st_mtime_ns == written
    cache.write_text('{"id": "old", "title": "old", "text": "from another Python"}\n')
    default_corpus_path()
    first = json.loads(cache.read_text(encoding="utf-8").splitlines()[0])
    assert first["id"] == sorted(pydoc_topics())[0]


def expected_passages(max_chars: int) -> list[Passage]:
    topics = pydoc_topics()
    return [
        passage
        for line, name in enumerate(sorted(topics))
        for passage in split_document(Passage(name, topics[name], Source(DEFAULT_CORPUS_URI, line), name), max_chars)
    ]


def test_read_corpus_reads_the_default_corpus_by_default(cache: Path) -> None:
    expected = expected_passages(2000)
    assert len(expected) > len(pydoc_topics())
    with TestPipeline() as p:
        out = p | ReadCorpus()
        assert_that(out.main, equal_to(expected))
        assert_that(out.dead_letter, equal_to([]), label="NoDeadLetters")
    assert cache.exists()


def test_default_corpus_ids_are_topics(cache: Path) -> None:
    with TestPipeline() as p:
        out = p | ReadCorpus(DEFAULT_CORPUS_URI, max_chars=100_000)
        ids = out.main | beam.Map(lambda passage: passage.id)
        assert_that(ids, equal_to(sorted(pydoc_topics())))
