"""Projects what 1M kept rows cost on L4 and H100 workers, from a run's measured tokens per row.

Reads a finished run's ``manifest.json`` (its ``cost`` section: requests, prompt and output
tokens per kept row as if uncached, i.e. what a run with an empty response cache sends) and,
for each GPU, an assumed vLLM output throughput for a model class and a price per GPU-hour:

    gpu_hours = rows * output_tokens_per_kept_row / tokens_per_s / 3600
    usd = gpu_hours * usd_per_gpu_hour

the formula the manifest itself uses for ``usd_per_1000_kept_rows`` (``synthbeam.transforms.cost``).
Prompt tokens are inside the throughput figure, in the proportion of the benchmark it comes
from; tool-use requests carry more prompt per output token than most benchmarks, so the
projection is a lower bound on GPU time. Prints a Markdown table and, last, one JSON object.

Usage:
    python benchmarks/cost_projection.py OUTPUT/manifest.json [--rows 1000000]
        [--gpu "NAME=TOKENS_PER_S:USD_PER_GPU_HOUR" ...]   # replaces the default GPUs
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Gpu:
    name: str
    tokens_per_s: float  # output tokens per second of one GPU, at full batch
    usd_per_hour: float  # on-demand, per GPU (the machine's vCPUs and memory included where noted)
    note: str = ""


# Model class: Llama-3.1-8B-Instruct (bf16, one GPU per server). Sources and dates: README, "Cost".
H100_TOKENS_PER_S = 13_348.0  # NVIDIA NIM LLM benchmarking, Llama-3.1-8B-Instruct, 200 concurrent requests
L4_TOKENS_PER_S = round(H100_TOKENS_PER_S * 300 / 3350)  # decode is memory-bound: 300 GB/s vs 3.35 TB/s
DEFAULT_GPUS = (
    Gpu("L4", L4_TOKENS_PER_S, 0.71, "g2-standard-4 (1 x L4, 4 vCPU, 16 GB), on-demand"),
    Gpu("H100", H100_TOKENS_PER_S, 11.06, "a3-highgpu (per H100), on-demand list price"),
    Gpu("H100 (2025 price)", H100_TOKENS_PER_S, 3.00, "a3-highgpu (per H100), on-demand after the 2025 cuts"),
)


def parse_gpu(text: str) -> Gpu:
    """``"NAME=TOKENS_PER_S:USD_PER_GPU_HOUR"`` -> Gpu."""
    name, _, figures = text.partition("=")
    rate, _, price = figures.partition(":")
    try:
        gpu = Gpu(name.strip(), float(rate), float(price))
    except ValueError:
        raise SystemExit(f"--gpu {text!r}: expected NAME=TOKENS_PER_S:USD_PER_GPU_HOUR") from None
    if not gpu.name or gpu.tokens_per_s <= 0 or gpu.usd_per_hour < 0:
        raise SystemExit(f"--gpu {text!r}: a name, tokens/s > 0 and a price >= 0 are needed")
    return gpu


def per_row(manifest: dict[str, Any]) -> dict[str, float]:
    """Requests and tokens per kept row as if uncached, from the manifest's cost section."""
    cost = manifest.get("cost") or {}
    figures = (cost.get("per_kept_row") or {}).get("as_if_uncached")
    if not cost.get("measured") or figures is None:
        raise SystemExit("the manifest has no measured cost per kept row (a local run that kept rows writes one)")
    return figures


def projection(row: dict[str, float], gpu: Gpu, rows: int) -> dict[str, Any]:
    gpu_hours = rows * row["completion_tokens"] / gpu.tokens_per_s / 3600
    return {**asdict(gpu), "gpu_hours": round(gpu_hours, 2), "usd": round(gpu_hours * gpu.usd_per_hour, 2)}


def table(projections: list[dict[str, Any]], rows: int) -> list[str]:
    lines = [f"| GPU | output tokens/s | USD per GPU-hour | GPU-hours per {rows:,} rows | USD per {rows:,} rows |"]
    lines.append("|---|---|---|---|---|")
    for p in projections:
        lines.append(
            f"| {p['name']} | {p['tokens_per_s']:,.0f} | {p['usd_per_hour']:.2f} | {p['gpu_hours']:,.1f} | {p['usd']:,.2f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", help="A finished run's manifest.json.")
    parser.add_argument("--rows", type=int, default=1_000_000, help="Kept rows to price (default 1M).")
    parser.add_argument("--gpu", action="append", default=[], help="NAME=TOKENS_PER_S:USD_PER_GPU_HOUR (repeatable).")
    args = parser.parse_args(argv)
    with open(args.manifest, encoding="utf-8") as handle:
        manifest = json.load(handle)
    row = per_row(manifest)
    gpus = [parse_gpu(text) for text in args.gpu] or list(DEFAULT_GPUS)
    projections = [projection(row, gpu, args.rows) for gpu in gpus]
    kept = manifest["cost"]["kept_rows"]
    print(
        f"{manifest.get('recipe', '?')} run {manifest.get('run_id', '?')}: {kept} kept rows; per kept row "
        f"{row['requests']:g} requests, {row['prompt_tokens']:g} prompt + {row['completion_tokens']:g} output tokens"
    )
    print("\n".join(table(projections, args.rows)))
    result = {"rows": args.rows, "kept_rows": kept, "per_kept_row": row, "projections": projections}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
