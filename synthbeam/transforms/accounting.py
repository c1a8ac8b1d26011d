"""Counts every element at every stage boundary and writes ``manifest.json``.

The counts are computed inside the pipeline (a shuffle of small keys), so they are exact
on any runner, and they are what the run summary and the dataset card report.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from synthbeam.schemas.record import DeadLetter, Record, Rejected

WRITTEN = "written"
FILTERED = "filtered"
DEAD_LETTERED = "dead_lettered"
ADDED = "added"  # rows a stage creates on purpose (oversampled copies, augmented variants)


def written_key(record: Record) -> str:
    return f"{WRITTEN}/{record.split or 'data'}"


def shard_rows(shard: dict[str, Any]) -> tuple[str, int]:
    """(``written/<split>``, rows) of one written Parquet shard: counts what landed on disk."""
    return f"{WRITTEN}/{shard['split']}", shard["num_rows"]


def filtered_key(rejected: Rejected) -> str:
    return f"{FILTERED}/{rejected.stage}/{rejected.reason}"


def dead_letter_key(dead: DeadLetter) -> str:
    return f"{DEAD_LETTERED}/{dead.stage}/{dead.reason}"


class CountBy(beam.PTransform):
    """PCollection[T] -> PCollection[(key, count)] with ``key_fn(element)`` as the key.

    With ``weighted=True``, ``key_fn`` returns ``(key, amount)`` instead of a key.
    """

    def __init__(self, key_fn: Any, weighted: bool = False) -> None:
        super().__init__()
        self._key_fn = key_fn
        self._weighted = weighted

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        key_fn = self._key_fn
        pairs = key_fn if self._weighted else (lambda element: (key_fn(element), 1))
        return pcoll | "Key" >> beam.Map(pairs) | "Sum" >> beam.CombinePerKey(sum)


def total(counts: dict[str, int], prefix: str) -> int:
    return sum(n for key, n in counts.items() if key == prefix or key.startswith(prefix + "/"))


def reconcile(counts: dict[str, int], rows_in_key: str, dead_letter_stages: Iterable[str]) -> dict[str, Any]:
    """rows in (+ rows added) = written + filtered + dead-lettered, for ``rows_in_key``'s rows.

    Dead letters of stages before ``rows_in_key`` (reading) are reconciled separately
    against ``documents_in``.
    """
    stages = set(dead_letter_stages)
    dead = sum(n for key, n in counts.items() if key.startswith(DEAD_LETTERED + "/") and key.split("/")[1] in stages)
    rows_in, added = counts.get(rows_in_key, 0), total(counts, ADDED)
    written, filtered = total(counts, WRITTEN), total(counts, FILTERED)
    return {
        "rows_in": rows_in,
        "rows_added": added,
        "rows_written": written,
        "rows_filtered": filtered,
        "rows_dead_lettered": dead,
        "balanced": rows_in + added == written + filtered + dead,
    }


def build_manifest(
    counts: dict[str, int], run_info: dict[str, Any], rows_in_key: str, generation_stages: Iterable[str]
) -> dict[str, Any]:
    """The manifest document: run facts, every count, and the reconciliation."""
    return {
        **run_info,
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "counts": dict(sorted(counts.items())),
        "reconciliation": reconcile(counts, rows_in_key, generation_stages),
    }


def write_json(path: str, document: dict[str, Any]) -> str:
    with FileSystems.create(path, mime_type="application/json") as handle:
        handle.write(json.dumps(document, indent=2, sort_keys=False).encode("utf-8"))
    return path


class WriteManifest(beam.PTransform):
    """Flattens (key, count) collections into ``{output}/manifest.json``.

    Input: a tuple of PCollection[(str, int)]. Output: PCollection with the manifest dict.
    """

    def __init__(
        self, path: str, run_info: dict[str, Any], rows_in_key: str, generation_stages: tuple[str, ...]
    ) -> None:
        super().__init__()
        self._path = path
        self._run_info = run_info
        self._rows_in_key = rows_in_key
        self._stages = generation_stages

    def expand(self, count_collections: Any) -> beam.PCollection:
        path, info, rows_in_key, stages = self._path, self._run_info, self._rows_in_key, self._stages
        return (
            count_collections
            | "FlattenCounts" >> beam.Flatten()
            | "MergeCounts" >> beam.CombinePerKey(sum)
            | "AsDict" >> beam.combiners.ToDict()
            | "Build" >> beam.Map(lambda counts: build_manifest(counts, info, rows_in_key, stages))
            | "Write" >> beam.Map(lambda manifest: (write_json(path, manifest), manifest)[1])
        )
