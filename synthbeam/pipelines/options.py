"""Beam pipeline options of the recipes: ``SynthbeamOptions`` (every shared flag) and one
class per recipe (its own flags), all built from ``flags`` and ``catalog``.

Every class is a direct ``PipelineOptions`` subclass, so Beam's one parser knows every
flag. Which flags a recipe honours is the catalog's business: ``flag_names`` refuses the
others before a run starts.
"""

from __future__ import annotations

import argparse

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from synthbeam.local_cache import cache_home
from synthbeam.paths import is_gcs
from synthbeam.pipelines.catalog import RECIPES
from synthbeam.pipelines.flag_values import oversample_target, parse_eval_sets, parse_list, parse_mix, split_list
from synthbeam.pipelines.flags import shared_flags

__all__ = [
    "AugmentOptions",
    "EvolInstructOptions",
    "InstructionsOptions",
    "SelfInstructOptions",
    "SynthbeamOptions",
    "ToolUseOptions",
    "default_cache_root",
    "input_patterns",
    "oversample_target",
    "parse_eval_sets",
    "parse_list",
    "parse_mix",
    "split_list",
]


class SynthbeamOptions(PipelineOptions):
    """Options shared by the recipes (Beam's own options, e.g. --runner, come on top)."""

    recipe = ""  # the recipe subclasses name theirs

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("synthbeam")
        for flag in shared_flags():
            flag.add_to(group)


def _add_own_flags(parser: argparse.ArgumentParser, recipe: str) -> None:
    group = parser.add_argument_group(f"{recipe} recipe")
    for flag in RECIPES[recipe].flags:
        flag.add_to(group)


class InstructionsOptions(SynthbeamOptions, PipelineOptions):
    recipe = "instructions"

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        _add_own_flags(parser, "instructions")


class ToolUseOptions(SynthbeamOptions, PipelineOptions):
    recipe = "tool_use"

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        _add_own_flags(parser, "tool_use")


class SelfInstructOptions(SynthbeamOptions, PipelineOptions):
    recipe = "self_instruct"

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        _add_own_flags(parser, "self_instruct")


class EvolInstructOptions(SynthbeamOptions, PipelineOptions):
    recipe = "evol_instruct"

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        _add_own_flags(parser, "evol_instruct")


class AugmentOptions(SynthbeamOptions, PipelineOptions):
    recipe = "augment"

    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        _add_own_flags(parser, "augment")


def input_patterns(opts: SynthbeamOptions) -> list[str]:
    return split_list(opts.input)


def default_cache_root(output: str) -> str:
    """The response cache a run uses without ``--cache_root``."""
    if is_gcs(output):
        return FileSystems.join(output, "_llm_cache")
    return str(cache_home() / "responses")
