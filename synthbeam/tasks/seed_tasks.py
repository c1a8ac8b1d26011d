"""Seed-task files: the human-written examples self-instruct starts from.

A seed-task file is JSONL, one task a line, in either form:

- flat (Alpaca data): ``{"instruction", "input", "output"}``, ``input``/``output`` optional;
- Self-Instruct seed tasks: ``{"id", "name", "instruction", "instances": [{"input",
  "output"}], "is_classification"}``. The first instance is the seed's input and output
  (the 175 seed tasks have one each; further instances are ignored, so that one prompt
  never shows the same task twice).

A line in neither form is a ``DeadLetter`` (stage ``read``, reason ``invalid_json`` or
``invalid_seed_task``), never dropped silently.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass

from synthbeam.json_text import load_json
from synthbeam.schemas import reasons
from synthbeam.schemas.record import DeadLetter, Source, stable_id
from synthbeam.tasks.base import ParseError

# Resolved where the file is read (a worker's install may live elsewhere than the launcher's).
BUNDLED_SEED_TASKS = "synthbeam://seed_tasks"
READ_STAGE = "read"


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


def seed_tasks_path(path: str) -> str:
    """Resolves ``synthbeam://seed_tasks`` to the file shipped in this install of the package."""
    if path == BUNDLED_SEED_TASKS:
        return str(importlib.resources.files("synthbeam.data") / "seed_tasks.jsonl")
    return path


def _text_field(value: dict[str, object], key: str, where: str) -> str:
    text = value.get(key)
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ParseError(reasons.INVALID_SEED_TASK, f'{where}: "{key}" must be a string, not {type(text).__name__}.')
    return text.strip()


def seed_from_json(value: object, where: str) -> SeedTask:
    """A parsed seed line (Alpaca ``instances`` form or flat form) -> ``SeedTask``.

    Raises:
        ParseError: ``invalid_seed_task``, with a detail naming ``where`` and the fix.
    """
    if not isinstance(value, dict) or not isinstance(value.get("instruction"), str) or not value["instruction"].strip():
        raise ParseError(
            reasons.INVALID_SEED_TASK,
            f'{where}: needs a non-empty string "instruction", with "input"/"output" or "instances": [{{"input", "output"}}].',
        )
    instruction, fields = value["instruction"].strip(), value
    if "instances" in value:
        instances = value["instances"]
        if not isinstance(instances, list) or not instances or not isinstance(instances[0], dict):
            raise ParseError(reasons.INVALID_SEED_TASK, f'{where}: "instances" must be a non-empty list of objects.')
        fields = instances[0]
    task_input, output = _text_field(fields, "input", where), _text_field(fields, "output", where)
    return SeedTask(
        id=str(value.get("id") or stable_id(instruction, task_input)),
        instruction=instruction,
        input=task_input,
        output=output,
    )


def parse_seed_task(line: str, where: str) -> SeedTask:
    """One JSONL line -> ``SeedTask``; raises ``ParseError`` (``invalid_json``, ``invalid_text``
    or ``invalid_seed_task``) with a detail naming the line."""
    value, reason, detail = load_json(line)
    if reason:
        raise ParseError(reason, f"{where}: {detail}; each line must be a JSON object.")
    return seed_from_json(value, where)


def read_seed_tasks(path: str) -> tuple[list[SeedTask], list[DeadLetter]]:
    """Reads a seed-task JSONL file (local or any Beam filesystem, e.g. ``gs://``).

    Returns the seed tasks and one ``DeadLetter`` (stage ``read``) per line in neither form.
    Raises ``ValueError`` when no line is a seed task.
    """
    from apache_beam.io.filesystems import FileSystems  # Beam loads only when seed tasks are read

    resolved = seed_tasks_path(path)
    with FileSystems.open(resolved) as handle:
        lines = handle.read().decode("utf-8").splitlines()
    seeds, dead = [], []
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            seeds.append(parse_seed_task(line, f"{resolved}:{n + 1}"))
        except ParseError as error:
            dead.append(DeadLetter(READ_STAGE, error.reason, error.detail, Source(path, n), payload=line[:2000]))
    if not seeds:
        raise ValueError(f"{resolved}: no seed tasks; write one JSON object per line ({len(dead)} unreadable).")
    return seeds, dead


def load_seed_tasks(path: str) -> list[SeedTask]:
    """The seed tasks of ``read_seed_tasks``; unreadable lines are left out (see there)."""
    return read_seed_tasks(path)[0]
