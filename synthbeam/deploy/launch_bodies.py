"""Launch requests for a recipe's Flex Template, checked against the template's metadata.

``launch_parameter`` is the ``launchParameter`` of ``projects.locations.flexTemplates.launch``;
it refuses parameter names the metadata does not declare, leaves out none it requires, and
checks every value against the metadata's regexes (values with an Airflow template such as
``{{ ds }}`` are checked once rendered, by Dataflow). ``scheduler_body`` is the request body
a Cloud Scheduler HTTP job sends; ``airflow_operator`` the arguments of Airflow's
``DataflowStartFlexTemplateOperator`` and ``airflow_dag`` a DAG file using them.
"""

from __future__ import annotations

import pprint
import re
from typing import Any

LAUNCH_URI = "https://dataflow.googleapis.com/v1b3/projects/{project}/locations/{region}/flexTemplates:launch"


def parameter_problems(metadata: dict[str, Any], parameters: dict[str, str]) -> list[str]:
    """Why ``parameters`` would be refused by a template with ``metadata``: [] when they would not."""
    declared = {p["name"]: p for p in metadata["parameters"]}
    problems = [f"{name} is not a parameter of {metadata['name']}" for name in parameters if name not in declared]
    problems += [
        f"{name} is required by {metadata['name']}"
        for name, p in declared.items()
        if not p.get("isOptional") and name not in parameters
    ]
    for name, value in parameters.items():
        if name in declared and "{{" not in value:
            if not all(re.fullmatch(regex, value) for regex in declared[name].get("regexes", [])):
                problems.append(f"{name}={value!r} does not match {declared[name]['regexes']}")
    return problems


def launch_parameter(
    metadata: dict[str, Any],
    job_name: str,
    spec_path: str,
    parameters: dict[str, str],
    environment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``launchParameter`` of a launch request; raises ValueError listing every problem."""
    problems = parameter_problems(metadata, parameters)
    if problems:
        raise ValueError("Launch parameters refused: " + "; ".join(problems))
    body: dict[str, Any] = {"jobName": job_name, "containerSpecGcsPath": spec_path, "parameters": dict(parameters)}
    if environment:
        body["environment"] = dict(environment)
    return body


def scheduler_body(launch: dict[str, Any]) -> dict[str, Any]:
    """The JSON body a Cloud Scheduler HTTP job POSTs to ``LAUNCH_URI`` on every run."""
    return {"launchParameter": launch}


def scheduler_command(project: str, region: str, name: str, schedule: str, service_account: str) -> list[str]:
    """``gcloud scheduler jobs create http`` for the body in ``launch.json``."""
    return [
        *("gcloud", "scheduler", "jobs", "create", "http", name),
        f"--location={region}",
        f"--schedule={schedule}",
        "--time-zone=Etc/UTC",
        f"--uri={LAUNCH_URI.format(project=project, region=region)}",
        "--http-method=POST",
        "--headers=Content-Type=application/json",
        "--message-body-from-file=launch.json",
        f"--oauth-service-account-email={service_account}",
        "--oauth-token-scope=https://www.googleapis.com/auth/cloud-platform",
    ]


def airflow_operator(task_id: str, project: str, region: str, launch: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``DataflowStartFlexTemplateOperator`` for one launch."""
    return {
        "task_id": task_id,
        "project_id": project,
        "location": region,
        "body": {"launchParameter": launch},
        "wait_until_finished": True,
    }


def airflow_dag(dag_id: str, schedule: str, operator: dict[str, Any]) -> str:
    """A DAG file that starts the template once per schedule interval."""
    arguments = pprint.pformat(operator, indent=4, sort_dicts=False)
    return f'''"""synthbeam on Dataflow, {schedule} (UTC): one Flex Template launch per data interval."""

import pendulum
from airflow import DAG
from airflow.providers.google.cloud.operators.dataflow import DataflowStartFlexTemplateOperator

with DAG(
    dag_id={dag_id!r},
    schedule={schedule!r},
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
) as dag:
    DataflowStartFlexTemplateOperator(**{arguments})
'''
