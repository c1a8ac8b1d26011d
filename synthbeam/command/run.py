"""``synthbeam run RECIPE [--flag=value ...]``: checks every option before anything loads,
then prints help, plans a dry run or launches the recipe."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from synthbeam.command.help import RUN_USAGE, recipe_help
from synthbeam.command.logs import NORMAL, QUIET, VERBOSE
from synthbeam.command.recipe_files import RecipeError, file_values, options_to_argv, resolve_recipe
from synthbeam.errors import RunRefused
from synthbeam.pipelines.catalog import RECIPES
from synthbeam.pipelines.known_flags import check_arguments, check_file_keys
from synthbeam.pipelines.option_checks import check_options
from synthbeam.pipelines.run_date import dated_args


@dataclass(frozen=True)
class RunFlags:
    """The command's own flags, apart from the recipe's and Beam's (``rest``)."""

    help: bool = False
    dry_run: bool = False
    verbosity: int = NORMAL
    rest: list[str] = field(default_factory=list)


def split_run_flags(argv: Sequence[str]) -> RunFlags:
    """``-h/--help``, ``--dry_run``, ``-v/--verbose`` and ``-q/--quiet``, wherever they are."""
    help_, dry_run, verbosity, rest = False, False, NORMAL, []
    for arg in argv:
        if arg in ("-h", "--help"):
            help_ = True
        elif arg == "--dry_run":
            dry_run = True
        elif arg in ("-v", "--verbose"):
            verbosity = VERBOSE
        elif arg in ("-q", "--quiet"):
            verbosity = QUIET
        else:
            rest.append(arg)
    return RunFlags(help_, dry_run, verbosity, rest)


def checked_argv(name: str, file_options: dict[str, Any], path: str, rest: Sequence[str]) -> list[str]:
    """The recipe's argv (file options, then the command line's); raises ``RunRefused`` at
    the first key or flag the recipe does not use, or value it refuses."""
    check_file_keys(name, file_options, path or name)
    check_arguments(name, rest)
    argv = options_to_argv(file_options) + list(rest)
    check_options(name, argv)
    return dated_args(argv)  # --run_date: the run's output and cache, as the recipe will see them


def fail(message: object) -> int:
    print(f"synthbeam: {message}", file=sys.stderr)
    return 2


def run_command(target: str | None, argv: Sequence[str]) -> int:
    flags = split_run_flags(argv)
    if not target or target in ("-h", "--help"):
        print(f"usage: {RUN_USAGE}\nRECIPE: a recipe file (recipes/*.yaml) or a name: {', '.join(RECIPES)}")
        return 0 if target or flags.help else 2
    try:
        name, file_options, path = resolve_recipe(target)
    except (OSError, RecipeError) as error:
        return fail(error)
    if flags.help:
        print(recipe_help(name, file_values(file_options), path))
        return 0
    try:
        recipe_argv = checked_argv(name, file_options, path, flags.rest)
    except RunRefused as refused:
        return fail(refused)
    if flags.dry_run:
        from synthbeam.command.dry_run import dry_run

        return dry_run(name, file_options, path, flags.rest)
    from synthbeam.command.launch import launch

    return launch(name, recipe_argv, flags.verbosity)
