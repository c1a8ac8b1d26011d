"""The worker image's lock file (``deploy/constraints-gpu.txt``) from a pip resolution report.

    python3.11 -m pip --isolated install --dry-run --ignore-installed --report report.json ".[gpu]"
    python3.11 -m synthbeam.deploy.lock report.json > deploy/constraints-gpu.txt

Run from the repository root, on Linux x86_64 with Python 3.11 (the image's platform).
``--isolated`` keeps any local package index or wheel directory out of the resolution.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

HEADER = """\
# The lock of the worker image's Python environment (Python 3.11, Linux x86_64): every package
# the Dockerfile installs, at the version it installs (uv pip install --no-deps -r this file).
# setup.py's requirements and its "gpu" extra accept every pin here, and apache-beam, vllm and
# torch agree with the Dockerfile (tests/test_deploy_pins.py). Regenerate it with the commands
# in synthbeam/deploy/lock.py after changing a requirement or a version.
"""
OWN_PACKAGE = "synthbeam"


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_lines(report: dict[str, Any]) -> list[str]:
    """``name==version`` of every package the report installs but our own, sorted by name."""
    pins = {normalized(i["metadata"]["name"]): i["metadata"]["version"] for i in report["install"]}
    pins.pop(OWN_PACKAGE, None)
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def read_lock(text: str) -> dict[str, str]:
    """``{normalized name: version}`` of a lock file's ``name==version`` lines."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[normalized(name.split("[", 1)[0])] = version.strip()
    return pins


def main(argv: list[str]) -> None:
    with open(argv[0], encoding="utf-8") as handle:
        report = json.load(handle)
    sys.stdout.write(HEADER + "\n".join(lock_lines(report)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
