"""What the recipes that make rows from rows or from seed tasks share.

Reading input rows (``--input``: rows written by a recipe, chat-format or
instruction-format JSONL/Parquet; by default the bundled seed tasks), keeping the first
``--limit`` of them, and the common tail: filters -> quality gates -> ``Curate`` (exact and
near dedup, decontaminate, split, oversample, Parquet, dataset card), with rejects, dead
letters and a manifest whose counts reconcile.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.data.corpus import DEFAULT_CORPUS_URI
from synthbeam.pipelines.curation import curation_settings
from synthbeam.pipelines.options import SynthbeamOptions, input_patterns
from synthbeam.tasks.self_instruct import BUNDLED_SEED_TASKS
from synthbeam.templates import template_fixed_text
from synthbeam.transforms.accounting import CountBy, WriteManifest
from synthbeam.transforms.curate.curate import Curate
from synthbeam.transforms.curate.filters import STAGE as FILTERS_STAGE
from synthbeam.transforms.curate.filters import basic_filters
from synthbeam.transforms.curate.quality import STAGE as QUALITY_STAGE
from synthbeam.transforms.curate.quality import quality_gates

ROWS_IN = "rows_in"
GENERATION_STAGES = ("generate", "verify_semantic")  # dead letters of model calls on rows in


def record_inputs(opts: SynthbeamOptions) -> list[str]:
    """``--input`` as record file patterns; the shared default (a passage corpus) means the seed tasks."""
    if opts.input == DEFAULT_CORPUS_URI:
        return [BUNDLED_SEED_TASKS]
    return input_patterns(opts)


def count_rows_in(label: str, collections: list[beam.PCollection]) -> beam.PCollection:
    """Counts the rows that enter curation under ``rows_in`` (every one must leave somehow)."""
    return tuple(collections) | f"{label}Flatten" >> beam.Flatten() | label >> CountBy(lambda _: ROWS_IN)


def curate_and_write(
    rows: beam.PCollection,
    opts: SynthbeamOptions,
    info: dict[str, object],
    rejected: list[beam.PCollection],
    dead: list[beam.PCollection],
    counts: list[beam.PCollection],
    card: tuple[str, str] = ("synthbeam dataset", ""),
) -> beam.PCollection:
    """Filters -> quality gates -> ``Curate`` (dedup, decontaminate, split, oversample, Parquet,
    card), plus rejects, dead letters and ``manifest.json``.

    ``counts`` must include a ``rows_in`` count (``count_rows_in``) of every row that
    ``rows``, ``rejected`` and ``dead`` account for. The quality gates recognise echoes of
    the templates named in ``info["templates"]``; ``card`` is the card's (title, description).
    Returns the manifest collection.
    """
    prompts = [template_fixed_text(name) for name in info.get("templates", {})]
    filters = [
        (FILTERS_STAGE, basic_filters(opts.min_response_chars, opts.max_response_chars)),
        (QUALITY_STAGE, quality_gates(prompts)),
    ]
    curated = rows | "Curate" >> Curate(
        curation_settings(opts, *card, info), filters=filters, rejected=rejected, dead_letter=dead
    )
    manifest_path = FileSystems.join(opts.output, "manifest.json")
    return (*counts, curated.counts) | "WriteManifest" >> WriteManifest(
        manifest_path, info, ROWS_IN, GENERATION_STAGES, kept_rows=curated.rows
    )
