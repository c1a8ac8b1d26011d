"""Writing the dataset card: stats gathered from the pipeline, then ``README.md`` and charts.

``WriteDatasetCard`` counts lengths, rejects, copies and samples with small combines, feeds
them to ``collect_stats`` as side inputs and writes the card (``dataset_card.render_card``) and
its charts next to the shards.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from synthbeam.transforms.accounting import SampleKeptRows
from synthbeam.transforms.curate.text import record_text
from synthbeam.transforms.write.charts import LENGTH_EDGES, render_charts, split_order
from synthbeam.transforms.write.dataset_card import CARD_NAME, render_card
from synthbeam.transforms.write.finalize import WrittenShard
from synthbeam.transforms.write.parquet import split_dir


def length_bucket(length: int) -> int:
    """Index of the histogram bin of a character count (the last bin is open-ended)."""
    return sum(1 for edge in LENGTH_EDGES[1:] if length >= edge)


def collect_stats(
    shards: Iterable[WrittenShard],
    lengths: Iterable[tuple[tuple[str, int], int]] = (),
    rejected: Iterable[tuple[tuple[str, str], int]] = (),
    class_counts: dict[str, Any] | None = None,
    samples: list[dict[str, Any]] | None = None,
    copies: int = 0,
    sampling: list[str] | None = None,
    **card: Any,
) -> dict[str, Any]:
    """Stats for ``render_card`` from the pipeline's small per-key counts."""
    splits: dict[str, dict[str, Any]] = {}
    for shard in sorted(shards, key=lambda s: s["path"]):
        entry = splits.setdefault(shard["split"], {"num_examples": 0, "num_bytes": 0, "arrow_bytes": 0, "files": []})
        entry["num_examples"] += shard["num_rows"]
        entry["num_bytes"] += shard["num_bytes"]
        entry["arrow_bytes"] += shard.get("arrow_bytes", shard["num_bytes"])
        entry["files"].append(f"{shard['split']}/{os.path.basename(shard['path'])}")
    histogram: dict[str, list[int]] = {}
    for (split, bucket), n in lengths:
        histogram.setdefault(split, [0] * len(LENGTH_EDGES))[bucket] += n
    removed: dict[str, dict[str, int]] = {}
    for (stage, reason), n in rejected:
        removed.setdefault(stage, {})[reason] = n
    ordered = dict(sorted(splits.items(), key=lambda kv: split_order(kv[0])))
    stats = {**card, "splits": ordered, "lengths": histogram, "rejected": removed, "samples": samples or []}
    stats["copies"] = copies
    stats["sampling"] = sampling or []
    if class_counts:
        stats["class_counts"] = class_counts
    return stats


def write_card(output_dir: str, stats: dict[str, Any]) -> list[str]:
    """Writes the charts and README.md under ``output_dir``; returns the paths written."""
    charts = render_charts(stats)
    stats = {**stats, "charts": sorted(charts)}
    files = {**charts, CARD_NAME: render_card(stats).encode("utf-8")}
    written = []
    for name, payload in sorted(files.items()):
        path = FileSystems.join(output_dir, name)
        handle = FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED)
        try:
            handle.write(payload)
        finally:
            handle.close()
        written.append(path)
    return written


class WriteDatasetCard(beam.PTransform):
    """Writes ``README.md`` (Hugging Face card) and charts next to the Parquet shards.

    Input: a dict of PCollections: ``shards`` (``WrittenShard``, required), and optionally
    ``records`` (``Record``, for length histograms and a sample of rows), ``class_counts`` (the one dict from
    ``Oversample``), ``rejected`` (``Rejected``, for the curation table).
    Output: ``PCollection[str]`` of the files written.
    """

    def __init__(
        self,
        output_dir: str,
        *,
        pretty_name: str = "synthbeam dataset",
        license: str = "other",
        license_name: str = "see-dataset-card",
        description: str = "",
        facts: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._output_dir = output_dir
        self._card = {
            "pretty_name": pretty_name,
            "license": license,
            "license_name": license_name,
            "description": description,
            "facts": dict(facts or {}),
        }

    def expand(self, inputs: dict[str, beam.PCollection]) -> beam.PCollection:
        if "shards" not in inputs:
            raise ValueError("WriteDatasetCard needs {'shards': PCollection[WrittenShard], ...}")
        p = inputs["shards"].pipeline
        side: dict[str, Any] = {"shards": pvalue.AsList(inputs["shards"])}
        if "records" in inputs:
            side["lengths"] = pvalue.AsList(
                inputs["records"]
                | "LengthBucket" >> beam.Map(lambda r: ((split_dir(r), length_bucket(len(record_text(r)))), 1))
                | "CountLengths" >> beam.CombinePerKey(sum)
            )
            samples = inputs["records"] | "SampleKeptRows" >> SampleKeptRows()
            side["samples"] = pvalue.AsSingleton(samples, default_value=[])
            copies = (
                inputs["records"]
                | "Copies" >> beam.Filter(lambda r: bool(r.lineage.oversampled_from))
                | "CountCopies" >> beam.combiners.Count.Globally()
            )
            side["copies"] = pvalue.AsSingleton(copies, default_value=0)
            side["sampling"] = pvalue.AsList(
                inputs["records"]
                | "Sampling" >> beam.Map(lambda r: r.lineage.sampling)
                | "DistinctSampling" >> beam.Distinct()
            )
        if "rejected" in inputs:
            side["rejected"] = pvalue.AsList(
                inputs["rejected"]
                | "RejectReason" >> beam.Map(lambda r: ((r.stage, r.reason), 1))
                | "CountRejects" >> beam.CombinePerKey(sum)
            )
        if "class_counts" in inputs:
            side["class_counts"] = pvalue.AsSingleton(inputs["class_counts"])
        output_dir, card = self._output_dir, self._card
        return (
            p
            | "CardSeed" >> beam.Create([None])
            | "WriteCard" >> beam.FlatMap(lambda _, **kw: write_card(output_dir, collect_stats(**kw, **card)), **side)
        )
