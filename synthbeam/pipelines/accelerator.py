"""The ``worker_accelerator`` Dataflow service option: GPUs, their driver, NVIDIA MPS.

    worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver:latest

``install-nvidia-driver`` alone installs the default driver of the workers' Container-Optimized
OS image; ``:latest`` asks for the newest one it offers. The worker image is a CUDA 13 build
(``deploy/constraints-gpu.txt``), which runs natively on an R580 or newer driver and, on older
data-center drivers (R535, R570), through CUDA forward compatibility (``synthbeam.worker_boot``),
so ``latest`` is what ``dataflow_args`` asks for. ``;use_nvidia_mps`` may follow.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCELERATOR_KEY = "worker_accelerator="
DRIVER_FLAG = "install-nvidia-driver"
MPS_FLAG = "use_nvidia_mps"
# The driver the service option asks for: the newest one the worker OS image offers.
DEFAULT_DRIVER = "latest"
# Oldest driver branch that runs CUDA 13 without the forward-compatibility libraries.
CUDA13_DRIVER_BRANCH = 580
DEFAULT_GPU_TYPE = "nvidia-l4"
DEFAULT_MACHINE_TYPE = "g2-standard-8"
# Machine series each GPU attaches to on Compute Engine ("custom-" is a custom N1 type).
GPU_MACHINE_PREFIXES: dict[str, tuple[str, ...]] = {
    "nvidia-l4": ("g2-",),
    "nvidia-tesla-t4": ("n1-", "custom-"),
    "nvidia-tesla-p4": ("n1-", "custom-"),
    "nvidia-tesla-p100": ("n1-", "custom-"),
    "nvidia-tesla-v100": ("n1-", "custom-"),
    "nvidia-tesla-a100": ("a2-highgpu-", "a2-megagpu-"),
    "nvidia-a100-80gb": ("a2-ultragpu-",),
    "nvidia-h100-80gb": ("a3-highgpu-",),
    "nvidia-h100-mega-80gb": ("a3-megagpu-",),
}


@dataclass(frozen=True)
class Accelerator:
    """One ``worker_accelerator`` service option: GPUs attached to every worker.

    ``driver`` is the value after ``install-nvidia-driver:`` ("" for the bare flag, Dataflow's
    default driver); it is ignored when ``install_driver`` is False.
    """

    gpu_type: str
    count: int = 1
    install_driver: bool = True
    driver: str = DEFAULT_DRIVER
    mps: bool = False

    def service_option(self) -> str:
        """``worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver:latest``."""
        parts = [f"type:{self.gpu_type}", f"count:{self.count}"]
        if self.install_driver:
            parts.append(f"{DRIVER_FLAG}:{self.driver}" if self.driver else DRIVER_FLAG)
        if self.mps:
            parts.append(MPS_FLAG)
        return ACCELERATOR_KEY + ";".join(parts)


def parse_accelerator(option: str) -> Accelerator:
    """Parses a ``worker_accelerator=...`` service option (or legacy experiment)."""
    if not option.startswith(ACCELERATOR_KEY):
        raise ValueError(f"{option!r} is not a {ACCELERATOR_KEY}... option")
    fields: dict[str, str] = {}
    install_driver, driver, mps = False, "", False
    for part in option[len(ACCELERATOR_KEY) :].split(";"):
        key, _, value = part.strip().partition(":")
        if key == DRIVER_FLAG:
            install_driver, driver = True, value
        elif key == MPS_FLAG:
            mps = True
        elif key:
            fields[key] = value
    if not fields.get("type"):
        raise ValueError(f"{option!r} names no GPU type (type:nvidia-l4, ...)")
    try:
        count = int(fields.get("count", "1"))
    except ValueError as error:
        raise ValueError(f"{option!r}: count must be a whole number") from error
    return Accelerator(fields["type"], count, install_driver, driver, mps)


def driver_warning(accelerator: Accelerator) -> str | None:
    """Why the requested driver may be older than the image's CUDA 13 build wants, or None."""
    if not accelerator.install_driver or accelerator.driver == DEFAULT_DRIVER:
        return None
    asked = f"{DRIVER_FLAG}:{accelerator.driver}" if accelerator.driver else f"the bare {DRIVER_FLAG}"
    return (
        f"worker_accelerator asks for {asked}; the worker image is a CUDA 13 build that needs an "
        f"R{CUDA13_DRIVER_BRANCH}+ driver and otherwise runs on CUDA forward compatibility (data-center "
        f"GPUs only). Use {DRIVER_FLAG}:{DEFAULT_DRIVER}."
    )


def machine_problem(gpu_type: str, machine_type: str | None) -> str | None:
    """Why ``machine_type`` cannot carry ``gpu_type``, or None when it can (or is unknown)."""
    prefixes = GPU_MACHINE_PREFIXES.get(gpu_type)
    if prefixes is None or (machine_type or "").startswith(prefixes):
        return None
    series = "/".join(p.rstrip("-") for p in prefixes)
    if not machine_type:
        return f"{gpu_type} needs a {series} machine type; the default worker type has no GPU slot. Add --machine_type."
    return f"--machine_type={machine_type} cannot carry {gpu_type}; use a {series} machine type."
