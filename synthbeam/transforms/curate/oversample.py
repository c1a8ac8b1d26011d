"""Class rebalancing by oversampling minority classes, deterministically.

Per-class counts come from a combine. Each row then gets ``extra // n`` copies plus one more
when a hash of its id falls below ``(extra % n) / n``, so a class grows by ``extra`` rows in
expectation without ranking rows on one machine. An original and its augmented variants
(rows whose ``lineage.parent_id`` is its id and whose ``lineage.augmentation`` is set) form a
family; the family's copies are drawn from its variants first and fall back to exact copies
of the original only after each variant was used.
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


def copies_for(row_id: str, count: int, extra: int, seed: int) -> int:
    """Copies of one row so that its class gains ``extra`` rows in expectation."""
    if count == 0 or extra <= 0:
        return 0
    whole, remainder = divmod(extra, count)
    return whole + (1 if unit_hash(seed, row_id) < remainder / count else 0)


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

    def __init__(self, label_fn: Callable[[Record], str], target: str | int, max_factor: float, seed: int) -> None:
        self._label_fn = label_fn
        self._target = target
        self._max_factor = max_factor
        self._seed = seed
        self._copies = Metrics.counter(STAGE, "copies")
        self._from_variants = Metrics.counter(STAGE, "copies_from_variants")

    def process(self, keyed: tuple[str, Iterable[Record]], counts: dict[str, int]) -> Iterator[Record]:
        family_id, members = keyed
        target = class_target(counts, self._target)
        by_label: dict[str, list[Record]] = {}
        for row in members:
            yield row
            by_label.setdefault(self._label_fn(row), []).append(row)
        for label, rows in sorted(by_label.items()):
            n = counts.get(label, 0)
            extra = extra_rows(n, target, self._max_factor)
            copies = [copies_for(r.id, n, extra, self._seed) for r in rows]
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
    """Oversamples minority classes up to ``target`` rows, at most ``max_factor`` x each.

    Input: ``PCollection[Record]``.
    Output: ``{"main": PCollection[Record], "class_counts": PCollection[dict]}``; main holds
    every input row plus copies (new ids, ``lineage.oversampled_from`` set to the row copied),
    class_counts one ``{"before": {label: n}, "after": {label: n}}``.
    """

    def __init__(
        self,
        column: str = "label",
        *,
        label_fn: Callable[[Record], str] | None = None,
        target: str | int = MAX,
        max_factor: float = 3.0,
        seed: int = 0,
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

    def expand(self, pcoll: beam.PCollection) -> dict[str, beam.PCollection]:
        label_fn = self._label_fn
        before = (
            pcoll | "LabelsBefore" >> beam.Map(lambda r: (label_fn(r), 1)) | "CountBefore" >> beam.CombinePerKey(sum)
        )
        balanced = (
            pcoll
            | "KeyByFamily" >> beam.Map(lambda r: (family_key(r), r))
            | "GroupFamilies" >> beam.GroupByKey()
            | "AddCopies"
            >> beam.ParDo(
                OversampleFamilyFn(label_fn, self._target, self._max_factor, self._seed),
                counts=pvalue.AsDict(before),
            )
        )
        after = (
            balanced | "LabelsAfter" >> beam.Map(lambda r: (label_fn(r), 1)) | "CountAfter" >> beam.CombinePerKey(sum)
        )
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
        return {"main": balanced, "class_counts": counts}
