"""The element types that flow through every synthbeam pipeline, defined once.

Every stage reads and writes these frozen dataclasses. The Arrow schema used for the
Parquet output is derived from them (``synthbeam.schemas.arrow``), never written by hand.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, NewType, TypedDict

import orjson

JsonText = NewType("JsonText", str)
"""A JSON document held as text. In Parquet it is Arrow's canonical JSON type
(``arrow.json``), which Hugging Face ``datasets`` loads as Python objects."""


class ToolCallFunction(TypedDict):
    name: str
    arguments: str  # a JSON object serialised as a string (OpenAI convention)


class ToolCall(TypedDict):
    id: str
    type: str  # always "function"
    function: ToolCallFunction


class Message(TypedDict, total=False):
    """One chat turn in OpenAI / TRL / Hugging Face chat format.

    Keys are present only where they apply. In Parquet each turn is one JSON object
    (``message_to_json``): no null keys, and tool-call arguments as objects, the form that
    chat templates and TRL take as they are.
    """

    role: str  # system | user | assistant | tool
    content: str
    tool_calls: list[ToolCall] | None
    tool_call_id: str | None
    name: str | None


@dataclass(frozen=True)
class Source:
    """Where an element came from: a file and a position in it."""

    uri: str = ""
    position: int = 0  # 0-based line number (text, JSONL) or row index (Parquet)
    chunk: int = 0  # passage number within that document


@dataclass(frozen=True)
class Passage:
    """A unit of corpus text, the input of generation recipes."""

    id: str
    text: str
    source: Source = field(default_factory=Source)
    title: str = ""


@dataclass(frozen=True)
class Lineage:
    """How a record was made, enough to reproduce or audit it."""

    template: str = ""
    template_hash: str = ""
    model: str = ""
    sampling: str = ""  # JSON of the sampling parameters sent to the server
    seed: int = 0
    request_hash: str = ""  # the response-cache key of the completion
    parent_id: str = ""  # the row this one was derived from (evol, paraphrase, augmentation)
    augmentation: str = ""  # which augmentation made this row, "" for originals
    oversampled_from: str = ""  # id of the row this copy was oversampled from


@dataclass(frozen=True)
class Record:
    """One training / evaluation example: the row written to Parquet."""

    id: str
    task: str
    messages: list[Message]
    tools: JsonText = JsonText("[]")  # JSON list of OpenAI tool definitions offered to the model
    label: str = ""
    completion: str = ""  # the raw completion the row was parsed from
    finish_reason: str = ""
    source: Source = field(default_factory=Source)
    lineage: Lineage = field(default_factory=Lineage)
    split: str = ""
    meta: JsonText = JsonText("{}")  # JSON object with recipe-specific extras (judge verdict, ...)

    def meta_dict(self) -> dict[str, Any]:
        return json.loads(self.meta or "{}")

    def with_meta(self, **updates: Any) -> Record:
        merged = {**self.meta_dict(), **updates}
        return dataclasses.replace(self, meta=json.dumps(merged, sort_keys=True))


def message_to_json(message: Message) -> str:
    """A turn as the JSON object stored in Parquet: its set keys only, tool-call arguments as
    objects (arguments that are not a JSON object stay strings)."""
    turn = stored_turn(message)
    try:  # orjson, as the Parquet sink's bulk path (``schemas.json_columns``) serialises turns
        return orjson.dumps(turn).decode("utf-8")
    except TypeError:  # integers beyond 64 bits, lone surrogates (escaped, so the text stays UTF-8)
        return json.dumps(turn)


def stored_turn(message: Message) -> dict[str, Any]:
    """A turn as the object ``message_to_json`` serialises: no null keys, tool-call arguments
    decoded where they hold a JSON object."""
    if None in message.values():
        turn: dict[str, Any] = {k: v for k, v in message.items() if v is not None}
    else:
        turn = dict(message)
    calls = turn.get("tool_calls")
    if calls:
        turn["tool_calls"] = [_stored_call(call) for call in calls]
    return turn


def _stored_call(call: ToolCall) -> dict[str, Any]:
    function = call["function"]
    return {**call, "function": {**function, "arguments": _decoded(function.get("arguments"))}}


def message_from_json(value: str | dict[str, Any]) -> Message:
    """Inverse of ``message_to_json`` (also takes the decoded object, as ``datasets`` gives it);
    ``ValueError`` if it is not a JSON object."""
    turn = json.loads(value) if isinstance(value, str) else dict(value)
    if not isinstance(turn, dict):
        raise ValueError(f"a chat turn must be a JSON object, got {type(turn).__name__}")
    if turn.get("tool_calls"):
        turn["tool_calls"] = [
            {**call, "function": {**call["function"], "arguments": _encoded(call["function"].get("arguments"))}}
            for call in turn["tool_calls"]
        ]
    return {k: v for k, v in turn.items() if v is not None}  # type: ignore[return-value]


_LONG_NUMBER = re.compile(r"\d{19,}")


def _decoded(arguments: Any) -> Any:
    if not isinstance(arguments, str):
        return arguments
    try:  # orjson reads integers beyond 64 bits as floats: Python's json keeps every digit
        decoded = json.loads(arguments) if _LONG_NUMBER.search(arguments) else orjson.loads(arguments)
    except ValueError:
        try:  # what orjson refuses and Python reads
            decoded = json.loads(arguments)
        except ValueError:
            return arguments
    return decoded if isinstance(decoded, dict) else arguments


def _encoded(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


@dataclass(frozen=True)
class Rejected:
    """A record removed by a filter, verification or curation stage, with its reason."""

    record: Record
    stage: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class DeadLetter:
    """Input that could not be processed at all (unreadable, unanswerable)."""

    stage: str
    reason: str
    detail: str = ""
    source: Source = field(default_factory=Source)
    element_id: str = ""
    payload: str = ""  # the offending input, truncated, for inspection


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 256
    stop: tuple[str, ...] = ()  # generation ends before any of these strings

    def as_dict(self) -> dict[str, Any]:
        """The parameters sent to the server; ``stop`` only when set, so that requests
        without one keep the cache keys they always had."""
        values = dataclasses.asdict(self)
        if not self.stop:
            del values["stop"]
        else:
            values["stop"] = list(self.stop)
        return values

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to ask of the model.

    ``cache_key`` covers everything that changes the output and nothing that does not.
    """

    id: str
    messages: list[Message]
    sampling: SamplingParams = field(default_factory=SamplingParams)
    seed: int = 0
    tools: str = ""  # JSON list of OpenAI tool definitions, "" for none
    response_format: str = ""  # JSON schema for structured output, "" for free text

    def cache_key(self, model: str) -> str:
        payload = json.dumps(
            {
                "model": model,
                "messages": self.messages,
                "sampling": self.sampling.as_dict(),
                "seed": self.seed,
                "tools": self.tools,
                "response_format": self.response_format,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Completion:
    request_id: str
    text: str
    finish_reason: str
    model: str
    request_hash: str
    tool_calls: list[ToolCall] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


def stable_id(*parts: object) -> str:
    """A short deterministic id from its parts (same parts, same id, on every worker)."""
    joined = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:20]
