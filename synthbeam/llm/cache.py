"""Response cache: one JSON file per request key, local or on any Beam filesystem (gs://).

An entry is only a hit when it parses, names its own key and every field has its type, so a
torn, foreign, ill-typed or unreadable entry (even a directory in its place) is a miss, and
is overwritten, never a wrong answer or a failed job.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import tempfile
from typing import Any

from synthbeam.paths import is_local
from synthbeam.remote_files import read_remote, write_remote
from synthbeam.schemas.record import Completion

logger = logging.getLogger(__name__)

_FORMAT = 1
_TEXT_FIELDS = ("request_id", "text", "finish_reason", "model", "request_hash")
_COUNT_FIELDS = ("prompt_tokens", "completion_tokens")


def entry_path(root: str, key: str) -> str:
    """Two levels of key-prefix directories keep any one directory small."""
    return "/".join([root.rstrip("/"), key[:2], key[2:4], f"{key}.json"])


def encode_entry(key: str, completion: Completion) -> bytes:
    body = {"format": _FORMAT, "key": key, "completion": dataclasses.asdict(completion)}
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")


def decode_entry(key: str, data: bytes) -> Completion | None:
    """The cached completion, or None when ``data`` is not a complete, well-typed entry for ``key``."""
    try:
        body: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(body, dict) or body.get("format") != _FORMAT or body.get("key") != key:
        return None
    fields = body.get("completion")
    if not isinstance(fields, dict) or fields.get("request_hash") != key or not _well_typed(fields):
        return None
    try:
        completion = Completion(**fields)
    except TypeError:
        return None
    return dataclasses.replace(completion, cached=True)


def _well_typed(fields: dict[str, Any]) -> bool:
    """Whether the fields present have a Completion's types (missing ones fail in Completion())."""
    if any(not isinstance(fields.get(name, ""), str) for name in _TEXT_FIELDS):
        return False
    counts = [fields.get(name, 0) for name in _COUNT_FIELDS]
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 0 for n in counts):
        return False
    return isinstance(fields.get("cached", False), bool) and _tool_calls_typed(fields.get("tool_calls"))


def _tool_calls_typed(calls: Any) -> bool:
    if calls is None:
        return True
    if not isinstance(calls, list):
        return False
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(call.get("id", ""), str):
            return False
        if not all(isinstance(function.get(name), str) for name in ("name", "arguments")):
            return False
    return True


def _write_local_atomic(path: str, data: bytes) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    if os.path.isdir(path):  # a directory where the entry belongs: only a file can replace it
        shutil.rmtree(path, ignore_errors=True)
    handle, temp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)  # atomic on POSIX: readers see the old file or the new one
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


class ResponseCache:
    """Completions by ``ChatRequest.cache_key``; safe to share between threads and workers."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._local = is_local(root)
        if self._local:
            os.makedirs(root, exist_ok=True)

    def get(self, key: str) -> Completion | None:
        """The cached completion, or None: missing, and unreadable or ill-typed (a miss that
        the next ``put`` overwrites)."""
        path = entry_path(self._root, key)
        try:
            data = self._read(path)
        except FileNotFoundError:
            return None
        except Exception as error:  # a directory, no permission, a filesystem error
            logger.warning("response cache entry %s is unreadable (%r); asking the model again", path, error)
            return None
        completion = decode_entry(key, data)
        if completion is None:
            logger.warning("response cache entry %s is no valid entry; asking the model again", path)
        return completion

    def put(self, key: str, completion: Completion) -> None:
        data = encode_entry(key, dataclasses.replace(completion, cached=False))
        path = entry_path(self._root, key)
        if self._local:
            _write_local_atomic(path, data)
        else:
            self._write_remote(path, data)

    def _read(self, path: str) -> bytes:
        if self._local:
            with open(path, "rb") as handle:
                return handle.read()
        return read_remote(path)

    @staticmethod
    def _write_remote(path: str, data: bytes) -> None:
        # A GCS object becomes visible only when its upload completes; a unique temp name
        # plus rename would cost a copy for nothing. Other filesystems rely on the
        # key check in decode_entry to reject a partial file.
        write_remote(path, data, mime_type="application/json")
