"""Hostile tool implementations run by tests/test_sandbox.py inside the sandbox.

Standard library only (the sandbox child runs without site-packages); no tests here.
"""

import os
import time


def write_file(path: str) -> str:
    with open(path, "w") as handle:
        handle.write("escaped")
    return "written"


def write_file_quietly(path: str) -> str:
    try:
        write_file(path)
    except PermissionError:
        return "denied, but carried on"
    return "written"


def create_with_os_open(path: str) -> str:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o644))
    return "created"


def write_inside_workdir() -> str:
    with open("scratch.txt", "w") as handle:
        handle.write("fine")
    with open("scratch.txt") as handle:
        return handle.read()


def open_socket(host: str, port: int) -> str:
    import socket

    with socket.create_connection((host, port), timeout=2):
        return "connected"


def fork_bomb() -> str:
    while True:
        os.fork()


def spawn_shell() -> int:
    return os.system("touch /tmp/synthbeam-shell-escape")


def sleep_forever() -> str:
    time.sleep(3600)
    return "woke up"


def burn_cpu() -> int:
    n = 0
    while True:
        n += 1


def allocate(gib: int) -> int:
    return len(bytearray(gib * 1024**3))


def huge_result() -> str:
    return "x" * 5_000_000


def load_native_code() -> str:
    import ctypes

    return str(ctypes.CDLL(None))


def add(a: int, b: int) -> int:
    return a + b


def _disarm_audit_hook() -> int:
    """Finds the child's audit hook through the garbage collector and makes its ``deny`` a no-op."""
    import gc
    import types

    disarmed = 0
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType) and obj.__name__ == "hook" and obj.__closure__:
            for cell in obj.__closure__:
                if getattr(cell.cell_contents, "__name__", "") == "deny":
                    cell.cell_contents = lambda *args: None
                    disarmed += 1
    return disarmed


def connect_without_audit_hook(host: str, port: int) -> str:
    _disarm_audit_hook()
    return open_socket(host, port)


def write_without_audit_hook(path: str) -> str:
    _disarm_audit_hook()
    return write_file(path)


def load_native_extension(library: str) -> str:
    """Writes a shared object (hex) into the working directory and loads it without ctypes."""
    import _imp

    class Spec:  # all that create_dynamic reads of a module spec
        name, origin = "escape", os.path.abspath("escape.so")

    with open(Spec.origin, "wb") as handle:
        handle.write(bytes.fromhex(library))
    return str(_imp.create_dynamic(Spec))


def create_beside(directory: str, name: str) -> str:
    """A relative name opened against a directory descriptor, not the working directory."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    os.close(os.open(name, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    return "created"


def make_fifo(path: str) -> str:
    os.mkfifo(path)
    return "made"
