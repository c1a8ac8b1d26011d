"""Running recipes on Dataflow: the flags a GPU job needs, and checks that fail before submission.

    argv = dataflow_args(project="p", region="us-central1", image=WORKER_IMAGE,
                         temp_location="gs://bucket/tmp")
    instructions.run(argv + ["--model=gs://bucket/models/m", "--output=gs://bucket/out"])

``check_dataflow_options`` catches what would otherwise surface on the workers, minutes into
a paid job (or never, as lost output): local paths the workers cannot see, a managed vLLM
server with no GPU under it, a GPU without the machine series it attaches to.
"""

from __future__ import annotations

import logging
import sys

from apache_beam.options.pipeline_options import (
    DebugOptions,
    GoogleCloudOptions,
    PipelineOptions,
    SetupOptions,
    StandardOptions,
    WorkerOptions,
)

from synthbeam.paths import is_gcs, is_local
from synthbeam.pipelines.accelerator import (
    ACCELERATOR_KEY,
    DEFAULT_GPU_TYPE,
    DEFAULT_MACHINE_TYPE,
    DRIVER_FLAG,
    GPU_MACHINE_PREFIXES,
    Accelerator,
    driver_warning,
    machine_problem,
    parse_accelerator,
)
from synthbeam.pipelines.gcs_names import bucket_problem, gcs_bucket, gcs_path_problem
from synthbeam.pipelines.options import SynthbeamOptions, split_list
from synthbeam.pipelines.worker_disk import DEFAULT_DISK_SIZE_GB, disk_problem

logger = logging.getLogger(__name__)

# The worker image (Dockerfile, target ``worker``) runs this Python; jobs must be submitted
# from the same minor version, since pickled functions and the staged sdist cross over.
WORKER_PYTHON = "3.11"
# Models baked into the worker image live here; any other local --model path is the
# submitting machine's and does not exist on the workers.
IMAGE_MODEL_ROOT = "/opt/synthbeam/models/"


class DataflowOptionsError(ValueError):
    """Options that would fail (or lose output) on Dataflow; the message lists every fix."""


def find_accelerator(options: PipelineOptions) -> Accelerator | None:
    """The GPU request of a job: ``--dataflow_service_options`` first, then ``--experiments``."""
    service = options.view_as(GoogleCloudOptions).dataflow_service_options or []
    experiments = options.view_as(DebugOptions).experiments or []
    found = [option for option in [*service, *experiments] if option.startswith(ACCELERATOR_KEY)]
    if len(set(found)) > 1:
        raise ValueError(f"{ACCELERATOR_KEY}... is given {len(found)} times ({', '.join(found)}); keep one")
    return parse_accelerator(found[0]) if found else None


def dataflow_args(
    project: str,
    region: str,
    image: str,
    temp_location: str,
    *,
    gpu_type: str | None = DEFAULT_GPU_TYPE,
    gpu_count: int = 1,
    machine_type: str | None = DEFAULT_MACHINE_TYPE,
    setup_file: str | None = None,
    staging_location: str | None = None,
    job_name: str | None = None,
    max_num_workers: int | None = None,
    disk_size_gb: int | None = DEFAULT_DISK_SIZE_GB,
    service_account_email: str | None = None,
    private_ips: bool = False,
) -> list[str]:
    """Beam flags for a Dataflow job on our worker image; ``gpu_type=None`` gives CPU workers.

    Workers run the package installed in the image; ``setup_file`` ships the local source
    instead (an sdist every worker installs when it boots), for trying a change without
    rebuilding the image.

    Raises:
        ValueError: a flag Dataflow would reject later (bad bucket path, GPU on a machine
            series it does not attach to, no GPU count).
    """
    required = (("project", project), ("region", region), ("image (the Dockerfile's worker target)", image))
    problems = [f"{name} is empty" for name, value in required if not value]
    for name, value in (("temp_location", temp_location), ("staging_location", staging_location)):
        problem = None if value is None else gcs_path_problem(name, value)
        if problem:
            problems.append(problem)
    if gpu_type is not None:
        if gpu_count < 1:
            problems.append(f"gpu_count={gpu_count} must be >= 1 (or gpu_type=None for CPU workers)")
        problem = machine_problem(gpu_type, machine_type)
        if problem:
            problems.append(problem)
    if problems:
        raise ValueError("Cannot build Dataflow flags: " + "; ".join(problems))
    args = [
        "--runner=DataflowRunner",
        f"--project={project}",
        f"--region={region}",
        f"--temp_location={temp_location}",
        f"--sdk_container_image={image}",
        "--experiments=use_runner_v2",
    ]
    if gpu_type is not None:
        args.append(f"--dataflow_service_options={Accelerator(gpu_type, gpu_count).service_option()}")
    optional = (
        ("machine_type", machine_type),
        ("setup_file", setup_file),
        ("staging_location", staging_location),
        ("job_name", job_name),
        ("max_num_workers", max_num_workers),
        ("disk_size_gb", disk_size_gb),
        ("service_account_email", service_account_email),
    )
    args += [f"--{name}={value}" for name, value in optional if value is not None]
    if private_ips:
        args.append("--no_use_public_ips")
    return args


def is_dataflow(options: PipelineOptions) -> bool:
    runner = options.view_as(StandardOptions).runner
    name = runner if isinstance(runner, str) else type(runner).__name__ if runner else ""
    return name.rsplit(".", 1)[-1].lower().removesuffix("runner") in ("dataflow", "testdataflow")


def dataflow_problems(options: PipelineOptions) -> tuple[list[str], list[str]]:
    """``(errors, warnings)`` for running these options on Dataflow; both empty elsewhere."""
    if not is_dataflow(options):
        return [], []
    errors: list[str] = []
    warnings: list[str] = []
    _check_locations(options, errors, warnings)
    _check_model(options.view_as(SynthbeamOptions).model, errors)
    _check_workers(options, errors, warnings)
    return errors, warnings


def _check_locations(options: PipelineOptions, errors: list[str], warnings: list[str]) -> None:
    gcp = options.view_as(GoogleCloudOptions)
    opts = options.view_as(SynthbeamOptions)
    if not gcp.project:
        errors.append("--project is missing.")
    if not gcp.region:
        errors.append("--region is missing (e.g. --region=us-central1).")
    if not is_gcs(gcp.temp_location or ""):
        errors.append("DataflowRunner needs --temp_location=gs://BUCKET/tmp (staging and temporary files).")
    for flag, path in (("--temp_location", gcp.temp_location), ("--staging_location", gcp.staging_location)):
        problem = gcs_path_problem(flag, path) if is_gcs(path or "") else None
        if problem:
            errors.append(problem + ".")
    errors.extend(_bucket_name_problems(opts))
    if is_local(opts.output):
        errors.append(
            f"--output={opts.output} is a local path; workers write to their own disks, lost when the job ends. Use gs://BUCKET/DIR."
        )
    for pattern in split_list(opts.input):
        if is_local(pattern):
            errors.append(
                f"--input pattern {pattern} is a local path the workers cannot read; upload it to gs:// first."
            )
    if opts.cache_root and opts.cache_root != "none" and is_local(opts.cache_root):
        warnings.append(
            f"--cache_root={opts.cache_root} is on each worker's disk and discarded with it; use gs:// to reuse responses across runs."
        )


def _bucket_name_problems(opts: SynthbeamOptions) -> list[str]:
    """Buckets of the recipe's gs:// paths that GCS would refuse as names."""
    paths = [("--output", opts.output), ("--model", opts.model), ("--cache_root", opts.cache_root)]
    paths += [("--input", pattern) for pattern in split_list(opts.input)]
    problems = []
    for flag, path in paths:
        bucket = gcs_bucket(path or "")
        problem = bucket_problem(bucket) if bucket is not None else None
        if problem:
            problems.append(f"{flag}={path}: {problem}.")
    return problems


def _check_model(model: str, errors: list[str]) -> None:
    remedy = f"or bake it into the worker image under {IMAGE_MODEL_ROOT}."
    if not model:
        errors.append(
            "--model is empty: the bundled model is prepared on this machine and the workers cannot see it. "
            f"Pass --model=gs://BUCKET/MODEL_DIR (a Hugging Face directory), {remedy}"
        )
    elif is_local(model) and not model.startswith(IMAGE_MODEL_ROOT):
        errors.append(
            f"--model={model} is a local path of this machine, not of the workers. "
            f"Upload it (gcloud storage cp -r DIR gs://BUCKET/models/) and pass --model=gs://..., {remedy}"
        )


def _check_workers(options: PipelineOptions, errors: list[str], warnings: list[str]) -> None:
    worker = options.view_as(WorkerOptions)
    managed = not options.view_as(SynthbeamOptions).llm_endpoint
    if not worker.sdk_container_image and (managed or not options.view_as(SetupOptions).setup_file):
        errors.append(
            "--sdk_container_image is missing: Beam's default image has neither vLLM nor synthbeam. "
            "Build the Dockerfile's worker target and pass its path."
        )
    try:
        accelerator = find_accelerator(options)
    except ValueError as error:
        errors.append(f"--dataflow_service_options: {error}.")
        return
    if accelerator is not None and managed:
        problem = disk_problem(worker.disk_size_gb, _served_models(options))
        if problem:
            errors.append(problem)
    if accelerator is None:
        if managed:
            errors.append(
                "A managed vLLM server (no --llm_endpoint) needs a GPU on every worker: add "
                f'--dataflow_service_options="{Accelerator(DEFAULT_GPU_TYPE).service_option()}" '
                f"--machine_type={DEFAULT_MACHINE_TYPE}, or pass --llm_endpoint=http://HOST:PORT of a running server."
            )
    else:
        errors.extend(_accelerator_problems(accelerator, worker.machine_type))
        warning = driver_warning(accelerator)
        if warning:
            warnings.append(warning)
        if accelerator.gpu_type not in GPU_MACHINE_PREFIXES:
            warnings.append(
                f"GPU type {accelerator.gpu_type} is not one this check knows; its machine type was not checked."
            )
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if worker.sdk_container_image and running != WORKER_PYTHON:
        warnings.append(
            f"Submitting from Python {running}, but the worker image runs Python {WORKER_PYTHON}; pickled code may not load there."
        )


def _served_models(options: PipelineOptions) -> list[str]:
    """The model directories every worker copies to its disk (generator and judge)."""
    opts = options.view_as(SynthbeamOptions)
    judge = opts.judge_model if not opts.judge_endpoint else ""
    return [opts.model, judge]


def _accelerator_problems(accelerator: Accelerator, machine_type: str | None) -> list[str]:
    problems = []
    if accelerator.count < 1:
        problems.append(f"worker_accelerator count:{accelerator.count} must be >= 1.")
    if not accelerator.install_driver:
        problems.append(
            f"worker_accelerator lacks {DRIVER_FLAG}: without the host driver vLLM sees no GPU. "
            f"Append ;{DRIVER_FLAG}:latest."
        )
    problem = machine_problem(accelerator.gpu_type, machine_type)
    return [*problems, problem] if problem else problems


def check_dataflow_options(options: PipelineOptions) -> list[str]:
    """Raises ``DataflowOptionsError`` listing every error; logs and returns the warnings.

    Call before building the pipeline: building resolves the model and inputs, and an empty
    ``--model`` would convert the bundled model on this machine first.
    """
    errors, warnings = dataflow_problems(options)
    for warning in warnings:
        logger.warning("Dataflow: %s", warning)
    if errors:
        raise DataflowOptionsError("This job would fail on Dataflow:\n" + "\n".join(f"  - {e}" for e in errors))
    return warnings
