"""``synthbeam`` command line: run a YAML recipe with Beam pipeline options on top.

synthbeam run recipes/demo.yaml                       # local DirectRunner
synthbeam run recipes/demo.yaml --runner DataflowRunner --project P --region R ...
synthbeam run recipes/demo.yaml --help                # every flag of that recipe
synthbeam recipes                                     # list recipes
synthbeam prepare-model                               # convert the bundled model once
synthbeam publish OUTPUT DEST                         # a run's Hub-ready folder (splits, card, charts)
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from types import ModuleType
from typing import Any

import yaml

from synthbeam.errors import RunRefused

RECIPES: dict[str, str] = {
    "instructions": "synthbeam.pipelines.instructions",
    "tool_use": "synthbeam.pipelines.tool_use",
    "self_instruct": "synthbeam.pipelines.self_instruct",
    "evol_instruct": "synthbeam.pipelines.evol_instruct",
    "augment": "synthbeam.pipelines.augment",
}


class RecipeError(ValueError):
    """A recipe file that cannot be run, with what to fix."""


def load_recipe(path: str) -> tuple[str, dict[str, Any]]:
    """Reads ``recipe: NAME`` and ``options: {flag: value}`` from a YAML file."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    if not isinstance(document, dict) or "recipe" not in document:
        raise RecipeError(f"{path}: expected a mapping with a 'recipe' key (one of {', '.join(RECIPES)}).")
    name = document["recipe"]
    if name not in RECIPES:
        raise RecipeError(f"{path}: unknown recipe {name!r}; choose one of {', '.join(RECIPES)}.")
    options = document.get("options") or {}
    if not isinstance(options, dict):
        raise RecipeError(f"{path}: 'options' must be a mapping of flag names to values.")
    return name, options


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


def recipe_module(name: str) -> ModuleType:
    return importlib.import_module(RECIPES[name])


def print_recipe_help(module: ModuleType) -> None:
    """Help for a recipe's own flags and the shared ones (Beam's are in its docs)."""
    parser = argparse.ArgumentParser(
        prog=f"synthbeam run RECIPE.yaml ({module.RECIPE})",
        description=(module.__doc__ or "").strip(),
        epilog="Any Apache Beam pipeline option (--runner, --project, --region, --temp_location, "
        "--sdk_container_image, --direct_num_workers, ...) is accepted as well.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    options_class = module.OPTIONS
    for klass in reversed(options_class.__mro__):
        if "_add_argparse_args" in vars(klass):
            klass._add_argparse_args(parser)
    parser.print_help()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="synthbeam", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser(
        "run", help="Run a YAML recipe; extra flags are pipeline options and override the file.", add_help=False
    )
    run_parser.add_argument("recipe_file", nargs="?")
    sub.add_parser("recipes", help="List the recipes.")
    sub.add_parser("prepare-model", help="Convert the bundled model into a cached HF directory.")
    publish = sub.add_parser("publish", help="Copy a run's splits, card and charts to a Hub-ready folder.")
    publish.add_argument("output", help="A finished run's --output (local or gs://).")
    publish.add_argument("dest", help="The folder to write (local or gs://).")
    publish.add_argument("--overwrite", action="store_true", help="Replace a folder published there before.")
    args, rest = parser.parse_known_args(argv)

    if args.command == "recipes":
        print("\n".join(f"{name:<16} {path}" for name, path in RECIPES.items()))
        return 0
    if args.command == "publish":
        from synthbeam.publish_dataset import run_command

        return run_command(args, rest)
    if args.command == "prepare-model":
        from synthbeam.llm.default_model import prepare_default_model

        print(prepare_default_model())
        return 0
    if not args.recipe_file or args.recipe_file in ("-h", "--help"):
        print("usage: synthbeam run RECIPE.yaml [--flag=value ...] [--help]\nRecipes: " + ", ".join(RECIPES))
        return 0 if args.recipe_file else 2
    try:
        name, options = load_recipe(args.recipe_file)
    except (OSError, RecipeError, yaml.YAMLError) as error:
        print(f"synthbeam: {error}", file=sys.stderr)
        return 2
    module = recipe_module(name)
    if "-h" in rest or "--help" in rest:
        print_recipe_help(module)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        module.run(options_to_argv(options) + rest)
    except RunRefused as refused:  # wrong option values, an output that is taken
        print(f"synthbeam: {refused}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
