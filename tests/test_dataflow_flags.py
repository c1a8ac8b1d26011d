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
from synthbeam.pipelines.gcs_names import bucket_problem
from synthbeam.pipelines.worker_disk import UNKNOWN_MODEL_GB, estimated_model_gb, required_disk_gb

IMAGE = "us-central1-docker.pkg.dev/synthbeam-test/synthbeam/worker:0.1.0"
L4 = "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver:latest"


def test_dataflow_args_for_an_l4_worker() -> None:
    assert dataflow_args("p", "us-central1", IMAGE, "gs://bkt/tmp") == [
        "--runner=DataflowRunner",
        "--project=p",
        "--region=us-central1",
        "--temp_location=gs://bkt/tmp",
        f"--sdk_container_image={IMAGE}",
        "--experiments=use_runner_v2",
        f"--dataflow_service_options={L4}",
        "--machine_type=g2-standard-8",
        "--disk_size_gb=100",
    ]
    # The local source instead of the image's copy only when asked for.
    assert "--setup_file=./setup.py" in dataflow_args("p", "r", IMAGE, "gs://bkt/tmp", setup_file="./setup.py")


def test_dataflow_args_cpu_workers_and_extras() -> None:
    args = dataflow_args(
        "p",
        "r",
        IMAGE,
        "gs://bkt/tmp",
        gpu_type=None,
        machine_type="n2-standard-4",
        max_num_workers=4,
        private_ips=True,
    )
    assert not any(a.startswith("--dataflow_service_options") for a in args)
    assert "--machine_type=n2-standard-4" in args and "--max_num_workers=4" in args
    assert args[-1] == "--no_use_public_ips"
    assert dataflow_args(
        "p", "r", IMAGE, "gs://bkt/tmp", gpu_type="nvidia-tesla-t4", gpu_count=2, machine_type="n1-standard-8"
    )[6] == ("--dataflow_service_options=worker_accelerator=type:nvidia-tesla-t4;count:2;install-nvidia-driver:latest")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temp_location": "/tmp/x"}, "temp_location='/tmp/x' must be a gs:// path"),
        ({"temp_location": "gs://x/tmp"}, "temp_location=gs://x/tmp: bucket name 'x' must be 3-63 characters long"),
        ({"staging_location": "gs://My_Bucket/s"}, "bucket name 'My_Bucket' may hold only lowercase letters"),
        ({"temp_location": "gs://bkt"}, "temp_location=gs://bkt names a bucket but no directory in it"),
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
    base: dict[str, Any] = {"project": "p", "region": "r", "image": IMAGE, "temp_location": "gs://bkt/tmp"}
    with pytest.raises(ValueError, match=re.escape(message)):
        dataflow_args(**{**base, **kwargs})


def test_accelerator_round_trip() -> None:
    accelerator = parse_accelerator(L4)
    assert accelerator == Accelerator("nvidia-l4", 1, True, "latest")
    assert accelerator.service_option() == L4
    assert parse_accelerator("worker_accelerator=type:nvidia-tesla-t4;count:4") == Accelerator(
        "nvidia-tesla-t4", 4, False, ""
    )
    # Dataflow's documented forms: the default driver, a driver selector, NVIDIA MPS after it.
    for option, expected in [
        ("worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver", Accelerator("nvidia-l4", 1, True, "")),
        (
            "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver:5xx",
            Accelerator("nvidia-l4", 1, True, "5xx"),
        ),
        (f"{L4};use_nvidia_mps", Accelerator("nvidia-l4", 1, True, "latest", mps=True)),
    ]:
        assert parse_accelerator(option) == expected
        assert expected.service_option() == option
    with pytest.raises(ValueError, match="names no GPU type"):
        parse_accelerator("worker_accelerator=count:1")


GOOD = [*dataflow_args("p", "us-central1", IMAGE, "gs://bkt/tmp"), "--model=gs://bkt/models/m", "--output=gs://bkt/out"]


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
        (["--input=gs://bkt/c/*.jsonl,corpus/*.jsonl"], "--input pattern corpus/*.jsonl is a local path"),
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
        "worker_accelerator lacks install-nvidia-driver: without the host driver vLLM sees no GPU. "
        "Append ;install-nvidia-driver:latest."
    ]


def test_an_older_driver_than_the_image_wants_is_a_warning() -> None:
    base = [a for a in GOOD if not a.startswith("--dataflow_service_options")]
    default = "--dataflow_service_options=worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"
    errors, warnings = problems(default, base=base)
    assert errors == []
    assert warnings == [
        "worker_accelerator asks for the bare install-nvidia-driver; the worker image is a CUDA 13 build that "
        "needs an R580+ driver and otherwise runs on CUDA forward compatibility (data-center GPUs only). "
        "Use install-nvidia-driver:latest."
    ]
    assert problems(f"--dataflow_service_options={L4};use_nvidia_mps", base=base) == ([], [])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--disk_size_gb=0"],
            "Dataflow's default 25 GB boot disk is too small for a GPU worker: the worker image (~15 GB unpacked), "
            "the model copies and 10 GB of working room need ~40 GB. Pass --disk_size_gb=100.",
        ),
        (
            ["--disk_size_gb=50", "--model=gs://bkt/models/Qwen2.5-14B-Instruct"],
            "--disk_size_gb=50 is too small for a GPU worker",
        ),
        (
            ["--disk_size_gb=60", "--judge_model=gs://bkt/models/judge-32b"],
            "need ~108 GB. Pass --disk_size_gb=108.",
        ),
    ],
)
def test_a_gpu_worker_needs_disk_for_the_image_and_the_models(extra: list[str], message: str) -> None:
    errors, _ = problems(*extra)
    assert any(message in error for error in errors), errors


def test_disk_estimates_follow_the_model_name() -> None:
    assert estimated_model_gb("gs://bkt/models/Qwen2.5-7B-Instruct") == pytest.approx(14.7)
    assert estimated_model_gb("/opt/synthbeam/models/SmolLM2-135M-Instruct/") == UNKNOWN_MODEL_GB
    assert estimated_model_gb("gs://bkt/m/Llama-3.1-70B") == pytest.approx(147.0)
    assert required_disk_gb(["gs://bkt/Qwen2.5-7B", "gs://bkt/Qwen2.5-7B/", ""]) == 40
    # CPU workers calling a running server copy no model.
    assert problems("--disk_size_gb=20", "--llm_endpoint=http://10.0.0.5:8000") == ([], [])


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("my-bucket", True),
        ("my_bucket.example-1", True),
        ("a" * 63, True),
        ("abc", True),
        ("x", False),
        ("ab", False),
        ("a" * 64, False),
        ("My-Bucket", False),
        ("-bucket", False),
        ("bucket-", False),
        ("bucket!", False),
        ("192.168.5.4", False),
        ("goog-data", False),
        ("my-google-bucket", False),
        ("a..b", False),
        (".".join(["a" * 63] * 3), True),
        ("a" * 64 + ".com", False),
    ],
)
def test_bucket_names_as_gcs_accepts_them(name: str, accepted: bool) -> None:
    assert (bucket_problem(name) is None) is accepted


def test_bad_bucket_names_are_refused_before_submission() -> None:
    errors, _ = problems("--temp_location=gs://x/tmp", "--output=gs://Out_Bucket/run")
    assert "--temp_location=gs://x/tmp: bucket name 'x' must be 3-63 characters long." in errors
    assert any(e.startswith("--output=gs://Out_Bucket/run: bucket name 'Out_Bucket'") for e in errors), errors


def test_managed_server_needs_a_gpu_and_the_worker_image() -> None:
    base = ["--runner=DataflowRunner", "--project=p", "--region=r", "--temp_location=gs://bkt/tmp"]
    errors, _ = problems("--model=gs://bkt/m", "--output=gs://bkt/o", base=base)
    assert [e.split(":")[0] for e in errors] == [
        "--sdk_container_image is missing",
        "A managed vLLM server (no --llm_endpoint) needs a GPU on every worker",
    ]
    # A running endpoint needs no GPU, and --setup_file can bring the package to Beam's image.
    assert problems(
        "--model=gs://bkt/m",
        "--output=gs://bkt/o",
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
