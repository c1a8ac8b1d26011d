"""Read stage: input files (JSONL, plain text, Parquet; local or ``gs://``) into passages or rows.

- ``corpus``: ``ReadCorpus`` (files -> passages), ``ListFiles``, ``check_patterns_match``.
- ``records``: ``ReadRecords`` (existing rows -> ``Record``), for recipes that derive rows from rows.
- ``formats``: the pure per-format parsers both use (no Beam).
- ``chunk``: cutting documents into passages (no Beam).

JSON text is parsed by ``synthbeam.json_text``, shared with the parsers of model output.
"""

from synthbeam.transforms.read.chunk import chunk_text, split_document
from synthbeam.transforms.read.corpus import (
    FileReadCounts,
    ListFiles,
    MissingInputError,
    ReadCorpus,
    check_patterns_match,
    open_file,
)
from synthbeam.transforms.read.formats import FORMATS, Fields, detect_format, read_documents
from synthbeam.transforms.read.records import ReadRecords, record_from_object

__all__ = [
    "FORMATS",
    "Fields",
    "FileReadCounts",
    "ListFiles",
    "MissingInputError",
    "ReadCorpus",
    "ReadRecords",
    "check_patterns_match",
    "chunk_text",
    "detect_format",
    "open_file",
    "read_documents",
    "record_from_object",
    "split_document",
]
