"""The shape of a verification stage: a pure check, applied by one generic transform."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import apache_beam as beam
from apache_beam.metrics import Metrics

from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.outputs import MAIN, REJECTED


@dataclass(frozen=True)
class Drop:
    """Why a check removed a row: a reason code and a human-readable detail."""

    reason: str
    detail: str = ""


class RecordCheck(Protocol):
    """Returns the (possibly enriched) record to keep it, or a ``Drop``.

    A check may define ``setup()`` for heavy state; it is called once per DoFn instance.
    """

    def __call__(self, record: Record) -> Record | Drop: ...


class ApplyCheckFn(beam.DoFn):
    """Record -> Record (main) or ``Rejected`` (tagged ``rejected``), counting both per reason."""

    def __init__(self, check: RecordCheck, stage: str) -> None:
        self._check = check
        self._stage = stage

    def setup(self) -> None:
        setup = getattr(self._check, "setup", None)
        if callable(setup):
            setup()
        self._kept = Metrics.counter(self._stage, "kept")
        self._dropped: dict[str, Any] = {}

    def process(self, record: Record) -> Iterator[Any]:
        result = self._check(record)
        if isinstance(result, Drop):
            if result.reason not in self._dropped:
                self._dropped[result.reason] = Metrics.counter(self._stage, f"dropped_{result.reason}")
            self._dropped[result.reason].inc()
            yield beam.pvalue.TaggedOutput(REJECTED, Rejected(record, self._stage, result.reason, result.detail))
            return
        self._kept.inc()
        yield result


class VerifyRecords(beam.PTransform):
    """Applies one verification check.

    Input: ``PCollection[Record]``. Output: ``DoOutputsTuple`` with ``.main``
    (``PCollection[Record]``, kept rows, possibly enriched by the check) and ``.rejected``
    (``PCollection[Rejected]`` with ``stage`` and the check's reason code).
    """

    def __init__(self, check: RecordCheck, stage: str) -> None:
        super().__init__()
        self._check = check
        self._stage = stage

    def expand(self, records: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return records | "Check" >> beam.ParDo(ApplyCheckFn(self._check, self._stage)).with_outputs(REJECTED, main=MAIN)
