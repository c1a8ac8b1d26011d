"""Escapes past the child's audit hook: the kernel boundary (or the namespaces) still holds.

Each attack aims at the host: a TCP listener on 127.0.0.1 must see no connection, and no file
may appear outside the tool's working directory.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from synthbeam.schemas import reasons
from synthbeam.tools import sandbox as sandbox_module
from synthbeam.tools.sandbox import (
    Implementation,
    Sandbox,
    SandboxLimits,
    SandboxRefused,
    SandboxResult,
    bundled,
    isolation_mode,
    kernel_boundary,
)

TESTS = str(Path(__file__).parent)
BUILTIN = "synthbeam.tools.builtin:IMPLEMENTATIONS"
KERNEL = kernel_boundary()
MODES = (["process"] if KERNEL else []) + (["namespaces"] if isolation_mode() == "namespaces" else [])
NATIVE_ESCAPE = r"""
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

void *PyInit_escape(void) {
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons(ESCAPE_PORT);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock >= 0) connect(sock, (struct sockaddr *)&address, sizeof address);
    int fd = open(ESCAPE_PATH, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) close(fd);
    mkfifo(ESCAPE_PATH ".fifo", 0644);
    return 0;
}
"""


def target(name: str) -> Implementation:
    return Implementation(f"test_sandbox_targets:{name}", paths=(TESTS,))


@pytest.fixture(params=MODES)
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    return Sandbox(SandboxLimits(timeout_s=4.0, cpu_seconds=1, memory_mib=256), mode=request.param)


@pytest.fixture()
def host_path() -> Iterator[Path]:
    path = Path("/tmp") / f"synthbeam-escape-{uuid.uuid4().hex}"
    yield path
    for leftover in (path, path.with_name(path.name + ".fifo")):
        leftover.unlink(missing_ok=True)


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def connections(server: socket.socket) -> int:
    """How many connections reached ``server`` (accepted and closed here)."""
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def assert_denied(result: SandboxResult, reason: str) -> None:
    """The denial is named wherever the kernel boundary is on; without it (namespaces mode
    only) the checks on the host carry the test."""
    if KERNEL:
        assert (result.ok, result.reason) == (False, reason), result


@pytest.fixture()
def native_escape(tmp_path: Path, listener: socket.socket, host_path: Path) -> str:
    """A shared object whose init connects to the listener and creates ``host_path`` (hex)."""
    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler")
    source, library = tmp_path / "escape.c", tmp_path / "escape.so"
    source.write_text(NATIVE_ESCAPE)
    port, path = listener.getsockname()[1], f'"{host_path}"'
    compile_ = ["cc", "-shared", "-fPIC", f"-DESCAPE_PORT={port}", f"-DESCAPE_PATH={path}", "-o", str(library)]
    subprocess.run([*compile_, str(source)], check=True, capture_output=True, timeout=60)
    return library.read_bytes().hex()


def test_a_disarmed_audit_hook_does_not_open_the_network(sandbox: Sandbox, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    result = sandbox.run(target("connect_without_audit_hook"), {"host": "127.0.0.1", "port": port})
    assert (result.ok, result.reason) == (False, reasons.SANDBOX_NETWORK_DENIED), result
    assert "sandbox:" not in result.detail  # not the audit hook's denial: the kernel's
    assert connections(listener) == 0


def test_a_disarmed_audit_hook_does_not_write_outside(sandbox: Sandbox, host_path: Path) -> None:
    result = sandbox.run(target("write_without_audit_hook"), {"path": str(host_path)})
    assert_denied(result, reasons.SANDBOX_WRITE_DENIED)
    assert "sandbox:" not in result.detail  # not the audit hook's denial: the kernel's
    assert not host_path.exists()


def test_native_extension_loaded_without_ctypes(
    sandbox: Sandbox, native_escape: str, listener: socket.socket, host_path: Path
) -> None:
    result = sandbox.run(target("load_native_extension"), {"library": native_escape})
    assert not result.ok
    assert connections(listener) == 0
    assert not host_path.exists()
    assert not host_path.with_name(host_path.name + ".fifo").exists()


def test_a_relative_name_under_a_directory_descriptor(sandbox: Sandbox, host_path: Path) -> None:
    result = sandbox.run(target("create_beside"), {"directory": str(host_path.parent), "name": host_path.name})
    assert_denied(result, reasons.SANDBOX_WRITE_DENIED)
    assert not host_path.exists()


def test_a_fifo_outside_the_working_directory(sandbox: Sandbox, host_path: Path) -> None:
    result = sandbox.run(target("make_fifo"), {"path": str(host_path)})
    assert_denied(result, reasons.SANDBOX_WRITE_DENIED)
    assert not host_path.exists()


def test_without_a_kernel_boundary_process_mode_runs_only_bundled_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_module, "kernel_boundary", lambda: False)
    sandbox = Sandbox(SandboxLimits(timeout_s=4.0), mode="process")
    with pytest.raises(SandboxRefused, match=r"only the implementations bundled under synthbeam\.tools") as refused:
        sandbox.run(target("add"), {"a": 1, "b": 2})
    assert "\n" not in str(refused.value)
    result = sandbox.run(Implementation(BUILTIN, "math.factorial"), {"number": 5})
    assert (result.ok, result.result) == (True, "120")


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (Implementation(BUILTIN, "math.factorial"), True),
        (Implementation("synthbeam.tools.builtin:IMPLEMENTATIONS", paths=("/tmp",)), False),
        (Implementation("test_sandbox_targets:add", paths=(TESTS,)), False),
        (Implementation("synthbeam.tools.missing:run"), False),
        (Implementation("synthbeam.toolsmith:run"), False),
        (Implementation("synthbeam.tools..builtin:run"), False),
        (Implementation("os:system"), False),
    ],
)
def test_what_counts_as_bundled(implementation: Implementation, expected: bool) -> None:
    assert bundled(implementation) is expected
