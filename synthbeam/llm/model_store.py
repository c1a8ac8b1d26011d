"""Model directories: bring a gs:// model to local disk and name a model by its content."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

from synthbeam.local_cache import cache_home
from synthbeam.paths import is_gcs
from synthbeam.remote_files import list_files, open_remote

logger = logging.getLogger(__name__)

_SAMPLE_BYTES = 1 << 20  # head and tail bytes hashed from each large weight file
_SMALL_FILE_BYTES = 8 << 20


def local_model_cache() -> Path:
    return cache_home() / "models" / "remote"


def resolve_model_dir(model: str, cache_dir: str | os.PathLike[str] | None = None) -> str:
    """Returns a local directory holding ``model`` (copied once from gs:// if needed)."""
    if is_gcs(model):
        return _copy_remote_dir(model, Path(cache_dir) if cache_dir else local_model_cache())
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"{model} is not a Hugging Face model directory (no config.json). Pass a local model "
            "directory, a gs:// directory, or prepare_default_model() for the bundled model."
        )
    return str(path)


def _copy_remote_dir(uri: str, cache_dir: Path) -> str:
    uri = uri.rstrip("/")
    # The directory keeps the model's own name: it names the model in cache keys and lineage.
    target = cache_dir / hashlib.sha256(uri.encode("utf-8")).hexdigest()[:16] / uri.rsplit("/", 1)[-1]
    marker = target / ".synthbeam-copied"
    if marker.exists():
        return str(target)
    staging = target.with_name(f"{target.name}.partial.{os.getpid()}")
    staging.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    matches = list_files(uri + "/**")
    if not matches:
        raise FileNotFoundError(f"No files under {uri}; check the path and your GCS credentials.")
    logger.info("Copying %d model files from %s to %s", len(matches), uri, target)
    for path in matches:
        relative = path[len(uri) + 1 :]
        destination = staging / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        with open_remote(path) as source, open(destination, "wb") as sink:
            shutil.copyfileobj(source, sink, length=16 << 20)
    marker_in_staging = staging / marker.name
    marker_in_staging.write_text(uri)
    try:
        staging.rename(target)
    except OSError:  # another process finished the same copy first
        shutil.rmtree(staging, ignore_errors=True)
    return str(target)


def model_identity(model_dir: str) -> str:
    """``dirname@hash`` of the model's content: the same on every worker, new when weights change.

    Small files (config, tokenizer, chat template) are hashed whole; large weight files by
    size plus their first and last megabyte, which is cheap and changes with any re-export.
    """
    digest = hashlib.sha256()
    root = Path(model_dir)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(root)}\x1f{size}\x1f".encode())
        with open(path, "rb") as handle:
            if size <= _SMALL_FILE_BYTES:
                digest.update(handle.read())
            else:
                digest.update(handle.read(_SAMPLE_BYTES))
                handle.seek(size - _SAMPLE_BYTES)
                digest.update(handle.read(_SAMPLE_BYTES))
    return f"{root.name}@{digest.hexdigest()[:16]}"
