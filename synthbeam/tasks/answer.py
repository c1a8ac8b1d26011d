"""Answering a conversation that ends with a user turn, and the checks the rewrite tasks share.

Several recipes first write a new user turn (self-instruct, evol-instruct, multi-turn) and
then ask the model to answer it. ``AnswerInstruction`` is that second call: the
conversation goes to the model as real chat turns behind a short system prompt, so the
answer is written in context rather than inside a meta-prompt.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Message, Record, SamplingParams
from synthbeam.tasks.base import ParseError, json_object
from synthbeam.templates import render

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def lowercase_words(text: str) -> str:
    """Lower-cased words only: what two texts must share to count as the same text."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def json_schema(**properties: dict[str, Any]) -> str:
    """A closed JSON schema over ``properties`` (all required), serialised for a request."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }
    return json.dumps(schema, sort_keys=True)


def json_field(text: str, key: str) -> Any:
    """``json_object(text)[key]``; raises ``ParseError`` as ``json_object`` does, and
    ``parse_failed`` when the object has no ``key``."""
    value = json_object(text)
    if key not in value:
        raise ParseError(reasons.PARSE_FAILED, f"no {key!r} in the JSON object")
    return value[key]


def string_field(text: str, key: str) -> str:
    """A non-empty string field of a JSON completion, stripped."""
    value = json_field(text, key)
    if not isinstance(value, str):
        raise ParseError(reasons.PARSE_FAILED, f"{key!r} is not a string")
    if not value.strip():
        raise ParseError(reasons.EMPTY, f"{key!r} is empty")
    return value.strip()


# Opening words of imperative sentences and questions: a cheap test that a rewrite is still
# an instruction and not the model answering it (small models often do the latter).
INSTRUCTION_OPENERS = frozenset(
    """add analyse analyze answer are argue arrange assume based brainstorm break build calculate can
    change check choose classify collect compare complete compose compute consider construct continue
    convert correct could count create decide define demonstrate derive describe design detail determine
    develop did discover discuss do does draft draw edit elaborate enumerate estimate evaluate expand
    explain express extract fill find fix format generate give given help highlight how identify if
    illustrate imagine implement invent is justify label let list make map match measure modify name
    note optimize organise organize outline paraphrase pick plan please plot practice predict prepare
    print propose prove provide rank read recall recommend refactor reflect remove rephrase replace
    research respond restate retell return reverse rewrite select share should show simplify sketch solve sort
    specify spell split state study suggest sum summarise summarize suppose teach tell test transform
    translate try use using verify visualise visualize walk what when where which who why will would
    write""".split()
)


# Words that open statements ("Here are...", "The sea is...") and forms of "to be"/modals
# that make "X is/can/has ..." a statement, not a request.
DECLARATIVE_OPENERS = frozenset(
    """a an the this that these those it its here there sure yes no ok okay i we he she they my our his her
    their in on at to for as by with from of and but so because although while once after before""".split()
)
STATEMENT_VERBS = frozenset("is are was were has have had can could will may might must".split())


def looks_like_instruction(text: str) -> bool:
    """Whether ``text`` reads as a request rather than as an answer (English heuristics).

    A question, or a sentence opening with a known instruction verb, is one; a sentence
    opening like a statement (an article, a pronoun, "here", a gerund, a number, or a
    subject followed by "is"/"are"/"can"...) is not. Anything else is given the benefit
    of the doubt.
    """
    words = lowercase_words(text).split()
    if not words:
        return False
    if text.rstrip().endswith("?") or words[0] in INSTRUCTION_OPENERS:
        return True
    first = words[0]
    if first in DECLARATIVE_OPENERS or first[0].isdigit() or (first.endswith("ing") and len(first) > 4):
        return False
    return len(words) < 2 or words[1] not in STATEMENT_VERBS


def check_instruction(text: str) -> None:
    """Raises ``ParseError(not_an_instruction)`` unless ``looks_like_instruction(text)``."""
    if not looks_like_instruction(text):
        raise ParseError(reasons.NOT_AN_INSTRUCTION, text[:200])


def check_not_copied(new: str, original: str, example_words: frozenset[str]) -> None:
    """Raises ``ParseError(copied_example)`` when ``new`` brings in the prompt example's subject.

    ``example_words`` name that subject (``{"cat", "cats"}``); an original that already
    mentions it is not checked.
    """
    if example_words.isdisjoint(lowercase_words(original).split()) and not example_words.isdisjoint(
        lowercase_words(new).split()
    ):
        raise ParseError(reasons.COPIED_EXAMPLE, new[:200])


def user_turns(record: Record) -> list[str]:
    return [m.get("content") or "" for m in record.messages if m.get("role") == "user"]


def has_instruction(record: Record) -> bool:
    """Whether the row has a non-empty user turn (what every rewrite task needs)."""
    return any(text.strip() for text in user_turns(record))


def first_instruction(record: Record) -> str:
    """The first user turn: the instruction that rewrites start from."""
    for text in user_turns(record):
        if text.strip():
            return text.strip()
    raise ValueError(f"record {record.id} has no user turn; filter with has_instruction() first")


def check_changed(new: str, old: str) -> None:
    """Raises ``ParseError(repeats_input)`` when ``new`` is ``old`` up to case and punctuation."""
    if lowercase_words(new) == lowercase_words(old):
        raise ParseError(reasons.REPEATS_INPUT, new[:200])


def up_to_last_user(record: Record) -> list[Message]:
    """The row's turns up to and including its last user turn."""
    last_user = max((i for i, m in enumerate(record.messages) if m.get("role") == "user"), default=-1)
    return list(record.messages[: last_user + 1])


def generation_lineage(record: Record) -> dict[str, Any]:
    """The generation half of a row's lineage, kept in ``meta`` when a second call answers it."""
    lineage = record.lineage
    return {
        "template": lineage.template,
        "template_hash": lineage.template_hash,
        "model": lineage.model,
        "seed": lineage.seed,
        "request_hash": lineage.request_hash,
    }


@dataclass(frozen=True)
class AnswerInstruction:
    """GenerationTask: ``Record`` ending with a user turn -> the same ``Record`` answered.

    ``name`` is the task column of the rows it answers (``AnswerInstruction("evol_instruct")``).
    The row keeps its id, task, label, source, parent and augmentation; the lineage of
    the call that wrote its last user turn moves to ``meta["instruction_lineage"]``
    (the transform then stamps the answer call's lineage).
    """

    name: str = "answer"
    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(max_tokens=256))
    template: str = "answer_instruction.jinja2"
    response_format: str = ""

    def item_id(self, item: Record) -> str:
        return item.id

    def format_input(self, item: Record) -> list[Message]:
        turns = up_to_last_user(item)
        if any(m.get("role") == "system" for m in turns):
            return turns  # the row's own system prompt is the one its answer must follow
        return [{"role": "system", "content": render(self.template)}, *turns]

    def format_output(self, completion: Completion, item: Record) -> list[Record]:
        answer = completion.text.strip()
        if not answer:
            raise ParseError(reasons.EMPTY, "empty answer")
        answered = dataclasses.replace(
            item, messages=[*up_to_last_user(item), {"role": "assistant", "content": answer}]
        )
        return [answered.with_meta(instruction_lineage=generation_lineage(item))]
