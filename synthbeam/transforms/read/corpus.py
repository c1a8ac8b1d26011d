"""Reading corpora (JSONL, plain text, Parquet; local or ``gs://``) into passages.

``ReadCorpus`` matches file patterns with Beam's file systems, reads each file in
``ReadFileFn`` with the pure parsers of ``formats`` and cuts documents into passages
with ``chunk.split_document``.

Accounting: "documents in" = counter ``documents_read`` + dead letters, where a file-level
dead letter (``empty_file``, ``unreadable_file``, ``truncated_file``, ``unsupported_format``,
no text column) counts as one; ``passages`` counts the output of chunking. The ``files``
output gives the same three numbers per file. A file read only in part (``reasons.INPUT_LOST``:
a cut-off or corrupt ``.gz``, a damaged Parquet file) also counts in ``files_with_input_lost``:
what it held after the damage is in no count, and the manifest says so.

``check_patterns_match`` fails a run before any work when an input pattern matches no file.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import BeamIOError, CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.pvalue import DoOutputsTuple, PBegin, TaggedOutput

from synthbeam.data import corpus
from synthbeam.paths import is_local
from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Passage
from synthbeam.transforms.outputs import DEAD_LETTER, MAIN
from synthbeam.transforms.read.chunk import split_document
from synthbeam.transforms.read.formats import (
    EXTENSIONS,
    FORMATS,
    Fields,
    Item,
    dead_letter,
    detect_format,
    read_documents,
)

FILES = "files"  # output tag of the per-file ``FileReadCounts``
BUNDLED_SCHEME = "synthbeam://"  # data shipped with the package, resolved on the worker
METRICS_NAMESPACE = "synthbeam.transforms.read"  # the counters' namespace, as runs have always reported it


class MissingInputError(SystemExit):
    """An input pattern that matches no file: the run stops before it starts, with one line
    on stderr and exit status 1 (a SystemExit, so no traceback)."""


def check_patterns_match(patterns: list[str], flag: str) -> None:
    """Raises ``MissingInputError`` naming ``flag`` and the pattern, for the first pattern
    (local or any Beam file system, e.g. ``gs://``) that matches no file."""
    for pattern in patterns:
        if pattern.startswith(BUNDLED_SCHEME):
            continue
        try:
            found = FileSystems.match([pattern])[0].metadata_list
        except (BeamIOError, ValueError) as error:  # no such bucket, no file system for the scheme
            why = " ".join(str(error).split())  # one line
            raise MissingInputError(f"synthbeam: {flag}={pattern!r} cannot be listed: {why}") from error
        if not found:
            raise MissingInputError(f"synthbeam: {flag}={pattern!r} matches no file")
        if is_local(pattern) and os.path.isdir(found[0].path):  # a glob never matches one
            raise MissingInputError(f"synthbeam: {flag}={pattern!r} is a directory; name its files: {pattern}/*")


@contextmanager
def open_file(path: str) -> Iterator[IO[bytes]]:
    """A file opened for reading, ``.gz`` decompressed with ``gzip``: data that is not gzip,
    ends early or is corrupt raises ``formats.COMPRESSED_DATA_ERRORS`` (never a silent
    end), which the readers turn into a dead letter saying how far reading got."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as raw:
        if not path.lower().endswith(".gz"):
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield unzipped


@dataclass(frozen=True)
class FileReadCounts:
    """What one file gave: documents (parsed), dead letters and passages."""

    uri: str
    documents: int
    dead_letters: int
    passages: int


class ReadFileFn(beam.DoFn):
    """Reads one file (a URI) into passages, dead letters and one ``FileReadCounts``."""

    def __init__(self, fmt: str, fields: Fields, max_chars: int, min_chars: int, overlap_chars: int) -> None:
        self._fmt = fmt
        self._fields = fields
        self._max_chars = max_chars
        self._min_chars = min_chars
        self._overlap_chars = overlap_chars
        self._files = Metrics.counter(METRICS_NAMESPACE, "files_read")
        self._documents = Metrics.counter(METRICS_NAMESPACE, "documents_read")
        self._passages = Metrics.counter(METRICS_NAMESPACE, "passages")
        self._dead_letters = Metrics.counter(METRICS_NAMESPACE, "dead_letters")
        self._input_lost = Metrics.counter(METRICS_NAMESPACE, "files_with_input_lost")

    def process(self, uri: str) -> Iterator[Passage | TaggedOutput]:
        fields, path = self._fields, uri
        fmt = detect_format(uri) if self._fmt == "auto" else self._fmt
        if uri == corpus.DEFAULT_CORPUS_URI:  # its layout is fixed, whatever the options say
            fields = Fields(text=corpus.TEXT_FIELD, id=corpus.ID_FIELD, title=corpus.TITLE_FIELD)
            path, fmt = corpus.default_corpus_path(), "jsonl"
        documents = dead = passages = 0
        for item in self._items(path, uri, fmt, fields):
            if isinstance(item, DeadLetter):
                dead += 1
                self._dead_letters.inc()
                Metrics.counter(METRICS_NAMESPACE, f"dead_letters_{item.reason}").inc()
                if item.reason in reasons.INPUT_LOST:
                    self._input_lost.inc()
                yield TaggedOutput(DEAD_LETTER, item)
                continue
            documents += 1
            for passage in split_document(item, self._max_chars, self._overlap_chars):
                passages += 1
                yield passage
        self._files.inc()
        self._documents.inc(documents)
        self._passages.inc(passages)
        yield TaggedOutput(FILES, FileReadCounts(uri, documents, dead, passages))

    def _items(self, path: str, uri: str, fmt: str | None, fields: Fields) -> Iterator[Item]:
        if fmt is None:
            known = ", ".join(sorted(EXTENSIONS))
            yield dead_letter(reasons.UNSUPPORTED_FORMAT, f"extension not one of {known}; pass format=", uri)
            return
        with open_file(path) as handle:
            yield from read_documents(handle, uri, fmt, fields, self._min_chars)


class ListFiles(beam.PTransform):
    """PBegin -> PCollection[str]: the files the patterns match, each once.

    Patterns listed in ``bundled`` (``synthbeam://...`` URIs of data shipped with the
    package) pass through unmatched; the reader resolves them on the worker.
    """

    def __init__(self, patterns: list[str], bundled: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._bundled = [p for p in patterns if p in bundled]
        self._patterns = [p for p in patterns if p not in bundled]

    def expand(self, pbegin: PBegin) -> beam.PCollection:
        uris = [pbegin | "BundledFiles" >> beam.Create(self._bundled)]
        if self._patterns:
            uris.append(
                pbegin
                | "FilePatterns" >> beam.Create(self._patterns)
                | "MatchFiles" >> fileio.MatchAll()
                | "FilePaths" >> beam.Map(lambda metadata: metadata.path)
            )
        # Distinct drops files matched twice and, being a grouping, spreads files over workers.
        return tuple(uris) | "AllFiles" >> beam.Flatten() | "DistinctFiles" >> beam.Distinct()


class ReadCorpus(beam.PTransform):
    """Reads corpus files into passages.

    Input: ``PBegin`` (apply to the pipeline). Output: a ``DoOutputsTuple`` with ``.main``
    (``Passage``: ids from ``id_field`` or ``stable_id(uri, position, chunk)``, long
    documents cut at paragraph/sentence boundaries), ``.dead_letter`` (``DeadLetter`` per
    unreadable line, row or file, with its source position and reason) and ``.files``
    (``FileReadCounts`` per file).

    Args:
        file_pattern: Glob(s), local or any Beam file system (``gs://``), or
            ``DEFAULT_CORPUS_URI`` (the default) for the bundled Python documentation
            corpus, which is always read with its own fields (id, title, text).
        format: ``auto`` (by extension: .jsonl/.json[.gz] -> jsonl, .txt/.md -> text,
            .parquet -> parquet), ``jsonl``, ``text`` or ``parquet``.
        text_field: Field holding the text (JSONL, Parquet).
        id_field: Field holding a document id, if any.
        title_field: Field holding a title, if any.
        max_chars: Longest passage, in characters.
        min_chars: Documents shorter than this (stripped) are dead-lettered ``too_short``.
        overlap_chars: Characters of the previous passage repeated at the start of the next.
    """

    def __init__(
        self,
        file_pattern: str | list[str] = corpus.DEFAULT_CORPUS_URI,
        *,
        format: str = "auto",
        text_field: str = "text",
        id_field: str | None = None,
        title_field: str | None = None,
        max_chars: int = 2000,
        min_chars: int = 1,
        overlap_chars: int = 0,
    ) -> None:
        super().__init__()
        patterns = [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)
        if not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ValueError(f"file_pattern must be a non-empty string or list of them, got {file_pattern!r}")
        if format != "auto" and format not in FORMATS:
            raise ValueError(f"format must be 'auto' or one of {FORMATS}, got {format!r}")
        if not text_field:
            raise ValueError("text_field must name a field, e.g. text_field='text'")
        if max_chars <= 0 or not 0 <= overlap_chars < max_chars or min_chars < 1:
            raise ValueError(
                f"need max_chars > overlap_chars >= 0 and min_chars >= 1, "
                f"got max_chars={max_chars}, overlap_chars={overlap_chars}, min_chars={min_chars}"
            )
        self._patterns = patterns
        self._fn = ReadFileFn(format, Fields(text_field, id_field, title_field), max_chars, min_chars, overlap_chars)

    def expand(self, pbegin: PBegin) -> DoOutputsTuple:
        return (
            pbegin
            | "ListFiles" >> ListFiles(self._patterns, bundled=(corpus.DEFAULT_CORPUS_URI,))
            | "ReadFiles" >> beam.ParDo(self._fn).with_outputs(DEAD_LETTER, FILES, main=MAIN)
        )
