"""``synthbeam`` command line: run a YAML recipe with Beam pipeline options on top.

    synthbeam run recipes/demo.yaml                   # local DirectRunner, progress on the terminal
    synthbeam run recipes/demo.yaml --help            # every flag: default and the file's value
    synthbeam run recipes/demo.yaml --dry_run         # inputs, requests and tokens; no LLM call
    synthbeam run recipes/demo.yaml --runner DataflowRunner --project P --region R ...
    synthbeam recipes                                 # what each recipe makes, its file
    synthbeam prepare-model                           # convert the bundled model once
    synthbeam publish OUTPUT DEST                     # a run's Hub-ready folder (splits, card, charts)
    synthbeam --version

Imports stay lazy: help, the recipe list and option errors load neither Beam nor vLLM.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType

from synthbeam.command.help import MAIN_DESCRIPTION, MAIN_EPILOG, version
from synthbeam.command.recipe_files import RecipeError, load_recipe, options_to_argv
from synthbeam.pipelines.catalog import RECIPES as CATALOG
from synthbeam.pipelines.catalog import Recipe

__all__ = ["RECIPES", "RecipeError", "load_recipe", "main", "options_to_argv", "recipe_module"]

RECIPES: dict[str, str] = {name: recipe.module for name, recipe in CATALOG.items()}


def recipe_module(name: str) -> ModuleType:
    return importlib.import_module(RECIPES[name])


def recipe_file_path(recipe: Recipe) -> str:
    """Where the recipe's file is: under ./recipes, or beside the package's source."""
    for folder in (Path("recipes"), Path(__file__).resolve().parent.parent / "recipes"):
        path = folder / recipe.recipe_file
        if path.exists():
            return str(path)
    return f"recipes/{recipe.recipe_file}"


def recipe_lines() -> list[str]:
    """``synthbeam recipes``: one line per recipe, its file and what it makes."""
    rows = [(recipe.name, recipe_file_path(recipe), recipe.makes) for recipe in CATALOG.values()]
    width = max(len(path) for _, path, _ in rows)
    return [f"{name:<14} {path:<{width}}  {makes}" for name, path, makes in rows]


def main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthbeam",
        description=MAIN_DESCRIPTION,
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"synthbeam {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_parser = sub.add_parser(
        "run", help="Run a recipe file (or a recipe by name); flags override the file.", add_help=False
    )
    run_parser.add_argument("recipe_file", nargs="?")
    sub.add_parser("recipes", help="List the recipes: what each makes, its recipe file.")
    sub.add_parser("prepare-model", help="Convert the bundled model into a cached HF directory.")
    publish = sub.add_parser("publish", help="Copy a run's splits, card and charts to a Hub-ready folder.")
    publish.add_argument("output", help="A finished run's --output (local or gs://).")
    publish.add_argument("dest", help="The folder to write (local or gs://).")
    publish.add_argument("--overwrite", action="store_true", help="Replace a folder published there before.")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args, rest = main_parser().parse_known_args(argv)
    if args.command == "recipes":
        print("\n".join(recipe_lines()))
        return 0
    if args.command == "publish":
        from synthbeam.publish_dataset import run_command as publish_command

        return publish_command(args, rest)
    if args.command == "prepare-model":
        from synthbeam.llm.default_model import prepare_default_model

        print(prepare_default_model())
        return 0
    from synthbeam.command.run import run_command

    return run_command(args.recipe_file, rest)


if __name__ == "__main__":
    sys.exit(main())
