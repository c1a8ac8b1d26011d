"""Every recipe as a Flex Template: its spec, and the job its launcher writes, built offline.

The launcher runs ``/opt/synthbeam/flex_main.py`` (the Dockerfile's printf) with the launch
parameters and the spec's default environment as flags; with ``--template_location`` Beam
writes the job it would submit, after staging the pipeline to ``gs://`` (a GCS emulator).
"""

from __future__ import annotations

import json
import re
import runpy
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from gcs_emulator import GcsEmulator
from test_dataflow_job import IMAGE, L4, assert_dataflow_shape, top_level_steps

from synthbeam.cli import RECIPES
from synthbeam.deploy.flex_spec import spec_file_name, template_spec, write_specs
from synthbeam.deploy.launch_bodies import parameter_problems
from synthbeam.flex_template import IMAGE_ENV, recipe_argv
from synthbeam.pipelines.dataflow import DataflowOptionsError

REPO = Path(__file__).resolve().parents[1]
DIGEST = "sha256:" + "ab" * 32
# Flags the launcher derives from the launch environment (the spec's defaults here).
ENVIRONMENT_FLAGS = {
    "machineType": "machine_type",
    "maxWorkers": "max_num_workers",
    "tempLocation": "temp_location",
    "diskSizeGb": "disk_size_gb",
}


def flex_main(tmp_path: Path) -> Path:
    """The launcher's ``/opt/synthbeam/flex_main.py``, written by the Dockerfile's own printf."""
    text = (REPO / "Dockerfile").read_text()
    (command,) = re.findall(r"printf '%s\\n' \\\n(.*?)\n\s*> /opt/synthbeam/flex_main.py", text, flags=re.DOTALL)
    lines = shlex.split(command.replace("\\\n", " ").rstrip().removesuffix("\\"))
    path = tmp_path / "flex_main.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def launcher_flags(spec: dict[str, Any], job_name: str, template: Path) -> list[str]:
    env = spec["defaultEnvironment"]
    flags = [f"--{flag}={env[key]}" for key, flag in ENVIRONMENT_FLAGS.items()]
    flags += [f"--experiments={e}" for e in env["additionalExperiments"]]
    return [
        "--runner=DataflowRunner",
        "--project=synthbeam-test",
        "--region=us-central1",
        f"--job_name={job_name}",
        f"--template_location={template}",
        *flags,
    ]


def launch(main_py: Path, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(main_py), *argv])
    runpy.run_path(str(main_py), run_name="__main__")


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_every_recipe_launches_from_its_template(
    recipe: str, gcs_emulator: GcsEmulator, gcs_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = template_spec(recipe, IMAGE, f"{gcs_bucket}/tmp")
    assert spec["image"] == IMAGE and spec["sdkInfo"] == {"language": "PYTHON"}
    assert spec["defaultEnvironment"]["sdkContainerImage"] == IMAGE
    # Only the required parameters: the launch API accepts them, and the job runs on GPUs.
    parameters = {"recipe": recipe, "output": f"{gcs_bucket}/out/{recipe}", "model": f"{gcs_bucket}/models/qwen"}
    assert parameter_problems(spec["metadata"], parameters) == []
    night = f"{parameters['output']}/run_date=2026-11-22"
    job_name = f"synthbeam-{recipe.replace('_', '-')}-test"
    argv = [*launcher_flags(spec, job_name, tmp_path / "job.json"), *(f"--{k}={v}" for k, v in parameters.items())]
    argv.append("--run_date=2026-11-22")
    monkeypatch.setenv(IMAGE_ENV, IMAGE)
    launch(flex_main(tmp_path), argv, monkeypatch)

    job = json.loads((tmp_path / "job.json").read_text())
    proto = assert_dataflow_shape(job, gcs_emulator, sdist=False)
    assert job["name"] == job_name
    options = job["environment"]["sdkPipelineOptions"]["options"]
    assert options["output"] == night and options["model"] == parameters["model"]
    assert options["cache_root"] == f"{parameters['output']}/_llm_cache" and options["run_id"] == job_name
    assert any(step.startswith("Write") for step in top_level_steps(proto)), sorted(top_level_steps(proto))
    assert gcs_emulator.list(f"{night}/") == []  # building the job wrote no output


def test_launch_flags_become_recipe_flags() -> None:
    recipe, args = recipe_argv(
        [
            "--recipe=tool_use",
            "--output=gs://bkt/out",
            "--overwrite=true",
            "--require_execution=false",
            f"--dataflow_service_options={L4};use_nvidia_mps,enable_hot_key_logging",
            "--disk_size_gb=200",
        ],
        IMAGE,
        today="2026-11-22",
    )
    assert recipe == "tool_use"
    assert args == [
        "--overwrite",
        f"--dataflow_service_options={L4};use_nvidia_mps",
        "--dataflow_service_options=enable_hot_key_logging",
        "--disk_size_gb=200",
        "--output=gs://bkt/out/run_date=2026-11-22",
        "--cache_root=gs://bkt/out/_llm_cache",
        f"--sdk_container_image={IMAGE}",
    ]
    # A running server needs no GPU; a named image wins over the template's own.
    _, args = recipe_argv(
        ["--recipe=augment", "--output=gs://bkt/o", "--llm_endpoint=http://10.0.0.5:8000", "--sdk_container_image=x"],
        IMAGE,
        today="2026-11-22",
    )
    assert args == [
        "--llm_endpoint=http://10.0.0.5:8000",
        "--sdk_container_image=x",
        "--output=gs://bkt/o/run_date=2026-11-22",
        "--cache_root=gs://bkt/o/_llm_cache",
        "--overwrite",
        "--disk_size_gb=100",
    ]
    with pytest.raises(ValueError, match="pass exactly one --recipe"):
        recipe_argv(["--output=gs://bkt/o"], IMAGE)


def test_flex_main_refuses_a_job_that_would_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["--recipe=instructions", "--runner=DataflowRunner", "--project=p", "--region=r"]
    argv += ["--temp_location=gs://bkt/tmp", "--output=gs://bkt/o", "--run_date=2026-11-22"]
    with pytest.raises(DataflowOptionsError, match="--model is empty"):
        launch(flex_main(tmp_path), argv, monkeypatch)


def test_spec_files_for_every_recipe(tmp_path: Path) -> None:
    paths = write_specs(str(tmp_path), IMAGE, "gs://bkt/tmp", max_workers=8)
    assert [Path(p).name for p in paths] == [spec_file_name(r) for r in RECIPES]
    spec = json.loads(Path(paths[0]).read_text())
    assert spec["defaultEnvironment"] == {
        "machineType": "g2-standard-8",
        "diskSizeGb": 100,
        "maxWorkers": 8,
        "tempLocation": "gs://bkt/tmp",
        "sdkContainerImage": IMAGE,
        "additionalExperiments": ["use_runner_v2"],
    }
    with pytest.raises(ValueError, match="bucket name 'x' must be 3-63 characters long"):
        template_spec("instructions", IMAGE, "gs://x/tmp")


def matches(metadata: dict[str, Any], name: str, value: str) -> bool:
    (parameter,) = [p for p in metadata["parameters"] if p["name"] == name]
    return all(re.fullmatch(r, value) for r in parameter["regexes"])


REGEX_CASES = [
    ("dataflow_service_options", L4, True),
    ("dataflow_service_options", "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver", True),
    ("dataflow_service_options", "worker_accelerator=type:nvidia-tesla-t4;count:2;install-nvidia-driver:5xx", True),
    ("dataflow_service_options", f"{L4};use_nvidia_mps", True),
    ("dataflow_service_options", f"{L4},enable_hot_key_logging,min_num_workers=2", True),
    ("dataflow_service_options", "worker_accelerator=type:nvidia-l4;count:0;install-nvidia-driver", False),
    ("dataflow_service_options", "worker_accelerator=count:1", False),
    ("dataflow_service_options", f"{L4};use_mps", False),
    ("sdk_container_image", IMAGE, True),
    ("sdk_container_image", f"{IMAGE}@{DIGEST}", True),
    ("sdk_container_image", f"us-central1-docker.pkg.dev/p/synthbeam/synthbeam@{DIGEST}", True),
    ("sdk_container_image", "localhost:5000/synthbeam:dev", True),
    ("sdk_container_image", "us-central1-docker.pkg.dev/p/synthbeam/synthbeam", False),
    ("sdk_container_image", f"{IMAGE}@sha256:abc", False),
    ("output", "gs://my-bucket/synthbeam/out", True),
    ("output", "gs://x/out", False),
    ("output", "out/instructions", False),
    ("model", "/opt/synthbeam/models/qwen", True),
    ("model", "/home/me/qwen", False),
    ("input", "gs://bkt/a/*.jsonl,gs://bkt/b/*.jsonl", True),
    ("input", "corpus/*.jsonl", False),
    ("overwrite", "true", True),
    ("overwrite", "yes", False),
    ("eval_fraction", "0.1", True),
    ("eval_fraction", "-1", False),
    ("limit", "50", True),
    ("limit", "5e2", False),
    ("recipe", "instructions", True),
    ("recipe", "tool_use", False),
    ("judge", "auto", True),
    ("judge", "maybe", False),
    ("run_date", "2026-11-22", True),
    ("run_date", "yesterday", False),
    ("run_date", "today", True),
]


@pytest.mark.parametrize(("name", "value", "accepted"), REGEX_CASES)
def test_metadata_regexes_accept_what_dataflow_accepts(name: str, value: str, accepted: bool) -> None:
    metadata = template_spec("instructions", IMAGE, "gs://bkt/tmp")["metadata"]
    assert matches(metadata, name, value) is accepted
