"""``synthbeam run RECIPE --dry_run``: the resolved options and where each came from, the
input counted, the requests planned per stage and their tokens estimated -- with no LLM
call and nothing written."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from typing import Any

from synthbeam.command.help import shown
from synthbeam.command.recipe_files import options_to_argv
from synthbeam.pipelines.option_checks import recipe_parser
from synthbeam.pipelines.plan import RunPlan, Stage
from synthbeam.pipelines.run_date import dated_args

SOURCES = ("command line", "recipe file", "default")
CHARS_PER_TOKEN = 4


def given(name: str, argv: Sequence[str]) -> dict[str, Any]:
    """The recipe flags ``argv`` sets, with their values (defaults left out)."""
    parser = recipe_parser(name)
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    return vars(parser.parse_known_args(list(argv))[0])


def beam_arguments(name: str, argv: Sequence[str]) -> list[str]:
    """The arguments of ``argv`` that are not the recipe's (Beam's options)."""
    return recipe_parser(name).parse_known_args(list(argv))[1]


def option_rows(name: str, file_argv: list[str], rest: list[str]) -> list[tuple[str, str, str]]:
    """``(flag, value, source)`` for every flag of the recipe, the command line's first."""
    defaults = vars(recipe_parser(name).parse_known_args([])[0])
    from_file, from_cli = given(name, file_argv), given(name, rest)
    rows = []
    for flag, default in defaults.items():
        if flag in from_cli:
            rows.append((flag, shown(from_cli[flag]), SOURCES[0]))
        elif flag in from_file:
            rows.append((flag, shown(from_file[flag]), SOURCES[1]))
        else:
            rows.append((flag, shown(default), SOURCES[2]))
    return sorted(rows, key=lambda row: SOURCES.index(row[2]))


def tokenizer_dir(model: str) -> str | None:
    """A local model directory to count tokens with: ``--model``, or the bundled model once
    prepared (never converted here); None for gs:// models."""
    if not model:
        from synthbeam.llm.default_model import prepared_default_model

        return prepared_default_model()
    return model if os.path.isdir(model) else None


class TokenCounter:
    """Prompt tokens with the model's tokenizer and chat template, else characters / 4."""

    def __init__(self, model: str) -> None:
        self.how, self._counter = f"characters / {CHARS_PER_TOKEN} (no local tokenizer)", None
        directory = tokenizer_dir(model)
        if directory:
            try:
                from synthbeam.llm.tokens import PromptTokenCounter

                self._counter = PromptTokenCounter(directory)
                self.how = f"the tokenizer and chat template of {directory}"
            except Exception as error:  # no transformers, no tokenizer files: fall back
                self.how += f"; tokenizer not loaded: {error}"

    def count(self, request: Any) -> int:
        if self._counter is not None:
            return self._counter.count(request)
        text = "".join(str(m.get("content") or "") for m in request.messages) + request.tools
        return max(1, len(text) // CHARS_PER_TOKEN)


def stage_line(stage: Stage, counter: TokenCounter) -> tuple[str, int | None, int]:
    """A stage's row and its prompt-token estimate (None: not estimated)."""
    calls = f"{stage.calls:,}" if stage.exact else f"<= {stage.calls:,}"
    prompt = None
    if stage.samples:
        each = sum(counter.count(r) for r in stage.samples) / len(stage.samples)
        prompt = round(each * stage.calls)
        prompt_text = f"{prompt:,} (~{each:,.0f} each)"
    else:
        prompt_text = "- (from earlier answers)"
    output = stage.calls * stage.max_tokens
    line = f"  {stage.name:<22} {calls:>10}   {prompt_text:<34} <= {output:,} ({stage.max_tokens} each)"
    return line, prompt, output


def report(
    plan: RunPlan, rows: list[tuple[str, str, str]], beam: list[str], path: str, seconds: float, opts: Any
) -> str:
    width = max(len(flag) for flag, _, _ in rows) + 2
    lines = [f"synthbeam {plan.recipe}: dry run (no LLM call, nothing written)", ""]
    lines.append(f"options ({'recipe file ' + path if path else 'no recipe file'}):")
    lines += [f"  --{flag:<{width}} {value:<40} {source}" for flag, value, source in rows]
    if beam:
        lines.append(f"  Beam options: {' '.join(beam)}")
    lines += ["", "input:", *(f"  {pattern}" for pattern in plan.inputs)]
    lines += [f"  {label:<28} {count:>10,}" for label, count in plan.counts.items()]
    lines += ["", f"output: {opts.output}" + (f" (response cache: {opts.cache_root})" if opts.cache_root else "")]
    lines += ["", f"LLM requests (planned in {seconds:.1f} s):"]
    lines.append(f"  {'stage':<22} {'requests':>10}   {'prompt tokens (estimated)':<34} output tokens")
    counter = TokenCounter(opts.model)
    prompts, outputs = [], 0
    for stage in plan.stages:
        line, prompt, output = stage_line(stage, counter)
        lines.append(line)
        prompts.append(prompt)
        outputs += output
    if not plan.stages:
        lines.append("  (none: this run asks no model)")
    total = f"{plan.exact_calls:,}" + (f" to {plan.most_calls:,}" if plan.most_calls != plan.exact_calls else "")
    known = f"{sum(p for p in prompts if p is not None):,}" + (" + -" if None in prompts else "")
    lines.append(f"  {'total':<22} {total:>10}   {known:<34} <= {outputs:,}")
    if plan.requests is not None:
        lines.append(f"  the manifest's requests count will be {plan.requests:,}")
    lines += ["", f"tokens counted with {counter.how}; output tokens at most max_tokens per request."]
    return "\n".join(lines)


def dry_run(name: str, file_options: dict[str, Any], path: str, rest: list[str]) -> int:
    from synthbeam.pipelines.catalog import RECIPES
    from synthbeam.pipelines.plan_recipes import plan_run
    from synthbeam.transforms.read import check_patterns_match

    file_argv = options_to_argv(file_options)
    argv = dated_args(file_argv + rest)  # the output and cache the run will use
    opts = recipe_parser(name).parse_known_args(argv)[0]
    if "input" in RECIPES[name].flag_names():  # as the run would: a pattern matching nothing stops it
        check_patterns_match([p.strip() for p in opts.input.split(",") if p.strip()], "--input")
    started = time.monotonic()
    plan = plan_run(name, argv)
    seconds = time.monotonic() - started
    rows, beam = option_rows(name, file_argv, rest), beam_arguments(name, argv)
    print(report(plan, rows, beam, path, seconds, opts))
    return 0
