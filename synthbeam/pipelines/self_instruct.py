"""Recipe ``self_instruct``: seed tasks -> new instructions -> answers -> Parquet.

    python -m synthbeam.pipelines.self_instruct --output out/self_instruct --num_prompts 20
    python -m synthbeam.pipelines.self_instruct --seed_tasks my_seeds.jsonl ...

Seed tasks are read in the Self-Instruct (``instances``) or the flat Alpaca form; a line in
neither is a dead letter. Each prompt shows ``--examples_per_prompt`` seed tasks (chosen by
hashing with ``--seed``) and asks for ``--instructions_per_prompt`` new tasks, each an
instruction and its input. Gates decide what is kept: copies of a seed task
(``copied_example``), instructions that need an image or file (``needs_non_text``), that
refer to an input they do not carry (``missing_input``) or that are too close to a seed or
an earlier kept one (``not_novel``, ROUGE-L >= 0.7) are rejected; the rest are answered,
judged when ``--judge`` is on (``InstructionJudge``, an extra filter), filtered,
deduplicated, split and written.
"""

from __future__ import annotations

import logging

import apache_beam as beam

from synthbeam.pipelines import common, derived_rows
from synthbeam.pipelines.options import SelfInstructOptions
from synthbeam.schemas.record import SamplingParams
from synthbeam.tasks.answer import AnswerInstruction
from synthbeam.tasks.judge import InstructionJudge
from synthbeam.tasks.self_instruct import (
    TASK,
    SelfInstructGenerate,
    plan_prompts,
    read_seed_tasks,
    seed_texts,
)
from synthbeam.templates import template_hash
from synthbeam.transforms.accounting import CountBy
from synthbeam.transforms.augment import NovelInstruction
from synthbeam.transforms.curate.filters import ApplyFilters
from synthbeam.transforms.generate_records import GenerateRecords
from synthbeam.transforms.self_instruct_gates import InstructionGate, KeepNovelInstructions
from synthbeam.transforms.verify.semantic import JudgeRecords, judge_endpoint_label

RECIPE = "self_instruct"


OPTIONS = SelfInstructOptions


def build(pipeline: beam.Pipeline, opts: SelfInstructOptions) -> beam.PCollection:
    """Wires the recipe onto ``pipeline``; returns the manifest collection."""
    seeds, bad_seed_lines = read_seed_tasks(opts.seed_tasks)  # a file with no seed task fails here
    config = common.llm_config_from_options(opts)  # may prepare the bundled model: after cheap checks
    generate = SelfInstructGenerate(instructions_per_prompt=opts.instructions_per_prompt)
    answer = AnswerInstruction(TASK, sampling=SamplingParams(max_tokens=opts.max_answer_tokens))
    judge = InstructionJudge()

    prompts = pipeline | "PlanPrompts" >> beam.Create(
        plan_prompts(seeds, opts.num_prompts, opts.examples_per_prompt, opts.seed, opts.seed_tasks)
    )
    seed_dead = pipeline | "UnreadableSeedLines" >> beam.Create(bad_seed_lines)
    generated = prompts | "GenerateInstructions" >> GenerateRecords(generate, config, opts.seed)
    gated = generated.main | "GateInstructions" >> ApplyFilters(
        [NovelInstruction(seed_texts(seeds)), InstructionGate()], stage="self_instruct_gates"
    )
    novel = gated.main | "KeepNovel" >> KeepNovelInstructions(seed.instruction for seed in seeds)
    answered = novel.main | "Answer" >> GenerateRecords(answer, config, opts.seed)
    rows, rejected = answered.main, [generated.rejected, gated.rejected, novel.rejected, answered.rejected]
    dead = [seed_dead, generated.dead_letter, answered.dead_letter]
    judge_config = common.judge_config_from_options(opts, config) if common.judge_enabled(opts) else None
    if judge_config is not None:
        judged = rows | "JudgeInstructions" >> JudgeRecords(judge_config, opts.seed, judge)
        rows, rejected, dead = judged.main, [*rejected, judged.rejected], [*dead, judged.dead_letter]

    counts = [
        prompts | "CountRequests" >> CountBy(lambda _: "requests"),
        seed_dead | "CountUnreadableSeeds" >> CountBy(lambda _: "seed_lines_unreadable"),
        pipeline | "SeedTasks" >> beam.Create([("seed_tasks", len(seeds))]),
        derived_rows.count_rows_in("CountRowsIn", [generated.main, generated.rejected, generated.dead_letter]),
    ]
    tasks = (generate, answer) if judge_config is None else (generate, answer, judge)
    templates = {t.template: template_hash(t.template) for t in tasks}
    info = common.run_info(RECIPE, opts, config, templates, inputs=[opts.seed_tasks])
    if judge_config is not None:
        info["judge"] = judge_endpoint_label(judge_config)
    card = (
        "synthbeam self-instruct",
        "Instructions (with their input where they need one) written by a model from seed tasks with "
        "synthbeam's `self_instruct` recipe, kept by deterministic gates with reason codes, then answered.",
    )
    return derived_rows.curate_and_write(rows, opts, info, rejected=rejected, dead=dead, counts=counts, card=card)


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> None:
    """Runs the recipe; tests pass a ``TestPipeline``."""
    common.run_recipe(build, OPTIONS, argv, test_pipeline)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
