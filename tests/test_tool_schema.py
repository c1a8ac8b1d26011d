"""Tool definitions in OpenAI, BFCL and xLAM form all normalise to one OpenAI form."""

from __future__ import annotations

import json

import pytest

from synthbeam.tools.library import bundled_tools, parse_tool_text, read_tool_library, unique_by_name
from synthbeam.tools.schema import ToolFormatError, json_type, normalise_tool_definitions, strict_schema, to_json_schema

BFCL_FUNCTION = {
    "name": "geo.distance",
    "description": "Distance between two points.",
    "parameters": {
        "type": "dict",
        "properties": {
            "a": {"type": "tuple", "items": {"type": "float"}, "description": "First point."},
            "b": {"type": "array", "items": {"type": "float"}},
            "options": {
                "type": "dict",
                "properties": {"unit": {"type": "string", "enum": ["km", "mi"]}},
                "optional": True,
            },
            "anything": {"type": "any", "description": "Free."},
        },
        "required": ["a", "b"],
    },
}
EXPECTED_BFCL = {
    "type": "function",
    "function": {
        "name": "geo.distance",
        "description": "Distance between two points.",
        "parameters": {
            "type": "object",
            "properties": {
                "a": {"type": "array", "items": {"type": "number"}, "description": "First point."},
                "b": {"type": "array", "items": {"type": "number"}},
                "options": {"type": "object", "properties": {"unit": {"type": "string", "enum": ["km", "mi"]}}},
                "anything": {"description": "Free."},
            },
            "required": ["a", "b"],
        },
    },
}


def test_bfcl_function_maps_python_types_to_json_schema() -> None:
    assert normalise_tool_definitions(BFCL_FUNCTION) == [EXPECTED_BFCL]


def test_bfcl_record_gives_each_function() -> None:
    assert (
        normalise_tool_definitions({"id": "x", "question": [], "function": [BFCL_FUNCTION, BFCL_FUNCTION]})
        == [EXPECTED_BFCL] * 2
    )


def test_openai_tool_and_bare_function_are_the_same() -> None:
    bare = {
        "name": "f",
        "description": "d",
        "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
    }
    expected = {
        "type": "function",
        "function": {
            "name": "f",
            "description": "d",
            "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]},
        },
    }
    assert normalise_tool_definitions(bare) == [expected]
    assert normalise_tool_definitions({"type": "function", "function": bare}) == [expected]


def test_openai_tool_without_parameters_gets_an_empty_object() -> None:
    assert normalise_tool_definitions({"type": "function", "function": {"name": "now"}}) == [
        {
            "type": "function",
            "function": {
                "name": "now",
                "description": "",
                "parameters": {"type": "object", "properties": {}, "required": []},
            },
        }
    ]


def test_xlam_flat_parameters() -> None:
    xlam = {
        "name": "search",
        "description": "Search things.",
        "parameters": {
            "q": {"type": "str", "description": "Query."},
            "limit": {"type": "int", "description": "Max results.", "default": 10},
            "tags": {"type": "List[str]", "description": "Tags."},
            "lang": {"type": "str, optional", "description": "Language."},
            "when": {"type": "Optional[float]", "description": "Time."},
        },
    }
    assert normalise_tool_definitions(xlam) == [
        {
            "type": "function",
            "function": {
                "name": "search",
                "description": "Search things.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "q": {"type": "string", "description": "Query."},
                        "limit": {"type": "integer", "description": "Max results.", "default": 10},
                        "tags": {"type": "array", "items": {"type": "string"}, "description": "Tags."},
                        "lang": {"type": "string", "description": "Language."},
                        "when": {"type": "number", "description": "Time."},
                    },
                    "required": ["q", "tags"],
                },
            },
        }
    ]


def test_xlam_row_with_tools_as_json_string() -> None:
    row = {
        "query": "q",
        "tools": json.dumps([{"name": "t", "description": "", "parameters": {"x": {"type": "int"}}}]),
        "answers": "[]",
    }
    assert [t["function"]["name"] for t in normalise_tool_definitions(row)] == ["t"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dict", {"type": "object"}),
        ("float", {"type": "number"}),
        ("tuple", {"type": "array"}),
        ("any", {}),
        ("Dict[str, int]", {"type": "object"}),
        ("weird", {}),
    ],
)
def test_json_type(name: str, expected: dict) -> None:
    assert json_type(name) == expected


def test_required_names_that_are_not_properties_are_dropped() -> None:
    (tool,) = normalise_tool_definitions(
        {"name": "f", "parameters": {"type": "dict", "properties": {"x": {"type": "int"}}, "required": ["x", "ghost"]}}
    )
    assert tool["function"]["parameters"]["required"] == ["x"]


@pytest.mark.parametrize("bad", [[1], {"description": "no name"}, "text", {"name": ""}])
def test_unrecognised_definitions_fail(bad: object) -> None:
    with pytest.raises(ToolFormatError):
        normalise_tool_definitions(bad)


def test_to_json_schema_keeps_enums_and_defaults() -> None:
    assert to_json_schema({"type": "string", "enum": ["a"], "default": "a"}) == {
        "type": "string",
        "enum": ["a"],
        "default": "a",
    }


def test_strict_schema_forbids_extra_keys_at_every_level() -> None:
    schema = {
        "type": "object",
        "properties": {
            "p": {"type": "object", "properties": {"x": {"type": "integer"}}},
            "l": {"type": "array", "items": {"type": "object", "properties": {}}},
        },
    }
    assert strict_schema(schema) == {
        "type": "object",
        "properties": {
            "p": {"type": "object", "properties": {"x": {"type": "integer"}}, "additionalProperties": False},
            "l": {"type": "array", "items": {"type": "object", "properties": {}, "additionalProperties": False}},
        },
        "additionalProperties": False,
    }


def test_jsonl_file_reports_the_bad_line() -> None:
    with pytest.raises(ToolFormatError, match=r"lib.jsonl:2: not JSON"):
        parse_tool_text('{"name": "a"}\n{oops\n', "lib.jsonl")


def test_read_tool_library_from_files(tmp_path) -> None:
    (tmp_path / "a.json").write_text(
        json.dumps([{"name": "zeta"}, {"name": "alpha", "parameters": {"type": "dict", "properties": {}}}])
    )
    (tmp_path / "b.jsonl").write_text(json.dumps({"name": "alpha", "description": "second copy"}) + "\n")
    tools = read_tool_library(str(tmp_path / "*"))
    assert [(t["function"]["name"], t["function"]["description"]) for t in tools] == [("alpha", ""), ("zeta", "")]


def test_read_tool_library_with_no_match_fails(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no tool library file"):
        read_tool_library(str(tmp_path / "missing-*.json"))


def test_unique_by_name_keeps_the_first() -> None:
    tools = [
        normalise_tool_definitions({"name": n, "description": d})[0] for n, d in [("b", "1"), ("a", "2"), ("b", "3")]
    ]
    assert [(t["function"]["name"], t["function"]["description"]) for t in unique_by_name(tools)] == [
        ("a", "2"),
        ("b", "1"),
    ]


def test_bundled_library() -> None:
    tools = bundled_tools()
    names = [t["function"]["name"] for t in tools]
    assert len(tools) == 62 and names == sorted(names)
    assert "math.factorial" in names and "string.reverse" in names
    assert all(t["function"]["parameters"]["type"] == "object" for t in tools)
    assert not any('"type": "dict"' in json.dumps(t) or '"type": "float"' in json.dumps(t) for t in tools)


def test_read_tool_library_from_gs(gcs_emulator, gcs_bucket: str) -> None:
    bfcl_line = json.dumps({"id": "x", "function": [BFCL_FUNCTION]})
    xlam = json.dumps([{"name": "search", "description": "", "parameters": {"q": {"type": "str"}}}])
    gcs_emulator.upload_files(f"{gcs_bucket}/tools", {"a.jsonl": bfcl_line + "\n", "b.json": xlam})
    tools = read_tool_library(f"{gcs_bucket}/tools/*")
    assert tools == [EXPECTED_BFCL, normalise_tool_definitions(json.loads(xlam))[0]]
