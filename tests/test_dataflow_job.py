"""What a Dataflow submission of the instructions recipe really contains, without Dataflow.

Beam's DataflowRunner writes the complete job to a file instead of sending it when
``--template_location`` is set (``apiclient.DataflowApplicationClient.create_job``); this is
also what a Flex Template launcher does. Everything before that point is Beam's real code:
options validation, pickling every DoFn, building setup.py's sdist, staging the artifacts and
the pipeline proto to ``gs://`` (a local GCS emulator here) and assembling the job's worker
pool. The tests read the job file and the staged objects back.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability.api import beam_runner_api_pb2
from gcs_emulator import GcsEmulator

from synthbeam.pipelines import instructions
from synthbeam.pipelines.dataflow import check_dataflow_options, dataflow_args

REPO = Path(__file__).resolve().parents[1]
IMAGE = "us-central1-docker.pkg.dev/synthbeam-test/synthbeam/worker:0.1.0"
L4 = "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver:latest"
RECIPE_STEPS = {
    "ReadCorpus",
    "Limit",
    "PlanRequests",
    "GenerateInstructions",
    "Filter",
    "Curate",  # dedup, decontaminate, split, oversample, shards, rejects, dead letters, card
    "WriteManifest",
}


def job_args(bucket: str, **overrides: Any) -> list[str]:
    return dataflow_args(
        "synthbeam-test",
        "us-central1",
        IMAGE,
        f"{bucket}/tmp",
        setup_file=str(REPO / "setup.py"),
        job_name="synthbeam-instructions-test",
        **overrides,
    )


def submit(argv: list[str], template: Path, build: Any) -> dict[str, Any]:
    """Runs ``build(argv)`` (which runs a pipeline) and returns the job Dataflow would get."""
    build([*argv, f"--template_location={template}"])
    return json.loads(template.read_text())


def staged(emulator: GcsEmulator, job: dict[str, Any], name: str) -> bytes:
    (package,) = [p for p in job["environment"]["workerPools"][0]["packages"] if p["name"] == name]
    return emulator.read("gs://" + package["location"].removeprefix("storage.googleapis.com/"))


def assert_dataflow_shape(
    job: dict[str, Any], emulator: GcsEmulator, sdist: bool = True
) -> beam_runner_api_pb2.Pipeline:
    """Checks the job-level facts every synthbeam GPU job must have; returns its pipeline proto.

    ``sdist``: the job ships setup.py's source (``--setup_file``) instead of running the image's
    installed package (the default, and the Flex Template's way)."""
    assert job["type"] == "JOB_TYPE_BATCH"
    assert job["name"].startswith("synthbeam-")
    env = job["environment"]
    (pool,) = env["workerPools"]
    assert pool["machineType"] == "g2-standard-8"
    assert pool["diskSizeGb"] == 100
    assert pool["workerHarnessContainerImage"] == IMAGE
    assert {image["containerImage"] for image in pool["sdkHarnessContainerImages"]} == {IMAGE}
    assert env["serviceOptions"] == [L4]
    assert {"use_runner_v2", "beam_fn_api", "use_portable_job_submission"} <= set(env["experiments"])
    assert env["version"]["job_type"] == "FNAPI_BATCH"
    options = env["sdkPipelineOptions"]["options"]
    assert options["sdk_container_image"] == IMAGE
    assert options["dataflow_service_options"] == [L4]
    pipeline_proto = read_pipeline(emulator, options)
    if not sdist:
        assert "setup_file" not in options
        assert not [p for p in pool["packages"] if p["name"] == "workflow.tar.gz"]  # nothing to install at boot
        return pipeline_proto
    assert options["setup_file"] == str(REPO / "setup.py")
    # setup.py's sdist is staged and installable: it carries the package and its data files.
    with tarfile.open(fileobj=io.BytesIO(staged(emulator, job, "workflow.tar.gz"))) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"setup.py", "synthbeam/pipelines/instructions.py", "synthbeam/pipelines/dataflow.py"} <= names
    assert any(name.startswith("synthbeam/templates/") and name.endswith(".jinja2") for name in names), sorted(names)

    return pipeline_proto


def read_pipeline(emulator: GcsEmulator, options: dict[str, Any]) -> beam_runner_api_pb2.Pipeline:
    """The staged pipeline proto; every environment of it runs the worker image."""
    pipeline_bytes = emulator.read(options["pipelineUrl"])
    assert hashlib.sha256(pipeline_bytes).hexdigest() == options["pipelineProtoHash"]
    proto = beam_runner_api_pb2.Pipeline.FromString(pipeline_bytes)
    for environment in proto.components.environments.values():
        payload = beam_runner_api_pb2.DockerPayload.FromString(environment.payload)
        assert payload.container_image == IMAGE
    return proto


def top_level_steps(proto: beam_runner_api_pb2.Pipeline) -> set[str]:
    return {t.unique_name.split("/")[0] for t in proto.components.transforms.values() if t.unique_name}


def test_stand_in_pipeline_job_shape(gcs_emulator: GcsEmulator, gcs_bucket: str, tmp_path: Path) -> None:
    """The submission machinery alone, on a two-step pipeline."""

    def build(argv: list[str]) -> None:
        with beam.Pipeline(options=PipelineOptions(argv)) as p:
            _ = p | "Create" >> beam.Create(["a", "b"]) | "Upper" >> beam.Map(str.upper)

    job = submit(job_args(gcs_bucket), tmp_path / "job.json", build)
    proto = assert_dataflow_shape(job, gcs_emulator)
    assert {"Create", "Upper"} <= top_level_steps(proto)


def test_instructions_recipe_job(gcs_emulator: GcsEmulator, gcs_bucket: str, tmp_path: Path) -> None:
    model, output = f"{gcs_bucket}/models/qwen", f"{gcs_bucket}/out/run-1"
    gcs_emulator.upload(f"{gcs_bucket}/corpus/part-0.jsonl", '{"text": "A passage."}\n')
    recipe = [
        f"--model={model}",
        f"--output={output}",
        f"--input={gcs_bucket}/corpus/*.jsonl",
        "--per_passage=3",
        "--limit=100",
    ]
    argv = [*job_args(gcs_bucket), *recipe]
    assert check_dataflow_options(PipelineOptions(argv)) == []

    job = submit(argv, tmp_path / "job.json", instructions.run)
    proto = assert_dataflow_shape(job, gcs_emulator)
    assert job["name"] == "synthbeam-instructions-test"
    options = job["environment"]["sdkPipelineOptions"]["options"]
    assert (options["model"], options["output"], options["per_passage"]) == (model, output, 3)
    assert options["input"] == f"{gcs_bucket}/corpus/*.jsonl"
    assert RECIPE_STEPS <= top_level_steps(proto)
    # Submission read neither the model (absent from the bucket) nor wrote any output.
    assert gcs_emulator.list(f"{output}/") == []
