"""Near-duplicate removal: MinHash LSH, exact Jaccard check, connected components.

Signatures are computed per bundle in batches (``minhash``, ``near_pairs``). LSH band
entries are routed to ``P`` shuffle partitions, ``P`` computed from the corpus size so that
one partition holds at most ``max_partition_entries`` entries; a partition is one
GroupByKey group, where equal band keys are found by sorting. Each batch sends one columnar
payload per partition, not one element per band, which keeps the shuffle cheap. Candidate
pairs collect their two shingle sets from their batches and are checked exactly; verified
pairs become edges, connected components give clusters, and the smallest id of each cluster
survives.

Records travel to the final join in the same batches (one shuffle element per batch, not
per record): a graph node names its record's batch, so a cluster label says which batch to
deliver it to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from synthbeam.schemas.reasons import NEAR_DUPLICATE
from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.curate import lsh
from synthbeam.transforms.curate.components import ConnectedComponents
from synthbeam.transforms.curate.minhash import LshParams, lsh_bands, threshold_of
from synthbeam.transforms.curate.near_pairs import (
    LABEL,
    RECORDS,
    SETS,
    STAGE,
    CandidatePairsFn,
    HashBatchesFn,
    VerifyPairsFn,
    attach_sets,
    loads_records,
    node_name,
    partition_count,
    split_node,
)
from synthbeam.transforms.curate.text import MESSAGES, check_fields
from synthbeam.transforms.outputs import MAIN, REJECTED

CLUSTER_META_KEY = "near_dup_cluster"


class PartitionCountFn(beam.CombineFn):
    """How many shuffle partitions the band entries of all batches need."""

    def __init__(self, bands: int, max_partition_entries: int) -> None:
        self._bands = bands
        self._max_entries = max_partition_entries

    def create_accumulator(self) -> int:
        return 0

    def add_input(self, docs: int, batch: tuple[int, lsh.Payload]) -> int:
        return docs + batch[0]

    def merge_accumulators(self, counts: Iterable[int]) -> int:
        return sum(counts)

    def extract_output(self, docs: int) -> int:
        return partition_count(docs, self._bands, self._max_entries)


def split_by_partition(batch: tuple[int, lsh.Payload], p: int) -> Iterator[tuple[int, lsh.Payload]]:
    return lsh.split_by_partition(batch[1], p)


def label_by_batch(node: str, cluster_node: str) -> tuple[str, tuple[str, tuple[str, str]]]:
    """A cluster label keyed by the batch its record travels in."""
    _, batch_key = split_node(node)
    return batch_key, (LABEL, (node, cluster_node))


class AssignClustersFn(beam.DoFn):
    """Joins a batch of records with its cluster labels.

    Survivors (the smallest id of their cluster) go to ``main``, other members to
    ``rejected`` (or ``main`` when not dropping), all tagged with the cluster id; records
    outside any cluster pass unchanged.
    """

    def __init__(self, drop: bool) -> None:
        self._drop = drop
        self._kept = Metrics.counter(STAGE, "kept")
        self._clusters = Metrics.counter(STAGE, "clusters")
        self._dropped = Metrics.counter(STAGE, NEAR_DUPLICATE)

    def process(self, joined: tuple[str, Iterable[tuple[str, object]]]) -> Iterator[object]:
        batch_key, values = joined
        labels: dict[str, str] = {}
        batches: list[tuple[Record, ...]] = []
        for kind, value in values:
            if kind == RECORDS:
                batches.append(loads_records(value))
            else:
                node, cluster_node = value
                labels[node] = cluster_node
        kept = 0  # counted once per batch: a counter update per record costs more than the rest
        for records in batches:
            for record in records:
                node = node_name(record.id, batch_key) if labels else ""
                if node not in labels:
                    kept += 1
                    yield record
                    continue
                cluster = split_node(labels[node])[0]
                tagged = record.with_meta(**{CLUSTER_META_KEY: cluster})
                survivor = labels[node] == node
                if survivor:
                    self._clusters.inc()
                if survivor or not self._drop:
                    kept += 1
                    yield tagged
                else:
                    self._dropped.inc()
                    yield pvalue.TaggedOutput(REJECTED, Rejected(tagged, STAGE, NEAR_DUPLICATE, cluster))
        self._kept.inc(kept)


class DeduplicateNear(beam.PTransform):
    """Removes near-duplicates (MinHash LSH + exact Jaccard) keeping one per cluster.

    Defaults: 5-word shingles of the normalised text, signatures of 128 one-permutation
    MinHash values; the banding follows ``threshold`` (``lsh_bands``: at least 95% of pairs at
    the threshold become candidates; 13 bands of 7 rows at 0.8, 22 of 4 at 0.6), then an exact
    Jaccard check against ``threshold``. ``seed`` salts the hashes (recipes pass ``--seed``). Clusters are connected components of verified pairs; the smallest id
    survives and every member gets ``near_dup_cluster`` (the survivor's id) in ``meta``.
    With ``drop=False`` all members are kept and only annotated (for cluster-aware
    splitting). Connected components run ``rounds`` large-star/small-star rounds; a
    cluster that needs more (long chains of pairs) is left as a few clusters, so it keeps
    extra rows rather than dropping unrelated ones (counter ``unconverged_nodes``).

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
        rounds: int = 4,
    ) -> None:
        super().__init__()
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold={threshold}: must be in (0, 1]")
        if bands is None:
            bands, rows = lsh_bands(num_perm, threshold)
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
        hashed = pcoll | "MinHashBatches" >> beam.ParDo(
            HashBatchesFn(self.params, self._fields, self._strip, self._verify, self._batch_size)
        ).with_outputs(SETS, RECORDS, main=MAIN)
        partitions = hashed[MAIN] | "CountPartitions" >> beam.CombineGlobally(PartitionCountFn(bands, max_entries))
        candidates = (
            hashed[MAIN]
            | "SplitByPartition"
            >> beam.FlatMap(split_by_partition, p=pvalue.AsSingleton(partitions)).with_output_types(tuple[int, tuple])
            | "GroupByPartition" >> beam.GroupByKey()
            | "CandidatePairs" >> beam.ParDo(CandidatePairsFn(self._verify, self._max_bucket))
        )
        if self._verify:
            candidates = (
                (hashed[SETS], candidates)
                | "MergeMentions" >> beam.Flatten()
                | "GroupByBatch" >> beam.GroupByKey()
                | "AttachSets" >> beam.FlatMap(attach_sets)
                | "GroupByPair" >> beam.GroupByKey()
                | "VerifyPairs" >> beam.ParDo(VerifyPairsFn(self._threshold))
            )
        labels = (
            candidates
            | "Clusters" >> ConnectedComponents(self._rounds)
            | "LabelByBatch" >> beam.MapTuple(label_by_batch)
        )
        return (
            (hashed[RECORDS], labels)
            | "MergeLabels" >> beam.Flatten()
            | "JoinLabels" >> beam.GroupByKey()
            | "KeepSurvivors" >> beam.ParDo(AssignClustersFn(self._drop)).with_outputs(REJECTED, main=MAIN)
        )
