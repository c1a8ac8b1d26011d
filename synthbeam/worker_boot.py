"""The worker image's entry point: Beam's boot program, with CUDA forward compatibility when
the host driver is older than the image's CUDA needs (``synthbeam.gpu_runtime``).

    ENTRYPOINT ["/opt/venv/bin/python", "-m", "synthbeam.worker_boot"]

Dataflow starts the container with the boot program's flags; they are passed on unchanged,
and the boot program replaces this process. Nothing here imports Beam, PyTorch or vLLM.
"""

from __future__ import annotations

import os
import sys

from synthbeam.gpu_runtime import compat_dirs, compat_env, read_driver_version

BEAM_BOOT = "/opt/apache/beam/boot"


def boot_env(env: dict[str, str]) -> dict[str, str]:
    return compat_env(env, read_driver_version(), compat_dirs())


def main(argv: list[str]) -> None:
    os.execve(BEAM_BOOT, [BEAM_BOOT, *argv], boot_env(dict(os.environ)))


if __name__ == "__main__":
    main(sys.argv[1:])
