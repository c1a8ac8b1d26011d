"""Self-instruct: new instructions from a few seed tasks shown as examples.

A seed-task file is JSONL with ``instruction``, ``input`` and ``output`` (and optionally
``id``), as in the Self-Instruct and Alpaca seed files; one is bundled
(``synthbeam/data/seed_tasks.jsonl``). Each prompt shows ``k`` seed tasks chosen by
hashing (same run seed, same examples, on any worker); ``SelfInstructGenerate`` parses
the model's JSON list into one unanswered row per instruction, and
``AnswerInstruction("self_instruct")`` answers each.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from dataclasses import dataclass, field

from apache_beam.io.filesystems import FileSystems

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Record, SamplingParams, Source, stable_id
from synthbeam.tasks.answer import (
    first_instruction,
    json_field,
    json_schema,
    looks_like_instruction,
    normalise,
    user_turns,
)
from synthbeam.tasks.base import ParseError
from synthbeam.templates import render_messages

TASK = "self_instruct"
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s+")
# Resolved where the file is read (a worker's install may live elsewhere than the launcher's).
BUNDLED_SEED_TASKS = "synthbeam://seed_tasks"
MIN_WORDS = 3  # shorter "instructions" are fragments of a list the model broke off


@dataclass(frozen=True)
class SeedTask:
    """One human-written example task."""

    id: str
    instruction: str
    input: str = ""
    output: str = ""

    def prompt_text(self) -> str:
        """The instruction as a user would send it (its input appended)."""
        return f"{self.instruction}\n\n{self.input}" if self.input else self.instruction


@dataclass(frozen=True)
class SelfInstructPrompt:
    """One generation call: the seed tasks shown as examples."""

    id: str
    examples: tuple[SeedTask, ...]
    source: Source = field(default_factory=Source)


def seed_tasks_path(path: str) -> str:
    """Resolves ``synthbeam://seed_tasks`` to the file shipped in this install of the package."""
    if path == BUNDLED_SEED_TASKS:
        return str(importlib.resources.files("synthbeam.data") / "seed_tasks.jsonl")
    return path


def parse_seed_task(line: str, where: str) -> SeedTask:
    """One JSONL line -> ``SeedTask``; a bad line raises ``ValueError`` naming the line."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not JSON ({error.msg}); each line must be a JSON object.") from None
    if not isinstance(value, dict) or not isinstance(value.get("instruction"), str) or not value["instruction"].strip():
        raise ValueError(f'{where}: needs a non-empty string "instruction" (and optional "input", "output", "id").')
    instruction, task_input = value["instruction"].strip(), str(value.get("input") or "").strip()
    return SeedTask(
        id=str(value.get("id") or stable_id(instruction, task_input)),
        instruction=instruction,
        input=task_input,
        output=str(value.get("output") or "").strip(),
    )


def load_seed_tasks(path: str) -> list[SeedTask]:
    """Reads a seed-task JSONL file (local or any Beam filesystem, e.g. ``gs://``)."""
    resolved = seed_tasks_path(path)
    with FileSystems.open(resolved) as handle:
        lines = handle.read().decode("utf-8").splitlines()
    seeds = [parse_seed_task(line, f"{resolved}:{n + 1}") for n, line in enumerate(lines) if line.strip()]
    if not seeds:
        raise ValueError(f"{resolved}: no seed tasks; write one JSON object per line.")
    return seeds


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
    """Whether the row's instruction is a seed task's (``seed_texts`` hold ``normalise``d ones)."""
    return any(normalise(text) in seed_texts for text in user_turns(record))


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
    return frozenset(normalise(text) for seed in seeds for text in (seed.instruction, seed.prompt_text()))


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


def instructions_schema(n: int) -> str:
    item = {"type": "string", "minLength": 10, "maxLength": 200}
    return json_schema(instructions={"type": "array", "items": item, "minItems": 1, "maxItems": n})


@dataclass(frozen=True)
class SelfInstructGenerate:
    """GenerationTask: ``SelfInstructPrompt`` -> one unanswered ``Record`` per new instruction.

    Rows have ``task="self_instruct"``, one user turn, and the ids of the examples shown
    in ``meta["examples"]``. Copies of a seed and duplicates are left to later stages,
    which reject them with a reason code.
    """

    instructions_per_prompt: int = 3
    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(temperature=0.7, max_tokens=256))
    name: str = TASK
    template: str = "self_instruct_generate.jinja2"

    @property
    def response_format(self) -> str:
        return instructions_schema(self.instructions_per_prompt)

    def item_id(self, item: SelfInstructPrompt) -> str:
        return item.id

    def format_input(self, item: SelfInstructPrompt) -> list[Message]:
        examples = [seed.prompt_text() for seed in item.examples]
        return render_messages(self.template, examples=examples, n=self.instructions_per_prompt)

    def format_output(self, completion: Completion, item: SelfInstructPrompt) -> list[Record]:
        value = json_field(completion.text, "instructions")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParseError(reasons.PARSE_FAILED, "'instructions' is not a list of strings")
        texts = [text for v in value for text in split_numbered(v) if text]
        if not texts:
            raise ParseError(reasons.EMPTY, "no instructions")
        meta = json.dumps({"examples": [seed.id for seed in item.examples]}, sort_keys=True)
        return [
            Record(
                id=stable_id(TASK, item.id, index),
                task=TASK,
                messages=[{"role": "user", "content": text}],
                source=item.source,
                meta=meta,
            )
            for index, text in enumerate(texts)
        ]
