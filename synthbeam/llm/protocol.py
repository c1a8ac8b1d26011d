"""The OpenAI chat-completions wire format: request bodies out, Completions in. Pure."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema

from synthbeam.schemas.record import ChatRequest, Completion, ToolCall

_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]+")


def schema_name(schema: dict[str, Any]) -> str:
    """A ``json_schema.name`` the server accepts, from the schema's title when it has one."""
    title = str(schema.get("title") or "output")
    return (_SCHEMA_NAME.sub("_", title) or "output")[:64]


def request_body(request: ChatRequest, served_name: str) -> dict[str, Any]:
    """The JSON body of ``POST /v1/chat/completions`` for ``request``."""
    body: dict[str, Any] = {
        "model": served_name,
        "messages": [{k: v for k, v in m.items() if v is not None} for m in request.messages],
        "temperature": request.sampling.temperature,
        "top_p": request.sampling.top_p,
        "max_tokens": request.sampling.max_tokens,
        "seed": request.seed,
    }
    if request.sampling.stop:
        body["stop"] = list(request.sampling.stop)
    if request.tools:
        body["tools"] = json.loads(request.tools)
    if request.response_format:
        schema = json.loads(request.response_format)
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": schema_name(schema), "schema": schema},
        }
    return body


class InvalidResponse(ValueError):
    """A 200 answer whose body is not a chat completion (wrong shape or types)."""


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidResponse(f"{where} is {type(value).__name__}, not an object")
    return value


def _optional(container: dict[str, Any], name: str, kind: type, where: str) -> Any:
    """``container[name]`` when it is a ``kind`` or absent/null (None); anything else is invalid."""
    value = container.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise InvalidResponse(f"{where}.{name} is {type(value).__name__}, not {kind.__name__}")
    return value


def _token_count(usage: dict[str, Any], name: str) -> int:
    count = _optional(usage, name, int, "usage") or 0
    if count < 0:
        raise InvalidResponse(f"usage.{name} is negative")
    return int(count)


def _tool_call(value: Any, where: str) -> ToolCall:
    call = _object(value, where)
    function = _object(call.get("function") or {}, f"{where}.function")
    return ToolCall(
        id=str(call.get("id", "")),
        type=str(call.get("type", "function")),
        function={"name": str(function.get("name", "")), "arguments": str(function.get("arguments", ""))},
    )


def _tool_calls(message: dict[str, Any]) -> list[ToolCall] | None:
    calls = _optional(message, "tool_calls", list, "message")
    if not calls:
        return None
    return [_tool_call(call, f"message.tool_calls[{i}]") for i, call in enumerate(calls)]


def parse_response(body: Any, request: ChatRequest, model_id: str, key: str) -> Completion:
    """A Completion from a chat-completions response body; InvalidResponse when the body is
    not one (a missing or empty ``choices``, a field of the wrong type)."""
    body = _object(body, "body")
    choices = _optional(body, "choices", list, "body")
    if not choices:
        raise InvalidResponse("body.choices is missing or empty")
    choice = _object(choices[0], "choices[0]")
    message = _object(choice.get("message"), "choices[0].message")
    usage = _object(body.get("usage") or {}, "usage")
    return Completion(
        request_id=request.id,
        text=_optional(message, "content", str, "message") or "",
        finish_reason=_optional(choice, "finish_reason", str, "choices[0]") or "",
        model=model_id,
        request_hash=key,
        tool_calls=_tool_calls(message),
        prompt_tokens=_token_count(usage, "prompt_tokens"),
        completion_tokens=_token_count(usage, "completion_tokens"),
    )


def schema_violation(text: str, response_format: str) -> str:
    """Why ``text`` does not satisfy the request's JSON schema, or "" when it does.

    The server constrains decoding already; this second check catches truncation
    (``finish_reason == "length"``) and servers that ignore ``response_format``.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"not JSON: {error}"
    error = jsonschema.exceptions.best_match(_validator(response_format).iter_errors(value))
    return f"schema: {error.message}" if error is not None else ""


@functools.lru_cache(maxsize=256)
def _validator(response_format: str) -> jsonschema.protocols.Validator:
    """One compiled validator per schema text (a run sends a handful of distinct schemas)."""
    schema = json.loads(response_format)
    return jsonschema.validators.validator_for(schema)(schema)


def looks_like_context_error(status: int, text: str) -> bool:
    """vLLM answers 400 when a prompt overflows the context our own count let through."""
    lowered = text.lower()
    return status == 400 and ("context length" in lowered or "maximum model length" in lowered)
