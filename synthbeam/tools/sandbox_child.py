"""Entry point of the sandboxed child process (standard library only, run as a script).

Reads one JSON request from stdin, drops privileges, applies resource limits, confines itself
with the kernel boundary of ``sandbox_kernel.py`` (Landlock and seccomp: no sockets, no new
processes, no writes outside the working directory) when the parent asks for it, installs an
audit hook that denies network, process creation, native code and writes outside the working
directory, then calls the tool and writes one JSON result line to the original stdout.
The kernel boundary (and, in ``namespaces`` mode, the namespaces set up by the parent) is what
holds; the audit hook is defence in depth that gives a precise reason for what was denied, and
where tool code gets past it, the error the kernel returned is mapped to a reason instead.
"""

from __future__ import annotations

import errno
import importlib.util
import io
import json
import os
import resource
import sys
import tempfile
from typing import Any

_NETWORK = (
    "socket.",
    "http.client.",
    "urllib.",
    "ftplib.",
    "smtplib.",
    "telnetlib.",
    "nntplib.",
    "imaplib.",
    "poplib.",
)
_PROCESS = (
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.exec",
    "os.spawn",
    "os.system",
    "os.kill",
    "os.killpg",
    "subprocess.",
    "pty.spawn",
    "os.startfile",
)
_PATH_EVENTS = (
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.link",
    "os.symlink",
    "os.truncate",
    "os.utime",
    "shutil.",
)
_BLOCKED_IMPORTS = ("_ctypes", "ctypes", "_posixsubprocess", "mmap", "fcntl", "signal", "_signal")
_NATIVE_MODULES = ("ctypes", "_ctypes")
_KERNEL_BOUNDARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_kernel.py")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _inside(path: Any, root: str) -> bool:
    if isinstance(path, int):
        return True  # an fd already open
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return real == root or real.startswith(root + os.sep)


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def make_hook(root: str, denied: list[str]) -> Any:
    def deny(reason: str, detail: str) -> None:
        denied.append(reason)
        raise PermissionError(f"sandbox: {detail}")

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event.startswith(_NETWORK):
            deny("sandbox_network_denied", f"network access denied ({event})")
        elif event.startswith(_PROCESS):
            deny("sandbox_process_denied", f"process creation denied ({event})")
        elif event.startswith("ctypes."):
            deny("sandbox_native_code_denied", f"native code denied ({event})")
        elif event == "import" and args and str(args[0]).split(".")[0] in _BLOCKED_IMPORTS:
            deny("sandbox_import_denied", f"import of {args[0]} denied")
        elif event == "open" and _writes(args[1], args[2] if len(args) > 2 else 0) and not _inside(args[0], root):
            deny("sandbox_write_denied", f"write outside the working directory denied ({args[0]!r})")
        elif event.startswith(_PATH_EVENTS) and not all(
            _inside(a, root) for a in args[:2] if isinstance(a, (str, bytes))
        ):
            deny("sandbox_write_denied", f"change outside the working directory denied ({event})")

    return hook


# Imported before the privilege drop: the interpreter's own library may be unreadable to the
# unprivileged user (a Python installed under /root), and tool code needs these.
PRELOAD = (
    "bisect",
    "calendar",
    "cmath",
    "encodings.idna",
    "collections",
    "datetime",
    "decimal",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "json",
    "math",
    "operator",
    "random",
    "re",
    "socket",
    "statistics",
    "string",
    "textwrap",
    "unicodedata",
)


def _drop_privileges(uid: int, gid: int) -> None:
    if os.getuid() == 0 and uid:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)


def _limit(limits: dict[str, int]) -> None:
    mib = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_mib"] * mib, limits["memory_mib"] * mib))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_mib"] * mib, limits["file_mib"] * mib))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # after the uid drop; root ignores it


def _load_kernel_boundary() -> Any:
    """``sandbox_kernel.py``, loaded by path (this directory is not on ``sys.path``)."""
    spec = importlib.util.spec_from_file_location("kernel_boundary", _KERNEL_BOUNDARY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _forget_native_modules() -> None:
    """Drops ctypes from ``sys.modules``, so that tool code importing it meets the audit hook."""
    for name in [name for name in sys.modules if name.split(".")[0] in _NATIVE_MODULES]:
        del sys.modules[name]


def _confine(kernel: Any, workdir: str) -> str:
    """Applies the kernel boundary when there is one to apply; what stopped it, else ``""``."""
    if kernel is None:
        return ""
    try:
        kernel.apply(workdir)
    except OSError as error:
        return f"kernel boundary not installed: {error}"
    _forget_native_modules()
    return ""


def kernel_reason(error: BaseException) -> str:
    """The reason code for an error the kernel boundary (or the namespaces) returned, else ``""``."""
    if not isinstance(error, OSError):
        return ""
    if error.errno in (errno.EAFNOSUPPORT, errno.ENETUNREACH):
        return "sandbox_network_denied"
    if error.errno == errno.EPERM:
        return "sandbox_process_denied"
    if error.errno in (errno.EACCES, errno.EROFS, errno.EXDEV):
        return "sandbox_write_denied"
    return ""


def _resolve(target: str, key: str) -> Any:
    module_name, _, attribute = target.partition(":")
    module = __import__(module_name, fromlist=["_"])
    obj = getattr(module, attribute)
    return obj[key] if key else obj


def _run(request: dict[str, Any], denied: list[str]) -> dict[str, Any]:
    try:
        function = _resolve(request["target"], request.get("key", ""))
        value = function(**request["arguments"])
        text = json.dumps(value, ensure_ascii=False, default=str)
    except MemoryError:
        return {"ok": False, "reason": "execution_memory_limit", "detail": "memory limit reached"}
    except RecursionError:
        return {"ok": False, "reason": "execution_error", "detail": "RecursionError: maximum recursion depth exceeded"}
    except Exception as error:  # the tool's own failure is the result being checked
        reason = denied[0] if denied else kernel_reason(error) or "execution_error"
        return {"ok": False, "reason": reason, "detail": f"{type(error).__name__}: {error}"[:500]}
    if denied:
        return {"ok": False, "reason": denied[0], "detail": "the tool attempted a denied operation"}
    return {"ok": True, "result": text}


def main() -> None:
    request = json.loads(sys.stdin.read())
    for name in PRELOAD:
        __import__(name)
    kernel = _load_kernel_boundary() if request.get("kernel") else None
    _drop_privileges(request.get("uid", 0), request.get("gid", 0))
    workdir = request.get("workdir") or tempfile.mkdtemp(prefix="tool-")
    os.chdir(workdir)
    os.umask(0o077)
    sys.path[:0] = request.get("paths", [])
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = io.StringIO()
    _limit(request["limits"])
    denied: list[str] = []
    refused = _confine(kernel, workdir)
    if refused:  # no tool code runs without the boundary the parent asked for
        result = {"ok": False, "reason": "execution_error", "detail": refused}
    else:
        sys.addaudithook(make_hook(os.path.realpath(workdir), denied))
        result = _run(request, denied)
    out.write(json.dumps(result) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
