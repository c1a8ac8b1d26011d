"""Every option of every recipe, checked before the pipeline is built.

``check_options(recipe, argv)`` parses the flags the recipe honours (``catalog``; Beam's
flags pass through untouched, ``known_flags`` refuses the rest) and raises
``OptionError`` at the first wrong value, with one line naming the flag, the value and what
is accepted: ``--limit=-5: must be a positive integer (or 0 for all)``.

``CHECKS`` maps a flag to a check: a function of the parsed value that returns what the flag
accepts when the value is wrong, and None when it is right. ``NO_EXTRA_CHECK`` lists the
flags for which every value the parser takes is right (free text, switches, flags with
``choices``). A test keeps the two complete for every recipe.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from synthbeam.errors import RunRefused
from synthbeam.paths import is_gcs, is_local
from synthbeam.pipelines import catalog
from synthbeam.pipelines.flag_values import oversample_target, parse_eval_sets, parse_mix, split_list
from synthbeam.pipelines.flags import shared_flags
from synthbeam.pipelines.run_date import check_run_date

Check = Callable[[Any], "str | None"]


class OptionError(RunRefused):
    """A flag with a value the recipe cannot run with."""


def at_least(low: float, accepted: str) -> Check:
    return lambda value: None if value >= low else accepted


def finite_at_least(low: float, accepted: str) -> Check:
    return lambda value: None if math.isfinite(value) and value >= low else accepted


def between(low: float, high: float, accepted: str, *, low_open: bool = False, high_open: bool = False) -> Check:
    def check(value: float) -> str | None:
        above = value > low if low_open else value >= low
        below = value < high if high_open else value <= high
        return None if above and below else accepted

    return check


def not_blank(accepted: str) -> Check:
    return lambda value: None if value.strip() else accepted


def chosen_from(allowed: Sequence[str]) -> Check:
    """A comma-separated list of at least one item, each from ``allowed``."""
    accepted = f"choose from {', '.join(allowed)} (comma separated)"
    return lambda value: None if (items := split_list(value)) and set(items) <= set(allowed) else accepted


def url_or_empty(value: str) -> str | None:
    ok = not value or value.strip().startswith(("http://", "https://"))
    return None if ok else "must be a server URL like http://10.0.0.5:8000 (or empty)"


def model_dir(value: str) -> str | None:
    ok = is_local(value) or is_gcs(value)
    return None if ok else "must be a local model directory or a gs:// path (or empty for the default)"


def cache_dir(value: str) -> str | None:
    return None if not value or value.strip() else "must be a directory (local or gs://), or none"


def run_id(value: str) -> str | None:
    return None if value.isprintable() and "/" not in value else "must be printable text without '/'"


def run_date(value: str) -> str | None:
    if not value:
        return None
    try:
        check_run_date(value)
    except ValueError:
        return "must be a date written YYYY-MM-DD (e.g. 2026-11-22) or today"
    return None


def eval_sets(value: str) -> str | None:
    try:
        parse_eval_sets(value)
    except ValueError:
        return "must be name=file_pattern pairs, comma separated"
    return None


def oversample(value: str) -> str | None:
    try:
        target = oversample_target(value)
    except ValueError:
        target = 0
    return "must be off, max or a positive number of rows per class" if target == 0 else None


def kind_mix(value: str) -> str | None:
    from synthbeam.tasks.tool_use import KINDS

    accepted = f"must be kind=weight pairs with kinds from {', '.join(KINDS)}, weights >= 0 and one > 0"
    try:
        return None if min(parse_mix(value, KINDS).values()) >= 0 else accepted
    except ValueError:
        return accepted


def question_types(value: str) -> str | None:
    from synthbeam.tasks.instructions import QUESTION_TYPES

    return chosen_from(tuple(QUESTION_TYPES))(value)


def evol_modes(value: str) -> str | None:
    from synthbeam.tasks.evol import MODES

    return chosen_from(MODES)(value)


def eda_ops(value: str) -> str | None:
    from synthbeam.augment.eda import ALIASES, OPS

    return chosen_from((*OPS, *ALIASES))(value)


def augment_methods(value: str) -> str | None:
    return chosen_from(catalog.AUGMENT_METHODS)(value)


POSITIVE = at_least(1, "must be a positive integer")

CHECKS: dict[str, Check] = {
    # every recipe
    "input": not_blank("must name at least one file pattern (local or gs://), comma separated"),
    "text_field": not_blank("must name a column"),
    "output": not_blank("must name a directory (local or gs://)"),
    "model": model_dir,
    "judge_model": model_dir,
    "llm_endpoint": url_or_empty,
    "judge_endpoint": url_or_empty,
    "max_in_flight": POSITIVE,
    "max_model_len": at_least(16, "must be an integer >= 16 (tokens)"),
    "request_timeout_s": between(0, float("inf"), "must be a number of seconds > 0", low_open=True),
    "max_attempts": at_least(1, "must be a positive integer (1: no retries)"),
    "max_requests_per_s": finite_at_least(0, "must be a number of requests per second >= 0 (0: no limit)"),
    "gpu_hour_price": finite_at_least(0, "must be a price in US dollars >= 0 (0: not priced)"),
    "tokens_per_s": finite_at_least(0, "must be a number of tokens per second >= 0 (0: measured)"),
    "cache_root": cache_dir,
    "limit": at_least(0, "must be a positive integer (or 0 for all)"),
    "eval_fraction": between(0, 1, "must be a number in [0, 1): the share of rows in eval", high_open=True),
    "max_answer_tokens": POSITIVE,
    "min_response_chars": at_least(0, "must be 0 or a positive integer"),
    "max_response_chars": POSITIVE,
    "near_dup_threshold": between(0, 1, "must be a Jaccard similarity in (0, 1]", low_open=True),
    "eval_sets": eval_sets,
    "oversample": oversample,
    "oversample_max_factor": at_least(1, "must be a number >= 1"),
    "run_id": run_id,
    "run_date": run_date,
    # instructions
    "per_passage": POSITIVE,
    "candidates_per_span": POSITIVE,
    "question_types": question_types,
    "max_chars": POSITIVE,
    # tool_use
    "num_examples": POSITIVE,
    "candidates": POSITIVE,
    "max_tools": at_least(2, "must be an integer >= 2"),
    "kind_mix": kind_mix,
    "sandbox_timeout_s": between(0, float("inf"), "must be a number of seconds > 0", low_open=True),
    "sandbox_memory_mib": POSITIVE,
    # self_instruct
    "seed_tasks": not_blank("must name a seed-task file (local or gs://)"),
    "num_prompts": POSITIVE,
    "examples_per_prompt": POSITIVE,
    "instructions_per_prompt": POSITIVE,
    # evol_instruct
    "evol_modes": evol_modes,
    "evol_rounds": POSITIVE,
    # augment
    "methods": augment_methods,
    "eda_ops": eda_ops,
    "eda_per_row": POSITIVE,
    "eda_alpha": between(0, 1, "must be a share of words in (0, 1]", low_open=True),
    "eda_roles": chosen_from(("user", "assistant", "system")),
    "paraphrases_per_row": POSITIVE,
}

NO_EXTRA_CHECK = frozenset(
    {
        "served_model_name",  # free text (empty: asked from the server)
        "tool_library",  # empty: the bundled library; files are read when the pipeline is built
        "seed",  # any integer
        "overwrite",
        "keep_originals",
        "require_execution",
        # choices, checked by the parser
        "judge",
        "adaptive_throttle",
        "generation",
        "tool_generation",
        "prefer_request",
        "sandbox_isolation",
    }
)


def cross_checks(values: dict[str, Any]) -> tuple[str, Any, str] | None:
    """A problem between two flags: (flag, value, what is accepted)."""
    low, high = values.get("min_response_chars"), values.get("max_response_chars")
    if low is not None and high is not None and high < low:
        return "max_response_chars", high, f"must be >= --min_response_chars ({low})"
    return None


def shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_TYPE_ERROR = re.compile(r"argument (?P<flag>--\w+): invalid (?P<type>\w+) value: '(?P<value>.*)'$")
_CHOICE_ERROR = re.compile(
    r"argument (?P<flag>--\w+): invalid choice: '(?P<value>.*)' \(choose from (?P<choices>.*)\)$"
)
_NO_VALUE_ERROR = re.compile(r"argument (?P<flag>--\w+): ignored explicit argument '(?P<value>.*)'$")
_TYPE_WORDS = {"int": "must be an integer", "float": "must be a number"}


def parser_message(message: str) -> str:
    """argparse's complaint about a flag as one line: flag=value, then what is accepted."""
    if match := _TYPE_ERROR.match(message):
        accepted = _TYPE_WORDS.get(match["type"], f"must be a {match['type']}")
        return f"{match['flag']}={match['value']}: {accepted}"
    if match := _CHOICE_ERROR.match(message):
        choices = ", ".join(c.strip().strip("'\"") for c in match["choices"].split(","))
        return f"{match['flag']}={match['value']}: choose from {choices}"
    if match := _NO_VALUE_ERROR.match(message):
        return f"{match['flag']}={match['value']}: takes no value (give the flag alone to turn it on)"
    return message.removeprefix("argument ")


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise OptionError(parser_message(message))


def recipe_name(recipe: str | type) -> str:
    """A recipe's name, from itself or its options class (``SynthbeamOptions``: "")."""
    return recipe if isinstance(recipe, str) else getattr(recipe, "recipe", "")


def recipe_parser(recipe: str | type) -> argparse.ArgumentParser:
    """A parser of the flags the recipe honours (no Beam flags); a recipe of "" (the class
    ``SynthbeamOptions``) gets every shared flag."""
    name = recipe_name(recipe)
    if name:
        return catalog.recipe_parser(name, _RaisingParser)
    parser = _RaisingParser(allow_abbrev=False, add_help=False)
    for flag in shared_flags():
        flag.add_to(parser)
    return parser


def recipe_flags(recipe: str | type) -> set[str]:
    return {action.dest for action in recipe_parser(recipe)._actions}


def check_options(recipe: str | type, argv: Sequence[str]) -> None:
    """Raises ``OptionError`` (one line) at the first flag with a value the recipe refuses."""
    values = vars(recipe_parser(recipe).parse_known_args(list(argv))[0])
    for flag, value in values.items():
        check = CHECKS.get(flag)
        accepted = check(value) if check is not None else None
        if accepted:
            raise OptionError(f"--{flag}={shown(value)}: {accepted}")
    problem = cross_checks(values)
    if problem:
        flag, value, accepted = problem
        raise OptionError(f"--{flag}={shown(value)}: {accepted}")
