"""Parquet output: one directory per split, shards sized from the data, any Beam filesystem.

Elements are converted to Arrow a batch at a time, column by column, as soon as a batch
fills, so everything downstream (the size combine, the shuffle) moves a few columnar
batches instead of one pickled object per row.
Shard counts come from the Arrow size of each split; a row's shard is a hash of its id, so
reruns place rows identically.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypedDict

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue

from synthbeam.schemas.arrow import RECORD_SCHEMA, REJECTED_SCHEMA, records_to_table, rejected_to_table
from synthbeam.schemas.record import Record

COMPRESSIONS = ("zstd", "snappy", "gzip", "brotli", "lz4", "none")
EMPTY_SPLIT_DIR = "data"
_NAMESPACE = "write_parquet"
_MB = 1 << 20

TableBuilder = Callable[[Sequence[Any]], pa.Table]


class WrittenShard(TypedDict):
    """One Parquet file written: its split directory, path and row count."""

    split: str
    path: str
    num_rows: int
    num_bytes: int


ShardKey = tuple[str, int, int]  # (split directory, shard index, shard count)


def split_dir(element: Record) -> str:
    """The directory a record goes to: its split, or ``data`` when it has none."""
    return element.split or EMPTY_SPLIT_DIR


def no_partition(element: Any) -> str:
    """Puts every element directly in the output directory."""
    return ""


def num_shards(total_bytes: int, target_shard_mb: int) -> int:
    return max(1, math.ceil(total_bytes / (target_shard_mb * _MB)))


def shard_of(row_id: str, shards: int) -> int:
    return zlib.crc32(row_id.encode("utf-8")) % shards


def shard_path(output_dir: str, directory: str, shard: int, shards: int) -> str:
    name = f"part-{shard:05d}-of-{shards:05d}.parquet"
    parts = [directory, name] if directory else [name]
    return FileSystems.join(output_dir, *parts)


def encode_table(table: pa.Table) -> bytes:
    """A table as an Arrow IPC stream: cheap to shuffle, exact to decode."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def decode_rows(payload: bytes) -> pa.Table:
    return pa.ipc.open_stream(payload).read_all()


def write_row_groups(writer: pq.ParquetWriter, tables: Iterable[pa.Table], row_group_rows: int) -> int:
    """Writes tables as row groups of exactly ``row_group_rows`` (the last may be short)."""
    pending: list[pa.Table] = []
    pending_rows = 0
    written = 0
    for table in tables:
        pending.append(table)
        pending_rows += table.num_rows
        if pending_rows < row_group_rows:
            continue
        merged = pa.concat_tables(pending)
        full = (merged.num_rows // row_group_rows) * row_group_rows
        writer.write_table(merged.slice(0, full), row_group_size=row_group_rows)
        written += full
        pending = [merged.slice(full)]
        pending_rows = merged.num_rows - full
    if pending_rows:
        writer.write_table(pa.concat_tables(pending), row_group_size=row_group_rows)
        written += pending_rows
    return written


def route_to_shards(directory: str, payload: bytes, shard_counts: dict[str, int]) -> Iterator[tuple[ShardKey, bytes]]:
    """Splits one batch of a directory into its shards (by a hash of each row's id)."""
    shards = shard_counts[directory]
    if shards == 1:
        yield (directory, 0, 1), payload
        return
    table = decode_rows(payload)
    if "id" in table.column_names:
        ids = table.column("id").to_pylist()
        assigned = np.fromiter((shard_of(i, shards) for i in ids), dtype=np.int64, count=len(ids))
    else:
        assigned = np.full(table.num_rows, zlib.crc32(payload) % shards, dtype=np.int64)
    for shard in np.unique(assigned):
        part = table.filter(pa.array(assigned == shard))
        yield (directory, int(shard), shards), encode_table(part)


class ToArrowBatchesFn(beam.DoFn):
    """Buffers elements per directory within a bundle and converts each full buffer to
    Arrow; emits ``(directory, Arrow IPC payload)`` batches, so nothing downstream pickles
    records."""

    def __init__(self, to_table: TableBuilder, partition: Callable[[Any], str], batch_rows: int) -> None:
        self._to_table = to_table
        self._partition = partition
        self._batch_rows = batch_rows
        self._buffers: dict[str, list[Any]] = {}

    def start_bundle(self) -> None:
        self._buffers = defaultdict(list)

    def process(self, element: Any) -> Iterator[tuple[str, bytes]]:
        directory = self._partition(element)
        buffer = self._buffers[directory]
        buffer.append(element)
        if len(buffer) >= self._batch_rows:
            yield directory, encode_table(self._to_table(buffer))
            buffer.clear()

    def finish_bundle(self) -> Iterator[WindowedValue]:
        for directory, buffer in self._buffers.items():
            if buffer:
                payload = encode_table(self._to_table(buffer))
                yield WindowedValue((directory, payload), GlobalWindow().max_timestamp(), [GlobalWindow()])
        self._buffers = {}


class WriteShardFn(beam.DoFn):
    """Writes one shard's Arrow payloads to a Parquet file; emits a ``WrittenShard``."""

    def __init__(self, output_dir: str, schema: pa.Schema, compression: str, row_group_rows: int) -> None:
        self._output_dir = output_dir
        self._schema = schema
        self._compression = compression
        self._row_group_rows = row_group_rows
        self._rows = Metrics.counter(_NAMESPACE, "rows_written")
        self._files = Metrics.counter(_NAMESPACE, "files_written")

    def process(self, keyed: tuple[ShardKey, Iterable[bytes]]) -> Iterator[WrittenShard]:
        (directory, shard, shards), payloads = keyed
        path = shard_path(self._output_dir, directory, shard, shards)
        handle = FileSystems.create(
            path,
            mime_type="application/vnd.apache.parquet",
            compression_type=CompressionTypes.UNCOMPRESSED,
        )
        try:
            writer = pq.ParquetWriter(handle, self._schema, compression=self._compression)
            try:
                rows = write_row_groups(writer, (decode_rows(p) for p in payloads), self._row_group_rows)
            finally:
                writer.close()
        finally:
            handle.close()
        size = FileSystems.match([path])[0].metadata_list[0].size_in_bytes
        self._rows.inc(rows)
        self._files.inc()
        yield WrittenShard(split=directory, path=path, num_rows=rows, num_bytes=size)


class WriteParquetShards(beam.PTransform):
    """Writes elements as Parquet shards, one directory per split.

    Files are ``{output_dir}/{split}/part-00000-of-0000N.parquet`` (``data/`` for rows with
    no split), readable by ``pyarrow.parquet.read_table`` and
    ``datasets.load_dataset("parquet", data_files=...)``. Works on any Beam filesystem
    path (local, ``gs://``). Existing files with the same names are overwritten.

    Args:
        output_dir: directory (local or any Beam filesystem URL) to write under.
        schema: Arrow schema of the rows.
        to_table: list of elements -> ``pa.Table`` of ``schema``.
        target_shard_mb: shard size target in uncompressed Arrow MB (files are smaller).
        row_group_rows: rows per Parquet row group (the last one of a file may be short).
        compression: Parquet codec, one of ``COMPRESSIONS``.
        partition: element -> sub-directory; defaults to the record's split.

    Input: ``PCollection[Record]`` (or any element ``to_table`` accepts, see ``WriteRejects``).
    Output: ``PCollection[WrittenShard]``, one per file written.
    """

    def __init__(
        self,
        output_dir: str,
        *,
        schema: pa.Schema = RECORD_SCHEMA,
        to_table: TableBuilder = records_to_table,
        target_shard_mb: int = 256,
        row_group_rows: int = 10_000,
        compression: str = "zstd",
        partition: Callable[[Any], str] = split_dir,
    ) -> None:
        super().__init__()
        if compression not in COMPRESSIONS:
            raise ValueError(f"compression={compression!r}: use one of {', '.join(COMPRESSIONS)}")
        if target_shard_mb <= 0 or row_group_rows <= 0:
            raise ValueError("target_shard_mb and row_group_rows must be positive")
        self._output_dir = output_dir
        self._schema = schema
        self._to_table = to_table
        self._target_shard_mb = target_shard_mb
        self._row_group_rows = row_group_rows
        self._compression = compression
        self._partition = partition

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        target = self._target_shard_mb
        batch_rows = min(self._row_group_rows, 2_000)
        batches = pcoll | "ToArrowBatches" >> beam.ParDo(ToArrowBatchesFn(self._to_table, self._partition, batch_rows))
        # Shard counts from the Arrow size of each split (uncompressed bytes).
        shard_counts = (
            batches
            | "BatchBytes" >> beam.MapTuple(lambda directory, payload: (directory, len(payload)))
            | "SumBytesPerSplit" >> beam.CombinePerKey(sum)
            | "CountShards" >> beam.MapTuple(lambda directory, size: (directory, num_shards(size, target)))
        )
        return (
            batches
            | "RouteToShards"
            >> beam.FlatMap(
                lambda batch, counts: route_to_shards(batch[0], batch[1], counts),
                counts=beam.pvalue.AsDict(shard_counts),
            )
            | "GroupByShard" >> beam.GroupByKey()
            | "WriteShards"
            >> beam.ParDo(WriteShardFn(self._output_dir, self._schema, self._compression, self._row_group_rows))
        )


class WriteRejects(beam.PTransform):
    """Writes rejected rows (the record plus ``drop_stage``/``drop_reason``/``drop_detail``).

    Input: ``PCollection[Rejected]``. Output: ``PCollection[WrittenShard]``; files go
    directly under ``output_dir``.
    """

    def __init__(
        self,
        output_dir: str,
        *,
        target_shard_mb: int = 256,
        row_group_rows: int = 10_000,
        compression: str = "zstd",
    ) -> None:
        super().__init__()
        self._write = WriteParquetShards(
            output_dir,
            schema=REJECTED_SCHEMA,
            to_table=rejected_to_table,
            target_shard_mb=target_shard_mb,
            row_group_rows=row_group_rows,
            compression=compression,
            partition=no_partition,
        )

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        return pcoll | "WriteParquetShards" >> self._write
