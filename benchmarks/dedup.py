"""Near-dedup and Parquet sink benchmarks; the last line printed is one JSON object.

P3: ``DeduplicateNear`` in a Beam DirectRunner run (one in-process worker) against
``datasketch.MinHashLSH`` (query then insert per document) in this process, same corpus,
same shingles (5 normalised words), 128 hash values per signature, the same banding
(``lsh_bands(128, 0.8)``: 13 bands x 7 rows).
datasketch runs twice: one ``MinHash`` per document as its README shows (the headline
ratio), and ``MinHash.bulk`` (its faster batch path). Times are CPU seconds of this process
(all threads), so the figures are per core and hold up when other work shares the machine;
wall times are printed too. The stage's time is the pipeline's minus that of the same
pipeline without the stage (generating documents and writing each one's cluster are
common to both); its fixed part (building and starting ~40 Beam steps) is measured on a
tiny corpus and printed. Recall and precision are measured against exact Jaccard on planted
near-duplicates (all pairs sharing any shingle are checked, not only planted ones).

Memory: a fresh process per corpus size. Ours runs on the DirectRunner in multi-process
mode, where workers run the DoFns and the runner holds the shuffle; the figure is the
largest worker's peak RSS. The DirectRunner hands a worker a whole shuffled PCollection per
bundle, so here any shuffle grows worker memory with the corpus: the same pipeline with a
plain ``beam.Reshuffle`` of the records in place of the stage is measured as that floor.
datasketch's figure is its process's peak (its index lives in memory).

P5: ``WriteParquetShards`` in a Beam run (CPU time minus the same pipeline without the
sink) against ``pyarrow`` building a table from the same rows (``Table.from_pylist``) and
``pq.write_table`` (zstd), MB being the Arrow size of the rows, best of three runs each;
the sink's time includes turning records into Arrow, pyarrow's starts from ready row dicts.

Usage: python benchmarks/dedup.py [--quick] [--parquet-only]  (``--parquet-only``: P5 alone)
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
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions

from synthbeam.schemas.arrow import RECORD_SCHEMA, records_to_table
from synthbeam.schemas.record import Lineage, Record, Source
from synthbeam.transforms.curate.dedup_near import CLUSTER_META_KEY, DeduplicateNear
from synthbeam.transforms.curate.minhash import lsh_bands
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


def cluster_of(record: Record) -> tuple[str, str]:
    return record.id, json.loads(record.meta).get(CLUSTER_META_KEY, "")


def run_ours(n: int, with_stage: bool, out_dir: str, options: list[str] = OPTIONS, reshuffle: bool = False) -> Clock:
    """One pipeline: generate n originals (and copies), run the stage or not, write each
    document's cluster. ``reshuffle`` puts a plain ``beam.Reshuffle`` where the stage goes."""
    clock = Clock().__enter__()
    with beam.Pipeline(options=PipelineOptions(options)) as p:
        records = (
            p | "Chunks" >> beam.Create(range(CHUNKS)) | "Generate" >> beam.FlatMap(lambda c: chunk_docs(n, c))
        ) | "AsRecords" >> beam.Map(as_record)
        if with_stage:
            out = records | DeduplicateNear(threshold=THRESHOLD)
            tagged = (
                out.main | "Kept" >> beam.Map(cluster_of),
                out.rejected | "Dropped" >> beam.Map(lambda r: (r.record.id, r.detail)),
            ) | beam.Flatten()
        else:
            tagged = (records | beam.Reshuffle() if reshuffle else records) | "Kept" >> beam.Map(cluster_of)
        _ = tagged | beam.Map(json.dumps) | beam.io.WriteToText(os.path.join(out_dir, "clusters"))
    clock.__exit__()
    return clock


def stage_cpu(n: int) -> tuple[float, Clock, Clock, dict[str, str]]:
    """CPU seconds of the stage on n originals, both runs' clocks, and the clusters found."""
    with tempfile.TemporaryDirectory() as base_dir, tempfile.TemporaryDirectory() as stage_dir:
        base = run_ours(n, False, base_dir)
        total = run_ours(n, True, stage_dir)
        clusters = read_clusters(stage_dir)
    return max(total.cpu - base.cpu, 1e-9), base, total, clusters


def read_clusters(out_dir: str) -> dict[str, str]:
    clusters = {}
    for name in os.listdir(out_dir):
        with open(os.path.join(out_dir, name)) as handle:
            for line in handle:
                doc, cluster = json.loads(line)
                if cluster:
                    clusters[doc] = cluster
    return clusters


def run_datasketch(docs: list[tuple[str, str]], bulk: bool = False) -> tuple[Clock, dict[str, str]]:
    from datasketch import MinHash, MinHashLSH

    clock = Clock().__enter__()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128, params=lsh_bands(128, THRESHOLD))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    def sketches() -> Iterator[MinHash]:
        if bulk:
            for start in range(0, len(docs), 1000):
                chunk = docs[start : start + 1000]
                yield from MinHash.bulk([[s.encode("utf-8") for s in shingles(t)] for _, t in chunk], num_perm=128)
            return
        for _, text in docs:
            sketch = MinHash(num_perm=128)
            sketch.update_batch([s.encode("utf-8") for s in shingles(text)])
            yield sketch

    for (doc_id, _), sketch in zip(docs, sketches(), strict=True):
        for other in lsh.query(sketch):
            ra, rb = find(doc_id), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        lsh.insert(doc_id, sketch)
    clock.__exit__()
    members = {d: find(d) for d in parent} | {find(d): find(d) for d in parent}
    return clock, members


def peak_rss_mb(kind: str, n: int) -> dict[str, float]:
    """Peak RSS of a fresh process (and of its Beam workers) running one job on n documents."""
    cmd = [sys.executable, __file__, "--_memory", kind, str(n)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def memory_child(kind: str, n: int) -> None:
    if kind in ("ours", "reshuffle"):
        watch = WorkerMemory()
        options = ["--direct_num_workers=1", "--direct_running_mode=multi_processing"]
        with tempfile.TemporaryDirectory() as tmp:
            run_ours(n, kind == "ours", tmp, options, reshuffle=kind == "reshuffle")
        print(json.dumps({"worker": watch.stop(), "runner": high_water_mb()}))
    else:
        run_datasketch(corpus(n))
        print(json.dumps({"process": high_water_mb()}))


def high_water_mb(pid: str = "self") -> float:
    """Peak resident memory of a process (VmHWM; ru_maxrss would carry over the parent's
    peak across fork and exec)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class WorkerMemory:
    """Samples the peak RSS of this process's descendants (Beam's SDK workers) until stopped."""

    def __init__(self, interval_s: float = 0.1) -> None:
        self._peaks: dict[int, float] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval_s,), daemon=True)
        self._thread.start()

    def _run(self, interval_s: float) -> None:
        while not self._done.wait(interval_s):
            for pid in descendants(os.getpid()):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                        if b"sdk_worker_main" not in cmdline.read():
                            continue
                    self._peaks[pid] = high_water_mb(str(pid))
                except (OSError, ValueError):
                    pass  # exited between listing and reading

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return max(self._peaks.values(), default=0.0)


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


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


def run_sink(n: int, out_dir: str | None) -> float:
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
            _ = rows | WriteParquetShards(out_dir, compression="zstd")
        else:
            _ = rows | beam.combiners.Count.Globally()
    return time.process_time() - start


def _text_type(dtype: pa.DataType) -> pa.DataType:
    if dtype == pa.json_():
        return pa.string()
    return pa.list_(_text_type(dtype.value_type)) if pa.types.is_list(dtype) else dtype


def bench_parquet(n: int) -> dict[str, float]:
    """Best of three runs of each side (the first of a kind also pays for page faults)."""
    records = [tool_record(i) for i in range(n)]
    rows = records_to_table(records).to_pylist()  # plain dicts, as a pyarrow user would hold them
    # pyarrow cannot build extension columns from Python values: build their text, then cast.
    text_schema = pa.schema([f.with_type(_text_type(f.type)) for f in RECORD_SCHEMA])
    to_table_s = build_s = write_s = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(3):
            start = time.process_time()
            records_to_table(records)
            to_table_s = min(to_table_s, time.process_time() - start)
            start = time.process_time()
            table = pa.Table.from_pylist(rows, schema=text_schema).cast(RECORD_SCHEMA)
            build_s = min(build_s, time.process_time() - start)
            start = time.process_time()
            pq.write_table(table, os.path.join(tmp, "raw.parquet"), compression="zstd")
            write_s = min(write_s, time.process_time() - start)
        base_s = min(run_sink(n, None) for _ in range(3))
        sink_total = min(run_sink(n, os.path.join(tmp, f"out{i}")) for i in range(3))
    megabytes = table.nbytes / 2**20
    sink_s = max(sink_total - base_s, 1e-9)
    return {
        "mb": megabytes,
        "sink_mb_s": megabytes / sink_s,
        "pyarrow_mb_s": megabytes / (build_s + write_s),
        "pyarrow_write_only_mb_s": megabytes / write_s,
        "to_table_us_per_row": to_table_s / n * 1e6,
        "from_pylist_us_per_row": build_s / n * 1e6,
        "sink_end_to_end_mb_s": megabytes / sink_total,
    }


def peaks(sizes: tuple[int, ...], measured: list[dict[str, float]], what: str) -> dict[str, int]:
    return {str(size): round(m[what]) for size, m in zip(sizes, measured, strict=True)}


# ---- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--parquet-only", action="store_true", help="measure P5 (the Parquet sink) alone")
    parser.add_argument("--_memory", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory:
        memory_child(args._memory[0], int(args._memory[1]))
        return
    if args.parquet_only:
        print(json.dumps(p5_figures(parquet_figures(10_000 if args.quick else 30_000))))
        return
    n = 10_000 if args.quick else 100_000
    # Ours first: its pipeline generates the corpus itself, and a heap already holding the
    # corpus and the ground truth would only make its garbage collections walk them.
    cpu, base, total, clusters = stage_cpu(n)
    fixed_cpu = stage_cpu(CHUNKS * 10)[0]
    docs = corpus(n)
    print(f"corpus: {len(docs)} docs ({n} originals, 10% with an edited copy)")
    truth = ground_truth(docs)
    print(f"ground truth: {sum(j >= THRESHOLD for j in truth.values())} pairs at Jaccard >= {THRESHOLD}")

    ds, ds_clusters = run_datasketch(docs)
    ds_bulk, _ = run_datasketch(docs, bulk=True)
    recall, precision = score(clusters, truth)
    ds_recall, ds_precision = score(ds_clusters, truth)
    ours_dps, ds_dps, bulk_dps = len(docs) / cpu, len(docs) / ds.cpu, len(docs) / ds_bulk.cpu
    print(
        f"datasketch MinHashLSH: {ds_dps:,.0f} docs per CPU-s, {len(docs) / ds.wall:,.0f} docs/s wall "
        f"(recall {ds_recall:.3f}, precision {ds_precision:.3f}); with MinHash.bulk {bulk_dps:,.0f} docs per CPU-s"
    )
    print(
        f"DeduplicateNear (Beam DirectRunner): stage {ours_dps:,.0f} docs per CPU-s "
        f"({len(docs) / max(total.wall - base.wall, 1e-9):,.0f} docs/s wall), of which {fixed_cpu:.2f} CPU-s fixed; "
        f"whole pipeline {len(docs) / total.cpu:,.0f} docs per CPU-s, {total.cpu:.1f} CPU-s vs {base.cpu:.1f} "
        "without the stage"
    )
    print(f"DeduplicateNear recall {recall:.4f} precision {precision:.4f} (pairs at Jaccard >= {THRESHOLD})")

    sizes = (5_000, 20_000) if args.quick else (10_000, 40_000)
    rss = {kind: [peak_rss_mb(kind, size) for size in sizes] for kind in ("ours", "reshuffle", "datasketch")}
    for kind, what in (("ours", "worker"), ("ours", "runner"), ("reshuffle", "worker"), ("datasketch", "process")):
        figures = ", ".join(f"{size} docs {m[what]:.0f} MB" for size, m in zip(sizes, rss[kind], strict=True))
        print(f"peak RSS, {kind} {what}: {figures}")

    parquet = parquet_figures(10_000 if args.quick else 30_000)
    print(
        json.dumps(
            {
                "p3_speedup_vs_datasketch": round(ours_dps / ds_dps, 2),
                "p3_speedup_vs_datasketch_bulk": round(ours_dps / bulk_dps, 2),
                "p3_speedup_end_to_end": round((len(docs) / total.cpu) / ds_dps, 2),
                "p3_stage_fixed_cpu_s": round(fixed_cpu, 2),
                "p3_cores": 1,
                "p3_docs": len(docs),
                "p3_recall": round(recall, 4),
                "p3_precision": round(precision, 4),
                "p3_datasketch_recall": round(ds_recall, 4),
                "p3_peak_rss_mb": peaks(sizes, rss["ours"], "worker"),
                "p3_runner_peak_rss_mb": peaks(sizes, rss["ours"], "runner"),
                "p3_reshuffle_peak_rss_mb": peaks(sizes, rss["reshuffle"], "worker"),
                "p3_datasketch_peak_rss_mb": peaks(sizes, rss["datasketch"], "process"),
                **p5_figures(parquet),
            }
        )
    )


def parquet_figures(rows: int) -> dict[str, float]:
    """P5's measurements, printed as one line."""
    parquet = bench_parquet(rows)
    print(
        f"parquet: {parquet['mb']:.0f} MB; sink {parquet['sink_mb_s']:.1f} MB/s per CPU-s (end to end "
        f"{parquet['sink_end_to_end_mb_s']:.1f}); pyarrow from_pylist+write_table {parquet['pyarrow_mb_s']:.1f}, "
        f"write_table only {parquet['pyarrow_write_only_mb_s']:.1f}; records_to_table "
        f"{parquet['to_table_us_per_row']:.0f} us/row, from_pylist {parquet['from_pylist_us_per_row']:.0f} us/row"
    )
    return parquet


def p5_figures(parquet: dict[str, float]) -> dict[str, float]:
    """P5's entries of the final JSON line."""
    return {
        "p5_parquet_over_pyarrow": round(parquet["sink_mb_s"] / parquet["pyarrow_mb_s"], 3),
        "p5_parquet_over_pyarrow_write_only": round(parquet["sink_mb_s"] / parquet["pyarrow_write_only_mb_s"], 3),
        "p5_sink_mb_s": round(parquet["sink_mb_s"], 1),
    }


if __name__ == "__main__":
    main()
