"""Recipe ``self_instruct``: seed tasks -> new instructions -> answers -> Parquet.

    python -m synthbeam.pipelines.self_instruct --output out/self_instruct --num_prompts 20
    python -m synthbeam.pipelines.self_instruct --seed_tasks my_seeds.jsonl ...

Each prompt shows ``--examples_per_prompt`` seed tasks (chosen by hashing with ``--seed``)
and asks for ``--instructions_per_prompt`` new ones; copies of a seed task are rejected
(``copied_example``), the rest are answered, filtered, deduplicated, split and written.
"""

from __future__ import annotations

import argparse
import logging

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from synthbeam.pipelines import common, derived_rows
from synthbeam.schemas.record import SamplingParams
from synthbeam.tasks.answer import AnswerInstruction
from synthbeam.tasks.self_instruct import (
    BUNDLED_SEED_TASKS,
    TASK,
    SelfInstructGenerate,
    load_seed_tasks,
    plan_prompts,
    seed_texts,
)
from synthbeam.templates import template_hash
from synthbeam.transforms.accounting import CountBy
from synthbeam.transforms.augment import NovelInstruction
from synthbeam.transforms.curate.filters import ApplyFilters
from synthbeam.transforms.generate_records import GenerateRecords

RECIPE = "self_instruct"


class SelfInstructOptions(common.SynthbeamOptions, PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("self_instruct recipe")
        group.add_argument(
            "--seed_tasks",
            default=BUNDLED_SEED_TASKS,
            help="Seed-task JSONL (instruction, input, output; optional id), local or gs://. Default: the bundled seed tasks.",
        )
        group.add_argument(
            "--num_prompts",
            type=int,
            default=10,
            help="Generation calls; each asks for --instructions_per_prompt instructions.",
        )
        group.add_argument(
            "--examples_per_prompt", type=int, default=5, help="Seed tasks shown as examples in each prompt."
        )
        group.add_argument(
            "--instructions_per_prompt", type=int, default=3, help="New instructions asked for per call."
        )


OPTIONS = SelfInstructOptions


def build(pipeline: beam.Pipeline, opts: SelfInstructOptions) -> beam.PCollection:
    """Wires the recipe onto ``pipeline``; returns the manifest collection."""
    seeds = load_seed_tasks(opts.seed_tasks)  # a bad seed file fails here, before any work
    config = common.llm_config_from_options(opts)  # may prepare the bundled model: after cheap checks
    generate = SelfInstructGenerate(instructions_per_prompt=opts.instructions_per_prompt)
    answer = AnswerInstruction(TASK, sampling=SamplingParams(max_tokens=opts.max_answer_tokens))

    prompts = pipeline | "PlanPrompts" >> beam.Create(
        plan_prompts(seeds, opts.num_prompts, opts.examples_per_prompt, opts.seed, opts.seed_tasks)
    )
    generated = prompts | "GenerateInstructions" >> GenerateRecords(generate, config, opts.seed)
    novel = generated.main | "NovelInstructions" >> ApplyFilters([NovelInstruction(seed_texts(seeds))])
    answered = novel.main | "Answer" >> GenerateRecords(answer, config, opts.seed)

    counts = [
        prompts | "CountRequests" >> CountBy(lambda _: "requests"),
        derived_rows.count_rows_in("CountRowsIn", [generated.main, generated.rejected, generated.dead_letter]),
    ]
    templates = {t.template: template_hash(t.template) for t in (generate, answer)}
    info = common.run_info(RECIPE, opts, config, templates, inputs=[opts.seed_tasks])
    return derived_rows.curate_and_write(
        answered.main,
        opts,
        info,
        rejected=[generated.rejected, novel.rejected, answered.rejected],
        dead=[generated.dead_letter, answered.dead_letter],
        counts=counts,
    )


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> None:
    """Runs the recipe; tests pass a ``TestPipeline``."""
    common.run_recipe(build, OPTIONS, argv, test_pipeline)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
