"""One tool definition form: OpenAI's ``{"type": "function", "function": {...}}``.

Tool libraries come as OpenAI tools, BFCL functions (JSON-Schema-like with Python-ish type
names: ``dict``, ``float``, ``tuple``, ``any``) or xLAM tools (``parameters`` is a flat map of
arguments). Every reader in this package turns them into the OpenAI form so the rest of the
product sees one shape.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

ToolDef = dict[str, Any]  # {"type": "function", "function": {"name", "description", "parameters"}}

# BFCL / Python type names -> JSON Schema type ("" means: no constraint).
_TYPE_NAMES: dict[str, str] = {
    "dict": "object",
    "object": "object",
    "float": "number",
    "number": "number",
    "int": "integer",
    "integer": "integer",
    "str": "string",
    "string": "string",
    "bool": "boolean",
    "boolean": "boolean",
    "list": "array",
    "array": "array",
    "tuple": "array",
    "set": "array",
    "any": "",
    "null": "null",
    "none": "null",
}
_OPTIONAL = re.compile(r"^optional\[(.*)\]$|^(.*),\s*optional$", re.IGNORECASE)
_GENERIC = re.compile(r"^(\w+)\s*\[(.*)\]$")


class ToolFormatError(ValueError):
    """A tool definition that matches none of the supported formats."""


def json_type(type_name: str) -> dict[str, Any]:
    """JSON Schema for a Python-ish type name (``float``, ``List[int]``, ``Optional[str]``)."""
    name = type_name.strip()
    optional = _OPTIONAL.match(name)
    if optional:
        return json_type(optional.group(1) or optional.group(2))
    generic = _GENERIC.match(name)
    if generic:
        outer = _TYPE_NAMES.get(generic.group(1).lower(), "")
        if outer == "array":
            inner = generic.group(2).split(",")[0]
            return {"type": "array", "items": json_type(inner)}
        return {"type": outer} if outer else {}
    mapped = _TYPE_NAMES.get(name.lower(), "")
    return {"type": mapped} if mapped else {}


def is_optional_type(type_name: str) -> bool:
    return bool(_OPTIONAL.match(type_name.strip()))


def to_json_schema(schema: Any) -> Any:
    """Maps a BFCL parameter schema to JSON Schema, recursively.

    ``dict`` -> ``object``, ``float`` -> ``number``, ``tuple`` -> ``array``, ``any`` -> no type;
    BFCL's non-standard ``optional`` markers are dropped (``required`` already says it).
    """
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out.update(json_type(value))
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = to_json_schema(value)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [to_json_schema(sub) for sub in value]
        elif key == "optional":
            continue
        else:
            out[key] = copy.deepcopy(value)
    return out


def _object_schema(parameters: dict[str, Any]) -> dict[str, Any]:
    schema = to_json_schema(parameters)
    schema["type"] = "object"
    schema.setdefault("properties", {})
    required = schema.get("required")
    schema["required"] = [r for r in required if r in schema["properties"]] if isinstance(required, list) else []
    return schema


def _tool(name: Any, description: Any, parameters: dict[str, Any]) -> ToolDef:
    if not isinstance(name, str) or not name:
        raise ToolFormatError("a tool needs a non-empty string 'name'")
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description if isinstance(description, str) else "",
            "parameters": _object_schema(parameters),
        },
    }


def from_openai(tool: dict[str, Any]) -> ToolDef:
    """``{"type": "function", "function": {...}}`` or a bare ``{name, description, parameters}``."""
    function = tool.get("function", tool)
    if not isinstance(function, dict):
        raise ToolFormatError("'function' must be an object")
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    return _tool(function.get("name"), function.get("description"), parameters)


def from_bfcl(function: dict[str, Any]) -> ToolDef:
    """One BFCL function (``parameters.type == "dict"``, Python-ish type names)."""
    return _tool(function.get("name"), function.get("description"), function.get("parameters") or {})


def from_xlam(tool: dict[str, Any]) -> ToolDef:
    """One xLAM tool: ``parameters`` maps argument -> ``{type, description, default, enum}``
    (and ``properties`` / ``items`` for nested schemas, where given).

    An argument is required unless it has a ``default`` or an ``Optional[...]`` / ``, optional`` type.
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    for arg, spec in (tool.get("parameters") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        type_name = str(spec.get("type", "any"))
        prop = json_type(type_name)
        for key in ("description", "default", "enum", "properties", "required", "items"):
            if key in spec:  # nested schemas (synthbeam's xLAM export keeps them) are JSON Schema already
                prop[key] = to_json_schema(spec[key]) if key == "items" else copy.deepcopy(spec[key])
        properties[arg] = prop
        if "default" not in spec and not is_optional_type(type_name):
            required.append(arg)
    parameters = {"type": "object", "properties": properties, "required": required}
    return _tool(tool.get("name"), tool.get("description"), parameters)


def _is_flat_argument_map(parameters: Any) -> bool:
    if not isinstance(parameters, dict) or not parameters:
        return False
    if "properties" in parameters or parameters.get("type") in ("object", "dict"):
        return False
    return all(isinstance(spec, dict) for spec in parameters.values())


def normalise_tool_definitions(obj: Any) -> list[ToolDef]:
    """Any supported tool object -> normalised OpenAI tool definitions.

    Accepts an OpenAI tool, a BFCL function, a BFCL record (``{"function": [...]}``), an xLAM
    tool, an xLAM row (``{"tools": "<JSON string>" | [...]}``) or a list of any of these.
    Raises ``ToolFormatError`` for anything else.
    """
    if isinstance(obj, list):
        return [tool for item in obj for tool in normalise_tool_definitions(item)]
    if not isinstance(obj, dict):
        raise ToolFormatError(f"expected a JSON object, got {type(obj).__name__}")
    if isinstance(obj.get("function"), list):  # BFCL record
        return [from_bfcl(fn) for fn in obj["function"]]
    if "tools" in obj and "name" not in obj:  # xLAM / chat row
        tools = obj["tools"]
        return normalise_tool_definitions(json.loads(tools) if isinstance(tools, str) else tools)
    if obj.get("type") == "function" and isinstance(obj.get("function"), dict):
        return [from_openai(obj)]
    parameters = obj.get("parameters")
    if _is_flat_argument_map(parameters):
        return [from_xlam(obj)]
    if isinstance(parameters, dict) and parameters.get("type") == "dict":
        return [from_bfcl(obj)]
    if "name" in obj:
        return [from_openai(obj)]
    raise ToolFormatError("not an OpenAI, BFCL or xLAM tool definition")


def tool_name(tool: ToolDef) -> str:
    return tool["function"]["name"]


def tool_parameters(tool: ToolDef) -> dict[str, Any]:
    return tool["function"]["parameters"]


def strict_schema(schema: Any) -> Any:
    """The same JSON Schema with ``additionalProperties: false`` on every object with properties.

    Used for argument validation (no extra arguments) and for constrained decoding.
    """
    if not isinstance(schema, dict):
        return schema
    out = {k: strict_schema(v) if k in ("items", "additionalProperties") else v for k, v in schema.items()}
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {name: strict_schema(sub) for name, sub in schema["properties"].items()}
        out.setdefault("additionalProperties", False)
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            out[key] = [strict_schema(sub) for sub in schema[key]]
    return out
