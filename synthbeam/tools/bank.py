"""The bundled value bank (``synthbeam/data/tool_values.json``), read once."""

from __future__ import annotations

import functools
import importlib.resources
import json
from typing import Any


@functools.cache
def value_bank() -> dict[str, Any]:
    """The bundled bank: ``{"categories": {name: {"keys", "values" | "generator"}}, "fallback"}``."""
    text = importlib.resources.files("synthbeam").joinpath("data", "tool_values.json").read_text("utf-8")
    return json.loads(text)
