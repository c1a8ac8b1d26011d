"""Stage 3, semantic: an LLM judge grades each row against its task's rubric.

Runs a judge task (``ToolUseJudge``, ``InstructionJudge``) through ``GenerateCompletions``
(the verdict schema is sent as structured output). A row is kept when the verdict passes
and its reason agrees; a failing verdict rejects it with ``judge_rejected``, a passing one
whose reason finds fault with ``judge_contradiction``, one with an empty or boilerplate
reason with ``judge_no_reason``, and an unreadable verdict with the parse reason. The judge
is an extra filter after the deterministic ones, never the only one.
"""

from __future__ import annotations

import apache_beam as beam

from synthbeam.llm.config import LLMConfig
from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Record
from synthbeam.tasks.base import ParseError, build_request
from synthbeam.tasks.judge import InstructionJudge, ToolUseJudge, verdict_problem
from synthbeam.transforms.checks import ApplyCheckFn, Drop
from synthbeam.transforms.generate import GenerateCompletions
from synthbeam.transforms.outputs import MAIN, REJECTED, StageOutputs

STAGE = "verify_semantic"
JudgeTask = ToolUseJudge | InstructionJudge


def judge_endpoint_label(config: LLMConfig) -> str:
    """Where the judge's requests go, as recorded in ``meta.judge.endpoint``."""
    return config.endpoint or f"managed:{config.model}"


def apply_verdict(task: JudgeTask, completion: Completion, record: Record, endpoint: str = "") -> Record | Drop:
    """The judged record when its verdict passes and its reason agrees, else a ``Drop``
    naming the row to reject (the judged one, verdict in ``meta.judge``, once it parsed)."""
    try:
        (judged,) = task.format_output(completion, record)
    except ParseError as error:
        return Drop(error.reason, f"{error.detail} | {completion.text[:300]}", record)
    if endpoint:
        judged = judged.with_meta(judge={**judged.meta_dict()["judge"], "endpoint": endpoint})
    verdict = judged.meta_dict()["judge"]
    if not verdict["passes"]:
        return Drop(reasons.JUDGE_REJECTED, verdict["reason"][:500], judged)
    problem = verdict_problem(verdict["reason"], True, task.declined(record))
    if problem is not None:
        return Drop(problem, verdict["reason"][:500], judged)
    return judged


class VerdictCheck:
    """The semantic stage's check: ``(Completion, Record)`` -> ``apply_verdict``."""

    def __init__(self, task: JudgeTask, endpoint: str = "") -> None:
        self._task = task
        self._endpoint = endpoint

    def __call__(self, element: tuple[Completion, Record]) -> Record | Drop:
        return apply_verdict(self._task, *element, endpoint=self._endpoint)


class JudgeRecords(beam.PTransform):
    """Semantic verification of finished rows by an LLM judge with the task's rubric.

    Input: ``PCollection[Record]``. Output: ``StageOutputs`` with ``main`` (``Record`` with
    ``meta.judge = {reason, verdict, passes, rubric, model, endpoint}``), ``rejected``
    (``Rejected``, stage ``verify_semantic``) and ``dead_letter`` (``DeadLetter`` from the
    LLM layer, stage ``verify_semantic``).

    Args:
        llm_config: The judge's model and server; ``judge_config_from_options`` builds it
            from ``--judge_model`` / ``--judge_endpoint`` (default: the generator's).
        run_seed: Run seed; each request's seed derives from it and the row id.
        task: The rubric: ``ToolUseJudge()`` or ``InstructionJudge()``.
    """

    def __init__(self, llm_config: LLMConfig, run_seed: int, task: JudgeTask) -> None:
        super().__init__()
        self._config = llm_config
        self._seed = run_seed
        self._task = task

    def expand(self, records: beam.PCollection) -> StageOutputs:
        task, seed = self._task, self._seed
        requests = records | "BuildRequests" >> beam.Map(lambda record: (build_request(task, record, seed), record))
        # Its own stage, so the manifest tells the judge's failures from the generator's.
        generated = requests | "Judge" >> GenerateCompletions(self._config, stage=STAGE)
        check = VerdictCheck(task, judge_endpoint_label(self._config))
        verdicts = generated.main | "ApplyVerdict" >> beam.ParDo(
            ApplyCheckFn(check, STAGE, dropped_counter="dropped")
        ).with_outputs(REJECTED, main=MAIN)
        return StageOutputs(verdicts.main, verdicts.rejected, generated.dead_letter)


class JudgeToolCalls(JudgeRecords):
    """``JudgeRecords`` with the tool-use rubric (``ToolUseJudge``) by default."""

    def __init__(self, llm_config: LLMConfig, run_seed: int = 0, task: JudgeTask | None = None) -> None:
        super().__init__(llm_config, run_seed, task or ToolUseJudge())
