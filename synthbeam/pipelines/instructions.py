"""Recipe ``instructions``: corpus passages -> instruction/response rows -> Parquet.

    python -m synthbeam.pipelines.instructions --output out/instructions --limit 20

Read -> plan questions -> generate (vLLM) -> filter -> exact dedup -> split -> write,
with rejects, dead letters and a manifest whose counts reconcile.
"""

from __future__ import annotations

import argparse
import logging

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from synthbeam.pipelines.common import (
    SynthbeamOptions,
    TakeFirst,
    input_patterns,
    llm_config_from_options,
    oversample_target,
    parse_eval_sets,
    parse_list,
    run_info,
    run_recipe,
    write_rejects_and_dead_letters,
)
from synthbeam.tasks.instructions import QUESTION_TYPES, InstructionsFromPassage, seeds_for_passage
from synthbeam.templates import template_hash
from synthbeam.transforms.accounting import CountBy, WriteManifest, dead_letter_key, filtered_key, shard_rows
from synthbeam.transforms.curate.decontaminate import Decontaminate
from synthbeam.transforms.curate.dedup_exact import DeduplicateExact
from synthbeam.transforms.curate.dedup_near import DeduplicateNear
from synthbeam.transforms.curate.filters import ApplyFilters, basic_filters
from synthbeam.transforms.curate.oversample import Oversample
from synthbeam.transforms.curate.split import SplitTrainEval
from synthbeam.transforms.generate_records import GenerateRecords
from synthbeam.transforms.read import ReadCorpus
from synthbeam.transforms.write.dataset_card import WriteDatasetCard
from synthbeam.transforms.write.parquet import WriteParquetShards

RECIPE = "instructions"
CARD_DESCRIPTION = (
    "Instruction/response pairs generated from corpus passages by synthbeam's `instructions` recipe. "
    "Every row records its source passage, prompt template hash, model, sampling parameters and seed."
)
REQUESTS_KEY = "requests"


class InstructionsOptions(SynthbeamOptions, PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("instructions recipe")
        group.add_argument("--per_passage", type=int, default=2, help="Instruction/response pairs asked per passage.")
        group.add_argument(
            "--question_types",
            default=",".join(QUESTION_TYPES),
            help=f"Comma-separated question types to rotate through: {', '.join(QUESTION_TYPES)}.",
        )
        group.add_argument("--max_chars", type=int, default=1500, help="Passages longer than this are chunked.")


OPTIONS = InstructionsOptions


def build(pipeline: beam.Pipeline, opts: InstructionsOptions) -> beam.PCollection:
    """Wires the recipe onto ``pipeline``; returns the manifest collection."""
    config = llm_config_from_options(opts)
    task = InstructionsFromPassage()
    question_types = parse_list(opts.question_types, "question_types")
    corpus = pipeline | "ReadCorpus" >> ReadCorpus(
        input_patterns(opts), text_field=opts.text_field, max_chars=opts.max_chars
    )
    passages = corpus.main | "Limit" >> TakeFirst(opts.limit)
    seeds = passages | "PlanQuestions" >> beam.FlatMap(seeds_for_passage, question_types, opts.per_passage)
    generated = seeds | "GenerateInstructions" >> GenerateRecords(task, config, opts.seed)
    filtered = generated.main | "Filter" >> ApplyFilters(
        basic_filters(opts.min_response_chars, opts.max_response_chars)
    )
    deduped = filtered.main | "DeduplicateExact" >> DeduplicateExact()
    near = deduped.main | "DeduplicateNear" >> DeduplicateNear(threshold=opts.near_dup_threshold)
    stage_rejects = [generated.rejected, filtered.rejected, deduped.rejected, near.rejected]
    kept = near.main
    if opts.eval_sets:
        clean = kept | "Decontaminate" >> Decontaminate(parse_eval_sets(opts.eval_sets))
        kept = clean.main
        stage_rejects.append(clean.rejected)
    target = oversample_target(opts.oversample)
    balanced = None
    if target is not None:
        balanced = kept | "Oversample" >> Oversample(
            target=target, max_factor=opts.oversample_max_factor, seed=opts.seed
        )
        kept = balanced["main"]
    rows = kept | "Split" >> SplitTrainEval(eval_fraction=opts.eval_fraction, seed=opts.seed)
    shards = rows | "WriteShards" >> WriteParquetShards(opts.output)

    rejected, dead = write_rejects_and_dead_letters(
        stage_rejects, (corpus.dead_letter, generated.dead_letter), opts.output
    )
    card_inputs = {"shards": shards, "records": rows, "rejected": rejected}
    if balanced is not None:
        card_inputs["class_counts"] = balanced["class_counts"]
    card_inputs | "WriteDatasetCard" >> WriteDatasetCard(
        opts.output, pretty_name="synthbeam instructions", description=CARD_DESCRIPTION
    )

    counts = (
        corpus.files | "CountDocuments" >> CountBy(lambda f: ("documents_read", f.documents), weighted=True),
        corpus.main | "CountPassagesRead" >> CountBy(lambda _: "passages_read"),
        passages | "CountPassagesUsed" >> CountBy(lambda _: "passages_used"),
        seeds | "CountRequests" >> CountBy(lambda _: REQUESTS_KEY),
        shards | "CountWritten" >> CountBy(shard_rows, weighted=True),
        rejected | "CountFiltered" >> CountBy(filtered_key),
        dead | "CountDeadLetters" >> CountBy(dead_letter_key),
        rows
        | "Copies" >> beam.Filter(lambda r: bool(r.lineage.oversampled_from))
        | "CountAdded" >> CountBy(lambda r: f"added/oversample/{r.label}"),
    )
    info = run_info(RECIPE, opts, config, {task.template: template_hash(task.template)})
    manifest_path = FileSystems.join(opts.output, "manifest.json")
    return counts | "WriteManifest" >> WriteManifest(manifest_path, info, REQUESTS_KEY, ("generate",))


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> None:
    """Runs the recipe; tests pass a ``TestPipeline``."""
    run_recipe(build, OPTIONS, argv, test_pipeline)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
