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


def _tool_calls(message: dict[str, Any]) -> list[ToolCall] | None:
    calls = message.get("tool_calls")
    if not calls:
        return None
    return [
        ToolCall(
            id=str(call.get("id", "")),
            type=str(call.get("type", "function")),
            function={
                "name": str(call.get("function", {}).get("name", "")),
                "arguments": str(call.get("function", {}).get("arguments", "")),
            },
        )
        for call in calls
    ]


def parse_response(body: dict[str, Any], request: ChatRequest, model_id: str, key: str) -> Completion:
    """A Completion from a chat-completions response body (KeyError/TypeError if malformed)."""
    choice = body["choices"][0]
    message = choice.get("message") or {}
    usage = body.get("usage") or {}
    return Completion(
        request_id=request.id,
        text=message.get("content") or "",
        finish_reason=str(choice.get("finish_reason") or ""),
        model=model_id,
        request_hash=key,
        tool_calls=_tool_calls(message),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
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
