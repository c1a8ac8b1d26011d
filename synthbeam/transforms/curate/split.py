"""Deterministic train/eval split by id hash, keeping near-duplicate clusters together."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from synthbeam.schemas.record import Record
from synthbeam.transforms.curate.dedup_near import CLUSTER_META_KEY
from synthbeam.transforms.curate.oversample import label_column, unit_hash

STAGE = "split"
TRAIN = "train"
EVAL = "eval"


def split_group(record: Record, group_key: str | None) -> tuple[str, bool]:
    """The unit that is split as a whole, and whether it is a near-duplicate cluster.

    The record's cluster if it has one, else its family: augmented variants go with the
    row they were derived from, oversampled copies with the row they copy.
    """
    if group_key:
        cluster = record.meta_dict().get(group_key)
        if cluster:
            return f"cluster:{cluster}", True
    lineage = record.lineage
    if lineage.augmentation and lineage.parent_id:
        return f"row:{lineage.parent_id}", False
    return f"row:{lineage.oversampled_from or record.id}", False


def eval_threshold(eval_fraction: float, class_count: int) -> float:
    """Per-class eval probability: the fraction, raised so a class of >= 2 rows expects 1
    (a fraction of 0 stays 0: no eval split)."""
    if eval_fraction > 0 and class_count >= 2 and class_count * eval_fraction < 1.0:
        return 1.0 / class_count
    return eval_fraction


def assign_split(record: Record, eval_fraction: float, class_count: int, seed: int, group_key: str | None) -> str:
    group, is_cluster = split_group(record, group_key)
    # Clusters may span labels, so they use the global fraction to stay on one side.
    threshold = eval_fraction if is_cluster else eval_threshold(eval_fraction, class_count)
    return EVAL if unit_hash(seed, group) < threshold else TRAIN


class AssignSplitFn(beam.DoFn):
    def __init__(
        self, eval_fraction: float, label_fn: Callable[[Record], str], seed: int, group_key: str | None
    ) -> None:
        self._eval_fraction = eval_fraction
        self._label_fn = label_fn
        self._seed = seed
        self._group_key = group_key
        self._counters = {s: Metrics.counter(STAGE, s) for s in (TRAIN, EVAL)}

    def process(self, record: Record, counts: dict[str, int]) -> Iterator[Record]:
        count = counts.get(self._label_fn(record), 0)
        split = assign_split(record, self._eval_fraction, count, self._seed, self._group_key)
        self._counters[split].inc()
        yield dataclasses.replace(record, split=split)


class SplitTrainEval(beam.PTransform):
    """Sets ``Record.split`` to ``train`` or ``eval``, deterministically.

    A row goes to eval when a seeded hash of its group falls below the eval fraction; the
    group is its ``near_dup_cluster`` (so a cluster never straddles the split) or its family
    (augmented variants and oversampled copies follow the row they come from). Stratification: every class is
    sampled independently at the same rate, raised to ``1 / n`` for classes too small to
    expect one eval row.

    Input: ``PCollection[Record]``. Output: ``PCollection[Record]`` with ``split`` set.
    """

    def __init__(
        self,
        eval_fraction: float = 0.1,
        *,
        stratify_by: str | None = "label",
        seed: int = 0,
        cluster_key: str | None = CLUSTER_META_KEY,
    ) -> None:
        super().__init__()
        if not 0.0 <= eval_fraction < 1.0:
            raise ValueError(f"eval_fraction={eval_fraction}: must be in [0, 1)")
        self._eval_fraction = eval_fraction
        self._label_fn = label_column(stratify_by) if stratify_by else (lambda r: "")
        self._seed = seed
        self._cluster_key = cluster_key

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        label_fn = self._label_fn
        counts = pcoll | "Labels" >> beam.Map(lambda r: (label_fn(r), 1)) | "CountPerClass" >> beam.CombinePerKey(sum)
        return pcoll | "AssignSplit" >> beam.ParDo(
            AssignSplitFn(self._eval_fraction, label_fn, self._seed, self._cluster_key),
            counts=pvalue.AsDict(counts),
        )
