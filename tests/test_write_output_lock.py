"""The output lock: one run at a time, atomic create, stale locks taken over (local and gs://)."""

from __future__ import annotations

import datetime
import json
import logging
import os
import socket
import subprocess
import sys
import threading

import pytest
from gcs_emulator import GcsEmulator

from synthbeam.transforms.write import output_lock
from synthbeam.transforms.write.output_lock import LOCK_NAME, LockInfo, OutputLocked


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def lock_of(run_id: str, pid: int | None = None, host: str | None = None, age_hours: float = 0) -> LockInfo:
    started = output_lock.utc_now() - datetime.timedelta(hours=age_hours)
    return LockInfo(run_id, host or socket.gethostname(), pid, started.isoformat(timespec="seconds"))


@pytest.fixture(params=["local", "gs"])
def output(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "out")
    bucket = request.getfixturevalue("gcs_bucket")
    return f"{bucket}/out"


def test_a_held_lock_refuses_a_second_run_naming_the_first(output) -> None:
    first = lock_of("first", pid=os.getpid())
    output_lock.acquire(output, first)
    with pytest.raises(OutputLocked) as refused:
        output_lock.acquire(output, lock_of("second", pid=os.getpid()))
    message = str(refused.value)
    assert "\n" not in message
    assert f"run first (host {first.host}, pid {os.getpid()}, started {first.started_at})" in message
    assert output_lock.holder(output) == first


def test_a_create_that_finds_its_own_lock_holds_it(output) -> None:
    """A storage client retries an upload whose answer was lost: the retry finds the lock the
    first attempt wrote, which is this run's own, not another's."""
    mine = lock_of("mine", pid=os.getpid())
    output_lock.acquire(output, mine)
    output_lock.acquire(output, mine)  # not refused by itself
    assert output_lock.holder(output) == mine
    with pytest.raises(OutputLocked):  # the same run id started by another process is another run
        output_lock.acquire(output, LockInfo("mine", mine.host, os.getppid(), mine.started_at))


def test_release_frees_the_output_only_for_the_run_that_holds_it(output) -> None:
    output_lock.acquire(output, lock_of("first", pid=os.getpid()))
    assert not output_lock.release(output, "someone-else")
    assert output_lock.holder(output).run_id == "first"
    assert output_lock.release(output, "first")
    assert output_lock.holder(output) is None
    output_lock.acquire(output, lock_of("second", pid=os.getpid()))
    assert output_lock.holder(output).run_id == "second"


@pytest.mark.parametrize(
    ("stale", "reason"),
    [
        (lambda: lock_of("killed", pid=dead_pid()), "is gone"),
        (lambda: lock_of("old", pid=None, host="another-host", age_hours=25), "older than 24 hours"),
    ],
)
def test_a_stale_lock_is_taken_over_with_a_warning(output, caplog, stale, reason) -> None:
    old = stale()
    output_lock.acquire(output, old)
    with caplog.at_level(logging.WARNING):
        output_lock.acquire(output, lock_of("new", pid=os.getpid()))
    assert output_lock.holder(output).run_id == "new"
    assert f"of run {old.run_id}" in caplog.text and reason in caplog.text


def test_a_job_lock_on_another_host_is_held_until_it_is_old(output) -> None:
    output_lock.acquire(output, lock_of("job", pid=None, host="another-host", age_hours=23))
    with pytest.raises(OutputLocked, match="run job"):
        output_lock.acquire(output, lock_of("new", pid=os.getpid()))


def test_an_unreadable_lock_is_held_not_taken_over(tmp_path) -> None:
    output = tmp_path / "out"
    output.mkdir()
    (output / LOCK_NAME).write_bytes(b"")  # a run killed between creating and writing it
    with pytest.raises(OutputLocked, match=f"unreadable lock file.*delete {output / LOCK_NAME}"):
        output_lock.acquire(str(output), lock_of("new", pid=os.getpid()))


def test_of_runs_starting_together_exactly_one_gets_the_lock(tmp_path) -> None:
    output = str(tmp_path / "out")
    start = threading.Barrier(8)
    winners, refused = [], []

    def try_lock(i: int) -> None:
        start.wait()
        try:
            output_lock.acquire(output, lock_of(f"run-{i}", pid=os.getpid()))
            winners.append(i)
        except OutputLocked:
            refused.append(i)

    threads = [threading.Thread(target=try_lock, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(refused) == 7
    assert output_lock.holder(output).run_id == f"run-{winners[0]}"


def test_the_lock_file_names_run_host_pid_and_start(gcs_emulator: GcsEmulator, gcs_bucket: str, tmp_path) -> None:
    lock = output_lock.new_lock("r1")
    for output in (str(tmp_path / "out"), f"{gcs_bucket}/out"):
        output_lock.acquire(output, lock)
        path = f"{output}/{LOCK_NAME}"
        data = gcs_emulator.read(path) if path.startswith("gs://") else open(path, "rb").read()
        fields = json.loads(data)
        assert fields == {
            "run_id": "r1",
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": lock.started_at,
        }
    assert output_lock.new_lock("job", detached=True).pid is None
