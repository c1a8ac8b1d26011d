"""Flex Template metadata of a recipe, built from its flags (``catalog``) so it cannot drift.

Every flag the recipe parses is a parameter, with the flag's help as help text and a regex
that Dataflow checks before it starts a launcher VM. ``recipe``, ``output`` and ``model``
are required (the launch API refuses a launch without them); everything else has a default
that runs on Dataflow (``synthbeam.flex_template`` adds the GPU, disk and image defaults).
"""

from __future__ import annotations

import argparse
from typing import Any

from synthbeam.cli import RECIPES, recipe_module
from synthbeam.pipelines import catalog

GCS_BUCKET = r"[a-z0-9][-_.a-z0-9]{1,61}[a-z0-9]"
GCS_PATH = rf"gs://{GCS_BUCKET}/.+"
IMAGE_REFERENCE = (
    r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+"
    r"(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$"
)
_ACCELERATOR = (
    r"worker_accelerator=type:[a-z0-9-]+;count:[1-9][0-9]*"
    r"(;install-nvidia-driver(:[A-Za-z0-9.]+)?)?(;use_nvidia_mps)?"
)
_SERVICE_OPTION = rf"({_ACCELERATOR}|(?!worker_accelerator=)[a-z][a-z0-9_]*(=[^,;\s]+)?)"
SERVICE_OPTIONS = rf"^{_SERVICE_OPTION}(,{_SERVICE_OPTION})*$"
REQUIRED = ("recipe", "output", "model")
INTEGER = r"^[0-9]+$"
NUMBER = r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
# Free-text flags whose values Dataflow can check better than "anything".
TEXT_PATTERNS: dict[str, str] = {
    "output": rf"^{GCS_PATH}$",
    "model": rf"^({GCS_PATH}|/opt/synthbeam/models/.+)$",
    "judge_model": rf"^({GCS_PATH}|/opt/synthbeam/models/.+)?$",
    "cache_root": rf"^({GCS_PATH}|none)?$",
    "input": r"^((gs://[^,]+|synthbeam://[a-z_]+)(,(gs://[^,]+|synthbeam://[a-z_]+))*)$",
    "seed_tasks": r"^(gs://[^,]+|synthbeam://[a-z_]+)$",
    "tool_library": r"^(gs://[^,]+)?$",
    "eval_sets": r"^([A-Za-z0-9_-]+=gs://[^,]+(,[A-Za-z0-9_-]+=gs://[^,]+)*)?$",
    "llm_endpoint": r"^(https?://[^\s/]+(/\S*)?)?$",
    "judge_endpoint": r"^(https?://[^\s/]+(/\S*)?)?$",
    "run_id": r"^[A-Za-z0-9._-]*$",
    "run_date": r"^([0-9]{4}-[0-9]{2}-[0-9]{2}|today)?$",
    "text_field": r"^[A-Za-z_][A-Za-z0-9_.]*$",
    "served_model_name": r"^[^\s,]*$",
    "oversample": r"^(off|max|[0-9]+)$",
}
LIST_PATTERN = r"^[A-Za-z0-9_.=]+(,[A-Za-z0-9_.=]+)*$"
# Beam options the templates declare besides the recipe's own flags (the launch environment has
# fields for machine type, workers, disk, temp location and the image as well).
BEAM_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "sdk_container_image",
        "label": "Worker image",
        "helpText": "Apache Beam option: the image the workers run. Default: the template's own image. "
        "Example: us-central1-docker.pkg.dev/my-project/synthbeam/synthbeam:0.1.0",
        "isOptional": True,
        "regexes": [IMAGE_REFERENCE],
        "paramType": "TEXT",
    },
    {
        "name": "dataflow_service_options",
        "label": "Dataflow service options",
        "helpText": "Apache Beam option, comma separated. Default: one NVIDIA L4 per worker with the newest "
        "driver, e.g. worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver:latest (a g2 machine "
        "type); ;use_nvidia_mps may follow.",
        "isOptional": True,
        "regexes": [SERVICE_OPTIONS],
        "paramType": "TEXT",
    },
]


def option_actions(recipe: str) -> list[argparse.Action]:
    """The argparse actions of every flag the recipe honours (``catalog``), shared ones first."""
    groups = catalog.RECIPES[recipe].flag_groups()
    parser = argparse.ArgumentParser(add_help=False, conflict_handler="resolve")
    for group in [*groups[1:], groups[0]]:
        for flag in group.flags:
            flag.add_to(parser)
    return list(parser._actions)


def value_pattern(action: argparse.Action) -> str:
    """The regex a parameter's value must match, from the flag's type, choices or name."""
    if isinstance(action, argparse._StoreTrueAction):
        return r"^(true|false)$"
    if action.choices:
        return "^(" + "|".join(str(c) for c in action.choices) + ")$"
    if action.type is int:
        return INTEGER
    if action.type is float:
        return NUMBER
    if action.dest in TEXT_PATTERNS:
        return TEXT_PATTERNS[action.dest]
    if isinstance(action.default, str) and "," in action.default:
        return LIST_PATTERN
    return r"^[^\n]*$"


def help_text(action: argparse.Action) -> str:
    text = (action.help or action.dest).strip()
    default = action.default
    if action.dest in REQUIRED or isinstance(action, argparse._StoreTrueAction):
        return text if not isinstance(action, argparse._StoreTrueAction) else f"{text} true or false."
    return f"{text} Default: {default}." if default not in ("", None) else text


def parameter(action: argparse.Action) -> dict[str, Any]:
    return {
        "name": action.dest,
        "label": action.dest.replace("_", " ").capitalize(),
        "helpText": help_text(action),
        "isOptional": action.dest not in REQUIRED,
        "regexes": [value_pattern(action)],
        "paramType": "GCS_WRITE_FOLDER" if action.dest == "output" else "TEXT",
    }


def recipe_parameter(recipe: str) -> dict[str, Any]:
    return {
        "name": "recipe",
        "label": "Recipe",
        "helpText": f"The recipe this template runs: {recipe}.",
        "isOptional": False,
        "regexes": [f"^{recipe}$"],
        "paramType": "TEXT",
    }


def template_metadata(recipe: str) -> dict[str, Any]:
    """The metadata of ``recipe``'s Flex Template (the ``metadata`` of its spec file)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")
    module = recipe_module(recipe)
    description = (module.__doc__ or recipe).strip().split("\n\n", 1)[0].replace("\n", " ")
    parameters = [recipe_parameter(recipe), *(parameter(a) for a in option_actions(recipe) if a.dest != "help")]
    return {
        "name": f"synthbeam {recipe}",
        "description": description,
        "streaming": False,
        "parameters": [*parameters, *BEAM_PARAMETERS],
    }
