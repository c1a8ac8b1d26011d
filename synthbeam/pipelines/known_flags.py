"""Flags a recipe does not use are refused before any work, naming the nearest valid one.

A flag is valid for a recipe when the recipe honours it (``catalog``) or when it is one of
Apache Beam's own pipeline options (any ``PipelineOptions`` subclass outside synthbeam:
``--runner``, ``--project``, ``--direct_num_workers``, ...). Anything else -- a misspelling
(``--limt=5``), a flag of another recipe, a flag of a group the recipe does not honour
(``tool_use`` reads no corpus: no ``--input``) -- stops the run with one line, where Beam
would only log "Discarding unparseable args" and run without it.

Beam's option names are kept per Beam version under the cache directory, so a misspelled or
misplaced flag is reported without loading Beam; Beam's own parser runs (and checks the
values of its flags) only when every flag is the recipe's or Beam's.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from synthbeam.local_cache import cache_home
from synthbeam.pipelines import catalog
from synthbeam.pipelines.option_checks import OptionError, parser_message, recipe_parser


class UnknownFlag(OptionError):
    """An argument the recipe does not use and Beam does not know."""


def flag_of(token: str) -> str:
    """``--limt=5`` -> ``--limt``."""
    return token.split("=", 1)[0]


@functools.cache
def _beam_parser_class() -> type[argparse.ArgumentParser]:
    from apache_beam.options.pipeline_options import _BeamArgumentParser

    class RaisingBeamParser(_BeamArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise OptionError(parser_message(message))

    return RaisingBeamParser


def beam_option_classes() -> list[type]:
    """Beam's pipeline option classes (direct ``PipelineOptions`` subclasses, as Beam's own
    parser takes them) that are not synthbeam's."""
    from apache_beam.options.pipeline_options import PipelineOptions

    classes = {str(cls): cls for cls in PipelineOptions.__subclasses__()}
    return [cls for cls in classes.values() if not cls.__module__.startswith("synthbeam.")]


def parser_with_beam(recipe: str) -> argparse.ArgumentParser:
    """The recipe's flags plus every Beam pipeline option."""
    parser = _beam_parser_class()(allow_abbrev=False, add_help=False, conflict_handler="resolve")
    for cls in beam_option_classes():
        cls._add_argparse_args(parser)
    catalog.add_recipe_flags(parser, catalog.RECIPES[recipe])
    return parser


def flags_from_beam() -> tuple[str, ...]:
    """Every ``--`` option string of Beam's pipeline options (``--runner``, ...); loads Beam."""
    parser = _beam_parser_class()(allow_abbrev=False, add_help=False, conflict_handler="resolve")
    for cls in beam_option_classes():
        cls._add_argparse_args(parser)
    return tuple(s for action in parser._actions for s in action.option_strings if s.startswith("--"))


def flags_cache() -> Path:
    from importlib.metadata import version

    return cache_home() / "beam_flags" / f"{version('apache-beam')}.json"


@functools.cache
def beam_flags() -> tuple[str, ...]:
    """``flags_from_beam()``, kept per Beam version under the cache directory so that a
    misspelled flag is reported without loading Beam."""
    path = flags_cache()
    with contextlib.suppress(OSError, ValueError):
        return tuple(json.loads(path.read_text()))
    flags = flags_from_beam()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(flags))
        partial.replace(path)
    return flags


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lstrip("-"), b.lstrip("-")).ratio()


def known_beam_flags() -> tuple[str, ...]:
    """Beam's option names: from Beam itself once it is loaded (options classes registered
    since, e.g. with a pipeline's imports, count), else ``beam_flags()``."""
    return flags_from_beam() if "apache_beam.options.pipeline_options" in sys.modules else beam_flags()


def nearest(name: str, recipe: str, cutoff: float = 0.7) -> str | None:
    """The valid flag closest to ``name`` (``--limit`` for ``--limt``), the recipe's own on a
    tie with Beam's; None when none is close."""
    own = [f"--{flag}" for flag in sorted(catalog.RECIPES[recipe].flag_names())]
    scored = [
        (similarity(name, flag), -rank, flag) for rank, flags in enumerate((own, known_beam_flags())) for flag in flags
    ]
    score, _, best = max(scored)
    return best if score >= cutoff else None


def why_refused(recipe: str, name: str) -> str:
    """Why flag ``name`` (no dashes) is not ``recipe``'s."""
    users = catalog.flag_users(name)
    return f"recipe {recipe} does not use it (only {', '.join(users)})" if users else f"no such flag for {recipe}"


def refusal(recipe: str, token: str) -> str:
    """One line for an argument ``recipe`` cannot take."""
    if not token.startswith("-"):
        return f"{token}: unexpected argument (flags look like --name=value)"
    name = flag_of(token)
    near = nearest(name, recipe)
    hint = f"did you mean {near}?" if near else f"see synthbeam run {recipe} --help"
    return f"{token}: {why_refused(recipe, name.lstrip('-'))}; {hint}"


def unknown_arguments(recipe: str, argv: Sequence[str]) -> list[str]:
    """The arguments neither the recipe nor Beam takes, in order. Flags no one has are found
    by name, without Beam; Beam's parser (and its value checks) runs only when every other
    flag is one of Beam's."""
    leftovers = recipe_parser(recipe).parse_known_args(list(argv))[1]
    if not leftovers:
        return []
    names = known_beam_flags()
    unknown = [arg for arg in leftovers if arg.startswith("--") and flag_of(arg) not in names]
    return unknown or parser_with_beam(recipe).parse_known_args(list(argv))[1]


def check_arguments(recipe: str, argv: Sequence[str]) -> None:
    """Raises ``UnknownFlag`` for the first argument the recipe cannot take."""
    unknown = unknown_arguments(recipe, argv)
    if unknown:
        raise UnknownFlag(refusal(recipe, unknown[0]))


def check_file_keys(recipe: str, keys: Iterable[str], path: str) -> None:
    """Raises ``UnknownFlag`` for the first key of a recipe file's ``options`` that is no
    flag of the recipe nor of Beam."""
    own = catalog.RECIPES[recipe].flag_names()
    for key in keys:
        if key in own or f"--{key}" in known_beam_flags():
            continue
        near = nearest(f"--{key}", recipe)
        hint = f"did you mean {near.removeprefix('--')}?" if near else f"see synthbeam run {recipe} --help"
        raise UnknownFlag(f"{path}: options: {key}: {why_refused(recipe, key)}; {hint}")
