"""Decontamination: drop records sharing a word n-gram with an evaluation set.

Evaluation files (JSON lines such as BFCL, or plain text lines) are read inside the
pipeline; every string in a line becomes normalised words (NFKC, lowercase, punctuation
removed). Strings of at least ``n`` words contribute all their n-grams; shorter strings of at
least ``min_words`` words contribute themselves as one gram, so short questions are caught
too. The grams of all sets form one sorted hash array broadcast as a side input: its size
is bounded by the evaluation data, never by the corpus.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam import pvalue
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from synthbeam.schemas.reasons import CONTAMINATED
from synthbeam.schemas.record import Record, Rejected
from synthbeam.transforms.curate.minhash import WORD, ngram_hashes, token_codes
from synthbeam.transforms.curate.text import MESSAGES, check_fields, normalised_text, record_text
from synthbeam.transforms.outputs import MAIN, REJECTED

STAGE = "decontaminate"
# Index: (sorted gram keys, set index per key, set names, gram lengths in use).
GramIndex = tuple[bytes, bytes, tuple[str, ...], tuple[int, ...]]


def contaminated_reason(set_name: str) -> str:
    return f"{CONTAMINATED}:{set_name}"


def json_strings(value: Any) -> Iterator[str]:
    """Every string value inside a parsed JSON value (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def line_strings(line: str) -> list[str]:
    """The strings of one evaluation line: its JSON strings, or the line if not JSON."""
    line = line.strip()
    if not line:
        return []
    try:
        return list(json_strings(json.loads(line)))
    except json.JSONDecodeError:
        return [line]


def gram_keys(texts: Sequence[str], n: int, lengths: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """(text index, key) of every k-gram of normalised texts, for each k in ``lengths``.

    A key is the gram's rolling hash with k in its top byte, so grams of different lengths
    never collide.
    """
    words = [normalised_text(t, strip_punctuation=True) for t in texts]
    codes, doc_of = token_codes(words, WORD)
    docs, keys = [], []
    for k in sorted(set(lengths)):
        d, h = ngram_hashes(codes, doc_of, k)
        docs.append(d)
        keys.append((h >> np.uint64(8)) | (np.uint64(k) << np.uint64(56)))
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(docs), np.concatenate(keys)


def eval_gram_keys(strings: Sequence[str], n: int, min_words: int) -> np.ndarray:
    """Gram keys of evaluation strings: n-grams, or the whole string when shorter than n."""
    lengths = [len(normalised_text(s, strip_punctuation=True).split()) for s in strings]
    by_length: dict[int, list[str]] = {}
    for text, length in zip(strings, lengths, strict=True):
        if length >= min_words:
            by_length.setdefault(min(length, n), []).append(text)
    parts = [gram_keys(texts, n, [k])[1] for k, texts in by_length.items()]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)


def read_eval_file(name_and_path: tuple[str, str], n: int, min_words: int) -> tuple[str, bytes]:
    name, path = name_and_path
    with FileSystems.open(path) as handle:
        strings = [s for raw in handle for s in line_strings(raw.decode("utf-8", "replace"))]
    return name, eval_gram_keys(strings, n, min_words).tobytes()


def match_files(name_and_pattern: tuple[str, str]) -> Iterator[tuple[str, str]]:
    name, pattern = name_and_pattern
    metadata = FileSystems.match([pattern])[0].metadata_list
    if not metadata:
        raise FileNotFoundError(f"evaluation set {name!r}: no file matches {pattern!r}")
    for item in metadata:
        yield name, item.path


def build_index(per_file: Iterable[tuple[str, bytes]], n: int, min_words: int) -> GramIndex:
    """One sorted key array over all sets; a key shared by several sets keeps the first name."""
    grouped: dict[str, list[np.ndarray]] = {}
    for name, payload in per_file:
        grouped.setdefault(name, []).append(np.frombuffer(payload, dtype=np.uint64))
    names = tuple(sorted(grouped))
    keys = [np.unique(np.concatenate(grouped[name])) for name in names]
    sets = [np.full(len(k), i, dtype=np.int32) for i, k in enumerate(keys)]
    all_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint64)
    all_sets = np.concatenate(sets) if sets else np.zeros(0, dtype=np.int32)
    order = np.lexsort((all_sets, all_keys))
    lengths = tuple(sorted({int(k) for k in np.unique(all_keys >> np.uint64(56))}))
    return all_keys[order].tobytes(), all_sets[order].tobytes(), names, lengths


def find_contamination(text: str, index: GramIndex, n: int) -> tuple[str, int] | None:
    """(set name, matching grams) of the first set the text shares a gram with, else None."""
    key_bytes, set_bytes, names, lengths = index
    keys = np.frombuffer(key_bytes, dtype=np.uint64)
    if not len(keys):
        return None
    _, grams = gram_keys([text], n, lengths)
    position = np.searchsorted(keys, grams)
    found = position < len(keys)
    found[found] = keys[position[found]] == grams[found]
    if not found.any():
        return None
    sets = np.frombuffer(set_bytes, dtype=np.int32)[position[found]]
    return names[int(sets.min())], int(found.sum())


class DecontaminateFn(beam.DoFn):
    """Rejects records whose text shares a gram with an evaluation set."""

    def __init__(self, fields: Sequence[str], n: int) -> None:
        self._fields = tuple(fields)
        self._n = n
        self._kept = Metrics.counter(STAGE, "kept")
        self._counters: dict[str, Any] = {}

    def process(self, record: Record, index: GramIndex) -> Iterator[object]:
        hit = find_contamination(record_text(record, self._fields), index, self._n)
        if hit is None:
            self._kept.inc()
            yield record
            return
        name, grams = hit
        reason = contaminated_reason(name)
        if reason not in self._counters:
            self._counters[reason] = Metrics.counter(STAGE, reason)
        self._counters[reason].inc()
        detail = f"{grams} shared {self._n}-grams"
        yield pvalue.TaggedOutput(REJECTED, Rejected(record, STAGE, reason, detail))


class Decontaminate(beam.PTransform):
    """Drops records that share an n-gram (default 13 words) with any evaluation set.

    Args:
        eval_sets: set name -> file pattern (any Beam filesystem), JSON lines or text.
        n: gram length in words.
        min_words: evaluation strings shorter than this are ignored (tool names, types).
        fields: record fields whose text is checked.

    Input: ``PCollection[Record]``.
    Output: ``DoOutputsTuple`` with ``.main`` (``Record``) and ``.rejected`` (``Rejected``,
    reason ``contaminated:<set name>``, detail the number of shared grams).
    """

    def __init__(
        self,
        eval_sets: Mapping[str, str],
        n: int = 13,
        *,
        min_words: int = 8,
        fields: Sequence[str] = (MESSAGES,),
    ) -> None:
        super().__init__()
        if not eval_sets:
            raise ValueError("eval_sets is empty: pass {name: file pattern}")
        if not 1 <= min_words <= n:
            raise ValueError(f"need 1 <= min_words <= n, got min_words={min_words}, n={n}")
        self._eval_sets = dict(sorted(eval_sets.items()))
        self._n = n
        self._min_words = min_words
        self._fields = check_fields(fields)

    def expand(self, pcoll: beam.PCollection) -> pvalue.DoOutputsTuple:
        n, min_words = self._n, self._min_words
        index = (
            pcoll.pipeline
            | "EvalSets" >> beam.Create(list(self._eval_sets.items()))
            | "MatchEvalFiles" >> beam.FlatMap(match_files)
            | "ReadEvalGrams" >> beam.Map(read_eval_file, n, min_words)
            | "CollectGrams" >> beam.combiners.ToList()
            | "BuildIndex" >> beam.Map(build_index, n, min_words)
        )
        return pcoll | "DropContaminated" >> beam.ParDo(
            DecontaminateFn(self._fields, n), index=pvalue.AsSingleton(index)
        ).with_outputs(REJECTED, main=MAIN)
