"""Class rebalancing by oversampling minority classes, exactly and deterministically.

Per-class counts come from a combine. A class of ``n`` rows that gains ``extra`` rows gives
every row ``extra // n`` copies and one more to the ``extra % n`` rows that rank first by a
seeded hash of their id (ranked per class from (hash, id) pairs only, not whole rows), so
each class ends exactly at its target. An original and its augmented variants (rows whose
``lineage.parent_id`` is its id and whose ``lineage.augmentation`` is set) form a family; the
family's copies are drawn from its variants first and fall back to exact copies of the
original only after each variant was used. With ``only_split`` (recipes pass ``train``),
rows of other splits pass through once and do not count: eval rows are never copied.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Iterator

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from synthbeam.schemas.record import Record, stable_id

STAGE = "oversample"
MAX = "max"


def unit_hash(*parts: object) -> float:
    """A deterministic number in [0, 1) from its parts."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def class_target(counts: dict[str, int], target: str | int) -> int:
    if target == MAX:
        return max(counts.values(), default=0)
    return int(target)


def extra_rows(count: int, target: int, max_factor: float) -> int:
    """How many rows a class of ``count`` gains: up to target, at most ``max_factor`` times."""
    if count == 0:
        return 0
    return max(0, min(target, int(count * max_factor)) - count)


def copies_by_rank(ranked: Iterable[tuple[float, str, str]], extra: int) -> Iterator[tuple[str, tuple[str, int]]]:
    """``(family, (row id, copies))`` for one class's ``(hash, row id, family)`` triples:
    ``extra`` copies in all, spread evenly, the remainder to the rows that rank first."""
    rows = sorted(ranked)
    if not rows or extra <= 0:
        return
    whole, remainder = divmod(extra, len(rows))
    for rank, (_, row_id, family) in enumerate(rows):
        copies = whole + (1 if rank < remainder else 0)
        if copies:
            yield family, (row_id, copies)


def class_copies(
    grouped: tuple[str, Iterable[tuple[float, str, str]]], target: str | int, max_factor: float, counts: dict[str, int]
) -> Iterator[tuple[str, tuple[str, int]]]:
    label, ranked = grouped
    return copies_by_rank(ranked, extra_rows(counts[label], class_target(counts, target), max_factor))


def make_copy(source: Record, family_id: str, k: int) -> Record:
    """Copy number ``k`` of a family, with the content of ``source``."""
    lineage = dataclasses.replace(source.lineage, oversampled_from=source.id)
    return dataclasses.replace(source, id=stable_id(family_id, source.id, STAGE, k), lineage=lineage)


def family_key(record: Record) -> str:
    """Groups an original with its augmented variants."""
    if record.lineage.augmentation and record.lineage.parent_id:
        return record.lineage.parent_id
    return record.id


def copy_sources(members: list[Record], copies: list[int]) -> list[Record]:
    """Sources of a family's copies: the family's total, round-robin, variants first.

    Spreading copies over the family's distinct texts duplicates each text as little as
    possible; exact copies of the original come only after every variant was used once.
    """
    total = sum(copies)
    if not total:
        return []
    pool = sorted(members, key=lambda r: (r.lineage.augmentation == "", r.id))
    return [pool[i % len(pool)] for i in range(total)]


class OversampleFamilyFn(beam.DoFn):
    """Emits every row of a family (an original and its variants) plus the family's copies."""

    def __init__(self, label_fn: Callable[[Record], str]) -> None:
        self._label_fn = label_fn
        self._copies = Metrics.counter(STAGE, "copies")
        self._from_variants = Metrics.counter(STAGE, "copies_from_variants")

    def process(self, keyed: tuple[str, dict[str, Iterable]]) -> Iterator[Record]:
        family_id, grouped = keyed
        members = list(grouped["rows"])
        copies_of = dict(grouped["copies"])
        by_label: dict[str, list[Record]] = {}
        for row in members:
            yield row
            by_label.setdefault(self._label_fn(row), []).append(row)
        for _, rows in sorted(by_label.items()):
            copies = [copies_of.get(r.id, 0) for r in rows]
            for k, source in enumerate(copy_sources(rows, copies)):
                self._copies.inc()
                if source.lineage.augmentation:
                    self._from_variants.inc()
                yield make_copy(source, family_id, k)


def label_column(column: str) -> Callable[[Record], str]:
    def label_of(record: Record) -> str:
        return str(getattr(record, column))

    return label_of


class Oversample(beam.PTransform):
    """Oversamples minority classes to exactly ``target`` rows, at most ``max_factor`` x each.

    Input: ``PCollection[Record]``.
    Output: ``{"main": PCollection[Record], "class_counts": PCollection[dict]}``; main holds
    every input row plus copies (new ids, ``lineage.oversampled_from`` set to the row copied),
    class_counts one ``{"before": {label: n}, "after": {label: n}}`` (of ``only_split`` rows
    when it is set).
    """

    def __init__(
        self,
        column: str = "label",
        *,
        label_fn: Callable[[Record], str] | None = None,
        target: str | int = MAX,
        max_factor: float = 3.0,
        seed: int = 0,
        only_split: str | None = None,
    ) -> None:
        super().__init__()
        if target != MAX and (not isinstance(target, int) or target < 0):
            raise ValueError(f"target={target!r}: use 'max' or a non-negative int")
        if max_factor < 1.0:
            raise ValueError(f"max_factor={max_factor} must be >= 1")
        self._label_fn = label_fn or label_column(column)
        self._target = target
        self._max_factor = max_factor
        self._seed = seed
        self._only_split = only_split

    def expand(self, pcoll: beam.PCollection) -> dict[str, beam.PCollection]:
        label_fn, seed, only = self._label_fn, self._seed, self._only_split
        parts = pcoll | "ChooseRows" >> beam.Partition(lambda r, _: 0 if only is None or r.split == only else 1, 2)
        rows, passed = parts[0], parts[1]
        before = (
            rows | "LabelsBefore" >> beam.Map(lambda r: (label_fn(r), 1)) | "CountBefore" >> beam.CombinePerKey(sum)
        )
        target, max_factor = self._target, self._max_factor
        copies = (
            rows
            | "HashPerClass" >> beam.Map(lambda r: (label_fn(r), (unit_hash(seed, r.id), r.id, family_key(r))))
            | "GroupClasses" >> beam.GroupByKey()
            | "CopiesByRank"
            >> beam.FlatMap(class_copies, target=target, max_factor=max_factor, counts=pvalue.AsDict(before))
        )
        families = rows | "KeyByFamily" >> beam.Map(lambda r: (family_key(r), r))
        grown = (
            {"rows": families, "copies": copies}
            | "JoinCopies" >> beam.CoGroupByKey()
            | "AddCopies" >> beam.ParDo(OversampleFamilyFn(label_fn))
        )
        after = grown | "LabelsAfter" >> beam.Map(lambda r: (label_fn(r), 1)) | "CountAfter" >> beam.CombinePerKey(sum)
        counts = (
            pcoll.pipeline
            | "CountsSeed" >> beam.Create([None])
            | "ClassCounts"
            >> beam.Map(
                lambda _, b, a: {"before": dict(sorted(b.items())), "after": dict(sorted(a.items()))},
                b=pvalue.AsDict(before),
                a=pvalue.AsDict(after),
            )
        )
        return {"main": (grown, passed) | "WithOtherSplits" >> beam.Flatten(), "class_counts": counts}
