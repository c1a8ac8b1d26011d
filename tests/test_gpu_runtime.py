"""The worker's GPU runtime: driver detection, CUDA forward compatibility, the startup log line."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthbeam import gpu_runtime, worker_boot
from synthbeam.gpu_runtime import (
    compat_env,
    needs_forward_compat,
    parse_driver_version,
    runtime_line,
    with_library_dir,
)

PROPRIETARY = "NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.172.08  Tue Jul  8 18:03:28 UTC 2025\nGCC version:"
OPEN = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.82.07  Release Build  (dvs-builder@U16)\n"
COMPAT = "/usr/local/cuda-13.0/compat"


def test_driver_version_from_the_kernel_module_line() -> None:
    assert parse_driver_version(PROPRIETARY) == "570.172.08"
    assert parse_driver_version(OPEN) == "580.82.07"
    assert parse_driver_version("no driver here") is None


@pytest.mark.parametrize(
    ("driver", "needed"), [("535.261.03", True), ("570.172.08", True), ("580.82.07", False), ("590.1", False)]
)
def test_forward_compat_only_below_r580(driver: str, needed: bool) -> None:
    assert needs_forward_compat(driver) is needed
    assert not needs_forward_compat(None)  # no GPU: nothing to do


def test_compat_libraries_go_first_and_only_when_needed() -> None:
    env = {"LD_LIBRARY_PATH": "/usr/local/nvidia/lib64:/usr/local/nvidia/lib", "HOME": "/root"}
    patched = compat_env(env, "570.172.08", [COMPAT])
    assert patched["LD_LIBRARY_PATH"] == f"{COMPAT}:/usr/local/nvidia/lib64:/usr/local/nvidia/lib"
    assert patched["HOME"] == "/root" and env["LD_LIBRARY_PATH"].startswith("/usr/local/nvidia")
    assert compat_env(env, "580.82.07", [COMPAT]) == env
    assert compat_env(env, None, [COMPAT]) == env
    assert compat_env(env, "570.172.08", []) == env  # an image without the compat package
    assert with_library_dir(f"/a:{COMPAT}:/b", COMPAT) == f"{COMPAT}:/a:/b"
    assert compat_env({}, "535.1", [COMPAT])["LD_LIBRARY_PATH"] == COMPAT


def test_boot_execs_beam_boot_with_its_flags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    version = tmp_path / "version"
    version.write_text(PROPRIETARY)
    monkeypatch.setattr(gpu_runtime, "DRIVER_VERSION_FILE", str(version))
    monkeypatch.setattr(worker_boot, "read_driver_version", lambda: gpu_runtime.read_driver_version(str(version)))
    monkeypatch.setattr(worker_boot, "compat_dirs", lambda: [COMPAT])
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64")
    calls = []
    monkeypatch.setattr(worker_boot.os, "execve", lambda path, args, env: calls.append((path, args, env)))
    worker_boot.main(["--id=sdk-0", "--logging_endpoint=localhost:12370"])
    ((path, args, env),) = calls
    assert path == "/opt/apache/beam/boot"
    assert args == [path, "--id=sdk-0", "--logging_endpoint=localhost:12370"]
    assert env["LD_LIBRARY_PATH"] == f"{COMPAT}:/usr/local/nvidia/lib64"


def test_runtime_line_names_driver_cuda_and_vllm() -> None:
    assert runtime_line("570.172.08", "13.0", "0.32.0", f"{COMPAT}:/usr/local/nvidia/lib64") == (
        f"GPU runtime: NVIDIA driver 570.172.08, CUDA 13.0 (forward compatibility ({COMPAT})), vLLM 0.32.0"
    )
    assert runtime_line("580.82.07", "13.0", "0.32.0", "/usr/local/nvidia/lib64") == (
        "GPU runtime: NVIDIA driver 580.82.07, CUDA 13.0 (native), vLLM 0.32.0"
    )
    assert (
        runtime_line(None, None, None, "") == "GPU runtime: NVIDIA driver none, CUDA none (native), vLLM not installed"
    )


def test_this_machine_describes_itself() -> None:
    line = gpu_runtime.describe_runtime()
    assert line.startswith("GPU runtime: NVIDIA driver ")
    assert "vLLM 0.32.0" in line  # the CPU build installed here is the same release
