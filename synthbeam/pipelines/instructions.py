"""Recipe ``instructions``: corpus passages -> instruction/response rows -> Parquet.

    python -m synthbeam.pipelines.instructions --output out/instructions --limit 20

Two generation designs (``--generation``):

- ``answer_first`` (default; instruction backtranslation): a cleaned span of the passage is
  the response, the model writes only the request it answers, a few candidates per span;
  the quality gates and a selection step keep the best. A 135M model can carry it.
- ``question_answer``: the model writes a question of a given type and its answer in JSON;
  for strong models.

Read -> plan -> generate (vLLM) -> filters -> quality gates -> select -> ``Curate`` (exact and
near dedup, decontaminate, LLM judge, split, oversample, Parquet, card), with rejects, dead
letters and a manifest whose counts reconcile.
"""

from __future__ import annotations

import logging

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.pipelines.common import (
    TakeFirst,
    judge_config_from_options,
    judge_enabled,
    llm_config_from_options,
    run_info,
    run_recipe,
)
from synthbeam.pipelines.curation import curation_settings
from synthbeam.pipelines.options import InstructionsOptions, input_patterns, parse_list
from synthbeam.schemas import reasons
from synthbeam.tasks.backtranslate import RequestForAnswer, candidates_for_passage
from synthbeam.tasks.instructions import InstructionsFromPassage, seeds_for_passage
from synthbeam.tasks.judge import InstructionJudge
from synthbeam.templates import template_fixed_text, template_hash
from synthbeam.transforms.accounting import CountBy, WriteManifest
from synthbeam.transforms.curate.curate import Curate
from synthbeam.transforms.curate.filters import ApplyFilters, basic_filters
from synthbeam.transforms.curate.quality import ASSISTANT, USER, quality_gates
from synthbeam.transforms.curate.quality import STAGE as QUALITY_STAGE
from synthbeam.transforms.curate.select import SelectOnePerKey, normalised_request, request_score
from synthbeam.transforms.generate_records import GenerateRecords
from synthbeam.transforms.read import ReadCorpus
from synthbeam.transforms.verify.semantic import STAGE as JUDGE_STAGE
from synthbeam.transforms.verify.semantic import JudgeRecords

RECIPE = "instructions"
CARD_DESCRIPTION = (
    "Instruction/response pairs generated from corpus passages by synthbeam's `instructions` recipe: "
    "by default each response is a cleaned span of a passage and the model wrote the request it answers. "
    "Every row records its source passage, prompt template hash, model, sampling parameters and seed."
)
REQUESTS_KEY = "requests"


OPTIONS = InstructionsOptions


def plan_requests(
    passages: beam.PCollection, opts: InstructionsOptions
) -> tuple[beam.PCollection, object, beam.PCollection | None]:
    """The items to generate from, the task that turns them into rows, and (answer-first) the
    passages that gave no answer span, so that none vanishes without a count."""
    if opts.per_passage < 1 or opts.candidates_per_span < 1:
        raise ValueError("--per_passage and --candidates_per_span must be >= 1")
    if opts.generation == "answer_first":
        per_passage, per_span = opts.per_passage, opts.candidates_per_span
        planned = passages | "PlanRequests" >> beam.Map(candidates_for_passage, per_passage, per_span)
        unanswerable = planned | "WithoutSpans" >> beam.Filter(lambda candidates: not candidates)
        return planned | "Candidates" >> beam.FlatMap(lambda c: c), RequestForAnswer(), unanswerable
    question_types = parse_list(opts.question_types, "question_types")
    plan = beam.FlatMap(seeds_for_passage, question_types, opts.per_passage)
    return passages | "PlanQuestions" >> plan, InstructionsFromPassage(), None


def prompt_texts(task: object) -> list[str]:
    """What the model was shown besides the passage: the prompt-echo gate's reference."""
    extra = getattr(task, "prompt_texts", None)
    return extra() if extra else [template_fixed_text(task.template)]


def build(pipeline: beam.Pipeline, opts: InstructionsOptions) -> beam.PCollection:
    """Wires the recipe onto ``pipeline``; returns the manifest collection."""
    config = llm_config_from_options(opts)
    corpus = pipeline | "ReadCorpus" >> ReadCorpus(
        input_patterns(opts), text_field=opts.text_field, max_chars=opts.max_chars
    )
    passages = corpus.main | "Limit" >> TakeFirst(opts.limit)
    seeds, task, without_spans = plan_requests(passages, opts)
    model_roles = (USER,) if opts.generation == "answer_first" else (USER, ASSISTANT)
    generated = seeds | "GenerateInstructions" >> GenerateRecords(task, config, opts.seed)
    filtered = generated.main | "Filter" >> ApplyFilters(
        basic_filters(opts.min_response_chars, opts.max_response_chars)
    )
    gated = filtered.main | "QualityGates" >> ApplyFilters(
        quality_gates(prompt_texts(task), model_roles), stage=QUALITY_STAGE
    )
    stage_rejects = [generated.rejected, filtered.rejected, gated.rejected]
    kept = gated.main
    if opts.generation == "answer_first":
        chosen = kept | "ChooseCandidate" >> SelectOnePerKey(
            lambda r: r.meta_dict()["span"], request_score, reasons.REDUNDANT_CANDIDATE
        )
        kept, stage_rejects = chosen.main, [*stage_rejects, chosen.rejected]
    unique = kept | "OneRowPerRequest" >> SelectOnePerKey(normalised_request, request_score, reasons.DUPLICATE_REQUEST)
    templates = {task.template: template_hash(task.template)}
    verify = []
    if judge_enabled(opts):  # an extra filter after the gates, never instead of them
        judge = InstructionJudge()
        verify.append((JUDGE_STAGE, JudgeRecords(judge_config_from_options(opts, config), opts.seed, judge)))
        templates[judge.template] = template_hash(judge.template)
    info = run_info(RECIPE, opts, config, templates)
    curated = unique.main | "Curate" >> Curate(
        curation_settings(opts, "synthbeam instructions", CARD_DESCRIPTION, info),
        verify=verify,
        rejected=[*stage_rejects, unique.rejected],
        dead_letter=[corpus.dead_letter, generated.dead_letter],
    )
    rows = curated.rows

    counts = (
        corpus.files | "CountDocuments" >> CountBy(lambda f: ("documents_read", f.documents), weighted=True),
        corpus.main | "CountPassagesRead" >> CountBy(lambda _: "passages_read"),
        passages | "CountPassagesUsed" >> CountBy(lambda _: "passages_used"),
        seeds | "CountRequests" >> CountBy(lambda _: REQUESTS_KEY),
        *(
            [without_spans | "CountWithoutSpans" >> CountBy(lambda _: "passages_without_answer_span")]
            if without_spans is not None
            else []
        ),
        curated.counts,
    )
    manifest_path = FileSystems.join(opts.output, "manifest.json")
    return counts | "WriteManifest" >> WriteManifest(
        manifest_path, info, REQUESTS_KEY, ("generate", JUDGE_STAGE), kept_rows=rows
    )


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> None:
    """Runs the recipe; tests pass a ``TestPipeline``."""
    run_recipe(build, OPTIONS, argv, test_pipeline)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
