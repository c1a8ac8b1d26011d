"""The last step of a file sink: naming the files its bundles wrote, moving them into
place, and clearing what an earlier run or a retried bundle left behind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TypedDict

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

_NAMESPACE = "write_parquet"


class WrittenShard(TypedDict):
    """One Parquet file written: its split directory, path, row count, file size and the
    size of its rows in memory (Arrow bytes: what the Hub calls a split's ``num_bytes``)."""

    split: str
    path: str
    num_rows: int
    num_bytes: int
    arrow_bytes: int


class TempFile(TypedDict):
    """A file a bundle wrote under the temporary directory, not yet named."""

    split: str
    path: str
    num_rows: int
    first_id: str
    arrow_bytes: int


def shard_path(output_dir: str, directory: str, shard: int, shards: int) -> str:
    name = f"part-{shard:05d}-of-{shards:05d}.parquet"
    parts = [directory, name] if directory else [name]
    return FileSystems.join(output_dir, *parts)


def final_names(output_dir: str, files: Iterable[TempFile]) -> list[tuple[TempFile, str]]:
    """Each temporary file with its final path: per directory, ordered by first row id."""
    by_dir: dict[str, list[TempFile]] = defaultdict(list)
    for f in files:
        by_dir[f["split"]].append(f)
    named = []
    for directory, group in sorted(by_dir.items()):
        group.sort(key=lambda f: (f["first_id"], f["path"]))
        named.extend((f, shard_path(output_dir, directory, i, len(group))) for i, f in enumerate(group))
    return named


class FinalizeFilesFn(beam.DoFn):
    """Moves every temporary file to its final name and removes the temporary directory."""

    def __init__(self, output_dir: str, temp_dir: str) -> None:
        self._output_dir = output_dir
        self._temp_dir = temp_dir
        self._files = Metrics.counter(_NAMESPACE, "files_written")

    def process(self, files: list[TempFile]) -> Iterator[WrittenShard]:
        named = final_names(self._output_dir, files)
        for directory in {FileSystems.split(path)[0] for _, path in named}:
            make_dirs(directory)
            remove_stale_parts(directory, {path for _, path in named})
        if named:
            FileSystems.rename([f["path"] for f, _ in named], [path for _, path in named])
        for temp, path in named:
            size = FileSystems.match([path])[0].metadata_list[0].size_in_bytes
            self._files.inc()
            yield WrittenShard(
                split=temp["split"],
                path=path,
                num_rows=temp["num_rows"],
                num_bytes=size,
                arrow_bytes=temp.get("arrow_bytes", size),
            )
        remove_tree(self._temp_dir)


def make_dirs(directory: str) -> None:
    """Creates a directory and its parents where the filesystem has directories."""
    if not FileSystems.exists(directory):
        try:
            FileSystems.mkdirs(directory)
        except OSError:  # BeamIOError
            if not FileSystems.exists(directory):  # created meanwhile by another worker is fine
                raise


def remove_stale_parts(directory: str, keep: set[str]) -> None:
    """Deletes ``part-*.parquet`` files of an earlier run that this run does not overwrite
    (a rerun with fewer files would otherwise leave rows twice in the split)."""
    pattern = FileSystems.join(directory, "part-*-of-*.parquet")
    stale = [m.path for result in FileSystems.match([pattern]) for m in result.metadata_list if m.path not in keep]
    if stale:
        FileSystems.delete(stale)


def remove_tree(directory: str) -> None:
    """Deletes everything under ``directory`` (files of retried bundles included), then it."""
    leftovers = [
        m.path
        for pattern in (FileSystems.join(directory, "*"), FileSystems.join(directory, "*", "*"))
        for result in FileSystems.match([pattern])
        for m in result.metadata_list
    ]
    if leftovers:
        FileSystems.delete(leftovers)
    if FileSystems.exists(directory):
        FileSystems.delete([directory])
