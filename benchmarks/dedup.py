"""Near-dedup and Parquet sink benchmarks; the last line printed is one JSON object.

P3: ``DeduplicateNear`` in a Beam DirectRunner run (one in-process worker) against
``datasketch.MinHashLSH`` (query then insert per document) in this process, same corpus,
same shingles (5 normalised words), 128 permutations, 16 bands x 8 rows. Times are CPU
seconds of this process (all threads), so the figures are per core and hold up when other
work shares the machine; wall times are printed too. The stage's time is the pipeline's
minus that of the same pipeline without the stage (generation and output are common).
Recall and precision are measured against exact Jaccard on planted near-duplicates (all
pairs sharing any shingle are checked, not only planted ones). Peak memory is the VmHWM of
a fresh process per corpus size.

P5: ``WriteParquetShards`` in a Beam run (CPU time minus the same pipeline without the
sink) against ``pyarrow`` building a table from the same rows and ``pq.write_table`` (zstd),
MB being the Arrow size of the rows; the sink's time includes turning records into rows.

Usage: python benchmarks/dedup.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions

from synthbeam.schemas.arrow import RECORD_SCHEMA, record_to_row
from synthbeam.schemas.record import Lineage, Record, Source
from synthbeam.transforms.curate.dedup_near import CLUSTER_META_KEY, DeduplicateNear
from synthbeam.transforms.write.parquet import WriteParquetShards

THRESHOLD = 0.8
NGRAM = 5
CHUNKS = 16
VOCAB = [f"w{i}" for i in range(30_000)]
OPTIONS = ["--direct_num_workers=1", "--direct_running_mode=in_memory"]


# ---- corpus -------------------------------------------------------------------------------


def chunk_docs(n: int, chunk: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    """Deterministic (id, text) of one chunk: 100-word docs, 10% with one edited copy."""
    rng = random.Random(seed * 1_000_003 + chunk)
    for i in range(chunk * n // CHUNKS, (chunk + 1) * n // CHUNKS):
        words = rng.choices(VOCAB, k=100)
        yield f"d{i:07d}", " ".join(words)
        if rng.random() < 0.1:
            edited = list(words)
            for p in rng.sample(range(100), rng.randint(1, 10)):  # Jaccard ~0.95 down to ~0.45
                edited[p] = f"x{rng.randrange(10**9)}"
            yield f"v{i:07d}", " ".join(edited)


def corpus(n: int) -> list[tuple[str, str]]:
    return [doc for c in range(CHUNKS) for doc in chunk_docs(n, c)]


def as_record(doc: tuple[str, str]) -> Record:
    return Record(id=doc[0], task="bench", messages=[{"role": "user", "content": doc[1]}])


def shingles(text: str) -> set[str]:
    words = " ".join(text.lower().split()).split()
    return {" ".join(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}


def ground_truth(docs: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Exact Jaccard of every pair of documents sharing at least one shingle."""
    sets = [shingles(t) for _, t in docs]
    hashes = np.fromiter((hash(s) for ss in sets for s in ss), dtype=np.int64)
    owners = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    same = np.flatnonzero(hashes[1:] == hashes[:-1])
    pairs = {(int(min(owners[i], owners[i + 1])), int(max(owners[i], owners[i + 1]))) for i in same}
    out = {}
    for a, b in pairs:
        if a != b:
            out[(docs[a][0], docs[b][0])] = len(sets[a] & sets[b]) / len(sets[a] | sets[b])
    return out


def score(clusters: dict[str, str], truth: dict[tuple[str, str], float]) -> tuple[float, float]:
    """Pair recall (true pairs >= threshold that share a cluster) and pair precision."""
    positives = [p for p, j in truth.items() if j >= THRESHOLD]
    found = sum(1 for a, b in positives if a in clusters and clusters.get(a) == clusters.get(b))
    members = defaultdict(list)
    for doc, cluster in clusters.items():
        members[cluster].append(doc)
    co = [(a, b) for m in members.values() for i, a in enumerate(sorted(m)) for b in sorted(m)[i + 1 :]]
    correct = sum(1 for pair in co if truth.get(pair, 0.0) >= THRESHOLD)
    return found / max(len(positives), 1), correct / max(len(co), 1)


# ---- P3: our stage vs datasketch ------------------------------------------------------------


class Clock:
    """Wall and CPU seconds (this process, all threads) of a block."""

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def run_ours(n: int, with_stage: bool, out_dir: str) -> Clock:
    clock = Clock().__enter__()
    with beam.Pipeline(options=PipelineOptions(OPTIONS)) as p:
        records = (
            p | "Chunks" >> beam.Create(range(CHUNKS)) | "Generate" >> beam.FlatMap(lambda c: chunk_docs(n, c))
        ) | "AsRecords" >> beam.Map(as_record)
        if with_stage:
            out = records | DeduplicateNear(threshold=THRESHOLD)
            tagged = (
                out.main | "Kept" >> beam.Map(lambda r: (r.id, json.loads(r.meta).get(CLUSTER_META_KEY, ""))),
                out.rejected | "Dropped" >> beam.Map(lambda r: (r.record.id, r.detail)),
            ) | beam.Flatten()
        else:
            tagged = records | "Ids" >> beam.Map(lambda r: (r.id, ""))
        _ = tagged | beam.Map(json.dumps) | beam.io.WriteToText(os.path.join(out_dir, "clusters"))
    clock.__exit__()
    return clock


def read_clusters(out_dir: str) -> dict[str, str]:
    clusters = {}
    for name in os.listdir(out_dir):
        with open(os.path.join(out_dir, name)) as handle:
            for line in handle:
                doc, cluster = json.loads(line)
                if cluster:
                    clusters[doc] = cluster
    return clusters


def run_datasketch(docs: list[tuple[str, str]]) -> tuple[Clock, dict[str, str]]:
    from datasketch import MinHash, MinHashLSH

    clock = Clock().__enter__()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128, params=(16, 8))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for doc_id, text in docs:
        sketch = MinHash(num_perm=128)
        sketch.update_batch([s.encode("utf-8") for s in shingles(text)])
        for other in lsh.query(sketch):
            ra, rb = find(doc_id), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        lsh.insert(doc_id, sketch)
    clock.__exit__()
    members = {d: find(d) for d in parent} | {find(d): find(d) for d in parent}
    return clock, members


def peak_rss_mb(kind: str, n: int) -> float:
    """Peak RSS of a fresh process running one job on n documents."""
    cmd = [sys.executable, __file__, "--_memory", kind, str(n)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def memory_child(kind: str, n: int) -> None:
    if kind == "ours":
        with tempfile.TemporaryDirectory() as tmp:
            run_ours(n, True, tmp)
    else:
        run_datasketch(corpus(n))
    print(high_water_mb())


def high_water_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would carry over the parent's
    peak across fork and exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- P5: Parquet sink vs pyarrow -------------------------------------------------------------


def tool_record(i: int) -> Record:
    rng = random.Random(i)
    words = " ".join(rng.choices(VOCAB, k=rng.randint(150, 350)))
    args = json.dumps({"city": f"c{i}", "days": i % 7, "notes": words[:200]})
    return Record(
        id=f"r{i:08d}",
        task="tool_use",
        messages=[
            {"role": "user", "content": words},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": f"call{i}", "type": "function", "function": {"name": "get_weather", "arguments": args}}
                ],
            },
            {"role": "tool", "content": json.dumps({"temp": i % 30}), "tool_call_id": f"call{i}"},
            {"role": "assistant", "content": words[: len(words) // 2]},
        ],
        tools=json.dumps([{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]),
        label=f"class{i % 5}",
        completion=words[:300],
        finish_reason="stop",
        source=Source(uri="mem://bench", position=i),
        lineage=Lineage(model="m", seed=i, template="t.jinja2"),
        split="train" if i % 10 else "eval",
    )


def run_sink(n: int, out_dir: str | None, to_row: Any = record_to_row) -> float:
    """CPU seconds of a pipeline generating n rows and writing them (or only counting)."""
    start = time.process_time()
    with beam.Pipeline(options=PipelineOptions(OPTIONS)) as p:
        rows = (
            p
            | "Chunks" >> beam.Create(range(CHUNKS))
            | "Generate"
            >> beam.FlatMap(lambda c: (tool_record(i) for i in range(c * n // CHUNKS, (c + 1) * n // CHUNKS)))
        )
        if out_dir:
            _ = rows | WriteParquetShards(out_dir, compression="zstd", to_row=to_row)
        else:
            _ = rows | beam.combiners.Count.Globally()
    return time.process_time() - start


def bench_parquet(n: int, to_row: Any = record_to_row) -> dict[str, float]:
    records = [tool_record(i) for i in range(n)]
    start = time.process_time()
    rows = [to_row(r) for r in records]
    to_row_s = time.process_time() - start
    start = time.process_time()
    table = pa.Table.from_pylist(rows, schema=RECORD_SCHEMA)
    build_s = time.process_time() - start
    megabytes = table.nbytes / 2**20
    with tempfile.TemporaryDirectory() as tmp:
        start = time.process_time()
        pq.write_table(table, os.path.join(tmp, "raw.parquet"), compression="zstd")
        write_s = time.process_time() - start
        base_s = run_sink(n, None)
        sink_total = run_sink(n, os.path.join(tmp, "out"), to_row)
    sink_s = max(sink_total - base_s, 1e-9)
    sink_total = max(sink_total, 1e-9)
    return {
        "mb": megabytes,
        "sink_mb_s": megabytes / sink_s,
        "pyarrow_mb_s": megabytes / (build_s + write_s),
        "pyarrow_write_only_mb_s": megabytes / write_s,
        "to_row_us_per_row": to_row_s / n * 1e6,
        "sink_end_to_end_mb_s": megabytes / sink_total,
    }


# ---- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--_memory", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory:
        memory_child(args._memory[0], int(args._memory[1]))
        return
    n = 10_000 if args.quick else 30_000
    docs = corpus(n)
    print(f"corpus: {len(docs)} docs ({n} originals, 10% with an edited copy)")
    truth = ground_truth(docs)
    print(f"ground truth: {sum(j >= THRESHOLD for j in truth.values())} pairs at Jaccard >= {THRESHOLD}")

    ds, ds_clusters = run_datasketch(docs)
    with tempfile.TemporaryDirectory() as base_dir, tempfile.TemporaryDirectory() as stage_dir:
        base = run_ours(n, False, base_dir)
        total = run_ours(n, True, stage_dir)
        clusters = read_clusters(stage_dir)
    stage_cpu = max(total.cpu - base.cpu, 1e-9)
    recall, precision = score(clusters, truth)
    ds_recall, ds_precision = score(ds_clusters, truth)
    ours_dps, ds_dps = len(docs) / stage_cpu, len(docs) / ds.cpu
    print(
        f"datasketch MinHashLSH: {ds_dps:,.0f} docs per CPU-s, {len(docs) / ds.wall:,.0f} docs/s wall "
        f"(recall {ds_recall:.3f}, precision {ds_precision:.3f})"
    )
    print(
        f"DeduplicateNear (Beam DirectRunner): stage {ours_dps:,.0f} docs per CPU-s "
        f"({len(docs) / max(total.wall - base.wall, 1e-9):,.0f} docs/s wall); whole pipeline "
        f"{len(docs) / total.cpu:,.0f} docs per CPU-s, {total.cpu:.1f} CPU-s vs {base.cpu:.1f} without the stage"
    )
    print(f"DeduplicateNear recall {recall:.4f} precision {precision:.4f} (pairs at Jaccard >= {THRESHOLD})")

    sizes = (5_000, 20_000) if args.quick else (10_000, 40_000)
    rss = {kind: [peak_rss_mb(kind, s) for s in sizes] for kind in ("ours", "datasketch")}
    for kind, values in rss.items():
        print(f"peak RSS {kind}: " + ", ".join(f"{s} docs {v:.0f} MB" for s, v in zip(sizes, values, strict=True)))

    rows = 10_000 if args.quick else 30_000
    parquet = bench_parquet(rows)
    for name, result in (("record_to_row", parquet),):
        print(
            f"parquet ({name}): {result['mb']:.0f} MB; sink {result['sink_mb_s']:.1f} MB/s per CPU-s (end to end "
            f"{result['sink_end_to_end_mb_s']:.1f}); pyarrow from_pylist+write_table {result['pyarrow_mb_s']:.1f}, "
            f"write_table only {result['pyarrow_write_only_mb_s']:.1f}; to_row "
            f"{result['to_row_us_per_row']:.0f} us/row"
        )
    print(
        json.dumps(
            {
                "p3_speedup_vs_datasketch": round(ours_dps / ds_dps, 2),
                "p3_speedup_end_to_end": round((len(docs) / total.cpu) / ds_dps, 2),
                "p3_cores": 1,
                "p3_docs": len(docs),
                "p3_recall": round(recall, 4),
                "p3_precision": round(precision, 4),
                "p3_datasketch_recall": round(ds_recall, 4),
                "p3_peak_rss_mb": dict(zip(map(str, sizes), rss["ours"], strict=True)),
                "p3_datasketch_peak_rss_mb": dict(zip(map(str, sizes), rss["datasketch"], strict=True)),
                "p5_parquet_over_pyarrow": round(parquet["sink_mb_s"] / parquet["pyarrow_mb_s"], 3),
                "p5_parquet_over_pyarrow_write_only": round(
                    parquet["sink_mb_s"] / parquet["pyarrow_write_only_mb_s"], 3
                ),
                "p5_sink_mb_s": round(parquet["sink_mb_s"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
