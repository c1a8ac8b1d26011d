"""Instructions from passages: one question of a given type about a passage, and its answer.

The passage is a variable of the template; the model answers in JSON constrained by
``PAIR_SCHEMA`` so even a small model's output parses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Passage, Record, SamplingParams, stable_id
from synthbeam.tasks.base import ParseError, json_object
from synthbeam.templates import render_messages

QUESTION_TYPES: dict[str, str] = {
    "factual": "a fact stated in the passage",
    "explanation": "why or how something described in the passage works",
    "how_to": "how to do something the passage describes",
    "summary": "a short summary of the passage",
}

PAIR_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "instruction": {"type": "string", "minLength": 10, "maxLength": 400},
        "response": {"type": "string", "minLength": 1, "maxLength": 1500},
    },
    "required": ["instruction", "response"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class InstructionSeed:
    """A passage and the kind of question to ask about it (one LLM call)."""

    passage: Passage
    question_type: str
    index: int = 0


def seeds_for_passage(passage: Passage, question_types: tuple[str, ...], per_passage: int) -> list[InstructionSeed]:
    """``per_passage`` seeds, rotating through the types from a passage-dependent start."""
    start = int(stable_id(passage.id)[:6], 16) % len(question_types)
    return [InstructionSeed(passage, question_types[(start + i) % len(question_types)], i) for i in range(per_passage)]


@dataclass(frozen=True)
class InstructionsFromPassage:
    """GenerationTask: ``InstructionSeed`` -> one instruction/response ``Record``."""

    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(max_tokens=320))
    name: str = "instruction"
    template: str = "instructions_from_passage.jinja2"
    response_format: str = json.dumps(PAIR_SCHEMA, sort_keys=True)

    def item_id(self, item: InstructionSeed) -> str:
        return f"{item.passage.id}/{item.question_type}/{item.index}"

    def format_input(self, item: InstructionSeed) -> list[Message]:
        return render_messages(
            self.template,
            passage=item.passage.text,
            title=item.passage.title,
            question_type=item.question_type.replace("_", "-"),
            type_hint=QUESTION_TYPES.get(item.question_type, item.question_type),
        )

    def format_output(self, completion: Completion, item: InstructionSeed) -> list[Record]:
        pair = parse_pair(completion.text)
        return [
            Record(
                id=stable_id(self.name, self.item_id(item)),
                task=self.name,
                messages=[
                    {"role": "user", "content": pair["instruction"]},
                    {"role": "assistant", "content": pair["response"]},
                ],
                label=item.question_type,
                source=item.passage.source,
                meta=json.dumps(
                    {"mode": "question_answer", "passage": item.passage.text, "topic": item.passage.title},
                    sort_keys=True,
                    ensure_ascii=False,
                ),
            )
        ]


def parse_pair(text: str) -> dict[str, str]:
    """Parses ``{"instruction": ..., "response": ...}``; raises ``ParseError`` otherwise."""
    value = json_object(text)
    pair = {}
    for key in ("instruction", "response"):
        field_value = value.get(key)
        if not isinstance(field_value, str):
            raise ParseError(reasons.PARSE_FAILED, f"missing string field {key!r}")
        pair[key] = field_value.strip()
        if not pair[key]:
            raise ParseError(reasons.EMPTY, f"blank field {key!r}")
    return pair
