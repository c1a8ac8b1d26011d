"""Arrays that come in pairs have one length: ``pointA`` and ``pointB`` of a distance are points
of one space (``math.dist`` refuses a 2-D point against a 3-D one).

Two array arguments pair when their names differ only in a final letter or digit of a pair
(``pointA``/``pointB``, ``point1``/``point2``, ``vector_a``/``vector_b``); the longer is cut to
the shorter's length, never below the schema's ``minItems``. Pure functions.
"""

from __future__ import annotations

import re
from typing import Any

_PAIR_END = re.compile(r"^(.*?)[_\-]?([ab12])$", re.IGNORECASE)


def paired_arrays(arguments: dict[str, Any]) -> list[tuple[str, str]]:
    """Names of the array arguments that pair, each pair once, in argument order."""
    stems: dict[str, list[str]] = {}
    for name, value in arguments.items():
        found = _PAIR_END.match(name)
        if isinstance(value, list) and found and found.group(1):
            stems.setdefault(found.group(1).lower(), []).append(name)
    return [(names[0], names[1]) for names in stems.values() if len(names) == 2]


def same_length_pairs(arguments: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` with each pair of arrays cut to one length (see the module docstring)."""
    out = dict(arguments)
    for first, second in paired_arrays(arguments):
        size = min(len(out[first]), len(out[second]))
        floor = max((int((properties.get(n) or {}).get("minItems") or 0) for n in (first, second)), default=0)
        if size >= floor:
            out[first], out[second] = out[first][:size], out[second][:size]
    return out
