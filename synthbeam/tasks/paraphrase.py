"""Paraphrase: the same request in other words, keeping the row's answer.

Each variant is its own call (``ParaphraseItem(record, index)``), so every variant is
either a row or a rejected row with a reason code, and reruns reproduce it exactly. The
paraphrase replaces the first user turn; the other turns, the task, the label and the
source stay the parent's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from synthbeam.schemas.record import Completion, Message, Record, SamplingParams, Source, stable_id
from synthbeam.tasks.answer import (
    check_changed,
    check_instruction,
    check_not_copied,
    first_instruction,
    json_schema,
    looks_like_instruction,
    string_field,
)
from synthbeam.templates import render_messages

AUGMENTATION = "paraphrase"
PARAPHRASE_SCHEMA = json_schema(paraphrase={"type": "string", "minLength": 5, "maxLength": 300})
EXAMPLE_WORDS = frozenset({"cat", "cats"})


@dataclass(frozen=True)
class ParaphraseItem:
    """One paraphrase to ask for: the parent row and the variant's number."""

    record: Record
    index: int = 0

    @property
    def source(self) -> Source:
        return self.record.source


def paraphrase_items(record: Record, per_row: int) -> list[ParaphraseItem]:
    return [ParaphraseItem(record, i) for i in range(per_row)]


def replace_first_instruction(record: Record, text: str) -> list[Message]:
    """The row's turns with its first non-empty user turn's content replaced by ``text``."""
    messages = [dict(m) for m in record.messages]
    for message in messages:
        if message.get("role") == "user" and (message.get("content") or "").strip():
            message["content"] = text
            break
    return messages  # type: ignore[return-value]


@dataclass(frozen=True)
class ParaphraseInstruction:
    """GenerationTask: ``ParaphraseItem`` -> the parent ``Record`` with its instruction reworded.

    The variant gets a new id, ``lineage.parent_id`` = the parent's id and
    ``lineage.augmentation="paraphrase"``; its answer turns are the parent's.
    """

    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(temperature=0.9, max_tokens=160))
    name: str = "paraphrase"
    template: str = "paraphrase_instruction.jinja2"
    response_format: str = PARAPHRASE_SCHEMA
    check_form: bool = True  # an instruction must stay an instruction (English)

    def item_id(self, item: ParaphraseItem) -> str:
        return f"{item.record.id}/{item.index}"

    def format_input(self, item: ParaphraseItem) -> list[Message]:
        return render_messages(self.template, instruction=first_instruction(item.record))

    def format_output(self, completion: Completion, item: ParaphraseItem) -> list[Record]:
        paraphrase = string_field(completion.text, "paraphrase")
        original = first_instruction(item.record)
        check_changed(paraphrase, original)
        check_not_copied(paraphrase, original, EXAMPLE_WORDS)
        if self.check_form and looks_like_instruction(original):
            check_instruction(paraphrase)
        parent = item.record
        return [
            dataclasses.replace(
                parent,
                id=stable_id(self.name, self.item_id(item)),
                messages=replace_first_instruction(parent, paraphrase),
                lineage=dataclasses.replace(parent.lineage, parent_id=parent.id, augmentation=AUGMENTATION),
                completion="",
                finish_reason="",
            )
        ]
