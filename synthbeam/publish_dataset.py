"""``synthbeam publish OUTPUT DEST``: a finished run's dataset as a Hugging Face Hub folder.

From a run's ``OUTPUT`` (local or ``gs://``) to ``DEST`` (local or ``gs://``, through Beam's
``FileSystems``) it copies what the Hub shows and nothing else:

- the Parquet files of each split the card's ``configs`` name (``train/``, ``eval/``, ``data/``);
- the charts the card links (``class_balance.png``, ``lengths.png``);
- the card, ``README.md``, with ``configs`` and ``dataset_info.splits`` naming only the
  splits copied, written last (a folder with a card is a complete one).

Left behind: ``rejected/``, ``dead_letter/``, ``tool_selection/``, ``export/``, the response
cache, ``manifest.json``, the output's lock and staging directories. ``OUTPUT`` must hold a
finished run (a ``manifest.json``, which a run publishes last, and a card); ``DEST`` must be
empty, or a folder published before when ``--overwrite`` is given (its files are deleted
first). Then ``datasets.load_dataset(DEST)`` loads it and ``hf upload USER/NAME DEST
--repo-type=dataset`` pushes it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Iterable
from typing import Any

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from huggingface_hub import DatasetCard

from synthbeam.paths import is_local

CARD_NAME = "README.md"
MANIFEST_NAME = "manifest.json"
_IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


class PublishRefused(Exception):
    """OUTPUT or DEST is not fit for publishing; the message says why."""


def safe_relative(path: str) -> bool:
    """A path inside the folder: relative, no scheme, no ``..``."""
    parts = path.split("/")
    return bool(path) and "://" not in path and not path.startswith("/") and ".." not in parts


def read_bytes(path: str) -> bytes:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        return handle.read()


def copy_file(source: str, destination: str) -> None:
    """Streams one file across file systems (local to ``gs://`` and back)."""
    with FileSystems.open(source, compression_type=CompressionTypes.UNCOMPRESSED) as reader:
        writer = FileSystems.create(destination, compression_type=CompressionTypes.UNCOMPRESSED)
        try:
            shutil.copyfileobj(reader, writer, length=8 << 20)
        finally:
            writer.close()


def matching_files(pattern: str) -> list[str]:
    return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)


def files_under(folder: str) -> list[str]:
    return matching_files(FileSystems.join(folder, "**"))


def split_files(output: str, configs: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """``{relative path: source path}`` per split the card's configs name; splits without files are left out."""
    found: dict[str, list[str]] = {}
    for config in configs:
        for entry in config.get("data_files") or []:
            pattern = entry.get("path", "")
            if not safe_relative(pattern):
                raise PublishRefused(f"the card names split files outside the output: {pattern!r}")
            files = matching_files(FileSystems.join(output, pattern))
            if files:
                found.setdefault(entry["split"], []).extend(files)
    return found


def chart_names(card_text: str, output: str) -> list[str]:
    """The images the card links that are files next to it."""
    names = sorted({m for m in _IMAGE_LINK.findall(card_text) if safe_relative(m) and "/" not in m})
    return [name for name in names if FileSystems.exists(FileSystems.join(output, name))]


def published_card(card: DatasetCard, splits: Iterable[str]) -> str:
    """The card with ``configs`` and ``dataset_info.splits`` naming only ``splits``."""
    kept = set(splits)
    data = card.data
    configs = []
    for config in data.configs or []:
        files = [entry for entry in config.get("data_files") or [] if entry.get("split") in kept]
        if files:
            configs.append({**config, "data_files": files})
    data.configs = configs
    info = data.dataset_info if isinstance(data.dataset_info, dict) else None
    if info and info.get("splits"):
        info["splits"] = [split for split in info["splits"] if split.get("name") in kept]
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n{card.text}"))


def folder_path(path: str) -> str:
    """A local folder as an absolute path, a ``gs://`` one as it is; no trailing slash."""
    return os.path.abspath(path) if is_local(path) else path.rstrip("/")


def check_paths(output: str, dest: str) -> None:
    a, b = output + "/", dest + "/"
    if a.startswith(b) or b.startswith(a):
        raise PublishRefused(f"{dest} and {output} overlap; publish to a folder outside the output")


def check_output(output: str) -> DatasetCard:
    """The run's card; PublishRefused when OUTPUT holds no finished run."""
    if not FileSystems.exists(FileSystems.join(output, MANIFEST_NAME)):
        raise PublishRefused(f"{output} holds no finished run (no {MANIFEST_NAME})")
    card_path = FileSystems.join(output, CARD_NAME)
    if not FileSystems.exists(card_path):
        raise PublishRefused(f"{output} has no dataset card ({CARD_NAME})")
    return DatasetCard(read_bytes(card_path).decode("utf-8"))


def clear_dest(dest: str, overwrite: bool) -> None:
    """Refuses a DEST with files, unless ``overwrite`` and it is a published folder (then empties it)."""
    existing = files_under(dest)
    if not existing:
        return
    if not overwrite:
        raise PublishRefused(f"{dest} is not empty; pass --overwrite to replace a folder published before")
    if FileSystems.join(dest, CARD_NAME) not in existing:
        raise PublishRefused(f"{dest} holds files but no {CARD_NAME}: not a published folder, left as it is")
    FileSystems.delete(existing)


def publish_dataset(output: str, dest: str, overwrite: bool = False) -> list[str]:
    """Copies the Hub folder of the run in ``output`` to ``dest``; returns the files written."""
    output, dest = folder_path(output), folder_path(dest)
    check_paths(output, dest)
    card = check_output(output)
    splits = split_files(output, card.data.configs or [])
    if not splits:
        raise PublishRefused(f"{output} has no rows in any split its card names")
    clear_dest(dest, overwrite)
    written = []
    for source in [path for files in splits.values() for path in files]:
        target = FileSystems.join(dest, source[len(output) + 1 :])
        copy_file(source, target)
        written.append(target)
    for name in chart_names(card.content, output):
        copy_file(FileSystems.join(output, name), FileSystems.join(dest, name))
        written.append(FileSystems.join(dest, name))
    card_path = FileSystems.join(dest, CARD_NAME)
    with FileSystems.create(card_path, mime_type="text/markdown") as handle:
        handle.write(published_card(card, splits).encode("utf-8"))
    return [*written, card_path]


def run_command(args: argparse.Namespace, rest: list[str]) -> int:
    """``synthbeam publish OUTPUT DEST [--overwrite]`` (the parser is in ``synthbeam.cli``)."""
    if rest:
        print(f"synthbeam publish: unknown arguments {' '.join(rest)}", file=sys.stderr)
        return 2
    try:
        written = publish_dataset(args.output, args.dest, args.overwrite)
    except PublishRefused as refused:
        print(f"synthbeam publish: {refused}", file=sys.stderr)
        return 2
    print(f"published {len(written)} files to {args.dest}")
    if is_local(args.dest):
        print(f"push it with: hf upload USER/NAME {args.dest} --repo-type=dataset")
    return 0
