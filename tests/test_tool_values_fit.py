"""Values that fit their parameter: no bank guess for a parameter nothing fits, numbers in the
range the description says. Schemas read from BFCL's simple_python set."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from synthbeam.tasks.tool_call_first import plan_spec, skipped_tools
from synthbeam.tasks.tool_plain import plain_request
from synthbeam.tools.numbers import SIGNIFICANCE_LEVELS
from synthbeam.tools.schema import normalise_tool_definitions, tool_name, tool_parameters
from synthbeam.tools.values import NoFittingValue, choose_arguments, choose_value, unfit_parameters

BFCL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "bfcl" / "BFCL_v4_simple_python.json"
pytestmark = pytest.mark.skipif(not BFCL.exists(), reason="BFCL files not present")


def bfcl_library() -> list[dict[str, Any]]:
    return [
        t
        for line in BFCL.read_text().splitlines()
        for f in json.loads(line)["function"]
        for t in normalise_tool_definitions(f)
    ]


def bfcl_tool(name: str, parameter: str = "") -> dict[str, Any]:
    """The first BFCL function called ``name`` (with ``parameter``, when given)."""
    return next(
        t
        for t in bfcl_library()
        if tool_name(t) == name and parameter in {"", *tool_parameters(t).get("properties", {})}
    )


def parameter(tool: str, name: str) -> dict[str, Any]:
    return tool_parameters(bfcl_tool(tool, name))["properties"][name]


@pytest.mark.parametrize(
    ("tool", "name"),
    [
        ("modify_painting", "size"),  # "The size of the painting": no painting title
        ("publication_year.find", "work_title"),  # a scientific work: no film title
        ("game_list.get_games", "ESRB_rating"),  # "rating of the game": no game name
        ("generate_law_contract", "contract_type"),  # nothing fits: no "Silver Lake"
    ],
)
def test_a_required_parameter_nothing_fits_keeps_its_tool_from_being_planned(tool: str, name: str) -> None:
    assert name in unfit_parameters(tool_parameters(bfcl_tool(tool)))
    with pytest.raises(NoFittingValue) as raised:
        choose_arguments(tool_parameters(bfcl_tool(tool)), random.Random(0))
    assert raised.value.parameter in unfit_parameters(tool_parameters(bfcl_tool(tool)))
    with pytest.raises(NoFittingValue):
        choose_value(name, parameter(tool, name), random.Random(0))


@pytest.mark.parametrize(
    ("tool", "name"),
    [("get_instrument_details", "manufacturer"), ("instrument_price.get", "brand"), ("get_instrument_info", "maker")],
)
def test_an_instruments_maker_is_an_instrument_brand(tool: str, name: str) -> None:
    makers = {choose_value(name, parameter(tool, name), random.Random(s)) for s in range(30)}
    assert makers <= {"Yamaha", "Fender", "Gibson", "Steinway", "Selmer", "Pearl"} and len(makers) > 2


def test_the_flutes_brand_is_the_one_its_description_gives_or_an_instrument_brand() -> None:
    brands = {choose_value("brand", parameter("find_flute", "brand"), random.Random(s)) for s in range(20)}
    assert brands <= {"Yamaha", "Fender", "Gibson", "Steinway", "Selmer", "Pearl"}


def test_a_significance_level_is_a_usual_one() -> None:
    for tool, name in [("hypothesis_testing.ttest_ind", "significance_level"), ("stats.t_test", "alpha")]:
        levels = {choose_value(name, parameter(tool, name), random.Random(s)) for s in range(30)}
        assert levels <= set(SIGNIFICANCE_LEVELS) and len(levels) > 1, (tool, levels)


@pytest.mark.parametrize(
    ("tool", "name", "low", "high"),
    [
        ("get_theater_movie_releases", "timeframe", 1, 30),  # "number of days"
        ("detailed_weather_forecast", "duration", 1, 12),  # "Duration in hours"
        ("calculate_future_value", "duration", 2, 30),  # "in years"
        ("get_stock_price", "days", 1, 30),  # "Number of past days"
        ("multiplayer_game_finder", "rating", 1, 5),  # "on a 5.0 scale"
        ("hotel_booking", "duration", 1, 14),  # "number of nights"
    ],
)
def test_numbers_in_the_range_their_description_says(tool: str, name: str, low: float, high: float) -> None:
    values = [choose_value(name, parameter(tool, name), random.Random(s)) for s in range(40)]
    assert all(low <= v <= high for v in values), values


def test_skipped_tools_are_named_and_never_planned() -> None:
    library = list({tool_name(t): t for t in bfcl_library()}.values())  # one tool per name
    skipped = set(skipped_tools(library))
    assert {"modify_painting", "publication_year.find", "game_list.get_games", "generate_law_contract"} <= skipped
    assert len(skipped) < len(library) // 10
    for index in range(200):
        spec = plan_spec(index, library, 0)
        planned = {c["name"] for c in json.loads(spec.planned)}
        assert not planned & skipped, (index, planned & skipped)
    assert all(tool_name(t) not in skipped or unfit_parameters(tool_parameters(t)) for t in library)


def plain(tool: str, arguments: dict[str, Any], kind: str = "single") -> str:
    found = bfcl_tool(tool, next(iter(arguments)))
    return plain_request(kind, [{"name": tool, "arguments": arguments}], {tool: found})


def test_plain_requests_say_dates_spans_counts_and_venues_the_way_a_user_does() -> None:
    assert plain("get_theater_movie_releases", {"location": "Chicago", "timeframe": 7}) == (
        "Retrieve the list of movie releases in Chicago for the next 7 days."
    )
    assert plain("stock_price", {"company": "Microsoft", "days": 7}) == (
        "Get stock price data for Microsoft over the last 7 days."
    )
    assert plain("detailed_weather_forecast", {"location": "Osaka", "duration": 10}) == (
        "Retrieve a detailed weather forecast in Osaka for the next 10 hours."
    )
    assert plain("find_restaurants", {"location": "Boston", "food_type": "sushi", "number": 8}) == (
        "Locate nearby restaurants in Boston with food type sushi and 8 results."
    )
    assert plain("sports.match_results", {"team1": "Chicago Bulls", "team2": "Boston Celtics"}) == (
        "Please return the results of a match between Chicago Bulls and Boston Celtics."
    )
    assert plain("array_sort", {"list": [3, 1, 2], "order": "descending"}) == (
        "Sort a list in descending order with list 3, 1 and 2."
    )


def test_plain_requests_say_iso_dates_in_words_and_venues_with_at() -> None:
    winner = "game_result.get_winner"
    request = plain(winner, {"teams": ["Lakers", "Celtics"], "date": "2026-04-25", "venue": "Madison Square Garden"})
    assert request == "Get the winner at Madison Square Garden on April 25, 2026 with teams Lakers and Celtics."


def test_optional_flags_are_never_planned() -> None:
    import random

    from synthbeam.tools.values import choose_arguments

    parameters = {
        "type": "object",
        "properties": {
            "year": {"type": "integer", "description": "The year of the presidency."},
            "full_term_only": {"type": "boolean", "description": "Only presidents who served a full term."},
        },
        "required": ["year"],
    }
    chosen = [choose_arguments(parameters, random.Random(seed)) for seed in range(40)]
    assert all("year" in c and "full_term_only" not in c for c in chosen)


def test_a_tool_that_requires_a_flag_is_not_planned() -> None:
    from synthbeam.tools.values import unfit_parameters

    parameters = {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "The city."},
            "accepts_credit_cards": {"type": "boolean", "description": "Whether the restaurant accepts cards."},
        },
        "required": ["location", "accepts_credit_cards"],
    }
    assert unfit_parameters(parameters) == ["accepts_credit_cards"]


def test_values_for_rates_models_and_objects_say_something() -> None:
    import random

    from synthbeam.tools.values import choose_arguments

    parameters = {
        "type": "object",
        "properties": {
            "user_id": {"type": "integer", "description": "The user's unique ID."},
            "update_info": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "The customer's updated name."},
                    "email": {"type": "string", "description": "The customer's updated email."},
                },
                "description": "The new information to update.",
            },
            "compounds_per_year": {"type": "integer", "description": "Times interest is compounded per year."},
        },
        "required": ["user_id", "update_info", "compounds_per_year"],
    }
    for seed in range(30):
        chosen = choose_arguments(parameters, random.Random(seed))
        assert chosen["update_info"], chosen  # an empty object states nothing
        assert chosen["compounds_per_year"] < 1900, chosen  # a rate, not a calendar year
