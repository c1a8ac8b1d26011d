"""The recipes: what each makes, its recipe file, the flag groups it honours and its own
flags. No Beam: the command line lists recipes, prints their help and refuses flags a
recipe does not use from here, without loading a pipeline.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from synthbeam.augment.eda import OPS
from synthbeam.pipelines.flags import GROUPS, Flag, FlagGroup
from synthbeam.tasks.evol import MODES
from synthbeam.tasks.instructions import QUESTION_TYPES
from synthbeam.tasks.seed_tasks import BUNDLED_SEED_TASKS
from synthbeam.tasks.tool_call_first import REQUEST_SOURCES
from synthbeam.tasks.tool_use import DEFAULT_MIX, KINDS

GENERATIONS = ("answer_first", "question_answer")
TOOL_GENERATIONS = ("call_first", "free_form")
AUGMENT_METHODS = ("eda", "paraphrase", "multi_turn")


@dataclass(frozen=True)
class Recipe:
    name: str
    module: str  # the pipeline module (``run(argv)``, ``OPTIONS``)
    recipe_file: str  # under recipes/
    makes: str  # one line: what the recipe makes
    groups: tuple[str, ...]  # the shared flag groups it honours (``flags.GROUPS``)
    flags: tuple[Flag, ...]  # its own flags

    def flag_groups(self) -> list[FlagGroup]:
        """Its own flags first, then the shared groups it honours."""
        return [FlagGroup(self.name, f"{self.name} recipe", self.flags), *(GROUPS[g] for g in self.groups)]

    def flag_names(self) -> set[str]:
        return {flag.name for group in self.flag_groups() for flag in group.flags}


INSTRUCTIONS = Recipe(
    "instructions",
    "synthbeam.pipelines.instructions",
    "demo.yaml",
    "instruction/response pairs from corpus passages (answer-first: a span is the response)",
    ("corpus", "run", "llm", "judge", "filters", "curation"),
    (
        Flag(
            "generation",
            "answer_first: a span of the passage is the response and the model writes the request it answers "
            "(carried by small models); question_answer: the model writes question and answer (strong models).",
            "answer_first",
            choices=GENERATIONS,
        ),
        Flag(
            "per_passage",
            "answer_first: answer spans used per passage; question_answer: pairs asked per passage.",
            2,
            int,
        ),
        Flag("candidates_per_span", "answer_first: requests asked per span; the gates and a score choose one.", 4, int),
        Flag(
            "question_types",
            f"question_answer: comma-separated question types to rotate through: {', '.join(QUESTION_TYPES)}.",
            ",".join(QUESTION_TYPES),
        ),
    ),
)

TOOL_USE = Recipe(
    "tool_use",
    "synthbeam.pipelines.tool_use",
    "tool_use.yaml",
    "function-calling rows, call-first, verified and executed; tool-selection rows, xLAM and BFCL exports",
    ("run", "llm", "judge", "curation"),
    (
        Flag(
            "tool_library",
            "Tool definitions (OpenAI tools, BFCL functions or xLAM tools; .json/.jsonl; local path, glob or gs://). "
            "Default: the bundled BFCL subset plus string/date/unit tools.",
            "",
        ),
        Flag("num_examples", "Examples to generate (one LLM call each).", 32, int),
        Flag(
            "tool_generation",
            "call_first: the pipeline picks tools (evenly over the library) and argument values, the model writes "
            "only the request; free_form: the model writes request and calls.",
            "call_first",
            choices=TOOL_GENERATIONS,
        ),
        Flag(
            "candidates",
            "call_first: requests asked per planned row; the gates and a score keep one (each is one LLM call).",
            3,
            int,
        ),
        Flag(
            "prefer_request",
            "call_first: which request wins when several pass the gates: plain (the pipeline's own; best on small "
            "models) or model (a rewrite in a user's words; for models that phrase well).",
            "plain",
            choices=REQUEST_SOURCES,
        ),
        Flag("max_tools", "Most tools offered per example.", 4, int),
        Flag(
            "kind_mix",
            f"Weights of the example kinds ({', '.join(KINDS)}), as kind=weight pairs.",
            ",".join(f"{k}={w}" for k, w in DEFAULT_MIX.items()),
        ),
        Flag(
            "require_execution",
            "Drop rows calling a tool with no implementation (no_implementation) instead of keeping them unexecuted.",
            switch=True,
        ),
        Flag(
            "sandbox_isolation",
            "Tool sandbox: 'namespaces' (root + unshare: no network, read-only filesystem, private /tmp) or "
            "'process' (unprivileged child with resource limits and an audit hook); 'auto' takes the strongest "
            "available.",
            "auto",
            choices=("auto", "namespaces", "process"),
        ),
        Flag("sandbox_timeout_s", "Wall-clock limit of one sandboxed tool call.", 5.0, float),
        Flag("sandbox_memory_mib", "Address-space limit of one sandboxed tool call.", 256, int),
    ),
)

SELF_INSTRUCT = Recipe(
    "self_instruct",
    "synthbeam.pipelines.self_instruct",
    "self_instruct.yaml",
    "new instructions written from seed tasks, kept by deterministic gates, then answered",
    ("run", "llm", "judge", "answers", "filters", "curation"),
    (
        Flag(
            "seed_tasks",
            "Seed-task JSONL, local or gs://: Self-Instruct form (instruction, instances: [{input, output}]; the "
            "first instance is used) or flat form (instruction, input, output); optional id. "
            "Default: the bundled seed tasks.",
            BUNDLED_SEED_TASKS,
        ),
        Flag("num_prompts", "Generation calls; each asks for --instructions_per_prompt instructions.", 10, int),
        Flag("examples_per_prompt", "Seed tasks shown as examples in each prompt.", 5, int),
        Flag("instructions_per_prompt", "New instructions asked for per call.", 3, int),
    ),
)

EVOL_INSTRUCT = Recipe(
    "evol_instruct",
    "synthbeam.pipelines.evol_instruct",
    "evol_instruct.yaml",
    "harder rewrites of existing instructions, answered, each pointing to its parent",
    ("rows", "run", "llm", "answers", "filters", "curation"),
    (
        Flag(
            "evol_modes",
            f"Comma-separated evolutions applied to every row: {', '.join(MODES)}.",
            "constraints,deepen,concretize",
        ),
        Flag(
            "evol_rounds",
            "Rounds of evolution; each later round rewrites every rewrite again, in one mode picked by hashing.",
            1,
            int,
        ),
        Flag("keep_originals", "Write the input rows too, beside their evolutions.", switch=True),
    ),
)

AUGMENT = Recipe(
    "augment",
    "synthbeam.pipelines.augment",
    "augment.yaml",
    "input rows plus variants: offline EDA edits, LLM paraphrases, multi-turn follow-ups",
    ("rows", "run", "llm", "answers", "filters", "curation"),
    (
        Flag("methods", f"Comma-separated augmentations: {', '.join(AUGMENT_METHODS)}.", "eda"),
        Flag("eda_ops", "EDA ops used in turn (sr, ri, rs, rd are accepted).", ",".join(OPS)),
        Flag("eda_per_row", "EDA variants per row.", 4, int),
        Flag(
            "eda_alpha",
            "Share of words an EDA op changes (deletion probability for random_deletion).",
            0.1,
            float,
        ),
        Flag("eda_roles", "Roles of the turns EDA changes.", "user"),
        Flag("paraphrases_per_row", "LLM paraphrases per row.", 1, int),
    ),
)

RECIPES: dict[str, Recipe] = {r.name: r for r in (INSTRUCTIONS, TOOL_USE, SELF_INSTRUCT, EVOL_INSTRUCT, AUGMENT)}


def add_recipe_flags(parser: argparse.ArgumentParser, recipe: Recipe) -> None:
    """Adds every flag ``recipe`` honours, one argument group per flag group."""
    added: set[str] = set()
    for group in recipe.flag_groups():
        section = parser.add_argument_group(group.title)
        for flag in group.flags:
            if flag.name not in added:
                flag.add_to(section)
                added.add(flag.name)


def recipe_parser(
    name: str, parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser
) -> argparse.ArgumentParser:
    """A parser of exactly the flags recipe ``name`` honours (no Beam flags)."""
    parser = parser_class(allow_abbrev=False, add_help=False)
    add_recipe_flags(parser, RECIPES[name])
    return parser


def flag_users(name: str) -> list[str]:
    """The recipes that honour flag ``name``."""
    return [recipe.name for recipe in RECIPES.values() if name in recipe.flag_names()]
