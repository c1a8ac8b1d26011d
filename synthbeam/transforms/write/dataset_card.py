"""Dataset card: a Hugging Face ``README.md`` (YAML header + stats) and PNG charts.

The header is ``huggingface_hub``'s ``DatasetCardData`` (license with ``license_name`` where
it is ``other``, size category, ``configs`` naming the splits written, ``dataset_info`` with
sizes as the Hub defines them: a split's ``num_bytes`` is its rows in memory, the download
size is the files'); the body names the source corpus and model and the generation recipe
(templates and their hashes, sampling, seed). ``render_card(stats)`` is pure;
``card_writer.WriteDatasetCard`` gathers the stats from the pipeline and writes the card.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
from huggingface_hub import DatasetCard, DatasetCardData

from synthbeam.schemas.arrow import RECORD_SCHEMA
from synthbeam.transforms.write.charts import CLASS_CHART, LENGTH_CHART, LENGTH_EDGES, bucket_label, split_order

CARD_NAME = "README.md"
_HF_SCALARS = {pa.string(): "string", pa.int64(): "int64", pa.float64(): "float64", pa.bool_(): "bool"}


def hf_features(schema: pa.Schema | pa.StructType) -> list[dict[str, Any]]:
    """Hugging Face ``dataset_info.features`` of an Arrow schema."""
    return [{"name": f.name, **hf_type(f.type)} for f in schema]


def hf_type(dtype: pa.DataType) -> dict[str, Any]:
    if dtype == pa.json_():
        return {"dtype": "json"}
    if pa.types.is_struct(dtype):
        return {"struct": hf_features(dtype)}
    if pa.types.is_list(dtype):
        inner = hf_type(dtype.value_type)
        return {"list": inner.get("struct", inner.get("dtype"))}
    if dtype not in _HF_SCALARS:
        raise TypeError(f"no Hugging Face feature type for {dtype}")
    return {"dtype": _HF_SCALARS[dtype]}


def short_type(dtype: pa.DataType) -> str:
    if dtype == pa.json_():
        return "JSON"
    if pa.types.is_struct(dtype):
        return "struct of " + ", ".join(f.name for f in dtype)
    if pa.types.is_list(dtype):
        return "list of " + short_type(dtype.value_type)
    return str(dtype)


SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` value for a row count."""
    return next((name for limit, name in SIZE_CATEGORIES if rows < limit), "1M<n<10M")


def memory_bytes(split: dict[str, Any]) -> int:
    """A split's rows in memory (what the Hub calls its size); its file size when not known."""
    return split.get("arrow_bytes", split["num_bytes"])


def card_data(stats: dict[str, Any]) -> DatasetCardData:
    """The card's YAML header, as ``huggingface_hub`` defines it."""
    splits = stats["splits"]
    license_id = stats.get("license", "other")
    extra = {"license_name": stats.get("license_name", "see-dataset-card")} if license_id == "other" else {}
    return DatasetCardData(
        pretty_name=stats.get("pretty_name", "synthbeam dataset"),
        license=license_id,
        language=["en"],
        tags=["synthetic", "synthbeam"],
        task_categories=["text-generation"],
        size_categories=[size_category(sum(v["num_examples"] for v in splits.values()))],
        configs=[{"config_name": "default", "data_files": [{"split": s, "path": f"{s}/*.parquet"} for s in splits]}],
        dataset_info={
            "features": hf_features(RECORD_SCHEMA),
            "splits": [
                {"name": s, "num_bytes": memory_bytes(v), "num_examples": v["num_examples"]} for s, v in splits.items()
            ],
            "download_size": sum(v["num_bytes"] for v in splits.values()),
            "dataset_size": sum(memory_bytes(v) for v in splits.values()),
        },
        **extra,
    )


def generation_lines(facts: dict[str, Any], sampling: list[str]) -> list[str]:
    """Where the rows come from: recipe, source corpus, model, templates, sampling, seed."""
    if not facts and not sampling:
        return []
    lines = ["", "## How the rows were made", ""]
    if facts.get("recipe"):
        lines.append(f"- recipe: `{facts['recipe']}` (synthbeam)")
    if facts.get("inputs"):
        lines.append("- source: " + ", ".join(f"`{i}`" for i in facts["inputs"]))
    if facts.get("model"):
        lines.append(f"- model: `{facts['model']}`")
    if "seed" in facts:
        lines.append(f"- seed: {facts['seed']}")
    for name, digest in sorted((facts.get("templates") or {}).items()):
        lines.append(f"- template `{name}`: sha256 `{digest}`")
    lines += [f"- sampling: `{s}`" for s in sorted(set(sampling)) if s]
    if facts.get("license_note"):
        lines += ["", facts["license_note"]]
    return lines


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def render_card(stats: dict[str, Any]) -> str:
    """The README.md text for the given stats.

    ``stats``: ``splits`` ({split: {num_examples, num_bytes, files}}) and optionally
    ``pretty_name``, ``license``, ``description``, ``class_counts`` ({before, after}),
    ``rejected`` ({stage: {reason: rows}}), ``lengths`` ({split: [rows per bin]}),
    ``charts`` (file names of PNGs written next to the card).
    """
    lines = [f"# {stats.get('pretty_name', 'synthbeam dataset')}", ""]
    if stats.get("description"):
        lines += [stats["description"], ""]
    splits = stats["splits"]
    lines += ["## Splits", ""]
    lines += table(
        ["split", "rows", "files", "file bytes", "bytes in memory"],
        [(s, v["num_examples"], len(v.get("files", [])), v["num_bytes"], memory_bytes(v)) for s, v in splits.items()],
    )
    charts = set(stats.get("charts", []))
    counts = stats.get("class_counts")
    if counts:
        labels = sorted(set(counts["before"]) | set(counts["after"]))
        lines += ["", "## Class balance", ""]
        lines += table(
            ["label", "before", "after"],
            [(label or "(none)", counts["before"].get(label, 0), counts["after"].get(label, 0)) for label in labels],
        )
        if CLASS_CHART in charts:
            lines += ["", f"![class balance]({CLASS_CHART})"]
    if stats.get("lengths"):
        names = sorted(stats["lengths"], key=split_order)
        used = [i for i in range(len(LENGTH_EDGES)) if any(stats["lengths"][n][i] for n in names)]
        lines += ["", "## Lengths (characters of all turns)", ""]
        lines += table(
            ["chars", *names],
            [(bucket_label(i), *(stats["lengths"][n][i] for n in names)) for i in used],
        )
        if LENGTH_CHART in charts:
            lines += ["", f"![lengths]({LENGTH_CHART})"]
    samples = stats.get("samples") or []
    if samples:
        lines += ["", "## Sample rows", "", "A fixed sample of kept rows (chosen by a hash of their ids):", ""]
        for sample in samples:
            lines += [f"- **request**: {one_line(sample['request'])}", f"  **answer**: {one_line(sample['answer'])}"]
    if stats.get("rejected"):
        kept = sum(v["num_examples"] for v in splits.values()) - stats.get("copies", 0)
        removed = sum(n for by in stats["rejected"].values() for n in by.values())
        share = f" ({kept / (kept + removed):.0%})" if kept + removed else ""
        lines += ["", "## Curation", "", f"Kept {kept} of {kept + removed} generated rows{share}.", ""]
        lines += ["Rows removed, by stage and reason (reason codes are listed in the manifest):", ""]
        lines += table(
            ["stage", "reason", "rows"],
            [(stage, reason, n) for stage, by in sorted(stats["rejected"].items()) for reason, n in sorted(by.items())],
        )
    lines += generation_lines(stats.get("facts") or {}, stats.get("sampling") or [])
    lines += ["", "## Columns", ""]
    lines += [f"- `{f.name}`: {short_type(f.type)}" for f in RECORD_SCHEMA]
    return str(DatasetCard(f"---\n{card_data(stats).to_yaml()}\n---\n\n" + "\n".join(lines) + "\n"))


def one_line(text: str, max_chars: int = 300) -> str:
    """Text on one Markdown line: newlines shown as ⏎, cut at ``max_chars``."""
    flat = " ⏎ ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return flat if len(flat) <= max_chars else flat[: max_chars - 1] + "…"
