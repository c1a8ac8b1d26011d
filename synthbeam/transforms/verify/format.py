"""Stage 1, format: calls parse, name an offered function, and their arguments fit its schema."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

import jsonschema

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record, ToolCall
from synthbeam.tools.calls import offered_tools, parse_arguments, query_of, tool_calls_of
from synthbeam.tools.schema import strict_schema
from synthbeam.transforms.checks import Drop

STAGE = "verify_format"


@functools.lru_cache(maxsize=4096)
def _validator(parameters_json: str) -> jsonschema.protocols.Validator:
    schema = strict_schema(json.loads(parameters_json))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def argument_problem(arguments: Any, parameters: dict[str, Any]) -> Drop | None:
    """Why ``arguments`` do not fit the tool's parameter schema, or None when they do."""
    if not isinstance(arguments, dict):
        return Drop(reasons.ARGUMENTS_NOT_OBJECT, f"arguments are a {type(arguments).__name__}")
    properties = parameters.get("properties") or {}
    missing = [name for name in parameters.get("required") or [] if name not in arguments]
    if missing:
        return Drop(reasons.MISSING_REQUIRED_ARGUMENT, ", ".join(missing))
    extra = sorted(set(arguments) - set(properties))
    if extra:
        return Drop(reasons.UNEXPECTED_ARGUMENT, ", ".join(extra))
    error = jsonschema.exceptions.best_match(_validator(json.dumps(parameters, sort_keys=True)).iter_errors(arguments))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "arguments"
    reason = reasons.WRONG_ARGUMENT_TYPE if error.validator == "type" else reasons.INVALID_ARGUMENT_VALUE
    return Drop(reason, f"{where}: {error.message}"[:300])


def call_problem(call: ToolCall, offered: dict[str, dict[str, Any]], known_names: frozenset[str]) -> Drop | None:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        return Drop(reasons.MALFORMED_CALLS, "a tool call without a function name")
    name = function["name"]
    if name not in offered:
        reason = reasons.FUNCTION_NOT_OFFERED if name in known_names else reasons.UNKNOWN_FUNCTION
        return Drop(reason, name[:200])
    try:
        arguments = parse_arguments(call)
    except json.JSONDecodeError as error:
        return Drop(reasons.ARGUMENTS_NOT_JSON, f"{name}: {error.msg}")
    problem = argument_problem(arguments, offered[name])
    return Drop(problem.reason, f"{name}: {problem.detail}") if problem else None


class ToolCallFormatCheck:
    """The format check; ``known_names`` (the whole library) tells unknown from not offered."""

    def __init__(self, known_names: Iterable[str] = ()) -> None:
        self._known = frozenset(known_names)

    def __call__(self, record: Record) -> Record | Drop:
        if not query_of(record).strip():
            return Drop(reasons.MISSING_QUERY, "no user turn with text")
        try:
            offered = {t["function"]["name"]: t["function"].get("parameters") or {} for t in offered_tools(record)}
        except (ValueError, KeyError) as error:
            return Drop(reasons.INVALID_TOOLS, str(error)[:200])
        calls = tool_calls_of(record)
        expected = record.meta_dict().get("expected_calls")
        if isinstance(expected, int) and len(calls) != expected:
            return Drop(reasons.CALL_COUNT_MISMATCH, f"{len(calls)} calls, expected {expected}")
        seen: set[tuple[str, str]] = set()
        for call in calls:
            problem = call_problem(call, offered, self._known)
            if problem:
                return problem
            key = (call["function"]["name"], json.dumps(parse_arguments(call), sort_keys=True))
            if key in seen:
                return Drop(reasons.DUPLICATE_CALL, f"{key[0]}: {key[1]}"[:300])
            seen.add(key)
        return record
