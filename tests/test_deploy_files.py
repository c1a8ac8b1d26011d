"""The deployment files agree with the code: template parameters, the Dockerfile's stages."""

from __future__ import annotations

import argparse
import re
from fnmatch import fnmatch
from pathlib import Path

import pytest

from synthbeam.cli import RECIPES
from synthbeam.deploy.template_metadata import BEAM_PARAMETERS, REQUIRED, option_actions, template_metadata
from synthbeam.pipelines.dataflow import IMAGE_MODEL_ROOT

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_template_parameters_are_the_recipe_options(recipe: str) -> None:
    metadata = template_metadata(recipe)
    declared = {p["name"]: p for p in metadata["parameters"]}
    actions = {a.dest: a for a in option_actions(recipe) if a.dest != "help"}
    assert set(declared) == {"recipe", *actions, *(p["name"] for p in BEAM_PARAMETERS)}
    assert {name for name, p in declared.items() if not p["isOptional"]} == set(REQUIRED)
    for name, parameter in declared.items():
        assert parameter["helpText"] and parameter["label"], name
        patterns = [re.compile(r) for r in parameter["regexes"]]
        action = actions.get(name)
        if action is None or name in REQUIRED:
            continue
        # Every default the recipe runs with passes the template's own checks.
        default = "false" if isinstance(action, argparse._StoreTrueAction) else str(action.default)
        assert all(p.fullmatch(default) for p in patterns), (name, default, parameter["regexes"])


def test_dockerfile_is_one_image_for_workers_and_launcher() -> None:
    text = (REPO / "Dockerfile").read_text()
    stages = dict(re.findall(r"^FROM (\S+) AS (\w+)$", text, flags=re.MULTILINE))
    assert stages == {
        "${BEAM_SDK_IMAGE}": "beam_sdk",
        "${LAUNCHER_BASE_IMAGE}": "template_launcher",
        "${UV_IMAGE}": "uv",
        "${CUDA_BASE_IMAGE}": "synthbeam",
    }
    image = text.split("AS synthbeam", 1)[1]
    assert "COPY --from=beam_sdk /opt/apache/beam /opt/apache/beam" in image
    launcher = "/opt/google/dataflow/python_template_launcher"
    assert f"COPY --from=template_launcher {launcher} {launcher}" in image
    assert "ENV FLEX_TEMPLATE_PYTHON_PY_FILE=/opt/synthbeam/flex_main.py" in image
    # No sdist or requirements install when a launcher or worker starts.
    assert "FLEX_TEMPLATE_PYTHON_SETUP_FILE" not in image and "FLEX_TEMPLATE_PYTHON_REQUIREMENTS_FILE" not in image
    assert image.rstrip().endswith('ENTRYPOINT ["/opt/venv/bin/python", "-m", "synthbeam.worker_boot"]')
    assert "RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1" in image
    assert IMAGE_MODEL_ROOT.rstrip("/") in image
    # Every pip install goes through the lock; the package itself adds nothing to it.
    installs = re.findall(r"uv pip install [^\n]*", image)
    assert installs == [
        "uv pip install --python /opt/venv/bin/python --no-deps -r /opt/synthbeam/constraints-gpu.txt \\",
        "uv pip install --python /opt/venv/bin/python --no-deps . \\",
    ]
    assert "vllm download-kernels" in image  # FlashInfer's precompiled kernels: no nvcc at run time
    assert image.index("constraints-gpu.txt") < image.index("COPY synthbeam ./synthbeam")


def test_dockerfile_copies_only_what_the_build_context_has() -> None:
    text = (REPO / "Dockerfile").read_text()
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    excluded = [p for p in ignored if not p.startswith("!")]
    included = [p[1:] for p in ignored if p.startswith("!")]
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.MULTILINE):
        for path in source.split():
            assert (REPO / path).exists(), path
            hidden = any(fnmatch(path, p) or path.startswith(p + "/") for p in excluded)
            assert not hidden or path in included, path


def test_cloud_build_uses_buildkit_and_the_layer_cache() -> None:
    text = (REPO / "deploy" / "cloudbuild.yaml").read_text()
    assert "DOCKER_BUILDKIT=1" in text
    assert "--cache-from=${_CACHE_IMAGE}" in text and "--build-arg=BUILDKIT_INLINE_CACHE=1" in text
    assert "--build-arg=SYNTHBEAM_IMAGE_REFERENCE=${_IMAGE}" in text
    assert '"deploy/pin_base_images.sh", "--check"' in text
