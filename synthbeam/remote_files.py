"""Files behind Beam's file systems (``gs://`` and the rest): the one place outside the
pipelines that reaches them, so the LLM layer needs no Beam. Beam is imported only when a
remote file is touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO


def list_files(pattern: str) -> list[str]:
    """The paths of the files ``pattern`` matches (``gs://bucket/dir/**`` for a whole tree)."""
    from apache_beam.io.filesystems import FileSystems

    return [metadata.path for metadata in FileSystems.match([pattern])[0].metadata_list]


@contextmanager
def open_remote(path: str) -> Iterator[IO[bytes]]:
    """``path`` opened for reading."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.open(path) as handle:
        yield handle


def read_remote(path: str) -> bytes:
    """The bytes of ``path``; ``FileNotFoundError`` when there is no such file."""
    from apache_beam.io.filesystems import FileSystems

    if not FileSystems.exists(path):
        raise FileNotFoundError(path)
    with FileSystems.open(path) as handle:
        return handle.read()


def write_remote(path: str, data: bytes, mime_type: str = "application/octet-stream") -> None:
    """``path`` created (or replaced) holding ``data``."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path, mime_type=mime_type) as out:
        out.write(data)
