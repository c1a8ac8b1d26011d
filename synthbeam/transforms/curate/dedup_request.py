"""One row per request: rows whose normalised user turn is the same keep the smallest id.

``DeduplicateExact`` compares whole conversations, so two tool-use rows that ask the same
thing with different calls both survive it; a model trained on them learns that one request
has two answers. This stage keys on the request alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from synthbeam.schemas.reasons import DUPLICATE_REQUEST
from synthbeam.schemas.record import Record, Rejected
from synthbeam.tools.calls import query_of
from synthbeam.transforms.curate.text import normalise
from synthbeam.transforms.outputs import MAIN, REJECTED

STAGE = "dedup_request"


def request_key(record: Record) -> bytes:
    """A digest of the first user turn, NFKC-lowercased, punctuation and extra spaces removed."""
    text = normalise(query_of(record), strip_punctuation=True)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class KeepFirstRequestFn(beam.DoFn):
    """(key, records) -> the smallest-id record (main); the others ``Rejected`` (tagged ``rejected``)."""

    def __init__(self) -> None:
        self._kept = Metrics.counter(STAGE, "kept")
        self._dropped = Metrics.counter(STAGE, DUPLICATE_REQUEST)

    def process(self, keyed: tuple[bytes, Iterable[Record]]) -> Iterator[object]:
        _, group = keyed
        records = sorted(group, key=lambda r: r.id)  # groups are small: one request's rows
        self._kept.inc()
        yield records[0]
        for record in records[1:]:
            self._dropped.inc()
            yield pvalue.TaggedOutput(REJECTED, Rejected(record, STAGE, DUPLICATE_REQUEST, records[0].id))


class DeduplicateRequests(beam.PTransform):
    """Drops rows whose request another row already asks.

    Input: ``PCollection[Record]``. Output: ``DoOutputsTuple`` with ``.main`` (``Record``) and
    ``.rejected`` (``Rejected``, stage ``dedup_request``, reason ``duplicate_request``, detail
    the kept row's id).
    """

    def expand(self, records: beam.PCollection) -> pvalue.DoOutputsTuple:
        return (
            records
            | "KeyByRequest" >> beam.Map(lambda r: (request_key(r), r))
            | "GroupByRequest" >> beam.GroupByKey()
            | "KeepSmallestId" >> beam.ParDo(KeepFirstRequestFn()).with_outputs(REJECTED, main=MAIN)
        )
