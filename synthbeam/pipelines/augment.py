"""Recipe ``augment``: instruction rows -> the rows plus variants -> Parquet.

    python -m synthbeam.pipelines.augment --input rows.jsonl --output out/augment \\
        --methods eda,paraphrase,multi_turn --eda_per_row 4 --eda_alpha 0.1

Methods (``--methods``, comma separated):

- ``eda``: offline EDA variants (synonym replacement, random insertion, swap, deletion) of
  the user turns, seeded from each row's id; needs no model, server or network.
- ``paraphrase``: LLM paraphrases of each row's first instruction, answers kept.
- ``multi_turn``: a follow-up question and its answer for each single-turn row.

Every variant points at its parent (``lineage.parent_id``) and names its method
(``lineage.augmentation``: ``eda:<op>``, ``paraphrase``, ``multi_turn:follow_up``). The input
rows are written too. Only the LLM methods start or reach a model server.
"""

from __future__ import annotations

import logging

import apache_beam as beam

from synthbeam.pipelines import common, derived_rows
from synthbeam.pipelines.catalog import AUGMENT_METHODS
from synthbeam.pipelines.options import AugmentOptions, parse_list
from synthbeam.tasks.answer import AnswerInstruction
from synthbeam.tasks.multi_turn import FollowUpQuestion
from synthbeam.tasks.paraphrase import ParaphraseInstruction
from synthbeam.templates import template_hash
from synthbeam.transforms.accounting import CountBy
from synthbeam.transforms.augment import AugmentEDA, ExtendConversations, ParaphraseInstructions
from synthbeam.transforms.read import ReadRecords

RECIPE = "augment"
METHODS = AUGMENT_METHODS


OPTIONS = AugmentOptions


def build(pipeline: beam.Pipeline, opts: AugmentOptions) -> beam.PCollection:
    """Wires the recipe onto ``pipeline``; returns the manifest collection."""
    methods = parse_list(opts.methods, "methods", METHODS)
    inputs = derived_rows.record_inputs(opts)
    read = pipeline | "ReadRecords" >> ReadRecords(inputs)
    originals = read.main | "Limit" >> common.TakeFirst(opts.limit)
    rows, rejected, dead, templates = [originals], [], [read.dead_letter], []
    if "eda" in methods:
        ops, roles = parse_list(opts.eda_ops, "eda_ops"), parse_list(opts.eda_roles, "eda_roles")
        rows = [originals | "AugmentEDA" >> AugmentEDA(ops, opts.eda_per_row, opts.eda_alpha, opts.seed, roles)]
    rows_in = list(rows)  # the originals (and EDA variants) each count as one row in
    config = common.llm_config_from_options(opts) if {"paraphrase", "multi_turn"} & set(methods) else None
    if "paraphrase" in methods:
        per_row = opts.paraphrases_per_row
        paraphrased = originals | "Paraphrase" >> ParaphraseInstructions(config, per_row, opts.seed)
        rows.append(paraphrased.main)
        rows_in.append(paraphrased.requests)
        rejected.append(paraphrased.rejected)
        dead.append(paraphrased.dead_letter)
        templates.append(ParaphraseInstruction().template)
    if "multi_turn" in methods:
        extended = originals | "MultiTurn" >> ExtendConversations(config, opts.seed, opts.max_answer_tokens)
        rows.append(extended.main)
        rows_in.append(extended.requests)
        rejected.append(extended.rejected)
        dead.append(extended.dead_letter)
        templates += [FollowUpQuestion().template, AnswerInstruction().template]

    counts = [
        originals | "CountInputRows" >> CountBy(lambda _: "input_rows"),
        derived_rows.count_rows_in("CountRowsIn", rows_in),
    ]
    all_rows = tuple(rows) | "AllRows" >> beam.Flatten()
    info = common.run_info(RECIPE, opts, config, {t: template_hash(t) for t in templates}, inputs)
    info["methods"] = list(methods)
    card = (
        "synthbeam augmented rows",
        "Rows and their variants made by synthbeam's `augment` recipe: offline EDA edits that leave code "
        "tokens and terms of art alone, LLM paraphrases and multi-turn follow-ups; every variant names its "
        "parent in `lineage.parent_id` and how it was made in `lineage.augmentation`.",
    )
    return derived_rows.curate_and_write(all_rows, opts, info, rejected=rejected, dead=dead, counts=counts, card=card)


def run(argv: list[str] | None = None, test_pipeline: beam.Pipeline | None = None) -> None:
    """Runs the recipe; tests pass a ``TestPipeline``."""
    common.run_recipe(build, OPTIONS, argv, test_pipeline)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run()
