"""A managed server's process group dies with the process that started it.

The vLLM server runs in its own session (so one signal reaches its engine and workers too).
``terminate_group`` stops such a group: SIGTERM, a short grace, then SIGKILL. Exiting
normally or on SIGINT / SIGTERM (``interrupt_on_sigterm``), the owner stops the group
itself; when the owner is SIGKILLed, a small watchdog process does it: started next to the
server, it polls its parent and, once reparented, terminates the group
(``python -m synthbeam.llm.process_group PARENT_PID PGID``).

A parent-death signal (PR_SET_PDEATHSIG) would not do: it fires when the *thread* that
forked exits, and servers are started from worker threads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

TERM_GRACE_S = 5.0  # an orphaned vLLM server ignores SIGTERM for longer than this
_POLL_S = 0.2
WATCH_INTERVAL_S = 0.5


def group_alive(pgid: int) -> bool:
    """Whether any process (zombies included) is still in the group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, signum: int) -> bool:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def terminate_group(pgid: int, grace_s: float = TERM_GRACE_S, reap: Callable[[], object] | None = None) -> None:
    """SIGTERM to the whole group, then SIGKILL to whatever is left after ``grace_s``.

    ``reap`` (the leader's ``Popen.poll``, for its parent) collects the leader once it has
    exited, so that a zombie leader does not look like a live group.
    """
    if not _signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if reap is not None:
            reap()
        if not group_alive(pgid):
            return
        time.sleep(_POLL_S)
    _signal_group(pgid, signal.SIGKILL)


def start_watchdog(pgid: int) -> subprocess.Popen[bytes]:
    """A process that terminates group ``pgid`` once this process is gone; it exits by itself
    when the group is gone first. Its own session keeps terminal signals away from it."""
    return subprocess.Popen(
        [sys.executable, "-m", "synthbeam.llm.process_group", str(os.getpid()), str(pgid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_watchdog(watchdog: subprocess.Popen[bytes]) -> None:
    if watchdog.poll() is None:
        watchdog.kill()
    watchdog.wait()


def watch(parent_pid: int, pgid: int, interval_s: float = WATCH_INTERVAL_S) -> None:
    """The watchdog's loop: returns when the group is gone, terminating it if the parent went first."""
    while group_alive(pgid):
        if os.getppid() != parent_pid:
            terminate_group(pgid)
            return
        time.sleep(interval_s)


def interrupt_on_sigterm() -> None:
    """SIGTERM raises KeyboardInterrupt in the main thread, as SIGINT does, so the same
    cleanup runs (managed servers are stopped); a handler someone else set is left alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(int(argv[0]), int(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
