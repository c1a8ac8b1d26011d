"""Running one tool call in a sandboxed subprocess.

Isolation, strongest available first:

* ``namespaces`` (root with ``unshare``): new network (no interfaces but a down loopback),
  mount, PID, IPC and UTS namespaces; every mount read-only, private tmpfs on ``/tmp`` and
  ``/dev/shm`` (the working directory lives there and vanishes with the namespace).
* ``process`` (otherwise): a plain child in a throwaway temp directory.

In both modes the child drops to an unprivileged user when started as root and runs under
``RLIMIT_AS`` / ``RLIMIT_CPU`` / ``RLIMIT_FSIZE`` / ``RLIMIT_NPROC=0``. Where the kernel offers
it (Linux on x86_64 with Landlock and seccomp, probed once), the child then confines itself
before any tool code runs (``sandbox_kernel.py``): no sockets, no new processes or programs, no
filesystem changes outside its working directory, native code included. That kernel boundary is
what makes ``process`` mode hold; an audit hook on top (defence in depth, not a boundary) names
the reason for what was denied. A wall-clock timeout kills the whole process group.

Where there is no kernel boundary, ``process`` mode has only the audit hook, which Python code
can get around, so it runs only the implementations bundled with this package (modules under
``synthbeam.tools`` without extra import paths) and raises :class:`SandboxRefused` for any other.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthbeam.schemas import reasons

CHILD = str(Path(__file__).with_name("sandbox_child.py"))
KERNEL_BOUNDARY = str(Path(__file__).with_name("sandbox_kernel.py"))
BUNDLED_PACKAGE = "synthbeam.tools"
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
NOBODY = 65534
CHILD_REASONS = frozenset(
    {
        reasons.EXECUTION_ERROR,
        reasons.EXECUTION_MEMORY_LIMIT,
        reasons.SANDBOX_NETWORK_DENIED,
        reasons.SANDBOX_PROCESS_DENIED,
        reasons.SANDBOX_WRITE_DENIED,
        reasons.SANDBOX_IMPORT_DENIED,
        reasons.SANDBOX_NATIVE_CODE_DENIED,
    }
)
_ISOLATE = (
    "mount -o remount,bind,ro / || exit 97; "
    'while read -r _ m _; do mount -o remount,bind,ro "$m" 2>/dev/null; done < /proc/self/mounts; '
    "mount -t tmpfs -o size=16m,mode=1777 tmpfs /tmp || exit 97; "
    "mount -t tmpfs -o size=1m,mode=1777 tmpfs /dev/shm 2>/dev/null; "
    '"$@"'  # not exec: PID 1 of a namespace ignores SIGXCPU
)
_UNSHARE = ["unshare", "--net", "--mount", "--ipc", "--uts", "--pid", "--fork", "--kill-child", "--mount-proc"]


@dataclass(frozen=True)
class Implementation:
    """Where a tool's Python code lives: ``module:attribute`` (and a key if it is a mapping)."""

    target: str
    key: str = ""
    paths: tuple[str, ...] = ()  # extra import roots for the child


@dataclass(frozen=True)
class SandboxLimits:
    timeout_s: float = 5.0
    cpu_seconds: int = 3
    memory_mib: int = 256
    file_mib: int = 1
    max_output_bytes: int = 64_000


@dataclass(frozen=True)
class SandboxResult:
    """``ok`` with the JSON text of the result, or a reason code and detail."""

    ok: bool
    result: str = ""
    reason: str = ""
    detail: str = ""
    isolation: str = ""


class SandboxRefused(RuntimeError):
    """An implementation that the available isolation cannot be trusted to contain."""


@functools.cache
def kernel_boundary() -> bool:
    """Whether a child can confine itself with Landlock and seccomp here (probed once, in a child)."""
    base = tempfile.mkdtemp(prefix="synthbeam-probe-")
    try:
        probe = [sys.executable, "-I", "-S", KERNEL_BOUNDARY, base]
        done = subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return done.returncode == 0


def bundled(implementation: Implementation) -> bool:
    """Whether ``implementation`` is code shipped in this package (``synthbeam.tools.*``)."""
    module = implementation.target.partition(":")[0]
    if implementation.paths or not module.startswith(BUNDLED_PACKAGE + "."):
        return False
    relative = module.removeprefix(BUNDLED_PACKAGE + ".").split(".")
    return (
        all(part.isidentifier() for part in relative)
        and Path(__file__).parent.joinpath(*relative).with_suffix(".py").is_file()
    )


def refusal(implementation: Implementation) -> str:
    """The one-line reason ``process`` mode without a kernel boundary gives for not running it."""
    return (
        f"process sandbox without a kernel boundary (Landlock and seccomp on x86_64 Linux) runs only "
        f"the implementations bundled under {BUNDLED_PACKAGE}, not {implementation.target!r}; "
        "use namespaces mode (root with unshare) or a kernel with Landlock"
    )


@functools.cache
def isolation_mode() -> str:
    """``namespaces`` when this process can build them (probed once), else ``process``."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "process"
    # The private /tmp hides whatever lives under the host's /tmp: an interpreter or a checkout
    # there cannot run inside, and then the process sandbox is all there is.
    visible = " && ".join(f"test -e {shlex.quote(path)}" for path in (sys.executable, CHILD, PACKAGE_ROOT))
    probe = isolated_command(["/bin/sh", "-c", f"test ! -w /etc && test -w /tmp && {visible}"])
    try:
        done = subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "process"
    return "namespaces" if done.returncode == 0 else "process"


def isolated_command(argv: list[str]) -> list[str]:
    """``argv`` wrapped in the namespaces, read-only mounts and private tmpfs (needs root)."""
    return [*_UNSHARE, "--", "/bin/sh", "-c", _ISOLATE, "sh", *argv]


def _command(mode: str) -> list[str]:
    python = [sys.executable, "-I", "-S", "-B", CHILD]
    return isolated_command(python) if mode == "namespaces" else python


def _read_capped(proc: subprocess.Popen[bytes], deadline: float, cap: int) -> tuple[bytes, str]:
    """Reads the child's stdout until EOF; ``""`` or a reason code if it had to be stopped."""
    assert proc.stdout is not None
    chunks: list[bytes] = []
    size = 0
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return b"".join(chunks), reasons.EXECUTION_TIMEOUT
            if not selector.select(timeout=remaining):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                return b"".join(chunks), ""
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                return b"".join(chunks), reasons.EXECUTION_OUTPUT_TOO_LARGE


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already gone


def _interpret(stdout: bytes, returncode: int, limits: SandboxLimits) -> SandboxResult:
    if returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGKILL) and not stdout:
        reason = reasons.EXECUTION_CPU_LIMIT if abs(returncode) % 128 == signal.SIGXCPU else reasons.EXECUTION_CRASHED
        return SandboxResult(False, reason=reason, detail=f"exit status {returncode}")
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        payload = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        payload = None
    if not isinstance(payload, dict):
        return SandboxResult(False, reason=reasons.EXECUTION_CRASHED, detail=f"no result, exit status {returncode}")
    if payload.get("ok"):
        return SandboxResult(True, result=str(payload.get("result", "null"))[: limits.max_output_bytes])
    reason = payload.get("reason")  # the child may be hostile: only known codes pass through
    return SandboxResult(
        False,
        reason=reason if reason in CHILD_REASONS else reasons.EXECUTION_ERROR,
        detail=str(payload.get("detail", ""))[:500],
    )


class Sandbox:
    """Runs tool implementations in isolated child processes (thread-safe, no state per call)."""

    def __init__(self, limits: SandboxLimits | None = None, mode: str = "") -> None:
        self.limits = limits or SandboxLimits()
        self.mode = mode or isolation_mode()
        if self.mode not in ("namespaces", "process"):
            raise ValueError(f"sandbox mode must be 'namespaces' or 'process', got {self.mode!r}")

    def run(self, implementation: Implementation, arguments: dict[str, Any]) -> SandboxResult:
        """Runs one call; raises :class:`SandboxRefused` where the isolation cannot contain it."""
        kernel = kernel_boundary()
        if self.mode == "process" and not kernel and not bundled(implementation):
            raise SandboxRefused(refusal(implementation))
        workdir = tempfile.mkdtemp(prefix="synthbeam-tool-") if self.mode == "process" else ""
        try:
            uid = NOBODY if os.geteuid() == 0 else 0
            if workdir and uid:
                os.chown(workdir, uid, uid)
            request = {
                "target": implementation.target,
                "key": implementation.key,
                "paths": [PACKAGE_ROOT, *implementation.paths],
                "arguments": arguments,
                "limits": dataclasses.asdict(self.limits),
                "uid": uid,
                "gid": uid,
                "workdir": workdir,
                "kernel": kernel,
            }
            result = self._spawn(json.dumps(request).encode("utf-8"), workdir or "/")
        finally:
            if workdir:
                shutil.rmtree(workdir, ignore_errors=True)
        return dataclasses.replace(result, isolation=self.mode)

    def _spawn(self, request: bytes, cwd: str) -> SandboxResult:
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0"}
        deadline = time.monotonic() + self.limits.timeout_s
        popen = subprocess.Popen(
            _command(self.mode),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
        with popen as proc:
            try:
                assert proc.stdin is not None
                proc.stdin.write(request)
                proc.stdin.close()
                stdout, stopped = _read_capped(proc, deadline, self.limits.max_output_bytes)
            except BrokenPipeError:  # the child exited before reading its request
                stdout, stopped = b"", ""
            if not stopped:
                try:
                    return _interpret(stdout, proc.wait(timeout=max(deadline - time.monotonic(), 0.1)), self.limits)
                except subprocess.TimeoutExpired:
                    stopped = reasons.EXECUTION_TIMEOUT
            _kill(proc)
        timed_out = stopped == reasons.EXECUTION_TIMEOUT
        return SandboxResult(
            False,
            reason=stopped,
            detail=f"killed after {self.limits.timeout_s:g} s" if timed_out else "output too large",
        )
