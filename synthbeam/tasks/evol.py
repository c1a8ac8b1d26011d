"""Evol-instruct: rewrite an instruction into a harder one, one evolution mode per task.

After WizardLM's in-depth (add constraints, deepen, concretise, more reasoning) and
in-breadth evolution. One template holds every mode's wording, so its hash covers them
all. The rewrite comes back in JSON constrained by a schema; a rewrite that repeats the
instruction or copies the prompt's example is rejected with a reason code, as WizardLM's
elimination step does. The evolved row has no answer yet: ``AnswerInstruction("evol_instruct")``
answers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthbeam.schemas.record import Completion, Lineage, Message, Record, SamplingParams, stable_id
from synthbeam.tasks.answer import (
    check_changed,
    check_instruction,
    check_not_copied,
    first_instruction,
    json_schema,
    string_field,
)
from synthbeam.templates import render_messages

TASK = "evol_instruct"
MODES: tuple[str, ...] = ("constraints", "deepen", "concretize", "reasoning", "breadth")
EVOL_SCHEMA = json_schema(new_instruction={"type": "string", "minLength": 10, "maxLength": 300})
# The prompt's one-shot example: a rewrite about it is a copy, not an evolution.
EXAMPLE_WORDS = frozenset({"cat", "cats", "axolotl", "axolotls"})


def evol_augmentation(parent: Record, mode: str) -> str:
    """``evol:deepen``; a row evolved again records the chain (``evol:deepen>constraints``)."""
    previous = parent.lineage.augmentation
    return f"{previous}>{mode}" if previous.startswith("evol:") else f"evol:{mode}"


def round_mode(row_id: str, round_number: int, modes: list[str] | tuple[str, ...]) -> str:
    """The mode a row is evolved in at a later round: a hash of its id, the same on every run."""
    return modes[int(stable_id(row_id, round_number)[:8], 16) % len(modes)]


@dataclass(frozen=True)
class EvolInstruction:
    """GenerationTask: instruction ``Record`` -> one evolved, unanswered ``Record``.

    The new row has ``task="evol_instruct"``, one user turn, the parent's id in
    ``lineage.parent_id`` and ``lineage.augmentation="evol:<mode>"``.
    """

    mode: str = "deepen"
    check_form: bool = True  # reject rewrites that do not read as an instruction (English)
    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(temperature=0.7, max_tokens=160))
    name: str = TASK
    template: str = "evol_instruct.jinja2"
    response_format: str = EVOL_SCHEMA

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"Unknown evolution mode {self.mode!r}; choose from {', '.join(MODES)}.")

    def item_id(self, item: Record) -> str:
        return f"{item.id}/{self.mode}"

    def format_input(self, item: Record) -> list[Message]:
        return render_messages(self.template, mode=self.mode, instruction=first_instruction(item))

    def format_output(self, completion: Completion, item: Record) -> list[Record]:
        evolved = string_field(completion.text, "new_instruction")
        original = first_instruction(item)
        check_changed(evolved, original)
        if self.check_form:
            check_instruction(evolved)
        check_not_copied(evolved, original, EXAMPLE_WORDS)
        return [
            Record(
                id=stable_id(TASK, self.item_id(item)),
                task=TASK,
                messages=[{"role": "user", "content": evolved}],
                label=item.label,
                source=item.source,
                lineage=Lineage(parent_id=item.id, augmentation=evol_augmentation(item, self.mode)),
            )
        ]
