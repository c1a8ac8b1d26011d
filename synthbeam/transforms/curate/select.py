"""Choosing one row among several that answer the same thing (candidates of one span, rows
that ask the same request): the best by a score survives, the rest are rejected with a reason."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.curate import wording
from synthbeam.transforms.outputs import MAIN, REJECTED

STAGE = "select"


def request_score(record: Record) -> float:
    """Higher is better: a question of 6-16 words that ends with "?" and shares words with
    its answer."""
    request = next((m.get("content") or "" for m in record.messages if m.get("role") == "user"), "")
    answer = "\n".join(m.get("content") or "" for m in record.messages if m.get("role") == "assistant")
    size = len(wording.words(request))
    shape = 1.0 if 6 <= size <= 16 else 0.5
    return shape + (0.5 if request.rstrip().endswith("?") else 0.0) + wording.coverage(request, answer)


def normalised_request(record: Record) -> str:
    request = next((m.get("content") or "" for m in record.messages if m.get("role") == "user"), "")
    return " ".join(wording.words(request))


def best_of(records: Iterable[Record], score: Callable[[Record], float]) -> str:
    """The id of the best record: highest score, then smallest id (deterministic)."""
    return min(records, key=lambda r: (-score(r), r.id)).id


class KeepBestFn(beam.DoFn):
    def __init__(self, score: Callable[[Record], float], reason: str, stage: str = STAGE) -> None:
        self._score, self._reason, self._stage = score, reason, stage

    def setup(self) -> None:
        self._kept = Metrics.counter(self._stage, "kept")
        self._dropped = Metrics.counter(self._stage, self._reason)

    def process(self, keyed: tuple[str, Iterable[Record]]) -> Iterator[object]:
        _, group = keyed
        keep = best_of(group, self._score)
        for record in group:
            if record.id == keep:
                self._kept.inc()
                yield record
            else:
                self._dropped.inc()
                yield pvalue.TaggedOutput(REJECTED, Rejected(record, self._stage, self._reason, keep))


class SelectOnePerKey(beam.PTransform):
    """Keeps the best-scoring record of each key.

    Input: ``PCollection[Record]``. Output: ``DoOutputsTuple`` with ``.main`` (``Record``)
    and ``.rejected`` (``Rejected``, ``stage`` (default ``select``), ``reason``, detail the
    survivor's id).
    """

    def __init__(
        self, key: Callable[[Record], object], score: Callable[[Record], float], reason: str, stage: str = STAGE
    ) -> None:
        super().__init__()
        self._key, self._score, self._reason, self._stage = key, score, reason, stage

    def expand(self, pcoll: beam.PCollection) -> pvalue.DoOutputsTuple:
        key = self._key
        return (
            pcoll
            | "KeyBy" >> beam.Map(lambda r: (key(r), r))
            | "Group" >> beam.GroupByKey()
            | "KeepBest"
            >> beam.ParDo(KeepBestFn(self._score, self._reason, self._stage)).with_outputs(REJECTED, main=MAIN)
        )
