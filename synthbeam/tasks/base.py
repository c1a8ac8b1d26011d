"""The contract every generation task follows."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, TypeVar

from synthbeam.json_text import load_json_object
from synthbeam.schemas.record import (
    ChatRequest,
    Completion,
    Message,
    Record,
    SamplingParams,
    stable_id,
)
from synthbeam.templates import template_hash

T = TypeVar("T")


class ParseError(ValueError):
    """A completion that cannot be turned into rows; ``reason`` is a reason code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def json_object(text: str) -> dict[str, Any]:
    """The JSON object a completion holds.

    Raises:
        ParseError: ``invalid_json`` when the text is not JSON (or Python cannot read it) or
            not an object, ``invalid_text`` when a string in it is a lone surrogate
            (``\\ud800``), which no later stage could write.
    """
    value, reason, detail = load_json_object(text)
    if value is None:
        raise ParseError(reason, detail)
    return value


class GenerationTask(Protocol[T]):
    name: str  # the ``task`` column of the rows it makes
    template: str  # template file name in synthbeam/templates
    sampling: SamplingParams
    response_format: str  # JSON schema for structured output, "" for free text

    def item_id(self, item: T) -> str: ...

    def format_input(self, item: T) -> list[Message]: ...

    def format_output(self, completion: Completion, item: T) -> list[Record]: ...


def request_seed(run_seed: int, item_id: str, task_name: str) -> int:
    """Per-request seed from the run seed and the record id: stable across reruns."""
    return int(stable_id(run_seed, item_id, task_name)[:8], 16)


def response_format_for(task: GenerationTask[Any], item: Any) -> str:
    """The task's JSON schema for this item: per item when the task has ``response_format_for``."""
    per_item = getattr(task, "response_format_for", None)
    return per_item(item) if per_item else task.response_format


def build_request(task: GenerationTask[Any], item: Any, run_seed: int, tools: str = "") -> ChatRequest:
    item_id = task.item_id(item)
    return ChatRequest(
        id=stable_id(task.name, item_id),
        messages=task.format_input(item),
        sampling=task.sampling,
        seed=request_seed(run_seed, item_id, task.name),
        tools=tools,
        response_format=response_format_for(task, item),
    )


def stamp_lineage(record: Record, task: GenerationTask[Any], request: ChatRequest, completion: Completion) -> Record:
    """Fills the generation half of a row's lineage (``format_output`` sets the rest)."""
    lineage = dataclasses.replace(
        record.lineage,
        template=task.template,
        template_hash=template_hash(task.template),
        model=completion.model,
        sampling=request.sampling.to_json(),
        seed=request.seed,
        request_hash=completion.request_hash,
    )
    return dataclasses.replace(
        record, lineage=lineage, completion=completion.text, finish_reason=completion.finish_reason
    )
