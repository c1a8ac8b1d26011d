"""Help for people at a terminal: plain text (no reStructuredText marks), every flag's default
and the value the recipe file sets. Built from the catalog, without loading a pipeline."""

from __future__ import annotations

import argparse
import ast
import importlib.util
import re
import shutil
import textwrap
from typing import Any

from synthbeam.pipelines.catalog import RECIPES, Recipe
from synthbeam.pipelines.flags import Flag

BEAM_NOTE = (
    "Apache Beam's pipeline options are accepted as well: --runner, --project, --region, --temp_location, "
    "--sdk_container_image, --direct_num_workers, ... (see docs/deploy.md for Dataflow)."
)
RUN_USAGE = "synthbeam run RECIPE [--flag=value ...] [--dry_run] [-v | -q] [--help]"

_LITERAL = re.compile(r"``(.+?)``")
_ROLE = re.compile(r":\w+:`(.+?)`")


def version() -> str:
    """The installed synthbeam's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("synthbeam")
    except PackageNotFoundError:
        return "unknown"


def plain(text: str) -> str:
    """reStructuredText inline marks removed: ``x`` and :role:`x` -> x."""
    return _ROLE.sub(r"\1", _LITERAL.sub(r"\1", text))


def module_docstring(module: str) -> str:
    """A module's docstring, read from its source without importing it (no Beam)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return ""
    with open(spec.origin, encoding="utf-8") as handle:
        return ast.get_docstring(ast.parse(handle.read())) or ""


def recipe_description(recipe: Recipe) -> str:
    """The recipe module's docstring for a terminal: marks removed, ``python -m`` examples
    (the command line runs recipes differently) left out."""
    paragraphs = module_docstring(recipe.module).split("\n\n")
    kept = [p for p in paragraphs if not p.strip().startswith("python -m")]
    return plain("\n\n".join(kept)).strip()


def shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value == "" or value is None:
        return '""'
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def flag_help(flag: Flag, file_values: dict[str, str], recipe_file: str) -> str:
    """The flag's help, its default and the recipe file's value (argparse's % escaped)."""
    default = ("on" if flag.default else "off") if flag.switch else shown(flag.default)
    text = f"{plain(flag.help)} [default: {default}"
    if flag.name in file_values:
        text += f"; {recipe_file or 'recipe file'}: {shown(file_values[flag.name])}"
    return (text + "]").replace("%", "%%")


def metavar_of(flag: Flag) -> str | None:
    """What the help shows for the flag's value: N, NUMBER, a choice or TEXT."""
    if flag.choices:
        return "{" + ",".join(flag.choices) + "}"
    return {int: "N", float: "NUMBER"}.get(flag.type, "TEXT")  # type: ignore[arg-type]


def help_width() -> int:
    return max(60, min(shutil.get_terminal_size().columns, 110))


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=help_width())


def recipe_help_parser(recipe: Recipe, file_values: dict[str, str], recipe_file: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthbeam run",
        usage=RUN_USAGE.replace("RECIPE", recipe_file or recipe.name),
        description=recipe_description(recipe),
        epilog=textwrap.fill(BEAM_NOTE, help_width()),
        formatter_class=HelpFormatter,
        add_help=False,
        allow_abbrev=False,
    )
    command = parser.add_argument_group("command")
    command.add_argument("--dry_run", action="store_true", help="Plan the run and estimate it; no LLM call.")
    command.add_argument("-v", "--verbose", action="store_true", help="Log at INFO on the terminal.")
    command.add_argument("-q", "--quiet", action="store_true", help="Only errors; no progress display.")
    command.add_argument("-h", "--help", action="store_true", help="This help.")
    added: set[str] = set()
    for group in recipe.flag_groups():
        section = parser.add_argument_group(group.title)
        for flag in group.flags:
            if flag.name not in added:
                flag.add_to(section, flag_help(flag, file_values, recipe_file), metavar_of(flag))
                added.add(flag.name)
    return parser


def recipe_help(name: str, file_values: dict[str, str], recipe_file: str = "") -> str:
    """``synthbeam run RECIPE --help``."""
    return recipe_help_parser(RECIPES[name], file_values, recipe_file).format_help()


MAIN_DESCRIPTION = """\
Fine-tuning and evaluation data from LLMs: Apache Beam pipelines (recipes) that read a
corpus or rows, ask a vLLM server, verify, deduplicate, split and write Parquet with a
dataset card. A recipe file (YAML) names a recipe and its options; flags on the command
line override it. Runs go on this machine (DirectRunner) or on Dataflow."""

MAIN_EPILOG = """\
examples:
  synthbeam recipes                                   what each recipe makes, its file
  synthbeam run recipes/demo.yaml                     the default recipe, on this machine
  synthbeam run recipes/demo.yaml --help              every flag: default and file value
  synthbeam run recipes/demo.yaml --dry_run           inputs, requests and tokens; no LLM call
  synthbeam run recipes/demo.yaml --limit=100 --output=out/bigger -v
  synthbeam run tool_use --num_examples=200           a recipe by name, without a file
  synthbeam publish out/demo hub/demo                 a finished run as a Hub-ready folder"""
