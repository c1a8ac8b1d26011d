"""Flex Template spec files: one per recipe, all on the one synthbeam image.

    python -m synthbeam.deploy.flex_spec --image "$IMAGE" --temp_location "$BUCKET/tmp" \\
        --out_dir specs/
    gcloud storage cp specs/*.json "$BUCKET/templates/$TAG/"

A spec is what ``gcloud dataflow flex-template build`` writes to Cloud Storage: the image, the
SDK language, the metadata (``template_metadata``) and the default launch environment. Here
the default environment also carries the GPU machine type, the boot disk and the workers'
image (the template's own), so that a launch that passes only the required parameters runs.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from synthbeam.cli import RECIPES
from synthbeam.deploy.template_metadata import template_metadata
from synthbeam.pipelines.accelerator import DEFAULT_MACHINE_TYPE
from synthbeam.pipelines.gcs_names import gcs_path_problem
from synthbeam.pipelines.worker_disk import DEFAULT_DISK_SIZE_GB


def default_environment(image: str, temp_location: str, max_workers: int) -> dict[str, Any]:
    """The launch environment a launch without ``environment`` gets."""
    return {
        "machineType": DEFAULT_MACHINE_TYPE,
        "diskSizeGb": DEFAULT_DISK_SIZE_GB,
        "maxWorkers": max_workers,
        "tempLocation": temp_location,
        "sdkContainerImage": image,
        "additionalExperiments": ["use_runner_v2"],
    }


def template_spec(recipe: str, image: str, temp_location: str, max_workers: int = 4) -> dict[str, Any]:
    """The spec file of ``recipe``'s Flex Template; raises ValueError on a bad temp location."""
    problem = gcs_path_problem("temp_location", temp_location)
    if problem:
        raise ValueError(problem)
    return {
        "image": image,
        "sdkInfo": {"language": "PYTHON"},
        "metadata": template_metadata(recipe),
        "defaultEnvironment": default_environment(image, temp_location, max_workers),
    }


def spec_file_name(recipe: str) -> str:
    return f"synthbeam-{recipe.replace('_', '-')}.json"


def write_specs(out_dir: str, image: str, temp_location: str, max_workers: int) -> list[str]:
    """Writes one spec file per recipe into ``out_dir``; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for recipe in RECIPES:
        path = os.path.join(out_dir, spec_file_name(recipe))
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(template_spec(recipe, image, temp_location, max_workers), handle, indent=2)
            handle.write("\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m synthbeam.deploy.flex_spec", description=__doc__)
    parser.add_argument("--image", required=True, help="The synthbeam image (Artifact Registry path).")
    parser.add_argument("--temp_location", required=True, help="gs://BUCKET/tmp for the jobs' temporary files.")
    parser.add_argument("--max_workers", type=int, default=4)
    parser.add_argument("--out_dir", default="specs")
    args = parser.parse_args(argv)
    print("\n".join(write_specs(args.out_dir, args.image, args.temp_location, args.max_workers)))


if __name__ == "__main__":
    main()
