"""The kernel-enforced boundary of the sandboxed child: Landlock plus a seccomp-BPF filter.

Standard library only (the child loads this file by path before it drops privileges). Once
:func:`apply` returns, the calling process and everything it runs, native code included:

* cannot create sockets (``socket`` fails with ``EAFNOSUPPORT``), nor reach TCP ports or
  abstract Unix sockets, nor signal processes outside its Landlock domain;
* cannot create processes or run programs (``fork``, ``vfork``, ``clone`` without
  ``CLONE_THREAD``, ``execve``, ``execveat`` fail with ``EPERM``; ``clone3`` with ``ENOSYS``,
  so threads fall back to ``clone``), nor use ``io_uring``, ``ptrace``, ``unshare``, ``setns``;
* cannot create, change or remove anything outside its working directory (Landlock answers
  ``EACCES`` or ``EXDEV``); ``mknod`` (FIFOs, devices) fails with ``EACCES`` everywhere.

Needs Linux on x86_64 with Landlock (any ABI) and seccomp filters; :func:`landlock_abi` says
whether the kernel has Landlock, and ``python sandbox_kernel.py DIR`` checks the whole boundary.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import socket
import struct
import sys
from collections.abc import Callable
from typing import Any

# x86_64 system call numbers
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
SYS_CLONE = 56
_DENIED_CALLS = {
    41: errno.EAFNOSUPPORT,  # socket
    57: errno.EPERM,  # fork
    58: errno.EPERM,  # vfork
    59: errno.EPERM,  # execve
    322: errno.EPERM,  # execveat
    435: errno.ENOSYS,  # clone3: its flags sit behind a pointer the filter cannot read
    133: errno.EACCES,  # mknod
    259: errno.EACCES,  # mknodat
    101: errno.EPERM,  # ptrace
    310: errno.EPERM,  # process_vm_readv
    311: errno.EPERM,  # process_vm_writev
    272: errno.EPERM,  # unshare
    308: errno.EPERM,  # setns
    425: errno.EPERM,  # io_uring_setup
    426: errno.EPERM,  # io_uring_enter
    427: errno.EPERM,  # io_uring_register
}
SYS_TRUNCATE = 76  # denied too where Landlock cannot check it (ABI < 3)
CLONE_THREAD = 0x00010000
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

# classic BPF and seccomp constants
BPF_LD_W_ABS, BPF_JEQ, BPF_JGE, BPF_JSET, BPF_RET = 0x20, 0x15, 0x35, 0x45, 0x06
SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = 0, 4, 16
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2

# Landlock access rights, by the ABI version that introduced them
_FS_WRITE_RIGHTS = {
    1: (1 << 0) | (1 << 1) | sum(1 << bit for bit in range(4, 13)),  # execute, write, remove, make *
    2: 1 << 13,  # refer (link or rename into another directory)
    3: 1 << 14,  # truncate
    5: 1 << 15,  # ioctl on devices
}
EXECUTE = 1 << 0
NET_BIND_AND_CONNECT_TCP, NET_ABI = 0b11, 4
SCOPE_ABSTRACT_UNIX_AND_SIGNAL, SCOPE_ABI = 0b11, 6
LANDLOCK_CREATE_RULESET_VERSION, LANDLOCK_RULE_PATH_BENEATH = 1, 1


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _call(function: Any, *args: int | bytes | None) -> int:
    """A variadic libc call with every integer widened to a C ``long`` (as the kernel reads it)."""
    return int(function(*(ctypes.c_long(arg) if isinstance(arg, int) else arg for arg in args)))


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is missing or this is not x86_64."""
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return 0
    version = _call(_libc().syscall, SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    return max(version, 0)


def fs_write_rights(abi: int) -> int:
    """Every Landlock right that changes the filesystem (or executes) known to ``abi``."""
    return sum(rights for version, rights in _FS_WRITE_RIGHTS.items() if version <= abi)


def ruleset_attr(abi: int) -> bytes:
    """``struct landlock_ruleset_attr``: handled filesystem rights, TCP, and scopes."""
    net = NET_BIND_AND_CONNECT_TCP if abi >= NET_ABI else 0
    scoped = SCOPE_ABSTRACT_UNIX_AND_SIGNAL if abi >= SCOPE_ABI else 0
    return struct.pack("=QQQ", fs_write_rights(abi), net, scoped)


def _restrict_filesystem(libc: ctypes.CDLL, workdir: str, abi: int) -> None:
    attr = ruleset_attr(abi)
    ruleset = _check(_call(libc.syscall, SYS_LANDLOCK_CREATE_RULESET, attr, len(attr), 0), "landlock")
    try:
        parent = os.open(workdir, os.O_PATH | os.O_CLOEXEC)
        try:
            rule = struct.pack("=Qi", fs_write_rights(abi) & ~EXECUTE, parent)
            added = _call(libc.syscall, SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH, rule, 0)
            _check(added, "landlock rule")
        finally:
            os.close(parent)
        _check(_call(libc.syscall, SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0), "landlock restrict")
    finally:
        os.close(ruleset)


def filter_program(abi: int) -> list[tuple[int, int, int, int]]:
    """The seccomp filter as ``(code, jump if true, jump if false, k)`` instructions."""
    denied = dict(_DENIED_CALLS)
    if abi < 3:
        denied[SYS_TRUNCATE] = errno.EACCES
    program = [
        (BPF_LD_W_ABS, 0, 0, OFFSET_ARCH),
        (BPF_JEQ, 1, 0, AUDIT_ARCH_X86_64),
        (BPF_RET, 0, 0, SECCOMP_RET_KILL_PROCESS),
        (BPF_LD_W_ABS, 0, 0, OFFSET_NR),
        (BPF_JGE, 0, 1, X32_SYSCALL_BIT),
        (BPF_RET, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
    ]
    for number, code in sorted(denied.items()):
        program += [(BPF_JEQ, 0, 1, number), (BPF_RET, 0, 0, SECCOMP_RET_ERRNO | code)]
    return [
        *program,
        (BPF_JEQ, 0, 3, SYS_CLONE),
        (BPF_LD_W_ABS, 0, 0, OFFSET_ARG0),  # the low half of the flags
        (BPF_JSET, 1, 0, CLONE_THREAD),
        (BPF_RET, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
        (BPF_RET, 0, 0, SECCOMP_RET_ALLOW),
    ]


def _install_filter(libc: ctypes.CDLL, abi: int) -> None:
    program = filter_program(abi)
    code = b"".join(struct.pack("=HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("=HxxxxxxQ", len(program), ctypes.addressof(buffer))
    _check(_call(libc.prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0), "seccomp")


def apply(workdir: str) -> None:
    """Confines this process (and its threads to come) for good; raises ``OSError`` if it cannot."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError(errno.ENOSYS, "no Landlock on this kernel, or not x86_64")
    libc = _libc()
    _check(_call(libc.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _restrict_filesystem(libc, workdir, abi)
    _install_filter(libc, abi)


def _refused(action: Callable[[], object]) -> bool:
    try:
        action()
    except OSError:
        return True
    return False


def _fork_and_reap() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def probe(base: str) -> bool:
    """Confines this process to ``base/work`` and checks the boundary holds (in a throwaway child)."""
    workdir, outside = os.path.join(base, "work"), os.path.join(base, "outside")
    os.makedirs(workdir, exist_ok=True)
    try:
        apply(workdir)
    except OSError:
        return False
    with open(os.path.join(workdir, "inside"), "w") as handle:
        handle.write("ok")
    return all(
        (
            _refused(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
            _refused(lambda: os.close(os.open(outside, os.O_WRONLY | os.O_CREAT, 0o600))),
            _refused(_fork_and_reap),
        )
    )


if __name__ == "__main__":
    sys.exit(0 if probe(sys.argv[1]) else 1)
