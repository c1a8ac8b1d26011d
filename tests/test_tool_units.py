"""The two ends of a unit conversion measure one quantity, whatever the schema leaves open."""

from __future__ import annotations

import random

from synthbeam.tools.units import conversion_ends, quantities, same_quantity_ends
from synthbeam.tools.values import category_for, choose_arguments

OPEN_CONVERSION = {
    "type": "object",
    "properties": {
        "value": {"type": "number", "description": "The value to convert."},
        "from_unit": {"type": "string", "description": "The unit to convert from."},
        "to_unit": {"type": "string", "description": "The unit to convert to."},
    },
    "required": ["value", "from_unit", "to_unit"],
}


def test_every_planned_conversion_stays_within_one_quantity() -> None:
    seen = set()
    for seed in range(200):
        arguments = choose_arguments(OPEN_CONVERSION, random.Random(seed))
        ends = quantities()[arguments["from_unit"].lower()], quantities()[arguments["to_unit"].lower()]
        assert ends[0] == ends[1] and arguments["from_unit"] != arguments["to_unit"], arguments
        seen.add(ends[0])
    assert seen == {"length_unit", "mass_unit", "temperature_unit", "volume_unit"}  # still varied


def test_a_mixed_pair_is_redrawn_from_the_first_ends_quantity() -> None:
    mixed = {"value": 3, "from_unit": "kilometers", "to_unit": "pounds"}
    fixed = same_quantity_ends(mixed, OPEN_CONVERSION["properties"], random.Random(0))
    assert quantities()[fixed["to_unit"]] == "length_unit" and fixed["to_unit"] != "kilometers"
    assert fixed["from_unit"] == "kilometers" and fixed["value"] == 3


def test_an_enum_end_and_calls_without_two_ends_are_left_alone() -> None:
    enum = {**OPEN_CONVERSION["properties"], "to_unit": {"type": "string", "enum": ["pounds", "grams"]}}
    mixed = {"from_unit": "kilometers", "to_unit": "pounds"}
    assert same_quantity_ends(mixed, enum, random.Random(0)) == mixed
    assert conversion_ends({"unit": "meters", "length": 4}) is None
    assert conversion_ends({"source_unit": "miles", "target_unit": "feet"}) == ("source_unit", "target_unit")


def test_a_format_takes_its_values_from_what_it_formats() -> None:
    assert category_for("format", "Format in which the time should be returned, default 'HH:MM'.") == "time_format"
    assert category_for("date_format", "The format in which the date and time should be returned.") == (
        "date_format_by_context"
    )
    assert category_for("format", "The file format of the report.") == "format"  # CSV, JSON, PDF ...
