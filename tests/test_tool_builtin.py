"""The bundled tool implementations compute the right values and refuse unbounded work."""

from __future__ import annotations

import math

import pytest

from synthbeam.tools.builtin import IMPLEMENTATIONS, call
from synthbeam.tools.library import bundled_tools


def test_every_implementation_has_a_bundled_definition() -> None:
    assert set(IMPLEMENTATIONS) <= {t["function"]["name"] for t in bundled_tools()}


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("math.factorial", {"number": 5}, 120),
        ("math.hypot", {"x": 3, "y": 4}, 5.0),
        ("algebra.quadratic_roots", {"a": 1, "b": -3, "c": 2}, [2.0, 1.0]),
        ("math_roots.quadratic", {"a": 1, "b": 0, "c": 1}, ["0+1i", "0-1i"]),
        ("gcd", {"num1": 12, "num2": 18}, 6),
        ("lcm", {"num1": 4, "num2": 6}, 12),
        ("number_analysis.prime_factors", {"number": 84}, [2, 2, 3, 7]),
        ("find_prime_numbers", {"start": 10, "end": 30}, [11, 13, 17, 19, 23, 29]),
        ("get_fibonacci_sequence", {"count": 7}, [0, 1, 1, 2, 3, 5, 8]),
        ("temperature_converter.convert", {"temperature": 100, "from_unit": "Celsius", "to_unit": "Fahrenheit"}, 212.0),
        ("temperature_converter.convert", {"temperature": 0, "from_unit": "C", "to_unit": "K"}, 273.15),
        ("convert_celsius_to_fahrenheit", {"celsius": 37}, 98.6),
        ("statistics.median", {"data": [5, 1, 3]}, 3),
        ("calculate_average", {"gradeDict": {"math": 90, "art": 70}}, 80.0),
        ("EuclideanDistance.calculate", {"pointA": [0, 0], "pointB": [3, 4]}, 5.0),
        ("calculate_clock_angle", {"hours": 3, "minutes": 0}, 90.0),
        ("calculate_clock_angle", {"hours": 9, "minutes": 0}, 90.0),
        ("add_dates", {"date": "2024-02-27", "days_to_add": 3}, "2024-03-01"),
        ("calculate_age", {"birthdate": "2000-06-15", "current_date": "2024-06-14"}, 23),
        ("date.day_of_week", {"date": "2024-01-01"}, "Monday"),
        ("date.days_between", {"start_date": "2024-01-01", "end_date": "2024-03-01"}, 60),
        ("string.reverse", {"text": "abc"}, "cba"),
        ("string.count_words", {"text": " two  words "}, 2),
        ("string.change_case", {"text": "hello world", "case": "title"}, "Hello World"),
        ("unit.convert_length", {"value": 1, "from_unit": "mi", "to_unit": "km"}, 1.609344),
        ("unit.convert_mass", {"value": 1, "from_unit": "kg", "to_unit": "g"}, 1000.0),
        ("calculate_speed", {"distance": 100, "time": 10}, 10.0),
        ("calculate_speed", {"distance": 100, "time": 10, "to_unit": "km/h"}, 36.0),
        ("calculate_speed", {"distance": 100, "time": 10, "to_unit": "mph"}, 22.369363),
        ("calculate_tip", {"bill_total": 50, "tip_percentage": 20, "split": 2}, 5.0),
        ("math.power", {"base": 2, "exponent": 10, "mod": 1000}, 24),
        ("probability_calculator", {"total_outcomes": 4, "event_outcomes": 1, "return_decimal": True}, 0.25),
    ],
)
def test_values(name: str, arguments: dict, expected: object) -> None:
    result = call(name, arguments)
    if isinstance(expected, float):
        assert math.isclose(result, expected, rel_tol=1e-9)
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("math.factorial", {"number": 10**6}),
        ("get_fibonacci_sequence", {"count": 10**9}),
        ("find_prime_numbers", {"start": 0, "end": 10**9}),
        ("math.power", {"base": 10, "exponent": 10**9}),
        ("algebra.quadratic_roots", {"a": 0, "b": 1, "c": 1}),
        ("unit.convert_length", {"value": 1, "from_unit": "parsec", "to_unit": "m"}),
        ("string.change_case", {"text": "x", "case": "sponge"}),
        ("calculate_speed", {"distance": 1, "time": 1, "to_unit": "kilograms"}),
    ],
)
def test_unbounded_or_invalid_inputs_raise(name: str, arguments: dict) -> None:
    with pytest.raises(ValueError):
        call(name, arguments)
