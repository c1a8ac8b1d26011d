"""Boot disk a GPU worker needs: the unpacked worker image, the model copies, working room.

Dataflow gives batch workers a 25 GB boot disk unless ``--disk_size_gb`` says otherwise
(with Dataflow Shuffle, the default for batch jobs). The worker image unpacks to about
15 GB (vLLM, PyTorch and the CUDA libraries), and every ``gs://`` model a worker serves is
copied to that disk once; a 7B model in bf16 is another ~15 GB.
"""

from __future__ import annotations

import math
import re

DATAFLOW_BATCH_DISK_GB = 25
DEFAULT_DISK_SIZE_GB = 100
IMAGE_DISK_GB = 15
# Compile caches (Triton, torch.compile), server logs, temporary files.
WORKING_DISK_GB = 10
# bf16 weights: 2 bytes per parameter, plus tokenizer and config files.
GB_PER_BILLION_PARAMETERS = 2.1
UNKNOWN_MODEL_GB = 15
_PARAMETERS = re.compile(r"(?<![A-Za-z0-9.])(\d+(?:\.\d+)?)[bB](?![A-Za-z0-9])")


def estimated_model_gb(model: str) -> float:
    """Disk a model directory takes, from the parameter count its name states (``Qwen2.5-7B``:
    7B -> ~15 GB); ``UNKNOWN_MODEL_GB`` when the name does not say."""
    name = model.rstrip("/").rsplit("/", 1)[-1]
    found = _PARAMETERS.findall(name)
    if not found:
        return UNKNOWN_MODEL_GB
    return float(found[-1]) * GB_PER_BILLION_PARAMETERS


def required_disk_gb(models: list[str]) -> int:
    """Boot disk for the image, one copy of each distinct model and the working room."""
    distinct = {m.rstrip("/") for m in models if m}
    return math.ceil(IMAGE_DISK_GB + WORKING_DISK_GB + sum(estimated_model_gb(m) for m in distinct))


def disk_problem(disk_size_gb: int | None, models: list[str]) -> str | None:
    """Why a GPU worker's boot disk is too small for the image and the models, or None."""
    disk = disk_size_gb or DATAFLOW_BATCH_DISK_GB
    needed = required_disk_gb(models)
    if disk >= needed:
        return None
    given = f"--disk_size_gb={disk_size_gb}" if disk_size_gb else f"Dataflow's default {disk} GB boot disk"
    return (
        f"{given} is too small for a GPU worker: the worker image (~{IMAGE_DISK_GB} GB unpacked), "
        f"the model copies and {WORKING_DISK_GB} GB of working room need ~{needed} GB. "
        f"Pass --disk_size_gb={max(needed, DEFAULT_DISK_SIZE_GB)}."
    )
