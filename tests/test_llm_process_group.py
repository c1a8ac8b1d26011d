"""Process groups that die with their owner, on stand-in processes (the real server: test_llm_processes)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

from synthbeam.llm.process_group import group_alive, terminate_group

# A group leader and a child of it, both deaf to SIGTERM, like an orphaned vLLM server.
STUBBORN_GROUP = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"]
    subprocess.Popen(child)
    print("up", flush=True)
    time.sleep(300)
    """
)


def _start_stubborn_group() -> subprocess.Popen[str]:
    group = subprocess.Popen(
        [sys.executable, "-c", STUBBORN_GROUP], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert group.stdout is not None and group.stdout.readline() == "up\n"
    return group


def _gone_within(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return True
        time.sleep(0.1)
    return False


def test_terminate_group_escalates_to_sigkill_for_the_whole_group() -> None:
    group = _start_stubborn_group()
    started = time.monotonic()
    terminate_group(group.pid, grace_s=0.5, reap=group.poll)
    group.wait(timeout=10)
    assert _gone_within(group.pid, 10) and time.monotonic() - started < 10
    assert group.returncode == -signal.SIGKILL


def test_watchdog_terminates_the_group_when_its_owner_is_sigkilled() -> None:
    owner_script = textwrap.dedent(
        f"""
        import subprocess, sys, time
        from synthbeam.llm.process_group import start_watchdog
        group = subprocess.Popen([sys.executable, "-c", {STUBBORN_GROUP!r}], stdout=subprocess.PIPE,
                                 text=True, start_new_session=True)
        assert group.stdout.readline() == "up\\n"
        start_watchdog(group.pid)
        print(group.pid, flush=True)
        time.sleep(300)
        """
    )
    owner = subprocess.Popen([sys.executable, "-c", owner_script], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pgid = int(owner.stdout.readline())
    time.sleep(1)  # the watchdog is watching
    assert group_alive(pgid)
    owner.kill()
    owner.wait()
    assert _gone_within(pgid, 20), "the owner's group outlived it"


def test_watchdog_exits_by_itself_when_the_group_is_gone() -> None:
    from synthbeam.llm.process_group import start_watchdog

    group = _start_stubborn_group()
    watchdog = start_watchdog(group.pid)
    terminate_group(group.pid, grace_s=0.2, reap=group.poll)
    group.wait(timeout=10)
    assert watchdog.wait(timeout=10) == 0


def test_sigterm_interrupts_like_sigint() -> None:
    script = textwrap.dedent(
        """
        import time
        from synthbeam.llm.process_group import interrupt_on_sigterm
        interrupt_on_sigterm()
        try:
            print("ready", flush=True)
            time.sleep(60)
        except KeyboardInterrupt:
            print("cleaned up", flush=True)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    assert process.stdout.read() == "cleaned up\n" and process.wait(timeout=10) == 0
