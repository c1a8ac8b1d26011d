"""Self-instruct: new instructions from a few seed tasks shown as examples.

Seed tasks are read by ``synthbeam.tasks.seed_tasks`` (Self-Instruct and Alpaca forms; one
file is bundled, ``synthbeam/data/seed_tasks.jsonl``). Each prompt shows ``k`` seed tasks chosen by
hashing (same run seed, same examples, on any worker), each with its input;
``SelfInstructGenerate`` asks for tasks as ``{"instruction", "input"}`` objects and makes
one unanswered row per task (the input after a blank line, as in the seeds), and
``AnswerInstruction("self_instruct")`` answers each.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Record, SamplingParams, Source, stable_id
from synthbeam.tasks.answer import (
    first_instruction,
    json_field,
    looks_like_instruction,
    lowercase_words,
    user_turns,
)
from synthbeam.tasks.base import ParseError
from synthbeam.tasks.instruction_gates import refers_to_input
from synthbeam.tasks.seed_tasks import (  # noqa: F401  (the names this module has always exported)
    BUNDLED_SEED_TASKS,
    READ_STAGE,
    SeedTask,
    load_seed_tasks,
    parse_seed_task,
    read_seed_tasks,
    seed_from_json,
    seed_tasks_path,
)
from synthbeam.templates import render_messages

TASK = "self_instruct"
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s+")
MIN_WORDS = 3  # shorter "instructions" are fragments of a list the model broke off


@dataclass(frozen=True)
class SelfInstructPrompt:
    """One generation call: the seed tasks shown as examples."""

    id: str
    examples: tuple[SeedTask, ...]
    source: Source = field(default_factory=Source)


def plan_prompts(
    seeds: list[SeedTask], num_prompts: int, examples_per_prompt: int, run_seed: int = 0, uri: str = BUNDLED_SEED_TASKS
) -> list[SelfInstructPrompt]:
    """``num_prompts`` prompts, each showing the ``k`` seeds with the smallest hash for it."""
    if examples_per_prompt < 1:
        raise ValueError(f"examples_per_prompt={examples_per_prompt} must be >= 1.")
    k = min(examples_per_prompt, len(seeds))
    prompts = []
    for i in range(num_prompts):
        ranked = sorted(seeds, key=lambda seed: stable_id(run_seed, i, seed.id))
        prompts.append(
            SelfInstructPrompt(
                id=stable_id("self_instruct_prompt", run_seed, i),
                examples=tuple(ranked[:k]),
                source=Source(uri=uri),
            )
        )
    return prompts


def split_numbered(text: str) -> list[str]:
    """``"1. Add 2 and 3. 2. Sort it."`` -> ``["Add 2 and 3.", "Sort it."]``.

    Small models often put a numbered list in one string. Item ``k`` starts at ``k.`` or
    ``k)`` followed by a capital letter; text without leading numbering is one item.
    """
    match = _NUMBERED.match(text)
    if not match:
        return [text.strip()]
    rest, parts, number = text[match.end() :], [], int(match.group(1)) + 1
    while found := re.search(rf"\s{number}[.)]\s+(?=[A-Z\"'])", rest):
        parts.append(rest[: found.start()].strip())
        rest, number = rest[found.end() :], number + 1
    return [*parts, rest.strip()]


def copies_seed(record: Record, seed_texts: frozenset[str]) -> bool:
    """Whether the row's instruction is a seed task's (``seed_texts`` hold their ``lowercase_words``)."""
    return any(lowercase_words(text) in seed_texts for text in user_turns(record))


def instruction_problem(record: Record, seeds: frozenset[str], check_form: bool = True) -> str | None:
    """Why a generated instruction cannot be kept (a reason code), None when it can.

    ``seeds`` are ``seed_texts(...)``; ``check_form`` rejects text that does not read as an
    instruction (English heuristics, see ``looks_like_instruction``).
    """
    if len(first_instruction(record).split()) < MIN_WORDS:
        return reasons.TOO_SHORT
    if copies_seed(record, seeds):
        return reasons.COPIED_EXAMPLE
    if check_form and not looks_like_instruction(first_instruction(record)):
        return reasons.NOT_AN_INSTRUCTION
    return None


def seed_texts(seeds: list[SeedTask]) -> frozenset[str]:
    return frozenset(lowercase_words(text) for seed in seeds for text in (seed.instruction, seed.prompt_text()))


def seed_messages(seed: SeedTask) -> list[Message]:
    """A seed task as chat turns: the prompt (input appended), then the output if it has one."""
    messages: list[Message] = [{"role": "user", "content": seed.prompt_text()}]
    if seed.output:
        messages.append({"role": "assistant", "content": seed.output})
    return messages


def seed_record(seed: SeedTask, uri: str = "", position: int = 0) -> Record:
    """A seed task as an instruction/response row (input for evol-instruct or augmentation)."""
    return Record(
        id=stable_id("seed", seed.id), task="seed", messages=seed_messages(seed), source=Source(uri, position)
    )


def tasks_schema(n: int) -> str:
    """``{"tasks": [{"instruction", "input"}]}``, the instruction first (it is written first)."""
    item = {
        "type": "object",
        "properties": {
            "instruction": {"type": "string", "minLength": 10, "maxLength": 200},
            "input": {"type": "string", "maxLength": 400},
        },
        "required": ["instruction", "input"],
        "additionalProperties": False,
    }
    tasks = {"type": "array", "items": item, "minItems": 1, "maxItems": n}
    return json.dumps(
        {"type": "object", "properties": {"tasks": tasks}, "required": ["tasks"], "additionalProperties": False}
    )


def parse_tasks(text: str) -> list[tuple[str, str]]:
    """The model's ``{"tasks": [...]}`` as (instruction, input) pairs, numbered lists split;
    an input is kept only for an instruction that ``refers_to_input``.

    Raises:
        ParseError: ``invalid_json`` or ``invalid_text`` for text that is not a JSON object
            (``json_object``), ``parse_failed`` for another shape, ``empty`` when no
            instruction is left.
    """
    value = json_field(text, "tasks")
    if not isinstance(value, list) or not all(
        isinstance(v, dict) and isinstance(v.get("instruction"), str) and isinstance(v.get("input", ""), str)
        for v in value
    ):
        raise ParseError(reasons.PARSE_FAILED, "'tasks' is not a list of {instruction, input} objects")
    pairs = []
    for task in value:
        parts = [part for part in split_numbered(task["instruction"]) if part]
        # The pipeline decides whether a task has an input: only one that refers to material
        # keeps the model's input (a broken-off list keeps none); elsewhere it is noise.
        task_input = task.get("input", "").strip() if len(parts) == 1 and refers_to_input(parts[0]) else ""
        pairs += [(part, task_input) for part in parts]
    if not pairs:
        raise ParseError(reasons.EMPTY, "no instructions")
    return pairs


def user_turn(instruction: str, task_input: str) -> str:
    """An instruction as a user sends it: its input after a blank line, as in the seeds."""
    return f"{instruction}\n\n{task_input}" if task_input else instruction


@dataclass(frozen=True)
class SelfInstructGenerate:
    """GenerationTask: ``SelfInstructPrompt`` -> one unanswered ``Record`` per new task.

    The prompt shows the seed tasks as ``{"instruction", "input"}`` objects and asks for
    ``instructions_per_prompt`` more. Rows have ``task="self_instruct"``, one user turn
    (the instruction, then its input after a blank line when it has one), and the ids of the
    examples shown in ``meta["examples"]``. Whether a task needs an input and has one, copies
    of a seed and near-duplicates are left to later stages, which reject with a reason code.
    """

    instructions_per_prompt: int = 3
    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(temperature=0.7, max_tokens=384))
    name: str = TASK
    template: str = "self_instruct_generate.jinja2"

    @property
    def response_format(self) -> str:
        return tasks_schema(self.instructions_per_prompt)

    def item_id(self, item: SelfInstructPrompt) -> str:
        return item.id

    def format_input(self, item: SelfInstructPrompt) -> list[Message]:
        examples = [{"instruction": seed.instruction, "input": seed.input} for seed in item.examples]
        return render_messages(self.template, examples=examples, n=self.instructions_per_prompt)

    def format_output(self, completion: Completion, item: SelfInstructPrompt) -> list[Record]:
        meta = json.dumps({"examples": [seed.id for seed in item.examples]}, sort_keys=True)
        return [
            Record(
                id=stable_id(TASK, item.id, index),
                task=TASK,
                messages=[{"role": "user", "content": user_turn(instruction, task_input)}],
                source=item.source,
                meta=meta,
            )
            for index, (instruction, task_input) in enumerate(parse_tasks(completion.text))
        ]
