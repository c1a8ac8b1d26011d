"""Stage 3, semantic: an LLM judge decides whether the calls answer the query.

Runs the ``ToolUseJudge`` task through ``GenerateCompletions`` (the verdict schema is sent as
structured output). A row is kept when the verdict passes; otherwise it is rejected with
``judge_rejected``, or with the parse reason when the verdict could not be read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from synthbeam.llm.config import LLMConfig
from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Record, Rejected
from synthbeam.tasks.base import ParseError, build_request
from synthbeam.tasks.judge import ToolUseJudge
from synthbeam.transforms.generate import GenerateCompletions
from synthbeam.transforms.outputs import MAIN, REJECTED, StageOutputs

STAGE = "verify_semantic"


def apply_verdict(task: ToolUseJudge, completion: Completion, record: Record) -> Record | Rejected:
    """The judged record when it passes, else a ``Rejected`` with the judge's reason."""
    try:
        (judged,) = task.format_output(completion, record)
    except ParseError as error:
        return Rejected(record, STAGE, error.reason, f"{error.detail} | {completion.text[:300]}")
    verdict = judged.meta_dict()["judge"]
    if verdict["passes"]:
        return judged
    return Rejected(judged, STAGE, reasons.JUDGE_REJECTED, verdict["reason"][:500])


class ApplyVerdictFn(beam.DoFn):
    """(Completion, Record) -> Record (main) or ``Rejected`` (tagged ``rejected``)."""

    def __init__(self, task: ToolUseJudge) -> None:
        self._task = task

    def setup(self) -> None:
        self._kept = Metrics.counter(STAGE, "kept")
        self._dropped = Metrics.counter(STAGE, "dropped")

    def process(self, element: tuple[Completion, Record]) -> Iterator[Any]:
        outcome = apply_verdict(self._task, *element)
        if isinstance(outcome, Rejected):
            self._dropped.inc()
            yield beam.pvalue.TaggedOutput(REJECTED, outcome)
        else:
            self._kept.inc()
            yield outcome


class JudgeToolCalls(beam.PTransform):
    """Semantic verification of tool-use rows by an LLM judge.

    Input: ``PCollection[Record]`` (tool-use rows). Output: ``StageOutputs`` with ``main``
    (``Record`` with ``meta.judge = {passes, reason, model}``), ``rejected`` (``Rejected``,
    stage ``verify_semantic``) and ``dead_letter`` (``DeadLetter`` from the LLM layer, with
    stage ``verify_semantic``).
    """

    def __init__(self, llm_config: LLMConfig, run_seed: int = 0, task: ToolUseJudge | None = None) -> None:
        super().__init__()
        self._config = llm_config
        self._seed = run_seed
        self._task = task or ToolUseJudge()

    def expand(self, records: beam.PCollection) -> StageOutputs:
        task, seed = self._task, self._seed
        requests = records | "BuildRequests" >> beam.Map(lambda record: (build_request(task, record, seed), record))
        # Its own stage, so the manifest tells the judge's failures from the generator's.
        generated = requests | "Judge" >> GenerateCompletions(self._config, stage=STAGE)
        verdicts = generated.main | "ApplyVerdict" >> beam.ParDo(ApplyVerdictFn(task)).with_outputs(REJECTED, main=MAIN)
        return StageOutputs(verdicts.main, verdicts.rejected, generated.dead_letter)
