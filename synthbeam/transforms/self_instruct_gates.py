"""Self-Instruct's gates as Beam stages: a per-row gate, then the ROUGE-L novelty pool.

``InstructionGate`` is a ``RecordFilter`` (``instruction_gate``: starts like English text,
needs no image or file, carries the input it refers to). ``KeepNovelInstructions`` runs
the novelty filter over the whole run's candidates at once: the filter is sequential by
definition (each instruction is compared with every one kept before it), so candidates
are gathered under one key and visited in id order, which is the same on every runner.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record, Rejected
from synthbeam.tasks.answer import first_instruction
from synthbeam.tasks.instruction_gates import instruction_gate, select_novel, split_input
from synthbeam.transforms.checks import Drop, RecordFilter
from synthbeam.transforms.outputs import MAIN, REJECTED, route_outcome

STAGE = "novelty"


class InstructionGate(RecordFilter):
    """Generated instructions a text model can carry out, with the input they refer to."""

    name = "instruction_gate"

    def __call__(self, record: Record) -> Record | Drop:
        problem = instruction_gate(first_instruction(record))
        return record if problem is None else Drop(problem)


def novelty_outcomes(records: Iterable[Record], seeds: tuple[str, ...]) -> Iterator[Record | Rejected]:
    """Each record (in id order) kept, or rejected ``not_novel`` naming the instruction it repeats."""
    ordered = sorted(records, key=lambda record: record.id)
    candidates = [(record.id, split_input(first_instruction(record))[0]) for record in ordered]
    outcome = select_novel(candidates, seeds)
    for record in ordered:
        close = outcome[record.id]
        if close is None:
            yield record
        else:
            yield Rejected(record, STAGE, reasons.NOT_NOVEL, f"ROUGE-L {close[0]:.2f} with: {close[1][:300]}")


class NoveltyFn(beam.DoFn):
    """(key, records) -> kept Records (main) and ``Rejected`` (tagged ``rejected``)."""

    def __init__(self, seeds: tuple[str, ...]) -> None:
        self._seeds = seeds
        self._kept = Metrics.counter(STAGE, "kept")
        self._dropped = Metrics.counter(STAGE, reasons.NOT_NOVEL)

    def process(self, element: tuple[Any, Iterable[Record]]) -> Iterator[Any]:
        for outcome in novelty_outcomes(element[1], self._seeds):
            yield route_outcome(outcome, self._kept, self._dropped)


class KeepNovelInstructions(beam.PTransform):
    """Self-Instruct's novelty filter: ROUGE-L < 0.7 against the seeds and earlier kept rows.

    Input: ``PCollection[Record]`` (one user turn each). Output: ``DoOutputsTuple`` with
    ``main`` (``Record``) and ``rejected`` (``Rejected``, stage ``novelty``, reason
    ``not_novel``). All candidates meet on one worker; the comparison is quadratic in the
    number kept, which suits the thousands a self-instruct run makes, not millions.

    Args:
        seeds: The seed instructions (without their inputs).
    """

    def __init__(self, seeds: Iterable[str]) -> None:
        super().__init__()
        self._seeds = tuple(seeds)

    def expand(self, records: beam.PCollection) -> Any:
        return (
            records
            | "OneKey" >> beam.Map(lambda record: (None, record))
            | "Gather" >> beam.GroupByKey()
            | "SelectNovel" >> beam.ParDo(NoveltyFn(self._seeds)).with_outputs(REJECTED, main=MAIN)
        )
