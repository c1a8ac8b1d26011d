"""Words of a parameter or tool name: ``startDate`` / ``start_date`` -> ``["start", "date"]``."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def name_words(name: str) -> list[str]:
    """``startDate`` / ``start_date`` -> ``["start", "date"]``."""
    return _WORD.findall(_CAMEL.sub("_", name).lower())
