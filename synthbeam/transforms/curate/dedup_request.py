"""One row per request: rows whose normalised user turn is the same keep the smallest id.

``DeduplicateExact`` compares whole conversations, so two tool-use rows that ask the same
thing with different calls both survive it; a model trained on them learns that one request
has two answers. This stage keys on the request alone.
"""

from __future__ import annotations

import hashlib

import apache_beam as beam
from apache_beam import pvalue

from synthbeam.schemas.reasons import DUPLICATE_REQUEST
from synthbeam.schemas.record import Record
from synthbeam.tools.calls import query_of
from synthbeam.transforms.curate.select import SelectOnePerKey
from synthbeam.transforms.curate.text import normalised_text

STAGE = "dedup_request"


def request_key(record: Record) -> bytes:
    """A digest of the first user turn, NFKC-lowercased, punctuation and extra spaces removed."""
    text = normalised_text(query_of(record), strip_punctuation=True)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def no_preference(record: Record) -> float:
    """Every row of a request scores the same: the smallest id survives."""
    return 0.0


class DeduplicateRequests(beam.PTransform):
    """Drops rows whose request another row already asks.

    Input: ``PCollection[Record]``. Output: ``DoOutputsTuple`` with ``.main`` (``Record``) and
    ``.rejected`` (``Rejected``, stage ``dedup_request``, reason ``duplicate_request``, detail
    the kept row's id).
    """

    def expand(self, records: beam.PCollection) -> pvalue.DoOutputsTuple:
        return records | "KeepOnePerRequest" >> SelectOnePerKey(
            request_key, no_preference, DUPLICATE_REQUEST, stage=STAGE
        )
