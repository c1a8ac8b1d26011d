"""Exact deduplication on normalised text: one shuffle, the smallest id survives."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from synthbeam.schemas.reasons import EXACT_DUPLICATE
from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.curate.text import MESSAGES, check_fields, normalised_text, record_text
from synthbeam.transforms.outputs import MAIN, REJECTED

STAGE = "dedup_exact"


def exact_key(record: Record, fields: Sequence[str], strip_punctuation: bool = False) -> bytes:
    """A 16-byte digest of the record's normalised text (short keys keep the shuffle small)."""
    text = normalised_text(record_text(record, fields), strip_punctuation)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def survivor_id(records: Iterable[Record]) -> str:
    """The id that survives among records with the same text: the smallest."""
    return min(r.id for r in records)


class KeepSurvivorFn(beam.DoFn):
    """Keeps the smallest-id record of a group; the rest go to ``rejected``.

    The group is iterated twice instead of copied, so a huge group is never held in memory.
    """

    def __init__(self) -> None:
        self._kept = Metrics.counter(STAGE, "kept")
        self._dropped = Metrics.counter(STAGE, EXACT_DUPLICATE)

    def process(self, keyed: tuple[bytes, Iterable[Record]]) -> Iterator[object]:
        _, group = keyed
        keep = survivor_id(group)
        kept = False
        for record in group:
            if record.id == keep and not kept:
                kept = True
                self._kept.inc()
                yield record
            else:
                self._dropped.inc()
                yield pvalue.TaggedOutput(REJECTED, Rejected(record, STAGE, EXACT_DUPLICATE, keep))


class DeduplicateExact(beam.PTransform):
    """Drops records whose normalised text equals another record's.

    Text is NFKC-normalised, lowercased and whitespace-collapsed (punctuation removed if
    ``strip_punctuation``). Among equal texts the record with the smallest id survives.

    Input: ``PCollection[Record]``.
    Output: ``DoOutputsTuple`` with ``.main`` (``Record``) and ``.rejected`` (``Rejected``,
    reason ``exact_duplicate``, detail the survivor's id).
    """

    def __init__(self, fields: Sequence[str] = (MESSAGES,), *, strip_punctuation: bool = False) -> None:
        super().__init__()
        self._fields = check_fields(fields)
        self._strip_punctuation = strip_punctuation

    def expand(self, pcoll: beam.PCollection) -> pvalue.DoOutputsTuple:
        fields, strip = self._fields, self._strip_punctuation
        return (
            pcoll
            | "KeyByNormalisedText" >> beam.Map(lambda r: (exact_key(r, fields, strip), r))
            | "GroupByText" >> beam.GroupByKey()
            | "KeepSmallestId" >> beam.ParDo(KeepSurvivorFn()).with_outputs(REJECTED, main=MAIN)
        )
