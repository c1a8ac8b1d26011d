"""Keep or drop: the one shape every row check has.

A check is a callable ``Record -> Record | Drop``: it returns the record (possibly
enriched) to keep it, or a ``Drop`` with a reason code from ``synthbeam.schemas.reasons``
and a detail. Filters and quality gates (``RecordFilter``: a check with a ``name``), the
verification stages and the judge's verdict are all checks; ``ApplyCheckFn`` applies one
in a pipeline, sending dropped rows to ``.rejected`` as ``Rejected`` with the stage's name,
and ``FirstDrop`` makes one check of several run in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import apache_beam as beam
from apache_beam.metrics import Metrics

from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.outputs import MAIN, REJECTED


@dataclass(frozen=True)
class Drop:
    """Why a check removed a row: a reason code and a human-readable detail.

    ``record`` is the row as the check left it, for a check that enriches the row before it
    decides (the judge's verdict in ``meta``): the rejected row then carries it. Without it
    the rejected row is the one that came in.
    """

    reason: str
    detail: str = ""
    record: Record | None = None


class RecordCheck(Protocol):
    """Returns the (possibly enriched) record to keep it, or a ``Drop``.

    A check may define ``setup()`` for heavy state; it is called once per DoFn instance.
    """

    def __call__(self, record: Record) -> Record | Drop: ...


class RecordFilter:
    """A check with a name, the detail of the rows it drops when run by ``FirstDrop``.
    Subclasses set ``name`` and implement ``__call__``."""

    name: str = "filter"

    def __call__(self, record: Record) -> Record | Drop:
        raise NotImplementedError


class FirstDrop:
    """One check made of several run in order: the first ``Drop`` wins (its detail, when it
    gives none, the name of the check that dropped the row); each check sees the record the
    one before returned."""

    def __init__(self, checks: Sequence[RecordCheck]) -> None:
        self.checks = tuple(checks)

    def setup(self) -> None:
        for check in self.checks:
            setup = getattr(check, "setup", None)
            if callable(setup):
                setup()

    def __call__(self, record: Record) -> Record | Drop:
        for check in self.checks:
            result = check(record)
            if isinstance(result, Drop):
                if result.detail:
                    return result
                return Drop(result.reason, getattr(check, "name", ""), result.record)
            record = result
        return record


def first_drop(record: Record, checks: Sequence[RecordCheck]) -> Drop | None:
    """The ``Drop`` of the first check that removes ``record`` (detail: that check's name
    when it gives none), else None."""
    result = FirstDrop(checks)(record)
    return result if isinstance(result, Drop) else None


class ApplyCheckFn(beam.DoFn):
    """Element -> the check's record (main) or ``Rejected`` (tagged ``rejected``), counted.

    The element is usually a ``Record``; a check of anything else (the judge's
    ``(Completion, Record)``) names the row in every ``Drop`` it returns.

    Args:
        check: The check.
        stage: ``Rejected.stage`` and the counters' namespace.
        dropped_counter: The name of the counter a drop adds to, ``{reason}`` standing for
            its reason code (counter ``kept`` counts the rest).
    """

    def __init__(self, check: Any, stage: str, dropped_counter: str = "dropped_{reason}") -> None:
        self._check = check
        self._stage = stage
        self._dropped_counter = dropped_counter

    def setup(self) -> None:
        setup = getattr(self._check, "setup", None)
        if callable(setup):
            setup()
        self._kept = Metrics.counter(self._stage, "kept")
        self._dropped: dict[str, Any] = {}

    def process(self, element: Any) -> Iterator[Any]:
        result = self._check(element)
        if isinstance(result, Drop):
            if result.reason not in self._dropped:
                name = self._dropped_counter.format(reason=result.reason)
                self._dropped[result.reason] = Metrics.counter(self._stage, name)
            self._dropped[result.reason].inc()
            row = element if result.record is None else result.record
            yield beam.pvalue.TaggedOutput(REJECTED, Rejected(row, self._stage, result.reason, result.detail))
            return
        self._kept.inc()
        yield result


class ApplyCheck(beam.PTransform):
    """Applies one check as a stage.

    Input: ``PCollection[Record]``. Output: ``DoOutputsTuple`` with ``.main``
    (``PCollection[Record]``, kept rows, possibly enriched by the check) and ``.rejected``
    (``PCollection[Rejected]`` with ``stage`` and the check's reason code and detail).
    Counters (namespace ``stage``): ``kept`` and ``dropped_<reason>``.
    """

    def __init__(self, check: RecordCheck, stage: str) -> None:
        super().__init__()
        self._check = check
        self._stage = stage

    def expand(self, records: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return records | "Check" >> beam.ParDo(ApplyCheckFn(self._check, self._stage)).with_outputs(REJECTED, main=MAIN)
