"""Real Python implementations of the bundled tools, registered by tool name.

Standard library only and deterministic (no clock, no network, no files): this module is
imported inside the sandboxed child process, and the results become ``tool`` turns of the
training rows. Bounds on inputs keep results small; the sandbox enforces the rest.
"""

from __future__ import annotations

import cmath
import datetime as dt
import math
import statistics
from collections.abc import Callable
from typing import Any

_MAX_N = 10_000


def _bounded(value: int, limit: int = _MAX_N, name: str = "number") -> int:
    if not -limit <= value <= limit:
        raise ValueError(f"{name} must be within +-{limit}")
    return value


def _roots(a: float, b: float, c: float) -> list[Any]:
    if a == 0:
        raise ValueError("a must not be 0 for a quadratic equation")
    disc = cmath.sqrt(b * b - 4 * a * c)
    roots = [(-b + disc) / (2 * a), (-b - disc) / (2 * a)]
    return [r.real if abs(r.imag) < 1e-12 else f"{r.real:g}{r.imag:+g}i" for r in roots]


def _primes(start: int, end: int) -> list[int]:
    _bounded(end - start, 100_000, "range size")
    sieve = bytearray([1]) * (end + 1) if end >= 0 else bytearray()
    for i in range(2, math.isqrt(max(end, 0)) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return [n for n in range(max(start, 2), end + 1) if sieve[n]]


def _prime_factors(number: int) -> list[int]:
    n, factors, p = abs(_bounded(number, 10**12)), [], 2
    while p * p <= n:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors + ([n] if n > 1 else [])


def _fibonacci(count: int) -> list[int]:
    seq, a, b = [], 0, 1
    for _ in range(_bounded(count, 1000, "count")):
        seq.append(a)
        a, b = b, a + b
    return seq


_TEMPERATURE = {"c": "celsius", "f": "fahrenheit", "k": "kelvin"}


def _temperature(temperature: float, from_unit: str, to_unit: str, round_to: int = 2) -> float:
    def unit(name: str) -> str:
        key = name.strip().lower().lstrip("°")[:1]
        if key not in _TEMPERATURE:
            raise ValueError(f"unknown temperature unit {name!r}")
        return key

    celsius = {"c": lambda t: t, "f": lambda t: (t - 32) * 5 / 9, "k": lambda t: t - 273.15}[unit(from_unit)](
        temperature
    )
    out = {"c": lambda t: t, "f": lambda t: t * 9 / 5 + 32, "k": lambda t: t + 273.15}[unit(to_unit)](celsius)
    return round(out, round_to)


_LENGTH_M = {"mm": 0.001, "cm": 0.01, "m": 1.0, "km": 1000.0, "in": 0.0254, "ft": 0.3048, "yd": 0.9144, "mi": 1609.344}
_SPEED_MS = {"m/s": 1.0, "km/h": 1 / 3.6, "mph": 0.44704, "knots": 1852 / 3600, "ft/s": 0.3048}
_MASS_KG = {"mg": 1e-6, "g": 0.001, "kg": 1.0, "t": 1000.0, "oz": 0.028349523125, "lb": 0.45359237}


def _convert(value: float, from_unit: str, to_unit: str, table: dict[str, float]) -> float:
    try:
        return round(value * table[from_unit.strip().lower()] / table[to_unit.strip().lower()], 6)
    except KeyError as error:
        raise ValueError(f"unknown unit {error.args[0]!r}; known: {sorted(table)}") from None


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


def _age(birthdate: str, current_date: str) -> int:
    born, today = _date(birthdate), _date(current_date)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _case(text: str, case: str) -> str:
    styles = {"upper": str.upper, "lower": str.lower, "title": str.title, "swap": str.swapcase}
    if case not in styles:
        raise ValueError(f"case must be one of {sorted(styles)}")
    return styles[case](text)


def _clock_angle(hours: int, minutes: int, round_to: int = 2) -> float:
    angle = abs(30 * (hours % 12) - 5.5 * minutes) % 360
    return round(min(angle, 360 - angle), round_to)


def _power(base: float, exponent: float, mod: int | None = None) -> float | int:
    if abs(exponent) > 1000:
        raise ValueError("exponent must be within +-1000")
    if mod:
        return pow(int(base), int(exponent), mod)
    return base**exponent


IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {
    "add_dates": lambda date, days_to_add, format="YYYY-MM-DD": (
        _date(date) + dt.timedelta(days=_bounded(days_to_add, 10**6))
    ).isoformat(),
    "algebra.quadratic_roots": _roots,
    "area_rectangle.calculate": lambda length, breadth: length * breadth,
    "calc_area_triangle": lambda base, height: 0.5 * base * height,
    "calc_binomial_prob": lambda num_trials, num_success, prob_success: (
        math.comb(_bounded(num_trials, 1000), num_success)
        * prob_success**num_success
        * (1 - prob_success) ** (num_trials - num_success)
    ),
    "calcVolume.cuboid": lambda height, width, depth: height * width * depth,
    "calcVolume.sphere": lambda radius: 4 / 3 * math.pi * radius**3,
    "calculate_age": _age,
    "calculate_average": lambda gradeDict: statistics.fmean(gradeDict.values()),
    "calculate_circumference": lambda radius, unit="m": 2 * math.pi * radius,
    "calculate_clock_angle": _clock_angle,
    "calculate_fibonacci": lambda position: _fibonacci(position),
    "calculate_mortgage_payment": lambda loan_amount, loan_term, annual_interest_rate: (
        loan_amount / (loan_term * 12)
        if annual_interest_rate == 0
        else loan_amount * (r := annual_interest_rate / 1200) / (1 - (1 + r) ** (-12 * _bounded(loan_term, 100)))
    ),
    "calculate_speed": lambda distance, time, to_unit="m/s": _convert(distance / time, "m/s", to_unit, _SPEED_MS),
    "calculate_standard_deviation": lambda gradeDict: statistics.pstdev(gradeDict.values()),
    "calculate_tip": lambda bill_total, tip_percentage, split=1: bill_total * tip_percentage / 100 / split,
    "calculate_triangle_area": lambda base, height, unit="units": 0.5 * base * height,
    "calculateFinalPrice": lambda price, discount_rate, sales_tax: price * (1 - discount_rate) * (1 + sales_tax),
    "convert_celsius_to_fahrenheit": lambda celsius, precision=2: round(celsius * 9 / 5 + 32, precision),
    "date.day_of_week": lambda date: _date(date).strftime("%A"),
    "date.days_between": lambda start_date, end_date: (_date(end_date) - _date(start_date)).days,
    "determine_body_mass_index": lambda weight, height: weight / height**2,
    "EuclideanDistance.calculate": lambda pointA, pointB, rounding=0: round(math.dist(pointA, pointB), rounding),
    "final_velocity": lambda initial_velocity, acceleration, time: initial_velocity + acceleration * time,
    "financials.calculate_future_value": lambda present_value, annual_interest_rate, number_of_years: (
        present_value * (1 + annual_interest_rate) ** _bounded(number_of_years, 1000)
    ),
    "find_prime_numbers": _primes,
    "gcd": lambda num1, num2: math.gcd(num1, num2),
    "geometry.area_circle": lambda radius, units="meters": math.pi * radius**2,
    "get_fibonacci_sequence": lambda count: _fibonacci(count),
    "lcm": lambda num1, num2: math.lcm(num1, num2),
    "math.factorial": lambda number: math.factorial(_bounded(number, 1000)),
    "math.gcd": lambda num1, num2: math.gcd(num1, num2),
    "math.hypot": lambda x, y, z=0: math.hypot(x, y, z),
    "math.power": _power,
    "math_roots.quadratic": _roots,
    "number_analysis.prime_factors": _prime_factors,
    "physics.calculate_force": lambda mass, acceleration: mass * acceleration,
    "probability_calculator": lambda total_outcomes, event_outcomes, return_decimal=False: (
        event_outcomes / total_outcomes if return_decimal else 100 * event_outcomes / total_outcomes
    ),
    "rectangle.calculate_perimeter": lambda length, breadth: 2 * (length + breadth),
    "statistics.median": lambda data: statistics.median(data),
    "string.change_case": _case,
    "string.count_words": lambda text: len(text.split()),
    "string.reverse": lambda text: text[::-1],
    "temperature_converter.convert": _temperature,
    "unit.convert_length": lambda value, from_unit, to_unit: _convert(value, from_unit, to_unit, _LENGTH_M),
    "unit.convert_mass": lambda value, from_unit, to_unit: _convert(value, from_unit, to_unit, _MASS_KG),
    "volume_cylinder.calculate": lambda radius, height: math.pi * radius**2 * height,
}


def call(name: str, arguments: dict[str, Any]) -> Any:
    """Runs the registered implementation of ``name`` in this process (no sandbox; for tests and notebooks)."""
    return IMPLEMENTATIONS[name](**arguments)
