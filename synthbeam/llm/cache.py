"""Response cache: one JSON file per request key, local or on any Beam filesystem (gs://).

An entry is only a hit when it parses and names its own key, so a torn or foreign file is
a miss (and is overwritten), never a wrong answer.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Any

from synthbeam.schemas.record import Completion

_FORMAT = 1


def entry_path(root: str, key: str) -> str:
    """Two levels of key-prefix directories keep any one directory small."""
    return "/".join([root.rstrip("/"), key[:2], key[2:4], f"{key}.json"])


def encode_entry(key: str, completion: Completion) -> bytes:
    body = {"format": _FORMAT, "key": key, "completion": dataclasses.asdict(completion)}
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")


def decode_entry(key: str, data: bytes) -> Completion | None:
    """The cached completion, or None when ``data`` is not a complete entry for ``key``."""
    try:
        body: Any = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(body, dict) or body.get("format") != _FORMAT or body.get("key") != key:
        return None
    fields = body.get("completion")
    if not isinstance(fields, dict) or fields.get("request_hash") != key:
        return None
    try:
        completion = Completion(**fields)
    except TypeError:
        return None
    return dataclasses.replace(completion, cached=True)


def _is_local(root: str) -> bool:
    return "://" not in root


def _write_local_atomic(path: str, data: bytes) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
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
        self._local = _is_local(root)
        if self._local:
            os.makedirs(root, exist_ok=True)

    def get(self, key: str) -> Completion | None:
        path = entry_path(self._root, key)
        try:
            data = self._read(path)
        except FileNotFoundError:
            return None
        return decode_entry(key, data)

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
        from apache_beam.io.filesystems import FileSystems

        if not FileSystems.exists(path):
            raise FileNotFoundError(path)
        with FileSystems.open(path) as handle:
            return handle.read()

    @staticmethod
    def _write_remote(path: str, data: bytes) -> None:
        # A GCS object becomes visible only when its upload completes; a unique temp name
        # plus rename would cost a copy for nothing. Other filesystems rely on the
        # key check in decode_entry to reject a partial file.
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.create(path, mime_type="application/json") as out:
            out.write(data)
