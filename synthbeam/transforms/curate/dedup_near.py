"""Near-duplicate removal: MinHash LSH, exact Jaccard check, connected components.

Signatures are computed per bundle in batches (``minhash``). LSH band entries are routed to
``P`` shuffle partitions, ``P`` computed from the corpus size so that one partition holds at
most ``max_partition_entries`` entries; a partition is one GroupByKey group, where equal
band keys are found by sorting. Each batch sends one columnar payload per partition, not one
element per band, which keeps the shuffle cheap. Verified pairs become edges, connected
components give clusters, and the smallest id of each cluster survives.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue

from synthbeam.schemas.reasons import NEAR_DUPLICATE
from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.curate import lsh
from synthbeam.transforms.curate.components import ConnectedComponents
from synthbeam.transforms.curate.minhash import LshParams, best_bands, threshold_of
from synthbeam.transforms.curate.text import MESSAGES, check_fields, normalise, record_text
from synthbeam.transforms.outputs import MAIN, REJECTED

STAGE = "dedup_near"
CLUSTER_META_KEY = "near_dup_cluster"


def partition_count(docs: int, bands: int, max_partition_entries: int, minimum: int = 8) -> int:
    return max(minimum, math.ceil(docs * bands / max_partition_entries))


class HashBatchesFn(beam.DoFn):
    """Buffers records' texts per bundle; emits one ``(docs, payload)`` per full batch."""

    def __init__(
        self,
        params: LshParams,
        fields: Sequence[str],
        strip_punctuation: bool,
        with_shingles: bool,
        batch_size: int,
    ) -> None:
        self._params = params
        self._fields = tuple(fields)
        self._strip = strip_punctuation
        self._with_shingles = with_shingles
        self._batch_size = batch_size
        self._ids: list[str] = []
        self._texts: list[str] = []
        self._no_shingles = Metrics.counter(STAGE, "no_shingles")

    def setup(self) -> None:
        self._hasher = lsh.BatchHasher(self._params)

    def start_bundle(self) -> None:
        self._ids, self._texts = [], []

    def process(self, record: Record) -> Iterator[tuple[int, lsh.Payload]]:
        self._ids.append(record.id)
        self._texts.append(normalise(record_text(record, self._fields), self._strip))
        if len(self._ids) >= self._batch_size:
            yield self._flush()

    def finish_bundle(self) -> Iterator[WindowedValue]:
        if self._ids:
            yield WindowedValue(self._flush(), GlobalWindow().max_timestamp(), [GlobalWindow()])

    def _flush(self) -> tuple[int, lsh.Payload]:
        batch = self._hasher.hash_batch(self._ids, self._texts, self._with_shingles)
        self._no_shingles.inc(batch.empty)
        self._ids, self._texts = [], []
        return len(batch.ids), lsh.encode_batch(batch)


class CandidatePairsFn(beam.DoFn):
    """Finds documents sharing a band key in one partition; emits verified id pairs."""

    def __init__(self, threshold: float, verify: bool, max_bucket: int) -> None:
        self._threshold = threshold
        self._verify = verify
        self._max_bucket = max_bucket
        self._candidates = Metrics.counter(STAGE, "candidate_pairs")
        self._verified = Metrics.counter(STAGE, "verified_pairs")

    def process(self, keyed: tuple[int, Iterable[tuple]]) -> Iterator[tuple[str, str]]:
        _, payloads = keyed
        table = lsh.PartitionTable.concat(payloads)
        seen: set[tuple[str, str]] = set()
        for a, b in table.candidate_pairs(self._max_bucket):
            pair = (table.ids[a], table.ids[b])
            pair = pair if pair[0] < pair[1] else (pair[1], pair[0])
            if pair[0] == pair[1] or pair in seen:
                continue
            seen.add(pair)
            self._candidates.inc()
            if not self._verify or table.jaccard(a, b) >= self._threshold:
                self._verified.inc()
                yield pair


class AssignClusterFn(beam.DoFn):
    """Joins a record with its cluster label (a ``str`` in the same group, if any).

    Survivors go to ``main``, other cluster members to ``rejected`` (or ``main`` when not
    dropping), all tagged with the cluster id.
    """

    def __init__(self, drop: bool) -> None:
        self._drop = drop
        self._kept = Metrics.counter(STAGE, "kept")
        self._clusters = Metrics.counter(STAGE, "clusters")
        self._dropped = Metrics.counter(STAGE, NEAR_DUPLICATE)

    def process(self, joined: tuple[str, Iterable[Record | str]]) -> Iterator[object]:
        _, values = joined
        records = [v for v in values if isinstance(v, Record)]
        labels = [v for v in values if isinstance(v, str)]
        for i, record in enumerate(records):
            if not labels:
                self._kept.inc()
                yield record
                continue
            cluster = labels[0]
            tagged = record.with_meta(**{CLUSTER_META_KEY: cluster})
            survivor = record.id == cluster and i == 0
            if survivor:
                self._clusters.inc()
            if survivor or not self._drop:
                self._kept.inc()
                yield tagged
            else:
                self._dropped.inc()
                yield pvalue.TaggedOutput(REJECTED, Rejected(tagged, STAGE, NEAR_DUPLICATE, cluster))


class DeduplicateNear(beam.PTransform):
    """Removes near-duplicates (MinHash LSH + exact Jaccard) keeping one per cluster.

    Defaults: 5-word shingles of the normalised text, 128 permutations in 16 bands of 8
    rows (S-curve midpoint ~0.71, 95% of pairs at Jaccard 0.8 become candidates, 99.4% at
    0.85), then an exact Jaccard check against ``threshold``. Clusters are connected
    components of verified pairs; the smallest id survives and every member gets
    ``near_dup_cluster`` (the survivor's id) in ``meta``. With ``drop=False`` all members
    are kept and only annotated (for cluster-aware splitting).

    Input: ``PCollection[Record]``.
    Output: ``DoOutputsTuple`` with ``.main`` (``Record``) and ``.rejected`` (``Rejected``,
    reason ``near_duplicate``, detail the cluster id).
    """

    def __init__(
        self,
        fields: Sequence[str] = (MESSAGES,),
        *,
        threshold: float = 0.8,
        num_perm: int = 128,
        bands: int | None = None,
        ngram: int = 5,
        unit: str = "word",
        strip_punctuation: bool = False,
        verify: bool = True,
        drop: bool = True,
        seed: int = 1,
        batch_size: int = 1_000,
        max_partition_entries: int = 250_000,
        max_bucket: int = 64,
        rounds: int = 6,
    ) -> None:
        super().__init__()
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold={threshold}: must be in (0, 1]")
        if bands is None:
            bands, rows = (16, 8) if num_perm == 128 else best_bands(num_perm, threshold)
        elif num_perm % bands:
            raise ValueError(f"bands={bands} must divide num_perm={num_perm}")
        else:
            rows = num_perm // bands
        self.params = LshParams(num_perm, bands, rows, ngram, unit, seed)
        self.midpoint = threshold_of(bands, rows)
        self._fields = check_fields(fields)
        self._threshold = threshold
        self._strip = strip_punctuation
        self._verify = verify
        self._drop = drop
        self._batch_size = batch_size
        self._max_entries = max_partition_entries
        self._max_bucket = max_bucket
        self._rounds = rounds

    def expand(self, pcoll: beam.PCollection) -> pvalue.DoOutputsTuple:
        bands, max_entries = self.params.bands, self._max_entries
        batches = pcoll | "MinHashBatches" >> beam.ParDo(
            HashBatchesFn(self.params, self._fields, self._strip, self._verify, self._batch_size)
        )
        partitions = (
            batches
            | "DocsPerBatch" >> beam.MapTuple(lambda docs, _: docs)
            | "CountDocs" >> beam.CombineGlobally(sum)
            | "CountPartitions" >> beam.Map(partition_count, bands, max_entries)
        )
        labels = (
            batches
            | "SplitByPartition"
            >> beam.FlatMap(
                lambda batch, p: lsh.split_by_partition(batch[1], p),
                p=pvalue.AsSingleton(partitions),
            )
            | "GroupByPartition" >> beam.GroupByKey()
            | "CandidatePairs" >> beam.ParDo(CandidatePairsFn(self._threshold, self._verify, self._max_bucket))
            | "Clusters" >> ConnectedComponents(self._rounds)
        )
        keyed = pcoll | "KeyById" >> beam.Map(lambda r: (r.id, r))
        return (
            (keyed, labels)
            | "MergeLabels" >> beam.Flatten()
            | "JoinLabels" >> beam.GroupByKey()
            | "KeepSurvivors" >> beam.ParDo(AssignClusterFn(self._drop)).with_outputs(REJECTED, main=MAIN)
        )
