"""Recipe files: ``recipe: NAME`` and ``options: {flag: value}`` in YAML, or a recipe's name."""

from __future__ import annotations

import os
from typing import Any

from synthbeam.pipelines.catalog import RECIPES


class RecipeError(ValueError):
    """A recipe file that cannot be run, with what to fix."""


def load_recipe(path: str) -> tuple[str, dict[str, Any]]:
    """Reads ``recipe: NAME`` and ``options: {flag: value}`` from a YAML file."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        try:
            document = yaml.safe_load(handle) or {}
        except yaml.YAMLError as error:
            raise RecipeError(f"{path}: not YAML: {' '.join(str(error).split())}") from None
    if not isinstance(document, dict) or "recipe" not in document:
        raise RecipeError(f"{path}: expected a mapping with a 'recipe' key (one of {', '.join(RECIPES)}).")
    name = document["recipe"]
    if name not in RECIPES:
        raise RecipeError(f"{path}: unknown recipe {name!r}; choose one of {', '.join(RECIPES)}.")
    options = document.get("options") or {}
    if not isinstance(options, dict):
        raise RecipeError(f"{path}: 'options' must be a mapping of flag names to values.")
    return name, options


def resolve_recipe(target: str) -> tuple[str, dict[str, Any], str]:
    """``(recipe, the file's options, the file)`` for a recipe file, or for a recipe's name
    (no file options, file ""), a file of that name taking precedence."""
    if target in RECIPES and not os.path.exists(target):
        return target, {}, ""
    name, options = load_recipe(target)
    return name, options, target


def options_to_argv(options: dict[str, Any]) -> list[str]:
    """``{"limit": 20, "save_main_session": True}`` -> ``["--limit=20", "--save_main_session"]``."""
    argv = []
    for key, value in options.items():
        if value is True:
            argv.append(f"--{key}")
        elif value is False or value is None:
            continue
        elif isinstance(value, list):
            argv.append(f"--{key}={','.join(str(v) for v in value)}")
        else:
            argv.append(f"--{key}={value}")
    return argv


def file_values(options: dict[str, Any]) -> dict[str, str]:
    """The recipe file's options as the command line would spell their values."""
    values = {}
    for key, value in options.items():
        if isinstance(value, list):
            values[key] = ",".join(str(v) for v in value)
        elif value is True or value is False:
            values[key] = "on" if value else "off"
        elif value is not None:
            values[key] = str(value)
    return values
