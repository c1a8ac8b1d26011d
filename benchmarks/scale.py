"""Scale of the curation tail: the same ``Curate`` stage at 1x and 16x corpus size.

Each size runs in a fresh process on the DirectRunner in multi-process mode (no LLM): 100-word
documents in four classes, 10% with an edited near-copy, through filters -> exact and near
dedup -> decontaminate -> split -> oversample (train, to the largest class) -> Parquet ->
dataset card. Printed per size: wall seconds, wall microseconds per document, the largest
Beam worker's peak RSS and the runner's; then the 16x / 1x ratios of per-document time and
of worker memory. The goal: per-document time at 16x within 1.25x of 1x.

Memory, read with care: the DirectRunner hands a worker a whole shuffled PCollection per
bundle, so any GroupByKey makes worker memory grow with the corpus there; Dataflow streams
shuffled data instead. ``--reshuffle_floor`` also measures a pipeline that only reshuffles
the same documents, the DirectRunner's own floor; our stages' state is bounded per key
(a batch of signatures, a class's (hash, id) pairs, one family), not per corpus.

Usage: python benchmarks/scale.py [--quick] [--reshuffle_floor]
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from dedup import CHUNKS, WorkerMemory, chunk_docs, high_water_mb

from synthbeam.schemas.record import Record
from synthbeam.transforms.curate.curate import Curate, CurationSettings
from synthbeam.transforms.curate.filters import basic_filters

OPTIONS = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]
CLASSES = ("factual", "explanation", "how_to", "summary")


def as_row(doc: tuple[str, str]) -> Record:
    """An instruction row whose class is skewed 8:4:2:1, so oversampling has work to do."""
    doc_id, text = doc
    bucket = int(doc_id[1:]) % 15
    label = CLASSES[0 if bucket < 8 else 1 if bucket < 12 else 2 if bucket < 14 else 3]
    request = "Explain this: " + " ".join(text.split()[:8])
    return Record(
        id=doc_id,
        task="instruction",
        messages=[{"role": "user", "content": request}, {"role": "assistant", "content": text}],
        label=label,
    )


def run_tail(n: int, out_dir: str, reshuffle_only: bool) -> None:
    settings = CurationSettings(output=out_dir, oversample="max", oversample_max_factor=8.0, seed=1)
    with beam.Pipeline(options=PipelineOptions(OPTIONS)) as p:
        rows = (
            p
            | "Chunks" >> beam.Create(range(CHUNKS))
            | "Generate" >> beam.FlatMap(lambda c: chunk_docs(n, c))
            | "AsRows" >> beam.Map(as_row)
        )
        if reshuffle_only:
            _ = rows | beam.Reshuffle() | beam.combiners.Count.Globally()
        else:
            _ = rows | Curate(settings, filters=[("filters", basic_filters(1, 100_000))])


def child(n: int, reshuffle_only: bool) -> None:
    watch = WorkerMemory()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run_tail(n, tmp, reshuffle_only)
    wall = time.perf_counter() - start
    docs = sum(1 for c in range(CHUNKS) for _ in chunk_docs(n, c))
    print(json.dumps({"docs": docs, "wall_s": wall, "worker_mb": watch.stop(), "runner_mb": high_water_mb()}))


def measure(n: int, reshuffle_only: bool = False) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--_child", str(n), *(["--_reshuffle"] if reshuffle_only else [])]
    # Beam's worker processes import the corpus generator (this directory) and synthbeam from
    # this checkout by name.
    here = Path(__file__).resolve().parent
    path = os.pathsep.join(filter(None, [str(here), str(here.parent), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(cmd, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": path})
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="5k and 80k documents instead of 20k and 320k")
    parser.add_argument("--reshuffle_floor", action="store_true", help="also measure a reshuffle-only pipeline")
    parser.add_argument("--_child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_reshuffle", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        child(args._child, args._reshuffle)
        return
    small = 5_000 if args.quick else 20_000
    sizes = (small, 16 * small)
    figures = {}
    for n in sizes:
        m = measure(n)
        m["us_per_doc"] = m["wall_s"] / m["docs"] * 1e6
        figures[n] = m
        print(
            f"{m['docs']:>7} docs: {m['wall_s']:.1f} s wall, {m['us_per_doc']:.0f} us/doc, "
            f"worker peak {m['worker_mb']:.0f} MB, runner {m['runner_mb']:.0f} MB",
            flush=True,
        )
    floor = {}
    if args.reshuffle_floor:
        for n in sizes:
            floor[str(n)] = round(measure(n, reshuffle_only=True)["worker_mb"])
        print(f"reshuffle-only worker peak: {floor}")
    one, sixteen = figures[sizes[0]], figures[sizes[1]]
    summary = {
        "scale_docs": {str(n): figures[n]["docs"] for n in sizes},
        "scale_us_per_doc": {str(n): round(figures[n]["us_per_doc"], 1) for n in sizes},
        "scale_worker_peak_mb": {str(n): round(figures[n]["worker_mb"]) for n in sizes},
        "scale_runner_peak_mb": {str(n): round(figures[n]["runner_mb"]) for n in sizes},
        "scale_time_ratio_16x": round(sixteen["us_per_doc"] / one["us_per_doc"], 3),
        "scale_worker_memory_ratio_16x": round(sixteen["worker_mb"] / max(one["worker_mb"], 1.0), 3),
        **({"scale_reshuffle_worker_peak_mb": floor} if floor else {}),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
