"""LSH bucketing over shuffle partitions, as plain numpy (the Beam wiring is in ``dedup_near``).

A batch of documents becomes one payload per partition: the batch's key, the band keys that
fall in that partition, which document each key belongs to, and those documents' rows in
the batch and ids. Every array is one flat byte string (ids are CSR: bytes one after the
other plus boundaries), so a payload costs the shuffle a handful of buffers however many
documents it carries, and an id is decoded only for documents that share a bucket. Shingle
sets for the exact Jaccard check travel once per batch, not with every band (see
``dedup_near``). A partition's payloads are concatenated and sorted by key; runs of equal
keys are the LSH buckets.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from synthbeam.transforms.curate.minhash import LshParams, band_keys, shingle_sets, signatures

# batch key, band keys (uint64 per entry), docs (int32 per entry), rows (int32 per doc), id bytes, id offsets
Payload = tuple[str, bytes, bytes, bytes, bytes, bytes]
ANCHORS = 4  # in an oversized bucket, every member is compared with this many anchors


@dataclass(frozen=True)
class Csr:
    """Variable-length rows stored flat: row ``i`` is ``values[offsets[i]:offsets[i + 1]]``."""

    values: np.ndarray
    offsets: np.ndarray  # int64, rows + 1

    @classmethod
    def empty(cls, dtype: type) -> Csr:
        return cls(np.zeros(0, dtype=dtype), np.zeros(1, dtype=np.int64))

    @classmethod
    def from_bytes(cls, values: bytes, offsets: bytes, dtype: type) -> Csr:
        return cls(np.frombuffer(values, dtype=dtype), np.frombuffer(offsets, dtype=np.int64))

    @classmethod
    def concat(cls, parts: Sequence[Csr], dtype: type) -> Csr:
        if not parts:
            return cls.empty(dtype)
        starts = np.cumsum([0] + [len(p.values) for p in parts[:-1]])
        offsets = [parts[0].offsets[:1]] + [p.offsets[1:] + s for p, s in zip(parts, starts, strict=True)]
        return cls(np.concatenate([p.values for p in parts]), np.concatenate(offsets))

    def row(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def take(self, rows: np.ndarray) -> Csr:
        """The given rows, in that order."""
        starts = self.offsets[rows]
        lengths = self.offsets[rows + 1] - starts
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        index = np.arange(offsets[-1], dtype=np.int64) + np.repeat(starts - offsets[:-1], lengths)
        return Csr(self.values[index], offsets)

    def to_bytes(self) -> tuple[bytes, bytes]:
        return self.values.tobytes(), self.offsets.tobytes()


def encode_ids(ids: Sequence[str]) -> Csr:
    encoded = [i.encode("utf-8") for i in ids]
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return Csr(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)


@dataclass(frozen=True)
class HashedBatch:
    """Band keys and shingle sets of a batch's documents that have at least one shingle."""

    ids: list[str]
    keys: np.ndarray  # (docs, bands) uint64
    shingles: Csr  # per document; no rows when not asked for
    empty: int  # documents skipped for having no shingle


def hash_batch(params: LshParams, ids: Sequence[str], texts: Sequence[str], with_shingles: bool = True) -> HashedBatch:
    """Shingles, signatures and band keys of a batch of normalised texts."""
    values, offsets = shingle_sets(texts, params.ngram, params.unit)
    keep = np.flatnonzero(np.diff(offsets) > 0)
    sets = Csr(values, offsets)
    if len(keep) < len(ids):
        sets = sets.take(keep)
    sigs = signatures(sets.values, sets.offsets, params.num_perm, params.seed)
    keys = band_keys(sigs, params.bands, params.rows)
    return HashedBatch(
        [ids[i] for i in keep], keys, sets if with_shingles else Csr.empty(np.uint32), len(ids) - len(keep)
    )


def encode_batch(batch: HashedBatch, batch_key: str) -> Payload:
    """A hashed batch's band entries as flat byte strings (cheap for Beam's default coder)."""
    bands = batch.keys.shape[1] if batch.keys.ndim == 2 else 1
    rows = np.arange(len(batch.ids), dtype=np.int32)
    id_bytes, id_offsets = encode_ids(batch.ids).to_bytes()
    docs = np.repeat(rows, bands)
    return batch_key, batch.keys.reshape(-1).tobytes(), docs.tobytes(), rows.tobytes(), id_bytes, id_offsets


def encode_sets(batch: HashedBatch) -> tuple[bytes, bytes]:
    """A hashed batch's shingle sets (one row per document) as flat byte strings."""
    return batch.shingles.to_bytes()


def decode_sets(encoded: tuple[bytes, bytes]) -> Csr:
    return Csr.from_bytes(*encoded, np.uint32)


def split_by_partition(payload: Payload, partitions: int) -> Iterator[tuple[int, Payload]]:
    """One ``(partition, payload)`` per partition that receives any of the batch's keys."""
    batch_key, key_bytes, doc_bytes, row_bytes, id_bytes, id_offsets = payload
    keys = np.frombuffer(key_bytes, dtype=np.uint64)
    docs = np.frombuffer(doc_bytes, dtype=np.int32)
    rows = np.frombuffer(row_bytes, dtype=np.int32)
    ids = Csr.from_bytes(id_bytes, id_offsets, np.uint8)
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
                batch_key,
                keys[entries].tobytes(),
                local.astype(np.int32).tobytes(),
                rows[members].tobytes(),
                *ids.take(members).to_bytes(),
            ),
        )


@dataclass(frozen=True)
class PartitionTable:
    """All band entries of one partition, with the documents they point at."""

    keys: np.ndarray  # uint64 per entry
    docs: np.ndarray  # int64 per entry: the document (index into the arrays below)
    rows: np.ndarray  # int32 per document: its row in its batch
    batches: np.ndarray  # int64 per document: index into batch_keys
    batch_keys: list[str]
    ids: Csr  # utf-8 bytes per document

    @classmethod
    def concat(cls, payloads: Iterable[Payload]) -> PartitionTable:
        keys: list[np.ndarray] = []
        docs: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        ids: list[Csr] = []
        batch_keys: list[str] = []
        count = 0
        for batch_key, key_bytes, doc_bytes, row_bytes, id_bytes, id_offsets in payloads:
            keys.append(np.frombuffer(key_bytes, dtype=np.uint64))
            docs.append(np.frombuffer(doc_bytes, dtype=np.int32).astype(np.int64) + count)
            rows.append(np.frombuffer(row_bytes, dtype=np.int32))
            count += len(rows[-1])
            ids.append(Csr.from_bytes(id_bytes, id_offsets, np.uint8))
            batch_keys.append(batch_key)
        return cls(
            keys=np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64),
            docs=np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64),
            rows=np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32),
            batches=np.repeat(np.arange(len(rows)), [len(r) for r in rows]),
            batch_keys=batch_keys,
            ids=Csr.concat(ids, np.uint8),
        )

    def record_id(self, doc: int) -> str:
        return self.ids.row(doc).tobytes().decode("utf-8")

    def batch_key(self, doc: int) -> str:
        return self.batch_keys[self.batches[doc]]

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
            members = sorted(set(bucket.tolist()), key=lambda d: (self.record_id(d), self.batch_key(d), d))
            if len(members) <= max_bucket:
                yield from itertools.combinations(members, 2)
            else:
                anchors = members[:ANCHORS]
                yield from itertools.combinations(anchors, 2)
                yield from ((a, m) for m in members[ANCHORS:] for a in anchors)
