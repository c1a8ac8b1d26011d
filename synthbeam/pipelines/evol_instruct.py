"""Recipe ``evol_instruct``: instruction rows -> harder rewrites -> answers -> Parquet.

    python -m synthbeam.pipelines.evol_instruct --input out/instructions/train/*.parquet \\
        --output out/evol --evol_modes constraints,deepen,concretize

``--input`` takes rows written by another recipe, chat-format or instruction-format
JSONL/Parquet (default: the bundled seed tasks). Each row's first instruction is rewritten
once per mode (``lineage.augmentation="evol:<mode>"``, ``lineage.parent_id`` the row's id);
rewrites that repeat the instruction, copy the prompt's example or stop reading as an
instruction are rejected with that reason, the rest are answered and curated.
"""

from __future__ import annotations

import logging

import apache_beam as beam

from synthbeam.pipelines import common, derived_rows
from synthbeam.pipelines.options import EvolInstructOptions, parse_list
from synthbeam.tasks.answer import AnswerInstruction
from synthbeam.tasks.evol import MODES, TASK, EvolInstruction
from synthbeam.templates import template_hash
from synthbeam.transforms.accounting import CountBy
from synthbeam.transforms.augment import EvolveInstructions
from synthbeam.transforms.read import ReadRecords

RECIPE = "evol_instruct"


OPTIONS = EvolInstructOptions


def parse_modes(text: str) -> tuple[str, ...]:
    return parse_list(text, "evol_modes", MODES)


def build(pipeline: beam.Pipeline, opts: EvolInstructOptions) -> beam.PCollection:
    """Wires the recipe onto ``pipeline``; returns the manifest collection."""
    modes = parse_modes(opts.evol_modes)
    config = common.llm_config_from_options(opts)
    inputs = derived_rows.record_inputs(opts)
    read = pipeline | "ReadRecords" >> ReadRecords(inputs)
    records = read.main | "Limit" >> common.TakeFirst(opts.limit)
    evolve = EvolveInstructions(
        config, modes, opts.seed, answer_max_tokens=opts.max_answer_tokens, rounds=opts.evol_rounds
    )
    evolved = records | "Evolve" >> evolve

    rows = evolved.main
    rows_in = [evolved.requests]  # each request ends as one row written, filtered or dead-lettered
    if opts.keep_originals:
        rows = (rows, records) | "WithOriginals" >> beam.Flatten()
        rows_in.append(records)
    counts = [
        records | "CountInputRows" >> CountBy(lambda _: "input_rows"),
        derived_rows.count_rows_in("CountRowsIn", rows_in),
    ]
    templates = [EvolInstruction().template, AnswerInstruction().template]
    info = common.run_info(RECIPE, opts, config, {t: template_hash(t) for t in templates}, inputs)
    info.update(evol_modes=list(modes), evol_rounds=opts.evol_rounds, task=TASK)
    card = (
        "synthbeam evol-instruct",
        "Rewrites of existing instructions (added constraints, deepened, concretised, ...) made by "
        "synthbeam's `evol_instruct` recipe and answered; each row names its parent in `lineage.parent_id`.",
    )
    return derived_rows.curate_and_write(
        rows,
        opts,
        info,
        rejected=[evolved.rejected],
        dead=[read.dead_letter, evolved.dead_letter],
        counts=counts,
        card=card,
    )


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> None:
    """Runs the recipe; tests pass a ``TestPipeline``."""
    common.run_recipe(build, OPTIONS, argv, test_pipeline)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
