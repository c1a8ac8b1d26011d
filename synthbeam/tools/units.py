"""The two ends of a unit conversion measure the same quantity: ``from_unit`` kilometers goes
``to_unit`` miles, never pounds.

A parameter named for a unit with no quantity in its description draws from the bank's mixed
``unit`` category, so the two ends of a conversion can land in different quantities. The bank's
quantity categories (``length_unit``, ``mass_unit``, ... : those with a ``context``) say which
quantity a unit measures; the second end is drawn again from the first end's quantity. Pure
functions over the bundled value bank.
"""

from __future__ import annotations

import functools
import random
from typing import Any

from synthbeam.tools.bank import value_bank
from synthbeam.tools.words import name_words

_ENDS = frozenset({"from", "to", "source", "target", "input", "output"})
_UNIT_WORDS = frozenset({"unit", "units"})


@functools.cache
def quantities() -> dict[str, str]:
    """Unit (lowercase) -> the bank's quantity category that lists it (``miles`` -> ``length_unit``)."""
    found: dict[str, str] = {}
    for category, entry in value_bank()["categories"].items():
        if category.endswith("_unit") and entry.get("context"):
            for value in entry.get("values") or []:
                found.setdefault(str(value).lower(), category)
    return found


def conversion_ends(arguments: dict[str, Any]) -> tuple[str, str] | None:
    """The names of a call's two unit ends (``from_unit``, ``to_unit``), None when it has not two."""
    ends = [
        name
        for name, value in arguments.items()
        if isinstance(value, str) and set(name_words(name)) & _UNIT_WORDS and set(name_words(name)) & _ENDS
    ]
    return (ends[0], ends[1]) if len(ends) == 2 else None


def same_quantity_ends(arguments: dict[str, Any], properties: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``arguments`` with the second unit end drawn again from the first end's quantity when the
    two measure different ones; an end whose schema lists its values (an enum) is left alone."""
    ends = conversion_ends(arguments)
    if not ends:
        return arguments
    first, second = ends
    schema = properties.get(second) if isinstance(properties.get(second), dict) else {}
    quantity = quantities().get(arguments[first].lower())
    if not quantity or schema.get("enum") or quantities().get(arguments[second].lower()) == quantity:
        return arguments
    choices = [v for v in value_bank()["categories"][quantity]["values"] if v.lower() != arguments[first].lower()]
    return {**arguments, second: rng.choice(choices)} if choices else arguments
