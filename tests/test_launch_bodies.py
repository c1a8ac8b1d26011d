"""Scheduled launches built from the template's metadata: Cloud Scheduler and Airflow."""

from __future__ import annotations

import ast
import json

import pytest

from synthbeam.deploy.flex_spec import template_spec
from synthbeam.deploy.launch_bodies import (
    LAUNCH_URI,
    airflow_dag,
    airflow_operator,
    launch_parameter,
    scheduler_body,
    scheduler_command,
)

IMAGE = "us-central1-docker.pkg.dev/my-project/synthbeam/synthbeam:0.1.0"
BUCKET = "gs://my-project-synthbeam"
SPEC = f"{BUCKET}/templates/0.1.0/synthbeam-instructions.json"
METADATA = template_spec("instructions", IMAGE, f"{BUCKET}/tmp")["metadata"]
NIGHTLY = {
    "recipe": "instructions",
    "model": f"{BUCKET}/models/Qwen2.5-7B-Instruct",
    "input": f"{BUCKET}/corpus/*.jsonl",
    "output": f"{BUCKET}/out/instructions",
}


def test_scheduler_body_is_a_flex_template_launch() -> None:
    launch = launch_parameter(METADATA, "synthbeam-instructions-nightly", SPEC, NIGHTLY, {"maxWorkers": 4})
    body = scheduler_body(launch)
    assert body == {
        "launchParameter": {
            "jobName": "synthbeam-instructions-nightly",
            "containerSpecGcsPath": SPEC,
            "parameters": NIGHTLY,
            "environment": {"maxWorkers": 4},
        }
    }
    json.dumps(body)  # what goes into launch.json
    command = scheduler_command("my-project", "us-central1", "synthbeam-nightly", "0 3 * * *", "sa@p.iam")
    assert f"--uri={LAUNCH_URI.format(project='my-project', region='us-central1')}" in command
    assert "--message-body-from-file=launch.json" in command and "--schedule=0 3 * * *" in command


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ({**NIGHTLY, "outptu": "gs://bkt/o"}, "outptu is not a parameter of synthbeam instructions"),
        ({k: v for k, v in NIGHTLY.items() if k != "model"}, "model is required by synthbeam instructions"),
        ({**NIGHTLY, "output": "out/local"}, "output='out/local' does not match"),
        ({**NIGHTLY, "recipe": "tool_use"}, "recipe='tool_use' does not match"),
    ],
)
def test_bodies_refuse_what_the_template_would(parameters: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        launch_parameter(METADATA, "job", SPEC, parameters)


def test_airflow_dag_starts_the_template_once_per_interval() -> None:
    dated = {**NIGHTLY, "run_date": "{{ ds }}"}
    launch = launch_parameter(METADATA, "synthbeam-instructions-{{ ds_nodash }}", SPEC, dated)
    operator = airflow_operator("generate_instructions", "my-project", "us-central1", launch)
    assert operator["body"]["launchParameter"]["parameters"]["run_date"] == "{{ ds }}"
    source = airflow_dag("synthbeam_instructions_nightly", "0 3 * * *", operator)
    tree = ast.parse(source)
    (call,) = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "DAG"]
    assert {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg in ("dag_id", "schedule")} == {
        "dag_id": "synthbeam_instructions_nightly",
        "schedule": "0 3 * * *",
    }
    (starts,) = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "DataflowStartFlexTemplateOperator"
    ]
    assert ast.literal_eval(starts.keywords[0].value) == operator
