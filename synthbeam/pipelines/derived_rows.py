"""What the recipes that make rows from rows or from seed tasks share.

Reading input rows (``--input``: rows written by a recipe, chat-format or
instruction-format JSONL/Parquet; by default the bundled seed tasks), keeping the first
``--limit`` of them, and the common tail: filters -> quality gates -> exact dedup -> split
-> Parquet, with rejects, dead letters and a manifest whose counts reconcile.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.data.corpus import DEFAULT_CORPUS_URI
from synthbeam.pipelines import common
from synthbeam.tasks.self_instruct import BUNDLED_SEED_TASKS
from synthbeam.templates import template_fixed_text
from synthbeam.transforms.accounting import CountBy, WriteManifest, dead_letter_key, filtered_key, written_key
from synthbeam.transforms.curate.dedup_exact import DeduplicateExact
from synthbeam.transforms.curate.filters import ApplyFilters, basic_filters
from synthbeam.transforms.curate.quality import STAGE as QUALITY_STAGE
from synthbeam.transforms.curate.quality import quality_gates
from synthbeam.transforms.curate.split import SplitTrainEval
from synthbeam.transforms.write.parquet import WriteParquetShards

ROWS_IN = "rows_in"
GENERATION_STAGES = ("generate", "verify_semantic")  # dead letters of model calls on rows in


def record_inputs(opts: common.SynthbeamOptions) -> list[str]:
    """``--input`` as record file patterns; the shared default (a passage corpus) means the seed tasks."""
    if opts.input == DEFAULT_CORPUS_URI:
        return [BUNDLED_SEED_TASKS]
    return common.input_patterns(opts)


def count_rows_in(label: str, collections: list[beam.PCollection]) -> beam.PCollection:
    """Counts the rows that enter curation under ``rows_in`` (every one must leave somehow)."""
    return tuple(collections) | f"{label}Flatten" >> beam.Flatten() | label >> CountBy(lambda _: ROWS_IN)


def curate_and_write(
    rows: beam.PCollection,
    opts: common.SynthbeamOptions,
    info: dict[str, object],
    rejected: list[beam.PCollection],
    dead: list[beam.PCollection],
    counts: list[beam.PCollection],
) -> beam.PCollection:
    """Filters -> quality gates -> dedup -> split -> write, plus rejects, dead letters and
    ``manifest.json``.

    ``counts`` must include a ``rows_in`` count (``count_rows_in``) of every row that
    ``rows``, ``rejected`` and ``dead`` account for. The quality gates recognise echoes of
    the templates named in ``info["templates"]``. Returns the manifest collection.
    """
    filtered = rows | "Filter" >> ApplyFilters(basic_filters(opts.min_response_chars, opts.max_response_chars))
    prompts = [template_fixed_text(name) for name in info.get("templates", {})]
    gated = filtered.main | "QualityGates" >> ApplyFilters(quality_gates(prompts), stage=QUALITY_STAGE)
    deduped = gated.main | "DeduplicateExact" >> DeduplicateExact()
    final = deduped.main | "Split" >> SplitTrainEval(eval_fraction=opts.eval_fraction, seed=opts.seed)
    final | "WriteShards" >> WriteParquetShards(opts.output)

    all_rejected, all_dead = common.write_rejects_and_dead_letters(
        (*rejected, filtered.rejected, gated.rejected, deduped.rejected), dead, opts.output
    )

    counts = [
        *counts,
        final | "CountWritten" >> CountBy(written_key),
        all_rejected | "CountFiltered" >> CountBy(filtered_key),
        all_dead | "CountDeadLetters" >> CountBy(dead_letter_key),
    ]
    manifest_path = FileSystems.join(opts.output, "manifest.json")
    return tuple(counts) | "WriteManifest" >> WriteManifest(
        manifest_path, info, ROWS_IN, GENERATION_STAGES, kept_rows=final
    )
