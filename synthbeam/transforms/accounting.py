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

from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Record, Rejected, stable_id
from synthbeam.transforms.cost import UNMEASURED

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
    against ``documents_in``. ``input_files_lost`` counts input files read only in part
    (``reasons.INPUT_LOST``): what they held after the damage is in no count, so a balanced
    run with lost input is balanced only over what was read.
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
        "input_files_lost": input_files_lost(counts),
    }


def input_files_lost(counts: dict[str, int]) -> int:
    """Files whose reading stopped part-way (truncated or corrupt): one dead letter each."""
    prefix = DEAD_LETTERED + "/"
    return sum(n for key, n in counts.items() if key.startswith(prefix) and key.split("/")[-1] in reasons.INPUT_LOST)


def quality_summary(counts: dict[str, int], rows_in_key: str) -> dict[str, Any]:
    """Yield: the share of the rows in that were kept (copies aside), and rows removed per stage."""
    rows_in = counts.get(rows_in_key, 0)
    kept = total(counts, WRITTEN) - total(counts, ADDED)
    removed: dict[str, int] = {}
    for key, n in counts.items():
        if key.startswith(FILTERED + "/"):
            stage = key.split("/")[1]
            removed[stage] = removed.get(stage, 0) + n
    return {
        "rows_in": rows_in,
        "kept": kept,
        "yield": round(kept / rows_in, 4) if rows_in else 0.0,
        "removed_by_stage": dict(sorted(removed.items())),
    }


def row_preview(record: Record, max_chars: int = 600) -> dict[str, Any]:
    """A kept row as a person reads it: the request, and the answer or the calls."""
    user = next((m.get("content") or "" for m in record.messages if m.get("role") == "user"), "")
    last = record.messages[-1] if record.messages else {}
    calls = [c["function"] for c in last.get("tool_calls") or ()]
    answer = json.dumps(calls, ensure_ascii=False) if calls else (last.get("content") or "")
    return {"id": record.id, "label": record.label, "request": user[:max_chars], "answer": answer[:max_chars]}


class SampleKeptRows(beam.PTransform):
    """``n`` kept rows (oversampled copies aside) chosen by a hash of their ids: a fixed,
    unbiased sample a person can read. Input: ``PCollection[Record]``. Output: one list of
    ``row_preview`` dicts."""

    def __init__(self, n: int = 3) -> None:
        super().__init__()
        self._n = n

    def expand(self, records: beam.PCollection) -> beam.PCollection:
        return (
            records
            | "Originals" >> beam.Filter(lambda r: not r.lineage.oversampled_from)
            | "ByHash" >> beam.combiners.Top.Of(self._n, key=lambda r: stable_id("sample", r.id), reverse=True)
            | "Preview" >> beam.Map(lambda rows: [row_preview(r) for r in rows])
        )


def build_manifest(
    counts: dict[str, int],
    run_info: dict[str, Any],
    rows_in_key: str,
    generation_stages: Iterable[str],
    samples: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The manifest document: run facts, every count, the reconciliation, yield and a sample."""
    manifest = {
        **run_info,
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "counts": dict(sorted(counts.items())),
        "reconciliation": reconcile(counts, rows_in_key, generation_stages),
        "quality": quality_summary(counts, rows_in_key),
        "cost": dict(UNMEASURED),  # a finished local run replaces it (write.run_cost)
    }
    if samples is not None:
        manifest["sample_rows"] = samples
    return manifest


def write_json(path: str, document: dict[str, Any]) -> str:
    with FileSystems.create(path, mime_type="application/json") as handle:
        handle.write(json.dumps(document, indent=2, sort_keys=False).encode("utf-8"))
    return path


def generate_counters(result: Any) -> dict[str, int]:
    """Every Beam counter of ``GenerateCompletions`` (namespace "generate") of a finished run,
    summed over steps."""
    from apache_beam.metrics.metric import MetricsFilter

    totals: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace("generate"))["counters"]:
        name = counter.key.metric.name
        value = counter.committed if counter.committed is not None else counter.attempted
        totals[name] = totals.get(name, 0) + int(value or 0)
    return dict(sorted(totals.items()))


def llm_request_counts(result: Any) -> dict[str, int]:
    """What the LLM client did over a finished run: calls, cache hits, retries, timeouts,
    tokens. These are Beam counters, not elements, so they are known only once the run is
    over; dead letters are in ``counts``, each stage's usage (``<stage>/<figure>``) in ``cost``."""
    counts = generate_counters(result).items()
    return {name: n for name, n in counts if not name.startswith("dead_letter_") and "/" not in name}


def add_llm_request_counts(manifest_path: str, result: Any) -> None:
    """Adds ``llm_request_counts`` to a finished run's manifest as ``llm_requests`` (written
    aside and renamed into place, so a reader sees the old manifest or the new one)."""
    counts = llm_request_counts(result)
    if not counts:  # the recipe asked no LLM
        return
    with FileSystems.open(manifest_path) as handle:
        manifest = json.loads(handle.read().decode("utf-8"))
    manifest["llm_requests"] = counts
    FileSystems.rename([write_json(f"{manifest_path}.tmp", manifest)], [manifest_path])


class WriteManifest(beam.PTransform):
    """Flattens (key, count) collections into ``{output}/manifest.json``.

    Input: a tuple of PCollection[(str, int)]. Output: PCollection with the manifest dict.
    """

    def __init__(
        self,
        path: str,
        run_info: dict[str, Any],
        rows_in_key: str,
        generation_stages: tuple[str, ...],
        kept_rows: beam.PCollection | None = None,
    ) -> None:
        super().__init__()
        self._path = path
        self._run_info = run_info
        self._rows_in_key = rows_in_key
        self._stages = generation_stages
        self._kept_rows = kept_rows  # Records written: a few go into the manifest as a sample

    def expand(self, count_collections: Any) -> beam.PCollection:
        path, info, rows_in_key, stages = self._path, self._run_info, self._rows_in_key, self._stages
        side: dict[str, Any] = {}
        if self._kept_rows is not None:
            samples = self._kept_rows | "SampleKeptRows" >> SampleKeptRows()
            side["samples"] = beam.pvalue.AsSingleton(samples, default_value=[])
        return (
            count_collections
            | "FlattenCounts" >> beam.Flatten()
            | "MergeCounts" >> beam.CombinePerKey(sum)
            | "AsDict" >> beam.combiners.ToDict()
            | "Build" >> beam.Map(lambda counts, **kw: build_manifest(counts, info, rows_in_key, stages, **kw), **side)
            | "Write" >> beam.Map(lambda manifest: (write_json(path, manifest), manifest)[1])
        )
