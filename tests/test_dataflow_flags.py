"""Dataflow flags and the checks that refuse a job before it is built (no pipeline, no Beam runner)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from synthbeam.pipelines.dataflow import (
    IMAGE_MODEL_ROOT,
    Accelerator,
    DataflowOptionsError,
    check_dataflow_options,
    dataflow_args,
    dataflow_problems,
    parse_accelerator,
)

IMAGE = "us-central1-docker.pkg.dev/synthbeam-test/synthbeam/worker:0.1.0"
L4 = "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"


def test_dataflow_args_for_an_l4_worker() -> None:
    assert dataflow_args("p", "us-central1", IMAGE, "gs://b/tmp") == [
        "--runner=DataflowRunner",
        "--project=p",
        "--region=us-central1",
        "--temp_location=gs://b/tmp",
        f"--sdk_container_image={IMAGE}",
        "--experiments=use_runner_v2",
        f"--dataflow_service_options={L4}",
        "--machine_type=g2-standard-8",
        "--setup_file=./setup.py",
    ]


def test_dataflow_args_cpu_workers_and_extras() -> None:
    args = dataflow_args(
        "p", "r", IMAGE, "gs://b/tmp", gpu_type=None, machine_type="n2-standard-4", max_num_workers=4, private_ips=True
    )
    assert not any(a.startswith("--dataflow_service_options") for a in args)
    assert "--machine_type=n2-standard-4" in args and "--max_num_workers=4" in args
    assert args[-1] == "--no_use_public_ips"
    assert dataflow_args(
        "p", "r", IMAGE, "gs://b/tmp", gpu_type="nvidia-tesla-t4", gpu_count=2, machine_type="n1-standard-8"
    )[6] == ("--dataflow_service_options=worker_accelerator=type:nvidia-tesla-t4;count:2;install-nvidia-driver")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temp_location": "/tmp/x"}, "temp_location='/tmp/x' must be a gs:// path"),
        (
            {"machine_type": "n1-standard-8"},
            "--machine_type=n1-standard-8 cannot carry nvidia-l4; use a g2 machine type",
        ),
        ({"machine_type": None}, "nvidia-l4 needs a g2 machine type"),
        ({"gpu_count": 0}, "gpu_count=0 must be >= 1"),
        ({"image": ""}, "image (the Dockerfile's worker target) is empty"),
    ],
)
def test_dataflow_args_rejects(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"project": "p", "region": "r", "image": IMAGE, "temp_location": "gs://b/tmp"}
    with pytest.raises(ValueError, match=re.escape(message)):
        dataflow_args(**{**base, **kwargs})


def test_accelerator_round_trip() -> None:
    accelerator = parse_accelerator(L4)
    assert accelerator == Accelerator("nvidia-l4", 1, True)
    assert accelerator.service_option() == L4
    assert parse_accelerator("worker_accelerator=type:nvidia-tesla-t4;count:4") == Accelerator(
        "nvidia-tesla-t4", 4, False
    )
    with pytest.raises(ValueError, match="names no GPU type"):
        parse_accelerator("worker_accelerator=count:1")


GOOD = [*dataflow_args("p", "us-central1", IMAGE, "gs://b/tmp"), "--model=gs://b/models/m", "--output=gs://b/out"]


def problems(*extra: str, base: list[str] = GOOD) -> tuple[list[str], list[str]]:
    return dataflow_problems(PipelineOptions([*base, *extra]))


def test_complete_gpu_job_has_no_problems() -> None:
    assert problems() == ([], [])
    assert problems(f"--model={IMAGE_MODEL_ROOT}qwen") == ([], [])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--model=/home/me/models/qwen"], "--model=/home/me/models/qwen is a local path of this machine"),
        (["--model="], "--model is empty: the bundled model is prepared on this machine"),
        (["--output=out/run"], "--output=out/run is a local path"),
        (["--input=gs://b/c/*.jsonl,corpus/*.jsonl"], "--input pattern corpus/*.jsonl is a local path"),
        (["--machine_type=n1-standard-8"], "--machine_type=n1-standard-8 cannot carry nvidia-l4"),
        (["--dataflow_service_options=worker_accelerator=type:nvidia-l4;count:2"], "is given 2 times"),
        (["--temp_location="], "DataflowRunner needs --temp_location=gs://BUCKET/tmp"),
    ],
)
def test_dataflow_problems_name_the_fix(extra: list[str], message: str) -> None:
    errors, _ = problems(*extra)
    assert any(message in error for error in errors), errors


def test_gpu_without_driver_is_an_error() -> None:
    base = [a for a in GOOD if not a.startswith("--dataflow_service_options")]
    errors, _ = problems("--dataflow_service_options=worker_accelerator=type:nvidia-l4;count:1", base=base)
    assert errors == [
        "worker_accelerator lacks install-nvidia-driver: without the host driver vLLM sees no GPU. Append ;install-nvidia-driver."
    ]


def test_managed_server_needs_a_gpu_and_the_worker_image() -> None:
    base = ["--runner=DataflowRunner", "--project=p", "--region=r", "--temp_location=gs://b/tmp"]
    errors, _ = problems("--model=gs://b/m", "--output=gs://b/o", base=base)
    assert [e.split(":")[0] for e in errors] == [
        "--sdk_container_image is missing",
        "A managed vLLM server (no --llm_endpoint) needs a GPU on every worker",
    ]
    # A running endpoint needs no GPU, and --setup_file can bring the package to Beam's image.
    assert problems(
        "--model=gs://b/m",
        "--output=gs://b/o",
        "--llm_endpoint=http://10.0.0.5:8000",
        "--setup_file=./setup.py",
        base=base,
    ) == ([], [])


def test_other_runners_are_not_checked_and_bad_jobs_raise() -> None:
    assert dataflow_problems(PipelineOptions(["--model=/local", "--output=out"])) == ([], [])
    assert check_dataflow_options(PipelineOptions(["--runner=DirectRunner"])) == []
    with pytest.raises(
        DataflowOptionsError, match=r"(?s)would fail on Dataflow:.*--output=out/instructions is a local path"
    ):
        check_dataflow_options(PipelineOptions(GOOD[:-1]))
    _, warnings = problems("--cache_root=/var/cache/x")
    assert warnings == [
        "--cache_root=/var/cache/x is on each worker's disk and discarded with it; use gs:// to reuse responses across runs."
    ]
