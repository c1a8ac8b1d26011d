"""Near-duplicate removal across families, never within one.

An original and its augmented variants (a family, ``oversample.family_key``) are near copies
on purpose; two families whose rows are near copies are duplicates. Given rows annotated with
their near-duplicate cluster (``DeduplicateNear(drop=False)``), each cluster keeps every row
of the family with the smallest key and rejects the rest (``dedup_near``/``near_duplicate``,
detail the cluster id). Without augmented rows every row is its own family, and this is plain
near-dedup keeping the smallest id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.curate.dedup_near import CLUSTER_META_KEY
from synthbeam.transforms.curate.near_pairs import STAGE
from synthbeam.transforms.curate.oversample import family_key
from synthbeam.transforms.outputs import MAIN, REJECTED


def cluster_of(record: Record) -> str:
    return str(record.meta_dict().get(CLUSTER_META_KEY) or "")


def keep_first_family(cluster: str, members: Iterable[Record]) -> Iterator[Record | Rejected]:
    """The cluster's rows of its smallest family, then the others as rejected rows."""
    rows = sorted(members, key=lambda r: (family_key(r), r.id))
    winner = family_key(rows[0]) if rows else ""
    for row in rows:
        yield row if family_key(row) == winner else Rejected(row, STAGE, reasons.NEAR_DUPLICATE, cluster)


class KeepFirstFamilyFn(beam.DoFn):
    def __init__(self) -> None:
        self._dropped = Metrics.counter(STAGE, "dropped_across_families")

    def process(self, grouped: tuple[str, Iterable[Record]]) -> Iterator[object]:
        for outcome in keep_first_family(*grouped):
            if isinstance(outcome, Rejected):
                self._dropped.inc()
                yield pvalue.TaggedOutput(REJECTED, outcome)
            else:
                yield outcome


class KeptRows(NamedTuple):
    main: beam.PCollection  # Record
    rejected: beam.PCollection  # Rejected


class KeepOneFamilyPerCluster(beam.PTransform):
    """Input: ``PCollection[Record]`` annotated by ``DeduplicateNear(drop=False)``.
    Output: ``KeptRows``."""

    def expand(self, rows: beam.PCollection) -> KeptRows:
        parts = rows | "InCluster" >> beam.Partition(lambda r, _: 0 if cluster_of(r) else 1, 2)
        decided = (
            parts[0]
            | "ByCluster" >> beam.Map(lambda r: (cluster_of(r), r))
            | "GroupClusters" >> beam.GroupByKey()
            | "KeepFirstFamily" >> beam.ParDo(KeepFirstFamilyFn()).with_outputs(REJECTED, main=MAIN)
        )
        kept = (decided.main, parts[1]) | "WithUnclustered" >> beam.Flatten()
        return KeptRows(kept, decided.rejected)
