"""The curation tail every recipe ends with, so every recipe honours the same flags.

filters -> exact dedup -> near dedup (across families: an original and its augmented variants
are never each other's duplicates) -> decontaminate -> verify stages (execution, LLM judge:
costly, so they see only rows that survived the cheap stages) -> split -> oversample (train
split only) -> Parquet shards, rejected rows, dead letters and the dataset card.

Counts for the manifest: ``kept/<stage>`` for every stage here (zero when nothing passed, so
a manifest always shows each one), ``added/oversample/<label>``, and ``written``,
``filtered`` and ``dead_lettered`` over everything the recipe rejected upstream and here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.schemas.record import Record
from synthbeam.transforms.accounting import CountBy, dead_letter_key, filtered_key, shard_rows
from synthbeam.transforms.curate import decontaminate, dedup_exact, near_pairs
from synthbeam.transforms.curate import oversample as oversample_stage
from synthbeam.transforms.curate.decontaminate import Decontaminate
from synthbeam.transforms.curate.dedup_exact import DeduplicateExact
from synthbeam.transforms.curate.dedup_near import DeduplicateNear
from synthbeam.transforms.curate.filters import ApplyFilters, RecordFilter
from synthbeam.transforms.curate.near_families import KeepOneFamilyPerCluster
from synthbeam.transforms.curate.oversample import Oversample
from synthbeam.transforms.curate.split import SplitTrainEval
from synthbeam.transforms.outputs import StageOutputs
from synthbeam.transforms.write.card_writer import WriteDatasetCard
from synthbeam.transforms.write.dead_letters import WriteDeadLetters
from synthbeam.transforms.write.parquet import WriteParquetShards, WriteRejects

CURATION_STAGES = (dedup_exact.STAGE, near_pairs.STAGE, decontaminate.STAGE)


@dataclass(frozen=True)
class CurationSettings:
    """What the curation flags ask for (``settings_from_options`` reads them)."""

    output: str
    eval_fraction: float = 0.1
    near_dup_threshold: float = 0.8
    eval_sets: Mapping[str, str] = field(default_factory=dict)
    oversample: str | int | None = None  # None: off; "max"; or rows per class
    oversample_max_factor: float = 3.0
    seed: int = 0
    pretty_name: str = "synthbeam dataset"
    description: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)  # recipe, inputs, model, seed, templates


class Curated(NamedTuple):
    rows: beam.PCollection  # the written rows (split set, copies included)
    shards: beam.PCollection  # WrittenShard
    rejected: beam.PCollection  # every Rejected of the run
    dead_letter: beam.PCollection  # every DeadLetter of the run
    counts: beam.PCollection  # (key, n) for the manifest


def _kept(stage: str) -> CountBy:
    return CountBy(lambda _: f"kept/{stage}")


class Curate(beam.PTransform):
    """Curates, splits, balances and writes the rows a recipe made.

    Input: ``PCollection[Record]``. ``filters``: ``(stage, filters)`` pairs applied first;
    ``verify``: ``(stage, transform)`` pairs whose output has ``.main`` and ``.rejected`` (and
    ``.dead_letter`` when the stage calls a model); ``rejected`` / ``dead_letter``: what the
    recipe dropped before, written and counted with this stage's; ``label_fn``: the class of a
    row for oversampling (default: its label; the split is stratified by label).
    Output: ``Curated``.
    """

    def __init__(
        self,
        settings: CurationSettings,
        *,
        filters: Sequence[tuple[str, Sequence[RecordFilter]]] = (),
        verify: Sequence[tuple[str, beam.PTransform]] = (),
        rejected: Sequence[beam.PCollection] = (),
        dead_letter: Sequence[beam.PCollection] = (),
        label_fn: Callable[[Record], str] | None = None,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._filters = filters
        self._verify = verify
        self._rejected = list(rejected)
        self._dead = list(dead_letter)
        self._label_fn = label_fn

    def expand(self, rows: beam.PCollection) -> Curated:
        s = self._settings
        rejected, dead, stages = list(self._rejected), list(self._dead), []
        for stage, filters in self._filters:
            out = rows | f"Filter_{stage}" >> ApplyFilters(filters, stage=stage)
            rows, rejected = out.main, [*rejected, out.rejected]
        rows = self._deduplicate(rows, rejected, stages)
        for stage, transform in self._verify:
            out = rows | f"Verify_{stage}" >> transform
            rows, rejected = out.main, [*rejected, out.rejected]
            dead += [out.dead_letter] if isinstance(out, StageOutputs) else []
            stages.append((stage, rows))
        rows = rows | "Split" >> SplitTrainEval(eval_fraction=s.eval_fraction, seed=s.seed)
        balanced = None
        if s.oversample is not None:  # the training split only: eval keeps each row once
            balanced = rows | "Oversample" >> Oversample(
                target=s.oversample,
                max_factor=s.oversample_max_factor,
                seed=s.seed,
                only_split="train",
                label_fn=self._label_fn,
            )
            rows = balanced["main"]
        stages.append((oversample_stage.STAGE, rows))
        shards = rows | "WriteShards" >> WriteParquetShards(s.output)
        all_rejected = tuple(rejected) | "AllRejected" >> beam.Flatten(pipeline=rows.pipeline)
        all_rejected | "WriteRejects" >> WriteRejects(FileSystems.join(s.output, "rejected"))
        all_dead = tuple(dead) | "AllDeadLetters" >> beam.Flatten(pipeline=rows.pipeline)
        all_dead | "WriteDeadLetters" >> WriteDeadLetters(s.output)
        card: dict[str, Any] = {"shards": shards, "records": rows, "rejected": all_rejected}
        if balanced is not None:
            card["class_counts"] = balanced["class_counts"]
        card | "WriteDatasetCard" >> WriteDatasetCard(
            s.output, pretty_name=s.pretty_name, description=s.description, facts=dict(s.facts)
        )
        counts = self._counts(rows, shards, all_rejected, all_dead, stages)
        return Curated(rows, shards, all_rejected, all_dead, counts)

    def _deduplicate(self, rows: beam.PCollection, rejected: list, stages: list) -> beam.PCollection:
        """Exact, then near (across families), then decontamination; appends their rejects
        and kept rows to ``rejected`` and ``stages``."""
        s = self._settings
        exact = rows | "DeduplicateExact" >> DeduplicateExact()
        clustered = exact.main | "DeduplicateNear" >> DeduplicateNear(
            threshold=s.near_dup_threshold, seed=s.seed, drop=False
        )
        near = clustered.main | "KeepOneFamilyPerCluster" >> KeepOneFamilyPerCluster()
        rows = near.main
        rejected += [exact.rejected, near.rejected]
        if s.eval_sets:
            clean = rows | "Decontaminate" >> Decontaminate(dict(s.eval_sets))
            rows = clean.main
            rejected.append(clean.rejected)
        stages += [(dedup_exact.STAGE, exact.main), (near_pairs.STAGE, near.main), (decontaminate.STAGE, rows)]
        return rows

    def _counts(
        self,
        rows: beam.PCollection,
        shards: beam.PCollection,
        rejected: beam.PCollection,
        dead: beam.PCollection,
        stages: list,
    ) -> beam.PCollection:
        label_of = self._label_fn or (lambda r: r.label)
        counts = (
            rows.pipeline | "StageSeeds" >> beam.Create([(f"kept/{stage}", 0) for stage, _ in stages]),
            *(kept | f"CountKept_{stage}" >> _kept(stage) for stage, kept in stages),
            rows
            | "Copies" >> beam.Filter(lambda r: bool(r.lineage.oversampled_from))
            | "CountAdded" >> CountBy(lambda r: f"added/oversample/{label_of(r)}"),
            shards | "CountWritten" >> CountBy(shard_rows, weighted=True),
            rejected | "CountFiltered" >> CountBy(filtered_key),
            dead | "CountDeadLetters" >> CountBy(dead_letter_key),
        )
        return counts | "AllCounts" >> beam.Flatten() | "SumCounts" >> beam.CombinePerKey(sum)
