"""MinHash signatures and LSH band keys, computed in bulk with numpy (no Beam here).

A batch of normalised texts becomes one byte array. Word hashes come from prefix sums of a
polynomial hash (mod 2^64) over those bytes, n-gram hashes from a rolling hash over the word
hashes. Signatures use one-permutation hashing with optimal densification (Shrivastava,
"Optimal Densification for Fast and Accurate Minwise Hashing", ICML 2017): each shingle is
hashed once, the hash picks one of ``num_perm`` bins and the rest of it is the value, a bin
keeps its minimum, and an empty bin borrows the value of the first non-empty bin in a probe
sequence that depends only on the bin. Two sets agree on a bin with probability equal to
their Jaccard, as with ``num_perm`` independent permutations, at a cost of one hash per
shingle instead of ``num_perm``. Python does no per-word or per-shingle work.

Shingle sets are kept as CSR pairs: ``values`` (sorted unique uint32 per document, documents
one after the other) and ``offsets`` (``len(docs) + 1`` boundaries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WORD = "word"
CHAR = "char"
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BASE = 0x100000001B3  # odd, so it has an inverse mod 2^64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_SPACE = 32
_SEPARATOR = np.zeros(256, dtype=bool)  # the ASCII bytes str.split() splits on
_SEPARATOR[[9, 10, 11, 12, 13, 28, 29, 30, 31, _SPACE]] = True
_LOW32 = np.uint64(0xFFFFFFFF)
_PROBE = np.uint64(0xD6E8FEB86659FD93)


@dataclass(frozen=True)
class LshParams:
    """MinHash/LSH configuration: signatures of ``num_perm`` values, the first ``bands * rows``
    of them in ``bands`` bands of ``rows`` (``num_perm`` keeps the name it has in datasketch;
    it is the signature length)."""

    num_perm: int = 128
    bands: int = 16
    rows: int = 8
    ngram: int = 5
    unit: str = WORD
    seed: int = 1

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands * rows must not exceed num_perm ({self.bands} * {self.rows} > {self.num_perm})")
        if self.unit not in (WORD, CHAR):
            raise ValueError(f"unit={self.unit!r}: use {WORD!r} or {CHAR!r}")
        if self.ngram < 1:
            raise ValueError("ngram must be >= 1")

    def candidate_probability(self, jaccard: float) -> float:
        """Chance that two documents with this Jaccard share at least one band."""
        return 1.0 - (1.0 - jaccard**self.rows) ** self.bands


def threshold_of(bands: int, rows: int) -> float:
    """Jaccard where the LSH S-curve is steepest, about (1/b)^(1/r)."""
    return (1.0 / bands) ** (1.0 / rows)


def _mix(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (h ^ (h >> np.uint64(31))) * _MIX


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every output bit depends on every input bit."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _below(h: np.ndarray, bound: int) -> np.ndarray:
    """The high 32 bits of ``h`` scaled to [0, bound) (multiply-shift range reduction)."""
    return (((h >> np.uint64(32)) * np.uint64(bound)) >> np.uint64(32)).astype(np.int64)


_POWERS: dict[int, np.ndarray] = {}


def _pow_table(base: int, count: int) -> np.ndarray:
    """base**i mod 2^64 for i in [0, count), cached and grown by doubling (read-only)."""
    table = _POWERS.get(base)
    if table is None or len(table) < count:
        size = max(count, 2 * len(table) if table is not None else 1 << 16)
        table = np.empty(size, dtype=np.uint64)
        table[0] = 1
        with np.errstate(over="ignore"):
            np.cumprod(np.full(size - 1, base, dtype=np.uint64), out=table[1:])
        table.flags.writeable = False
        _POWERS[base] = table
    return table[:count]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def token_codes(texts: Sequence[str], unit: str) -> tuple[np.ndarray, np.ndarray]:
    """Token codes (uint64) of all texts and the index of the text each token belongs to.

    Words are maximal runs of bytes that are not ASCII whitespace (``text.shingle_text``
    turns other whitespace into spaces); characters are Unicode code points.
    """
    if unit == CHAR:
        parts = [np.frombuffer(t.encode("utf-32-le"), dtype=np.uint32) for t in texts]
        lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        codes = np.concatenate(parts).astype(np.uint64) if parts else np.zeros(0, np.uint64)
        return codes, np.repeat(np.arange(len(texts)), lengths)
    encoded = [t.encode("utf-8") for t in texts]
    blob = np.frombuffer(b" ".join(encoded), dtype=np.uint8)
    doc_starts = np.zeros(len(texts), dtype=np.int64)
    if len(texts) > 1:
        sizes = np.fromiter((len(e) + 1 for e in encoded[:-1]), np.int64, count=len(texts) - 1)
        doc_starts[1:] = np.cumsum(sizes)
    spaces = np.flatnonzero(_SEPARATOR[blob])
    starts = np.concatenate(([0], spaces + 1))
    ends = np.concatenate((spaces, [len(blob)]))
    words = ends > starts
    starts, ends = starts[words], ends[words]
    with np.errstate(over="ignore"):
        powers = _pow_table(_BASE, len(blob) + 1)
        prefix = np.zeros(len(blob) + 1, dtype=np.uint64)
        np.cumsum(blob.astype(np.uint64) * powers[:-1], out=prefix[1:])
        inverse = _pow_table(_BASE_INV, len(blob) + 1)
        codes = (prefix[ends] - prefix[starts]) * inverse[starts] + (ends - starts).astype(np.uint64)
    doc_of = np.searchsorted(doc_starts, starts, side="right") - 1
    return _mix(codes), doc_of


def ngram_hashes(codes: np.ndarray, doc_of: np.ndarray, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """(document index, 64-bit hash) of every n-gram that lies within one document."""
    windows = max(len(codes) - ngram + 1, 0)
    rolled = np.zeros(windows, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(ngram):
            rolled = rolled * np.uint64(_BASE) + codes[j : j + windows]
    valid = doc_of[:windows] == doc_of[ngram - 1 : ngram - 1 + windows]
    return doc_of[:windows][valid], rolled[valid]


def shingle_sets(texts: Sequence[str], ngram: int, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """CSR (values, offsets) of each text's sorted unique 32-bit n-gram hashes.

    A text with fewer than ``ngram`` tokens has one shingle, all of its tokens; an empty
    text has none.
    """
    codes, doc_of = token_codes(texts, unit)
    docs, hashes = ngram_hashes(codes, doc_of, ngram)
    counts = np.bincount(doc_of, minlength=len(texts))
    short = np.flatnonzero((counts > 0) & (counts < ngram))
    if len(short):
        token_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
        whole = np.zeros(len(short), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for i, doc in enumerate(short):
                for code in codes[token_start[doc] : token_start[doc] + counts[doc]]:
                    whole[i] = whole[i] * np.uint64(_BASE) + code
        docs = np.concatenate((docs, short))
        hashes = np.concatenate((hashes, whole))
    keyed = _sorted_unique((docs.astype(np.uint64) << np.uint64(32)) | (_mix(hashes) >> np.uint64(32)))
    values = (keyed & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    offsets = np.searchsorted(keyed >> np.uint64(32), np.arange(len(texts) + 1, dtype=np.uint64))
    return values, offsets.astype(np.int64)


def signatures(values: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures (docs, num_perm) uint32 of CSR shingle sets; no set may be empty.

    One-permutation hashing with optimal densification (see the module docstring).
    """
    docs = len(offsets) - 1
    salt = _splitmix(np.uint64(seed * int(_MIX) % (1 << 64)))
    with np.errstate(over="ignore"):
        h = _splitmix(values.astype(np.uint64) + salt)
    doc_of = np.repeat(np.arange(docs, dtype=np.int64), np.diff(offsets))
    slot = doc_of * num_perm + _below(h, num_perm)
    binned = np.full(docs * num_perm, 0xFFFFFFFF, dtype=np.uint32)
    np.minimum.at(binned, slot, (h & _LOW32).astype(np.uint32))
    filled = np.zeros(docs * num_perm, dtype=bool)
    filled[slot] = True
    out = binned.copy()
    empty = np.flatnonzero(~filled)
    attempt = 0
    while len(empty):
        bins = empty % num_perm
        with np.errstate(over="ignore"):
            probe = _splitmix(bins.astype(np.uint64) * _MIX + np.uint64(attempt) * _PROBE + salt)
        source = empty - bins + _below(probe, num_perm)
        found = filled[source]
        out[empty[found]] = binned[source[found]]
        empty = empty[~found]
        attempt += 1
    return out.reshape(docs, num_perm)


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One uint64 key per (doc, band): the band index in the top byte, its rows hashed below."""
    grid = sigs[:, : bands * rows].reshape(sigs.shape[0], bands, rows).astype(np.uint64)
    h = np.zeros(grid.shape[:2], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            h = h * np.uint64(_BASE) + grid[:, :, r]
    band_index = np.arange(bands, dtype=np.uint64) << np.uint64(56)
    return (_mix(h) >> np.uint64(8)) | band_index[None, :]


def jaccard(x: np.ndarray, y: np.ndarray) -> float:
    """Exact Jaccard of two sorted unique hash arrays."""
    if not len(x) and not len(y):
        return 1.0
    inter = len(np.intersect1d(x, y, assume_unique=True))
    return inter / (len(x) + len(y) - inter)


def lsh_bands(num_perm: int, threshold: float, recall: float = 0.95) -> tuple[int, int]:
    """(bands, rows), ``bands * rows <= num_perm``, for a near-duplicate ``threshold``.

    Of the bandings under which a pair at exactly ``threshold`` becomes a candidate with
    probability ``>= recall``, the one whose S-curve midpoint is highest: it keeps the promised
    recall and sends the fewest dissimilar pairs to the exact check.
    """
    options = []
    for rows in range(1, num_perm + 1):
        for bands in range(1, num_perm // rows + 1):
            if 1.0 - (1.0 - threshold**rows) ** bands >= recall:
                options.append((threshold_of(bands, rows), rows, bands))
                break  # more bands only lowers the midpoint
    if not options:
        return num_perm, 1
    _, rows, bands = max(options)  # highest midpoint; on a tie, longer bands
    return bands, rows
