"""The kernel boundary of the sandboxed child: its seccomp filter, its Landlock rules, and the
boundary alone (no audit hook) against a process that tries to leave it."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from synthbeam.tools import sandbox_kernel as kernel
from synthbeam.tools.sandbox import KERNEL_BOUNDARY, kernel_boundary
from synthbeam.tools.sandbox_child import kernel_reason

AUDIT_ARCH_I386 = 0x40000003
SYS_READ, SYS_OPENAT, SYS_SOCKET, SYS_FORK, SYS_EXECVE, SYS_CLONE3, SYS_MKNODAT = 0, 257, 41, 57, 59, 435, 259
CLONE_PROCESS = 0x01200011  # what glibc's fork() passes: CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
CLONE_PTHREAD = 0x003D0F00  # what pthread_create passes, CLONE_THREAD among them


def run_filter(
    program: list[tuple[int, int, int, int]], nr: int, arch: int = kernel.AUDIT_ARCH_X86_64, arg0: int = 0
) -> int:
    """What the filter returns for one system call (a classic BPF interpreter for its few opcodes)."""
    data = {kernel.OFFSET_NR: nr, kernel.OFFSET_ARCH: arch, kernel.OFFSET_ARG0: arg0 & 0xFFFFFFFF}
    pc, accumulator = 0, 0
    while True:
        code, jump_true, jump_false, k = program[pc]
        if code == kernel.BPF_RET:
            return k
        if code == kernel.BPF_LD_W_ABS:
            accumulator, pc = data[k], pc + 1
            continue
        taken = {kernel.BPF_JEQ: accumulator == k, kernel.BPF_JGE: accumulator >= k}.get(code, accumulator & k)
        pc += 1 + (jump_true if taken else jump_false)


def errno_of(code: int) -> int:
    return code - kernel.SECCOMP_RET_ERRNO


@pytest.mark.parametrize(
    ("nr", "arg0", "expected"),
    [
        (SYS_READ, 0, kernel.SECCOMP_RET_ALLOW),
        (SYS_OPENAT, 0, kernel.SECCOMP_RET_ALLOW),
        (kernel.SYS_CLONE, CLONE_PTHREAD, kernel.SECCOMP_RET_ALLOW),
        (kernel.SYS_CLONE, CLONE_PROCESS, kernel.SECCOMP_RET_ERRNO | errno.EPERM),
        (SYS_SOCKET, 0, kernel.SECCOMP_RET_ERRNO | errno.EAFNOSUPPORT),
        (SYS_FORK, 0, kernel.SECCOMP_RET_ERRNO | errno.EPERM),
        (SYS_EXECVE, 0, kernel.SECCOMP_RET_ERRNO | errno.EPERM),
        (SYS_CLONE3, 0, kernel.SECCOMP_RET_ERRNO | errno.ENOSYS),
        (SYS_MKNODAT, 0, kernel.SECCOMP_RET_ERRNO | errno.EACCES),
        (kernel.X32_SYSCALL_BIT | SYS_SOCKET, 0, kernel.SECCOMP_RET_ERRNO | errno.EPERM),
    ],
)
def test_the_filter_answers(nr: int, arg0: int, expected: int) -> None:
    assert run_filter(kernel.filter_program(7), nr, arg0=arg0) == expected


def test_the_filter_kills_other_architectures() -> None:
    assert run_filter(kernel.filter_program(7), SYS_READ, arch=AUDIT_ARCH_I386) == kernel.SECCOMP_RET_KILL_PROCESS


def test_truncate_is_filtered_only_where_landlock_cannot_check_it() -> None:
    assert run_filter(kernel.filter_program(2), kernel.SYS_TRUNCATE) == kernel.SECCOMP_RET_ERRNO | errno.EACCES
    assert run_filter(kernel.filter_program(3), kernel.SYS_TRUNCATE) == kernel.SECCOMP_RET_ALLOW


def test_every_jump_stays_inside_the_program() -> None:
    program = kernel.filter_program(1)
    assert program[-1] == (kernel.BPF_RET, 0, 0, kernel.SECCOMP_RET_ALLOW)
    for pc, (code, jump_true, jump_false, _) in enumerate(program):
        assert code == kernel.BPF_RET or pc + 1 + max(jump_true, jump_false) < len(program)


def test_landlock_rights_grow_with_the_abi() -> None:
    assert kernel.fs_write_rights(1) == 0b1_1111_1111_0011
    assert kernel.fs_write_rights(5) == kernel.fs_write_rights(7) == 0xFFF3
    assert kernel.ruleset_attr(3)[8:] == bytes(16)  # no TCP rules nor scopes before ABI 4 and 6
    assert kernel.ruleset_attr(6)[8:] == (3).to_bytes(8, "little") * 2


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol"), "sandbox_network_denied"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "sandbox_network_denied"),
        (PermissionError(errno.EPERM, "Operation not permitted"), "sandbox_process_denied"),
        (PermissionError(errno.EACCES, "Permission denied", "/tmp/x"), "sandbox_write_denied"),
        (OSError(errno.EROFS, "Read-only file system", "/etc/x"), "sandbox_write_denied"),
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "x"), ""),
        (ValueError("not an OS error"), ""),
    ],
)
def test_kernel_errors_read_as_reasons(error: BaseException, reason: str) -> None:
    assert kernel_reason(error) == reason


ALONE = """
import importlib.util, os, socket, sys
spec = importlib.util.spec_from_file_location("kernel_boundary", {module!r})
kernel = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kernel)
kernel.apply({workdir!r})
def attempt(name, action):
    try:
        action()
        print(name, "done")
    except OSError as error:
        print(name, error.errno)
attempt("connect", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2))
attempt("create", lambda: open({outside!r}, "w"))
attempt("beside", lambda: os.open({name!r}, os.O_WRONLY | os.O_CREAT, dir_fd=os.open({parent!r}, os.O_RDONLY)))
attempt("fifo", lambda: os.mkfifo({outside!r} + ".fifo"))
attempt("fork", lambda: os.fork() or os._exit(0))
attempt("exec", lambda: os.execv("/bin/sh", ["sh", "-c", "touch " + {outside!r} + ".sh"]))
attempt("inside", lambda: open(os.path.join({workdir!r}, "scratch"), "w").close())
"""


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


@pytest.mark.skipif(not kernel_boundary(), reason="needs Landlock and seccomp on x86_64 Linux")
def test_the_boundary_alone_holds(tmp_path: Path, listener: socket.socket) -> None:
    workdir, outside = tmp_path / "work", tmp_path / "outside"
    workdir.mkdir()
    script = ALONE.format(
        module=KERNEL_BOUNDARY,
        workdir=str(workdir),
        port=listener.getsockname()[1],
        outside=str(outside),
        name=outside.name,
        parent=str(tmp_path),
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", textwrap.dedent(script)], capture_output=True, text=True, timeout=30
    )
    assert done.stdout.split("\n") == [
        f"connect {errno.EAFNOSUPPORT}",
        f"create {errno.EACCES}",
        f"beside {errno.EACCES}",
        f"fifo {errno.EACCES}",
        f"fork {errno.EPERM}",
        f"exec {errno.EPERM}",
        "inside done",
        "",
    ], done.stderr
    with pytest.raises(BlockingIOError):
        listener.accept()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["work"]
