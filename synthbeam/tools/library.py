"""Reading tool libraries (local paths or ``gs://`` through Beam ``FileSystems``).

A library file is ``.jsonl`` (one tool, BFCL record or xLAM row per line) or ``.json`` (one
object or a list). Every entry is normalised to the OpenAI form by ``synthbeam.tools.schema``.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Iterable

from apache_beam.io.filesystems import FileSystems

from synthbeam.tools.schema import ToolDef, ToolFormatError, normalise_tool_definitions, tool_name

BUNDLED_FILES: tuple[tuple[str, ...], ...] = (
    ("data", "bfcl", "functions.jsonl"),
    ("tools", "definitions.jsonl"),
)


def parse_tool_text(text: str, path: str = "") -> list[ToolDef]:
    """Tools from the text of one library file; ``ToolFormatError`` names the bad line."""
    if path.endswith(".json") or (not path.endswith(".jsonl") and _is_one_document(text)):
        return _parse(text, path)
    tools: list[ToolDef] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            tools.extend(_parse(line, f"{path}:{number}"))
    return tools


def _is_one_document(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def _parse(text: str, where: str) -> list[ToolDef]:
    try:
        return normalise_tool_definitions(json.loads(text))
    except json.JSONDecodeError as error:
        raise ToolFormatError(f"{where}: not JSON ({error.msg})") from None
    except ToolFormatError as error:
        raise ToolFormatError(f"{where}: {error}") from None


def unique_by_name(tools: Iterable[ToolDef]) -> list[ToolDef]:
    """First definition of each name wins; the result is sorted by name (deterministic sampling)."""
    seen: dict[str, ToolDef] = {}
    for tool in tools:
        seen.setdefault(tool_name(tool), tool)
    return [seen[name] for name in sorted(seen)]


def read_tool_file(path: str) -> list[ToolDef]:
    with FileSystems.open(path) as handle:
        return parse_tool_text(handle.read().decode("utf-8"), path)


def read_tool_library(pattern: str) -> list[ToolDef]:
    """All tools in the files matching ``pattern`` (a path, glob or ``gs://`` URI)."""
    (match,) = FileSystems.match([pattern])
    paths = sorted(meta.path for meta in match.metadata_list)
    if not paths:
        raise FileNotFoundError(f"no tool library file matches {pattern!r}")
    return unique_by_name(tool for path in paths for tool in read_tool_file(path))


def bundled_tools() -> list[ToolDef]:
    """The tools shipped with synthbeam: a BFCL subset plus string/date/unit tools."""
    root = importlib.resources.files("synthbeam")
    tools: list[ToolDef] = []
    for parts in BUNDLED_FILES:
        resource = root.joinpath(*parts)
        tools.extend(parse_tool_text(resource.read_text("utf-8"), "/".join(parts)))
    return unique_by_name(tools)


def load_tool_library(pattern: str = "") -> list[ToolDef]:
    """The library at ``pattern``, or the bundled one when ``pattern`` is empty."""
    return read_tool_library(pattern) if pattern else bundled_tools()
