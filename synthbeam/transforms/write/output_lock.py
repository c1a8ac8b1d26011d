"""One run at a time per output directory: a lock file, created only if absent.

``OUTPUT/.synthbeam-lock`` holds the run's id, host, pid and start time (JSON). It is created
atomically -- ``O_CREAT | O_EXCL`` on local disk, an upload with ``if_generation_match=0`` (a
create-if-absent precondition) on ``gs://`` -- so of two runs starting together exactly one
gets it and the other is refused with a message naming the run that holds it.

A lock is stale, and taken over with a warning, when its pid is dead on this same host, or,
for a run on another host or with no pid, when it is older than ``STALE_AFTER``. A run releases its lock once it has published (or
failed); a killed run leaves it behind for the next run to take over. Jobs that outlive the
process that submitted them (Dataflow) record no pid: only their age makes them stale.

Taking over deletes the stale lock only if it is still the one that was read (its content on
local disk, its generation on ``gs://``), then creates a new one with the same atomic create.
Other Beam filesystems have no create-if-absent: there the check and the create are two steps.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import socket
from dataclasses import asdict, dataclass

from apache_beam.io.filesystems import FileSystems

from synthbeam.errors import RunRefused
from synthbeam.paths import is_gcs, is_local

logger = logging.getLogger(__name__)

LOCK_NAME = ".synthbeam-lock"
STALE_AFTER = datetime.timedelta(hours=24)


class OutputLocked(RunRefused):
    """Another run holds the output directory."""


@dataclass(frozen=True)
class LockInfo:
    """Who holds an output: run id, host, pid (None for a submitted job) and start time (UTC)."""

    run_id: str
    host: str
    pid: int | None
    started_at: str

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    def describe(self) -> str:
        pid = "none (a submitted job)" if self.pid is None else str(self.pid)
        return f"run {self.run_id} (host {self.host}, pid {pid}, started {self.started_at})"


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def new_lock(run_id: str, detached: bool = False) -> LockInfo:
    """This process's lock for ``run_id``; ``detached`` when a submitted job outlives it."""
    pid = None if detached else os.getpid()
    return LockInfo(run_id, socket.gethostname(), pid, utc_now().isoformat(timespec="seconds"))


def parse_lock(data: bytes) -> LockInfo:
    """The lock a file holds; an unreadable one is a run of unknown id, pid and age."""
    try:
        fields = json.loads(data.decode("utf-8"))
        return LockInfo(str(fields["run_id"]), str(fields["host"]), fields["pid"], str(fields["started_at"]))
    except (ValueError, KeyError, TypeError):
        return LockInfo("unknown (unreadable lock file)", "", None, "")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def stale_reason(lock: LockInfo, now: datetime.datetime, host: str) -> str | None:
    """Why ``lock`` no longer holds its output, or None while its run may be alive."""
    if lock.pid is not None and lock.host == host:  # its liveness is known: age does not matter
        return None if pid_alive(lock.pid) else f"its process {lock.pid} is gone"
    try:
        started = datetime.datetime.fromisoformat(lock.started_at)
    except ValueError:
        return None
    if now - started > STALE_AFTER:
        return f"it is older than {STALE_AFTER.total_seconds() / 3600:g} hours"
    return None


class LocalLockFile:
    """The lock file on local disk: ``O_EXCL`` create, compare-and-delete by content."""

    def __init__(self, path: str) -> None:
        self.path = path

    def create(self, data: bytes) -> bool:
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True

    def read(self) -> tuple[bytes, object] | None:
        try:
            with open(self.path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        return data, data

    def delete(self, token: object) -> None:
        current = self.read()
        if current is not None and current[1] == token:
            os.remove(self.path)


class GcsLockFile:
    """The lock object on ``gs://``: create-if-absent and delete-if-unchanged by generation."""

    def __init__(self, path: str) -> None:
        from apache_beam.io.gcp import gcsio

        self.path = path
        bucket, name = gcsio.parse_gcs_path(path)
        self._blob_name = name
        self._bucket = gcsio.GcsIO().client.bucket(bucket)  # Beam's client: Beam's credentials

    def create(self, data: bytes) -> bool:
        from google.api_core import exceptions

        if self._bucket.get_blob(self._blob_name) is not None:  # also for stores that ignore preconditions
            return False
        try:
            self._bucket.blob(self._blob_name).upload_from_string(
                data, content_type="application/json", if_generation_match=0
            )
        except exceptions.PreconditionFailed:
            return False
        return True

    def read(self) -> tuple[bytes, object] | None:
        from google.api_core import exceptions

        for _ in range(3):  # the content of the generation read, not of a later one
            blob = self._bucket.get_blob(self._blob_name)
            if blob is None:
                return None
            try:
                return blob.download_as_bytes(if_generation_match=blob.generation), blob.generation
            except exceptions.NotFound:
                return None
            except exceptions.PreconditionFailed:
                continue
        return None

    def delete(self, token: object) -> None:
        from google.api_core import exceptions

        try:
            self._bucket.blob(self._blob_name).delete(if_generation_match=token)
        except (exceptions.NotFound, exceptions.PreconditionFailed):
            pass


class OtherLockFile:
    """Any other Beam filesystem: check, then create (not atomic)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def create(self, data: bytes) -> bool:
        if FileSystems.exists(self.path):
            return False
        with FileSystems.create(self.path, mime_type="application/json") as handle:
            handle.write(data)
        return True

    def read(self) -> tuple[bytes, object] | None:
        if not FileSystems.exists(self.path):
            return None
        with FileSystems.open(self.path) as handle:
            data = handle.read()
        return data, data

    def delete(self, token: object) -> None:
        current = self.read()
        if current is not None and current[1] == token:
            FileSystems.delete([self.path])


def lock_file(output: str) -> LocalLockFile | GcsLockFile | OtherLockFile:
    path = FileSystems.join(output, LOCK_NAME)
    if is_gcs(path):
        return GcsLockFile(path)
    return LocalLockFile(path) if is_local(path) else OtherLockFile(path)


def acquire(output: str, lock: LockInfo) -> None:
    """Takes ``output``'s lock for ``lock``, taking over a stale one; raises ``OutputLocked``
    naming the run that holds it."""
    store = lock_file(output)
    for _ in range(3):  # a lock released or taken over meanwhile: look again
        if store.create(lock.to_bytes()):
            return
        current = store.read()
        if current is None:
            continue
        data, token = current
        held = parse_lock(data)
        if held == lock:  # ours: a retried upload whose first attempt had landed
            return
        reason = stale_reason(held, utc_now(), socket.gethostname())
        if reason is None:
            raise OutputLocked(
                f"{output} is being written by {held.describe()}; wait for it to finish, "
                f"or delete {store.path} if that run is gone"
            )
        logger.warning("Taking over the lock %s of %s: %s.", store.path, held.describe(), reason)
        store.delete(token)
    raise OutputLocked(f"{output}: another run took the lock {store.path} meanwhile")


def release(output: str, run_id: str) -> bool:
    """Deletes ``output``'s lock if ``run_id`` holds it; True if it did."""
    store = lock_file(output)
    current = store.read()
    if current is None or parse_lock(current[0]).run_id != run_id:
        return False
    store.delete(current[1])
    return True


def holder(output: str) -> LockInfo | None:
    """The run holding ``output``'s lock, if any."""
    current = lock_file(output).read()
    return None if current is None else parse_lock(current[0])
