"""Paired arrays (two points of a distance) are planned with one length."""

from __future__ import annotations

import random

from synthbeam.tools.library import bundled_tools
from synthbeam.tools.pairs import paired_arrays, same_length_pairs
from synthbeam.tools.schema import tool_parameters
from synthbeam.tools.values import choose_arguments


def test_points_of_a_distance_have_one_dimension_and_a_sound_rounding() -> None:
    (distance,) = [t for t in bundled_tools() if t["function"]["name"] == "EuclideanDistance.calculate"]
    for seed in range(100):
        arguments = choose_arguments(tool_parameters(distance), random.Random(seed))
        assert len(arguments["pointA"]) == len(arguments["pointB"]) >= 1, arguments
        assert arguments.get("rounding", 2) <= 4  # decimals, not 59


def test_pairs_are_found_by_their_last_letter_or_digit() -> None:
    arguments = {"pointA": [1], "pointB": [2], "vector_1": [1], "vector_2": [2], "values": [3], "b": [4]}
    assert paired_arrays(arguments) == [("pointA", "pointB"), ("vector_1", "vector_2")]


def test_a_pair_is_not_cut_below_its_minimum() -> None:
    arguments = {"pointA": [1, 2, 3], "pointB": [4]}
    assert same_length_pairs(arguments, {}) == {"pointA": [1], "pointB": [4]}
    assert same_length_pairs(arguments, {"pointA": {"minItems": 2}}) == arguments
