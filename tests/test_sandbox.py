"""Escapes from the tool sandbox: each is stopped with its reason code, with no host side effect."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from synthbeam.schemas import reasons
from synthbeam.tools.sandbox import (
    Implementation,
    Sandbox,
    SandboxLimits,
    isolated_command,
    isolation_mode,
    kernel_boundary,
)

TESTS = str(Path(__file__).parent)
# Without a kernel boundary, process mode refuses these test targets (tests/test_sandbox_escape.py)
MODES = (["process"] if kernel_boundary() else []) + (["namespaces"] if isolation_mode() == "namespaces" else [])


def target(name: str) -> Implementation:
    return Implementation(f"test_sandbox_targets:{name}", paths=(TESTS,))


@pytest.fixture(params=MODES)
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return Sandbox(SandboxLimits(timeout_s=4.0, cpu_seconds=1, memory_mib=256), mode=request.param)


@pytest.fixture()
def host_path() -> Path:
    path = Path("/tmp") / f"synthbeam-escape-{uuid.uuid4().hex}"
    yield path
    path.unlink(missing_ok=True)


def test_a_builtin_tool_runs(sandbox: Sandbox) -> None:
    result = sandbox.run(Implementation("synthbeam.tools.builtin:IMPLEMENTATIONS", "math.factorial"), {"number": 5})
    assert (result.ok, result.result, result.isolation) == (True, "120", sandbox.mode)


def test_tool_errors_are_reported(sandbox: Sandbox) -> None:
    result = sandbox.run(Implementation("synthbeam.tools.builtin:IMPLEMENTATIONS", "math.factorial"), {"number": -1})
    assert (result.ok, result.reason) == (False, reasons.EXECUTION_ERROR)
    assert result.detail.startswith("ValueError")


def test_writing_inside_the_working_directory_is_allowed(sandbox: Sandbox) -> None:
    result = sandbox.run(target("write_inside_workdir"), {})
    assert (result.ok, result.result) == (True, '"fine"')


@pytest.mark.parametrize("function", ["write_file", "create_with_os_open"])
def test_write_outside_the_working_directory(sandbox: Sandbox, host_path: Path, function: str) -> None:
    result = sandbox.run(target(function), {"path": str(host_path)})
    assert (result.ok, result.reason) == (False, reasons.SANDBOX_WRITE_DENIED)
    assert not host_path.exists()


def test_a_caught_denial_still_rejects(sandbox: Sandbox, host_path: Path) -> None:
    result = sandbox.run(target("write_file_quietly"), {"path": str(host_path)})
    assert (result.ok, result.reason) == (False, reasons.SANDBOX_WRITE_DENIED)
    assert not host_path.exists()


def test_write_into_the_repository(sandbox: Sandbox) -> None:
    path = Path(TESTS) / f"escape-{uuid.uuid4().hex}.txt"
    result = sandbox.run(target("write_file"), {"path": str(path)})
    assert (result.ok, result.reason) == (False, reasons.SANDBOX_WRITE_DENIED)
    assert not path.exists()


def test_open_socket(sandbox: Sandbox) -> None:
    result = sandbox.run(target("open_socket"), {"host": "127.0.0.1", "port": 8011})
    assert (result.ok, result.reason) == (False, reasons.SANDBOX_NETWORK_DENIED)


def test_fork_bomb(sandbox: Sandbox) -> None:
    result = sandbox.run(target("fork_bomb"), {})
    assert (result.ok, result.reason) == (False, reasons.SANDBOX_PROCESS_DENIED)


def test_shell_command(sandbox: Sandbox) -> None:
    result = sandbox.run(target("spawn_shell"), {})
    assert (result.ok, result.reason) == (False, reasons.SANDBOX_PROCESS_DENIED)
    assert not Path("/tmp/synthbeam-shell-escape").exists()


def test_native_code(sandbox: Sandbox) -> None:
    result = sandbox.run(target("load_native_code"), {})
    assert (result.ok, result.reason) == (False, reasons.SANDBOX_IMPORT_DENIED)


def test_sleep_past_the_timeout_is_killed(sandbox: Sandbox) -> None:
    started = time.monotonic()
    result = sandbox.run(target("sleep_forever"), {})
    assert (result.ok, result.reason) == (False, reasons.EXECUTION_TIMEOUT)
    assert time.monotonic() - started < sandbox.limits.timeout_s + 2


def test_cpu_burn_hits_the_cpu_limit(sandbox: Sandbox) -> None:
    result = sandbox.run(target("burn_cpu"), {})
    assert (result.ok, result.reason) == (False, reasons.EXECUTION_CPU_LIMIT)


def test_huge_allocation(sandbox: Sandbox) -> None:
    result = sandbox.run(target("allocate"), {"gib": 8})
    assert (result.ok, result.reason) == (False, reasons.EXECUTION_MEMORY_LIMIT)


def test_huge_result(sandbox: Sandbox) -> None:
    result = sandbox.run(target("huge_result"), {})
    assert (result.ok, result.reason) == (False, reasons.EXECUTION_OUTPUT_TOO_LARGE)


def test_no_process_is_left_behind(sandbox: Sandbox) -> None:
    before = set(os.listdir("/proc"))
    sandbox.run(target("sleep_forever"), {})
    time.sleep(0.2)
    leftovers = [
        pid
        for pid in set(os.listdir("/proc")) - before
        if pid.isdigit() and "sandbox_child" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    ]
    assert leftovers == []


def test_no_working_directory_is_left_behind(sandbox: Sandbox) -> None:
    before = {p for p in os.listdir("/tmp") if p.startswith("synthbeam-tool-")}
    sandbox.run(target("write_inside_workdir"), {})
    after = {p for p in os.listdir("/tmp") if p.startswith("synthbeam-tool-")}
    assert after == before


@pytest.mark.skipif(isolation_mode() != "namespaces", reason="needs root, unshare, and a checkout outside /tmp")
class TestOperatingSystemIsolation:
    """The namespace layer alone, without the child's audit hook: what a native escape would meet."""

    def run_isolated(self, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            isolated_command(["/bin/sh", "-c", script]), capture_output=True, text=True, timeout=30, check=False
        )

    def test_no_network(self) -> None:
        probe = f"{sys.executable} -I -S -c \"import socket; socket.create_connection(('127.0.0.1', 8011), timeout=2)\""
        done = self.run_isolated(probe)
        assert done.returncode != 0 and ("Network is unreachable" in done.stderr or "Connection refused" in done.stderr)

    def test_the_host_filesystem_is_read_only(self) -> None:
        target = Path(TESTS) / f"escape-{uuid.uuid4().hex}"
        done = self.run_isolated(f"echo x > {target}")
        assert done.returncode != 0 and "Read-only file system" in done.stderr
        assert not target.exists()

    def test_tmp_is_private(self, host_path: Path) -> None:
        done = self.run_isolated(f"echo x > {host_path} && cat {host_path}")
        assert (done.returncode, done.stdout) == (0, "x\n")
        assert not host_path.exists()

    def test_host_processes_are_invisible(self) -> None:
        done = self.run_isolated("ls /proc | grep -c '^[0-9]'")
        assert int(done.stdout) < 5


def test_every_reason_the_child_reports_is_one_the_parent_accepts() -> None:
    """The child spells reason codes as literals (it imports nothing of ours); a typo there
    would silently become execution_error, so each literal must be a known child reason."""
    import re
    from pathlib import Path

    from synthbeam.tools import sandbox_child
    from synthbeam.tools.sandbox import CHILD_REASONS

    source = Path(sandbox_child.__file__).read_text()
    literals = set(re.findall(r'"((?:sandbox|execution)_[a-z_]+)"', source))
    assert literals and literals <= CHILD_REASONS, literals - CHILD_REASONS
