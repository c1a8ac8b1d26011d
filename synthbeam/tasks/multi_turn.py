"""Multi-turn: a follow-up user turn for a single-turn row, then its answer.

Two calls. ``FollowUpQuestion`` asks the model (in JSON constrained by a schema) for the
user's next question and makes a three-turn row pointing at its parent;
``AnswerInstruction("multi_turn")`` then answers that question with the whole
conversation as chat context, giving a four-turn row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthbeam.schemas.record import Completion, Lineage, Message, Record, SamplingParams, stable_id
from synthbeam.tasks.answer import check_changed, check_instruction, json_schema, string_field, user_turns
from synthbeam.templates import render_messages

TASK = "multi_turn"
AUGMENTATION = "multi_turn:follow_up"
FOLLOW_UP_SCHEMA = json_schema(question={"type": "string", "minLength": 5, "maxLength": 300})


def is_single_turn(record: Record) -> bool:
    """A row a follow-up can extend: one user turn answered by one assistant turn."""
    roles = [m.get("role") for m in record.messages if m.get("role") != "system"]
    return roles == ["user", "assistant"] and all((m.get("content") or "").strip() for m in record.messages)


@dataclass(frozen=True)
class FollowUpQuestion:
    """GenerationTask: single-turn ``Record`` -> ``Record`` with the user's next question.

    The new row has the parent's turns plus a user turn (answered next by
    ``AnswerInstruction("multi_turn")``), ``task="multi_turn"`` and
    ``lineage.parent_id`` set to the parent's id.
    """

    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(temperature=0.8, max_tokens=96))
    check_form: bool = True  # reject questions that do not read as a request (English)
    name: str = TASK
    template: str = "multi_turn_follow_up.jinja2"
    response_format: str = FOLLOW_UP_SCHEMA

    def item_id(self, item: Record) -> str:
        return item.id

    def format_input(self, item: Record) -> list[Message]:
        turns = [
            {"role": m["role"], "content": (m.get("content") or "").strip()}
            for m in item.messages
            if m.get("role") in ("user", "assistant")
        ]
        return render_messages(self.template, turns=turns)

    def format_output(self, completion: Completion, item: Record) -> list[Record]:
        question = string_field(completion.text, "question")
        for earlier in user_turns(item):
            check_changed(question, earlier)
        if self.check_form:
            check_instruction(question)
        return [
            Record(
                id=stable_id(TASK, item.id),
                task=TASK,
                messages=[*item.messages, {"role": "user", "content": question}],
                label=item.label,
                source=item.source,
                lineage=Lineage(parent_id=item.id, augmentation=AUGMENTATION),
                meta=item.meta,
            )
        ]
