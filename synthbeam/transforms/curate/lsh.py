"""LSH bucketing over shuffle partitions, as plain numpy (the Beam wiring is in ``dedup_near``).

A batch of documents becomes one payload per partition: the band keys that fall in that
partition, which document each key belongs to, those documents' ids and, for the exact
Jaccard check, their shingle sets (sorted unique uint32 as bytes, decoded only for
documents that share a bucket). A partition's payloads are concatenated and sorted by
key; runs of equal keys are the LSH buckets.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from synthbeam.transforms.curate.minhash import (
    LshParams,
    band_keys,
    jaccard,
    permutations,
    shingle_sets,
    signatures,
)

Payload = tuple[bytes, bytes, tuple[str, ...], tuple[bytes, ...]]
ANCHORS = 4  # in an oversized bucket, every member is compared with this many anchors


@dataclass(frozen=True)
class HashedBatch:
    """Band keys and shingle sets of a batch's documents that have at least one shingle."""

    ids: list[str]
    keys: np.ndarray  # (docs, bands) uint64
    shingles: list[bytes]  # per document, empty when not asked for
    empty: int  # documents skipped for having no shingle


class BatchHasher:
    """Holds the permutation tables of one ``LshParams``; hashes batches of texts."""

    def __init__(self, params: LshParams) -> None:
        self.params = params
        self._a, self._b = permutations(params.num_perm, params.seed)

    def hash_batch(self, ids: Sequence[str], texts: Sequence[str], with_shingles: bool = True) -> HashedBatch:
        values, offsets = shingle_sets(texts, self.params.ngram, self.params.unit)
        sizes = np.diff(offsets)
        keep = np.flatnonzero(sizes > 0)
        if len(keep) < len(ids):
            values, offsets = gather_csr(values, offsets, keep)
        sigs = signatures(values, offsets, self._a, self._b)
        keys = band_keys(sigs, self.params.bands, self.params.rows)
        shingles = [values[offsets[i] : offsets[i + 1]].tobytes() for i in range(len(keep))] if with_shingles else []
        return HashedBatch([ids[i] for i in keep], keys, shingles, len(ids) - len(keep))


def gather_csr(values: np.ndarray, offsets: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR rows ``docs`` of (values, offsets), in that order."""
    starts = offsets[docs]
    lengths = offsets[docs + 1] - starts
    new_offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    index = np.arange(new_offsets[-1], dtype=np.int64) + np.repeat(starts - new_offsets[:-1], lengths)
    return values[index], new_offsets


def encode_batch(batch: HashedBatch) -> Payload:
    """A hashed batch as plain bytes/str tuples (cheap for Beam's default coder)."""
    bands = batch.keys.shape[1] if batch.keys.ndim == 2 else 1
    docs = np.repeat(np.arange(len(batch.ids), dtype=np.int32), bands)
    return batch.keys.reshape(-1).tobytes(), docs.tobytes(), tuple(batch.ids), tuple(batch.shingles)


def split_by_partition(payload: Payload, partitions: int) -> Iterator[tuple[int, Payload]]:
    """One ``(partition, payload)`` per partition that receives any of the batch's keys."""
    key_bytes, doc_bytes, ids, shingles = payload
    keys = np.frombuffer(key_bytes, dtype=np.uint64)
    docs = np.frombuffer(doc_bytes, dtype=np.int32)
    part = (keys % np.uint64(partitions)).astype(np.int64)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(partitions + 1))
    for p in range(partitions):
        entries = order[bounds[p] : bounds[p + 1]]
        if not len(entries):
            continue
        members, local = np.unique(docs[entries], return_inverse=True)
        yield (
            p,
            (
                keys[entries].tobytes(),
                local.astype(np.int32).tobytes(),
                tuple(ids[i] for i in members),
                tuple(shingles[i] for i in members) if shingles else (),
            ),
        )


@dataclass(frozen=True)
class PartitionTable:
    """All band entries of one partition, with the documents they point at."""

    keys: np.ndarray  # uint64 per entry
    docs: np.ndarray  # int64 per entry, index into ids
    ids: list[str]
    shingles: list[bytes]  # per document, empty without the exact check

    @classmethod
    def concat(cls, payloads: Iterable[Payload]) -> PartitionTable:
        keys: list[np.ndarray] = []
        docs: list[np.ndarray] = []
        ids: list[str] = []
        shingles: list[bytes] = []
        for key_bytes, doc_bytes, payload_ids, payload_shingles in payloads:
            keys.append(np.frombuffer(key_bytes, dtype=np.uint64))
            docs.append(np.frombuffer(doc_bytes, dtype=np.int32).astype(np.int64) + len(ids))
            ids.extend(payload_ids)
            shingles.extend(payload_shingles)
        return cls(
            keys=np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64),
            docs=np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64),
            ids=ids,
            shingles=shingles,
        )

    def buckets(self) -> Iterator[np.ndarray]:
        """Document indices of every band key shared by two or more entries."""
        order = np.argsort(self.keys, kind="stable")
        ordered = self.keys[order]
        change = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        starts = np.concatenate(([0], change))
        ends = np.concatenate((change, [len(ordered)]))
        for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            yield self.docs[order[start:end]]

    def candidate_pairs(self, max_bucket: int) -> Iterator[tuple[int, int]]:
        """Pairs of document indices sharing a bucket (anchored when a bucket is huge)."""
        for bucket in self.buckets():
            members = sorted(set(bucket.tolist()), key=lambda d: (self.ids[d], d))
            if len(members) <= max_bucket:
                yield from itertools.combinations(members, 2)
            else:
                anchors = members[:ANCHORS]
                yield from itertools.combinations(anchors, 2)
                yield from ((a, m) for m in members[ANCHORS:] for a in anchors)

    def jaccard(self, a: int, b: int) -> float:
        x = np.frombuffer(self.shingles[a], dtype=np.uint32)
        y = np.frombuffer(self.shingles[b], dtype=np.uint32)
        return jaccard(x, y)
