"""A managed run that is stopped from outside leaves no vLLM process behind (real server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MARKER = "SYNTHBEAM_TEST_RUN_MARKER"
SERVER_MODULE = b"vllm.entrypoints.openai.api_server"


def _marked_pids(marker: str) -> dict[int, list[bytes]]:
    """Live processes (zombies aside) whose environment carries ``MARKER=marker``: the run and
    everything it started, wherever they were reparented."""
    found = {}
    wanted = f"{MARKER}={marker}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                environ = handle.read().split(b"\0")
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if wanted in environ:
            found[int(entry)] = argv
    return found


def _server_port(marker: str) -> int | None:
    for argv in _marked_pids(marker).values():
        if SERVER_MODULE in argv and b"--port" in argv:
            return int(argv[argv.index(b"--port") + 1])
    return None


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def _start_managed_run(tmp_path: Path, model_dir: str, marker: str) -> subprocess.Popen[bytes]:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"recipe: instructions\noptions:\n  output: {tmp_path / 'out'}\n  limit: 40\n")
    flags = [f"--model={model_dir}", "--cache_root=none", "--max_model_len=1024", "--max_in_flight=4"]
    with open(tmp_path / "run.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "synthbeam.cli", "run", str(recipe), *flags],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, MARKER: marker},
        )


def _wait_for_server(run: subprocess.Popen[bytes], marker: str, log: Path, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert run.poll() is None, f"the run ended before its server was up:\n{log.read_text()[-3000:]}"
        port = _server_port(marker)
        if port is not None and _ready(port):
            return
        time.sleep(1)
    raise AssertionError(f"no managed vLLM server came up:\n{log.read_text()[-3000:]}")


def _left_after(marker: str, seconds: float) -> dict[int, list[bytes]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = _marked_pids(marker)
        if not left:
            return {}
        time.sleep(0.5)
    return _marked_pids(marker)


def _kill_leftovers(pids: dict[int, list[bytes]]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_stopped_managed_run_leaves_no_server_behind(bundled_model_dir: str, tmp_path: Path, stop: int) -> None:
    marker = uuid.uuid4().hex
    run = _start_managed_run(tmp_path, bundled_model_dir, marker)
    try:
        _wait_for_server(run, marker, tmp_path / "run.log")
        assert any(SERVER_MODULE in argv for argv in _marked_pids(marker).values())
        run.send_signal(stop)
        run.wait(timeout=60)
        left = _left_after(marker, 30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    _kill_leftovers(left)
    assert left == {}, {pid: b" ".join(argv)[:200] for pid, argv in left.items()}
    assert run.returncode != 0
