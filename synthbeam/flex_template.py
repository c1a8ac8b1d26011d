"""Flex Template entry point: runs the recipe named by ``--recipe`` with Dataflow defaults.

The launcher runs ``/opt/synthbeam/flex_main.py`` (written by the Dockerfile) with the launch
parameters as ``--name=value`` flags. Before the recipe sees them:

- ``--recipe`` picks the recipe (one image, one template per recipe);
- ``--output`` is partitioned by ``--run_date`` (default: today in UTC), with the response
  cache beside the partitions and the job name as run id (``synthbeam.pipelines.run_date``);
- switches arrive as ``--overwrite=true`` / ``=false`` and become ``--overwrite`` or nothing;
- ``dataflow_service_options`` may hold several options, comma separated: each becomes a flag;
- flags left out get defaults that run on Dataflow: an L4 GPU with the newest driver (unless
  ``--llm_endpoint`` names a running server), a 100 GB boot disk, and the image the template
  was built from as the workers' image (``SYNTHBEAM_IMAGE``, set when the image is built).

The recipe then checks every option and the Dataflow settings before anything is built.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

from synthbeam.cli import RECIPES
from synthbeam.pipelines.accelerator import DEFAULT_GPU_TYPE, Accelerator
from synthbeam.pipelines.run_date import nightly_args
from synthbeam.pipelines.worker_disk import DEFAULT_DISK_SIZE_GB

SWITCHES = ("overwrite", "require_execution", "keep_originals")
IMAGE_ENV = "SYNTHBEAM_IMAGE"


def flag_name(arg: str) -> str:
    return arg.split("=", 1)[0].lstrip("-")


def has_flag(argv: list[str], name: str) -> bool:
    return any(flag_name(arg) == name for arg in argv if arg.startswith("--"))


def split_recipe(argv: list[str]) -> tuple[str, list[str]]:
    """``(recipe, the other flags)``; raises ValueError without a known ``--recipe``."""
    recipes = [arg.split("=", 1)[1] for arg in argv if arg.startswith("--recipe=")]
    if len(recipes) != 1 or recipes[0] not in RECIPES:
        raise ValueError(f"pass exactly one --recipe, one of {', '.join(RECIPES)} (got {recipes})")
    return recipes[0], [arg for arg in argv if not arg.startswith("--recipe=")]


def switch_flags(argv: list[str]) -> list[str]:
    """``--overwrite=true`` -> ``--overwrite``; ``--overwrite=false`` -> dropped."""
    out = []
    for arg in argv:
        name, sep, value = arg.partition("=")
        if sep and name.lstrip("-") in SWITCHES:
            if value.strip().lower() == "true":
                out.append(name)
            continue
        out.append(arg)
    return out


def service_option_flags(argv: list[str]) -> list[str]:
    """One ``--dataflow_service_options`` flag per comma-separated option."""
    out = []
    for arg in argv:
        name, _, value = arg.partition("=")
        if name == "--dataflow_service_options" and "," in value:
            out += [f"{name}={option.strip()}" for option in value.split(",") if option.strip()]
        else:
            out.append(arg)
    return out


def with_defaults(argv: list[str], image: str) -> list[str]:
    """``argv`` plus the Dataflow defaults of the flags it leaves out."""
    defaults = []
    endpoint = any(arg.startswith("--llm_endpoint=") and arg.split("=", 1)[1] for arg in argv)
    if not has_flag(argv, "dataflow_service_options") and not endpoint:
        defaults.append(f"--dataflow_service_options={Accelerator(DEFAULT_GPU_TYPE).service_option()}")
    if not has_flag(argv, "disk_size_gb"):
        defaults.append(f"--disk_size_gb={DEFAULT_DISK_SIZE_GB}")
    if image and not has_flag(argv, "sdk_container_image"):
        defaults.append(f"--sdk_container_image={image}")
    return [*argv, *defaults]


def recipe_argv(argv: list[str], image: str, today: str | None = None) -> tuple[str, list[str]]:
    """The recipe and the flags it runs with, from the launcher's flags."""
    recipe, rest = split_recipe(argv)
    return recipe, with_defaults(service_option_flags(nightly_args(switch_flags(rest), today)), image)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO)
    recipe, args = recipe_argv(sys.argv[1:] if argv is None else argv, os.environ.get(IMAGE_ENV, ""))
    logging.getLogger(__name__).info("Flex Template: recipe %s with %s", recipe, " ".join(args))
    importlib.import_module(RECIPES[recipe]).run(args)
