"""The DoFns that find near-duplicate pairs; ``dedup_near`` wires them.

Records are hashed in batches. Per batch, ``HashBatchesFn`` emits three things: the band
entries (routed to shuffle partitions, where equal band keys meet), the shingle sets (kept
at the batch's key) and the pickled records (for the final join). A partition turns shared
band keys into candidate pairs. With the exact check, each candidate pair is sent as a
*mention* to the batch of each of its two documents, picks up that document's shingle set
there, and the two halves meet at the pair, where the exact Jaccard decides. Shingle sets
thus cross the shuffle once per batch and once per candidate, instead of once per band.

A graph node is ``"{record id}\\x1f{batch key}"``: it names the batch a record travels in,
and the smallest node of a cluster is its smallest record id.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterable, Iterator, Sequence

import apache_beam as beam
import numpy as np
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from synthbeam.gc_pause import gc_paused
from synthbeam.schemas.record import Record, stable_id
from synthbeam.transforms.curate import lsh
from synthbeam.transforms.curate.components import local_stars
from synthbeam.transforms.curate.minhash import CHAR, LshParams, jaccard
from synthbeam.transforms.curate.text import normalised_text, record_text, shingle_text
from synthbeam.transforms.outputs import in_global_window

STAGE = "dedup_near"
RECORDS = "records"
SETS = "sets"
MENTION = "mention"
LABEL = "label"
_SEP = "\x1f"

Pair = tuple[str, str]


def partition_count(docs: int, bands: int, max_partition_entries: int, minimum: int = 8) -> int:
    return max(minimum, math.ceil(docs * bands / max_partition_entries))


def node_name(record_id: str, batch_key: str) -> str:
    return f"{record_id}{_SEP}{batch_key}"


def split_node(node: str) -> tuple[str, str]:
    """(record id, batch key) of a graph node."""
    record_id, _, batch_key = node.rpartition(_SEP)
    return record_id, batch_key


def dumps_records(records: Sequence[Record]) -> bytes:
    # One pickle per batch: far cheaper than the coder's per-record fallback pickling.
    return pickle.dumps(tuple(records), protocol=5)


def loads_records(blob: bytes) -> tuple[Record, ...]:
    """Unpickles a batch of records (with the cyclic GC paused, see ``gc_pause``)."""
    with gc_paused():
        return pickle.loads(blob)


class HashBatchesFn(beam.DoFn):
    """Buffers records per bundle; per full batch emits ``(docs, band payload)`` on main,
    ``(batch key, (SETS, shingle sets))`` on ``sets`` (with the exact check) and
    ``(batch key, (RECORDS, pickled records))`` on ``records``."""

    def __init__(
        self,
        params: LshParams,
        fields: Sequence[str],
        strip_punctuation: bool,
        with_sets: bool,
        batch_size: int,
    ) -> None:
        self._params = params
        self._fields = tuple(fields)
        self._strip = strip_punctuation
        self._with_sets = with_sets
        self._batch_size = batch_size
        self._records: list[Record] = []
        self._texts: list[str] = []
        self._no_shingles = Metrics.counter(STAGE, "no_shingles")
        # Word shingles split on any whitespace run; character shingles need it collapsed.
        self._prepare = normalised_text if params.unit == CHAR else shingle_text

    def start_bundle(self) -> None:
        self._records, self._texts = [], []

    def process(self, record: Record) -> Iterator[object]:
        self._records.append(record)
        self._texts.append(self._prepare(record_text(record, self._fields), self._strip))
        if len(self._records) >= self._batch_size:
            yield from self._flush()

    def finish_bundle(self) -> Iterator[object]:
        for output in self._flush():
            if isinstance(output, pvalue.TaggedOutput):
                yield pvalue.TaggedOutput(output.tag, in_global_window(output.value))
            else:
                yield in_global_window(output)

    def _flush(self) -> Iterator[object]:
        if not self._records:
            return
        records, texts = self._records, self._texts
        self._records, self._texts = [], []
        batch_key = stable_id(len(records), *(r.id for r in records))
        batch = lsh.hash_batch(self._params, [r.id for r in records], texts, self._with_sets)
        self._no_shingles.inc(batch.empty)
        yield len(batch.ids), lsh.encode_batch(batch, batch_key)
        if self._with_sets:
            yield pvalue.TaggedOutput(SETS, (batch_key, (SETS, lsh.encode_sets(batch))))
        yield pvalue.TaggedOutput(RECORDS, (batch_key, (RECORDS, dumps_records(records))))


class CandidatePairsFn(beam.DoFn):
    """Finds the distinct pairs of documents sharing a band key in one partition.

    Without the exact check the pairs are the graph's edges, contracted to stars here
    (what one partition sees needs no shuffle). With it, each pair goes out as two
    mentions ``(batch key, (MENTION, row, node, pair))``, one per document.
    """

    def __init__(self, verify: bool, max_bucket: int) -> None:
        self._verify = verify
        self._max_bucket = max_bucket
        self._candidates = Metrics.counter(STAGE, "candidate_pairs")

    def process(self, keyed: tuple[int, Iterable[lsh.Payload]]) -> Iterator[tuple]:
        table = lsh.PartitionTable.concat(keyed[1])
        if not self._verify:
            yield from local_stars(pair for pair, _, _ in self._pairs(table))
            return
        for pair, a, b in self._pairs(table):
            for doc, node in ((a, pair[0]), (b, pair[1])):
                yield table.batch_key(doc), (MENTION, int(table.rows[doc]), node, pair)

    def _pairs(self, table: lsh.PartitionTable) -> Iterator[tuple[Pair, int, int]]:
        seen: set[Pair] = set()
        for a, b in table.candidate_pairs(self._max_bucket):
            nodes = node_name(table.record_id(a), table.batch_key(a)), node_name(table.record_id(b), table.batch_key(b))
            if nodes[0] > nodes[1]:
                nodes, a, b = (nodes[1], nodes[0]), b, a
            if nodes[0] == nodes[1] or nodes in seen:
                continue
            seen.add(nodes)
            self._candidates.inc()
            yield nodes, a, b


def attach_sets(keyed: tuple[str, Iterable[tuple]]) -> Iterator[tuple[Pair, tuple[str, bytes]]]:
    """At a batch's key: gives each mention its document's shingle set, keyed by pair."""
    _, values = keyed
    sets: lsh.Csr | None = None
    mentions = []
    for value in values:
        if value[0] == SETS:
            sets = lsh.decode_sets(value[1])
        else:
            mentions.append(value)
    if sets is None:  # cannot happen: every mention comes from a hashed batch
        raise RuntimeError(f"near-dedup: {len(mentions)} mentions reached a batch without shingle sets")
    for _, row, node, pair in mentions:
        yield pair, (node, sets.row(row).tobytes())


class VerifyPairsFn(beam.DoFn):
    """At a pair's key: keeps the pair as an edge when its exact Jaccard reaches the threshold."""

    def __init__(self, threshold: float) -> None:
        self._threshold = threshold
        self._verified = Metrics.counter(STAGE, "verified_pairs")

    def process(self, keyed: tuple[Pair, Iterable[tuple[str, bytes]]]) -> Iterator[Pair]:
        pair, halves = keyed
        sets = dict(halves)  # a pair found in several partitions brings repeated halves
        x, y = (np.frombuffer(sets[node], dtype=np.uint32) for node in pair)
        if jaccard(x, y) >= self._threshold:
            self._verified.inc()
            yield pair
