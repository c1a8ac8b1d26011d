"""Runs a generation task: items -> prompts -> completions -> parsed records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from synthbeam.llm.config import LLMConfig
from synthbeam.schemas import reasons
from synthbeam.schemas.record import ChatRequest, Completion, Lineage, Record, Rejected, Source, stable_id
from synthbeam.tasks.base import GenerationTask, ParseError, build_request, stamp_lineage
from synthbeam.transforms.generate import GenerateCompletions
from synthbeam.transforms.outputs import MAIN, REJECTED, StageOutputs

PARSE_STAGE = "parse"


def item_source(item: Any) -> Source:
    """The corpus position an item came from, wherever the item keeps it."""
    for holder in (item, getattr(item, "passage", None), getattr(item, "record", None)):
        source = getattr(holder, "source", None)
        if isinstance(source, Source):
            return source
    return Source()


def unparsed_record(task: GenerationTask[Any], request: ChatRequest, completion: Completion, item: Any) -> Record:
    """The row kept for inspection when a completion cannot be parsed: prompt plus raw answer."""
    parent = item if isinstance(item, Record) else getattr(item, "record", None)
    return Record(
        id=stable_id(task.name, task.item_id(item)),
        task=task.name,
        messages=[*request.messages, {"role": "assistant", "content": completion.text}],
        source=item_source(item),
        lineage=Lineage(parent_id=parent.id if isinstance(parent, Record) else ""),
    )


class ParseCompletionFn(beam.DoFn):
    """(Completion, item) -> Records; unparseable completions -> ``Rejected`` with the raw text."""

    def __init__(self, task: GenerationTask[Any]) -> None:
        self._task = task
        self._rows = Metrics.counter("parse", f"{task.name}_rows")
        self._failures = Metrics.counter("parse", f"{task.name}_failed")

    def process(self, element: tuple[Completion, tuple[ChatRequest, Any]]) -> Iterator[Any]:
        completion, (request, item) = element
        try:
            records = self._task.format_output(completion, item)
            if not records:  # every completion leaves as rows or as a reject, never as nothing
                raise ParseError(reasons.EMPTY, "the completion gave no rows")
        except ParseError as error:
            self._failures.inc()
            row = stamp_lineage(unparsed_record(self._task, request, completion, item), self._task, request, completion)
            reason = reasons.TRUNCATED if completion.finish_reason == "length" else error.reason
            yield beam.pvalue.TaggedOutput(REJECTED, Rejected(row, PARSE_STAGE, reason, error.detail))
            return
        for record in records:
            self._rows.inc()
            yield stamp_lineage(record, self._task, request, completion)


class GenerateRecords(beam.PTransform):
    """Asks the model once per item and parses each completion into records.

    Input: PCollection of the task's item type. Output: ``StageOutputs`` with ``main``
    (Record), ``rejected`` (Rejected: unparseable completions, raw text kept) and
    ``dead_letter`` (DeadLetter: requests the model could not answer).

    ``usage_stage`` names the step in the run's usage counters and cost figures
    (``transforms.usage``); default: the task's name.
    """

    def __init__(
        self, task: GenerationTask[Any], llm_config: LLMConfig, run_seed: int = 0, usage_stage: str = ""
    ) -> None:
        super().__init__()
        self._task = task
        self._config = llm_config
        self._run_seed = run_seed
        self._usage_stage = usage_stage or task.name

    def expand(self, items: beam.PCollection) -> StageOutputs:
        task, seed = self._task, self._run_seed
        requests = items | "BuildRequests" >> beam.Map(lambda item: (build_request(task, item, seed), item))
        # The request travels with its item so the parser can stamp lineage.
        keyed = requests | "KeepRequest" >> beam.Map(lambda pair: (pair[0], pair))
        generated = keyed | "Generate" >> GenerateCompletions(self._config, usage_stage=self._usage_stage)
        parsed = generated.main | "Parse" >> beam.ParDo(ParseCompletionFn(task)).with_outputs(REJECTED, main=MAIN)
        return StageOutputs(parsed.main, parsed.rejected, generated.dead_letter)
