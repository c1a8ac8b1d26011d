"""Parquet output: one directory per split, any Beam filesystem, no shuffle of rows.

As in Beam's own file sinks, each bundle writes its rows straight into its own files under a
temporary directory, converting them to Arrow a row group at a time, column by column; a
file is closed once it holds ``target_shard_mb`` of Arrow data. Only the files' names cross
the shuffle: a final step names them ``part-00000-of-0000N.parquet`` per split, in an order
fixed by each file's first row id, moves them into place and removes the temporary
directory (and anything a retried bundle left there).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from synthbeam.schemas.arrow import RECORD_SCHEMA, REJECTED_SCHEMA, records_to_table, rejected_to_table
from synthbeam.schemas.record import Record
from synthbeam.transforms.outputs import in_global_window
from synthbeam.transforms.write.finalize import FinalizeFilesFn, TempFile

COMPRESSIONS = ("zstd", "snappy", "gzip", "brotli", "lz4", "none")
EMPTY_SPLIT_DIR = "data"
TEMP_DIR_PREFIX = ".synthbeam-tmp-"
_NAMESPACE = "write_parquet"
_MB = 1 << 20
_CONVERT_ROWS = 500  # elements held as objects before conversion (more would lengthen every GC pass)

TableBuilder = Callable[[Sequence[Any]], pa.Table]


def split_dir(element: Record) -> str:
    """The directory a record goes to: its split, or ``data`` when it has none."""
    return element.split or EMPTY_SPLIT_DIR


def no_partition(element: Any) -> str:
    """Puts every element directly in the output directory."""
    return ""


def first_id(table: pa.Table) -> str:
    return str(table.column("id")[0]) if "id" in table.column_names and table.num_rows else ""


@dataclass
class _OpenFile:
    path: str
    handle: Any
    writer: pq.ParquetWriter
    rows: int = 0
    arrow_bytes: int = 0
    first_id: str = ""


class WriteFilesFn(beam.DoFn):
    """Buffers a bundle's elements per directory and converts them to Arrow a few thousand
    at a time; writes each full row group to that directory's open file, rolling to a new
    file at the size target; emits a ``TempFile`` per file when the bundle finishes."""

    def __init__(
        self,
        temp_dir: str,
        schema: pa.Schema,
        to_table: TableBuilder,
        partition: Callable[[Any], str],
        compression: str,
        row_group_rows: int,
        target_bytes: int,
    ) -> None:
        self._temp_dir = temp_dir
        self._schema = schema
        self._to_table = to_table
        self._partition = partition
        self._compression = compression
        self._row_group_rows = row_group_rows
        self._convert_rows = min(row_group_rows, _CONVERT_ROWS)
        self._target_bytes = target_bytes
        self._rows = Metrics.counter(_NAMESPACE, "rows_written")

    def start_bundle(self) -> None:
        self._buffers: dict[str, list[Any]] = defaultdict(list)  # elements not yet converted
        self._tables: dict[str, list[pa.Table]] = defaultdict(list)  # converted, not yet written
        self._open: dict[str, _OpenFile] = {}
        self._closed: list[TempFile] = []

    def process(self, element: Any) -> None:
        directory = self._partition(element)
        buffer = self._buffers[directory]
        buffer.append(element)
        if len(buffer) >= self._convert_rows:
            self._convert(directory)

    def finish_bundle(self) -> Iterator[object]:
        for directory in list(self._buffers):
            self._convert(directory)
            self._write(directory, last=True)
        for directory in list(self._open):
            self._close(directory)
        for temp in self._closed:
            yield in_global_window(temp)

    def _convert(self, directory: str) -> None:
        buffer = self._buffers[directory]
        if buffer:
            self._tables[directory].append(self._to_table(buffer))
            buffer.clear()
        if sum(t.num_rows for t in self._tables[directory]) >= self._row_group_rows:
            self._write(directory)

    def _write(self, directory: str, last: bool = False) -> None:
        """Writes the converted rows as whole row groups (and the rest too when ``last``)."""
        tables = self._tables.pop(directory, [])
        if not tables:
            return
        table = pa.concat_tables(tables)
        size = table.num_rows if last else table.num_rows // self._row_group_rows * self._row_group_rows
        if size < table.num_rows:
            self._tables[directory] = [table.slice(size)]
        table = table.slice(0, size)
        target = self._open.get(directory) or self._start(directory)
        target.writer.write_table(table, row_group_size=self._row_group_rows)
        target.first_id = target.first_id or first_id(table)
        target.rows += table.num_rows
        target.arrow_bytes += table.nbytes
        self._rows.inc(table.num_rows)
        if target.arrow_bytes >= self._target_bytes:
            self._close(directory)

    def _start(self, directory: str) -> _OpenFile:
        parts = [directory, f"{uuid.uuid4().hex}.parquet"] if directory else [f"{uuid.uuid4().hex}.parquet"]
        path = FileSystems.join(self._temp_dir, *parts)
        handle = FileSystems.create(
            path, mime_type="application/vnd.apache.parquet", compression_type=CompressionTypes.UNCOMPRESSED
        )
        opened = _OpenFile(path, handle, pq.ParquetWriter(handle, self._schema, compression=self._compression))
        self._open[directory] = opened
        return opened

    def _close(self, directory: str) -> None:
        opened = self._open.pop(directory)
        opened.writer.close()
        opened.handle.close()
        self._closed.append(
            TempFile(
                split=directory,
                path=opened.path,
                num_rows=opened.rows,
                first_id=opened.first_id,
                arrow_bytes=opened.arrow_bytes,
            )
        )


class WriteParquetShards(beam.PTransform):
    """Writes elements as Parquet shards, one directory per split.

    Files are ``{output_dir}/{split}/part-00000-of-0000N.parquet`` (``data/`` for rows with
    no split), readable by ``pyarrow.parquet.read_table`` and
    ``datasets.load_dataset("parquet", data_files=...)``. Works on any Beam filesystem
    path (local, ``gs://``). A split directory's ``part-*.parquet`` files from an earlier
    run are replaced (overwritten, or deleted when this run writes fewer). Each
    bundle writes its own files (rows never cross a shuffle), so the number of files
    follows the bundles and the size target.

    Args:
        output_dir: directory (local or any Beam filesystem URL) to write under.
        schema: Arrow schema of the rows.
        to_table: list of elements -> ``pa.Table`` of ``schema``.
        target_shard_mb: a file is closed once it holds this much uncompressed Arrow data
            (files on disk are smaller; a file may overshoot by up to one row group).
        row_group_rows: rows per Parquet row group (a bundle's last one may be short).
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
        self._target_bytes = target_shard_mb * _MB
        self._row_group_rows = row_group_rows
        self._compression = compression
        self._partition = partition

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        temp_dir = FileSystems.join(self._output_dir, f"{TEMP_DIR_PREFIX}{uuid.uuid4().hex}")
        write = WriteFilesFn(
            temp_dir,
            self._schema,
            self._to_table,
            self._partition,
            self._compression,
            self._row_group_rows,
            self._target_bytes,
        )
        return (
            pcoll
            | "WriteFiles" >> beam.ParDo(write)
            | "CollectFiles" >> beam.combiners.ToList()
            | "NameFiles" >> beam.ParDo(FinalizeFilesFn(self._output_dir, temp_dir))
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
