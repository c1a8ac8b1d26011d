"""Call-first tool use: values chosen from schemas, balanced deterministic plans, exact prompts and rows."""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter

import jsonschema
import pytest

from synthbeam.pipelines.tool_use import kept_tool_keys, planned_tool_keys
from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion
from synthbeam.tasks import tool_examples
from synthbeam.tasks.base import ParseError
from synthbeam.tasks.tool_call_first import (
    CallFirstTask,
    candidate_score,
    candidates,
    clean_request,
    decline,
    draft_request,
    plan_spec,
    tool_order,
)
from synthbeam.tasks.tool_examples import MULTI, SINGLE
from synthbeam.tasks.tool_plain import argument_phrase, arguments_phrase, plain_request
from synthbeam.tools.library import bundled_tools
from synthbeam.tools.schema import normalise_tool_definitions, strict_schema, tool_name
from synthbeam.tools.values import category_for, choose_arguments, choose_value, described_examples
from synthbeam.transforms.verify.grounding import GroundingCheck

HOTEL = normalise_tool_definitions(
    {
        "name": "hotel.book",
        "description": "Books a hotel room. Returns a confirmation.",
        "parameters": {
            "type": "dict",
            "properties": {
                "location": {"type": "string", "description": "The city, e.g. 'Boston, MA'."},
                "check_in": {"type": "string", "description": "Date in YYYY-MM-DD format."},
                "nights": {"type": "integer", "minimum": 1, "maximum": 14},
                "room_type": {"type": "string", "enum": ["single", "double", "suite"]},
                "guests": {"type": "array", "items": {"type": "string"}, "description": "Guest names."},
                "breakfast": {"type": "boolean", "default": False},
                "budget": {
                    "type": "dict",
                    "properties": {"max_price": {"type": "float"}, "currency": {"type": "string"}},
                    "required": ["max_price", "currency"],
                },
            },
            "required": ["location", "check_in", "nights", "room_type", "guests", "budget"],
        },
    }
)[0]
PARAMS = HOTEL["function"]["parameters"]


@pytest.mark.parametrize("seed", range(30))
def test_chosen_arguments_fit_the_schema(seed: int) -> None:
    arguments = choose_arguments(PARAMS, random.Random(seed))
    jsonschema.validate(arguments, strict_schema(PARAMS))
    assert arguments["location"] in {
        "Paris",
        "Boston",
        "Tokyo",
        "Denver",
        "Madrid",
        "Chicago",
        "Seattle",
        "Berlin",
        "Toronto",
        "Lisbon",
        "Austin",
        "Dublin",
        "Prague",
        "Nairobi",
        "Melbourne",
        "Osaka",
        "Vienna",
        "San Diego",
        "Miami",
        "Edinburgh",
    }
    assert len(arguments["check_in"]) == 10 and arguments["check_in"][4] == "-"
    assert 2 <= len(arguments["guests"]) <= 3 and len(set(arguments["guests"])) == len(arguments["guests"])
    assert len(arguments["budget"]["currency"]) == 3


def test_optional_flags_stay_at_their_default() -> None:
    # A plain request cannot state "breakfast: true" as a value, and the grounding gate exempts
    # booleans: an optional flag in a plan would be an argument nobody asked for.
    runs = [choose_arguments(PARAMS, random.Random(s)) for s in range(200)]
    assert not any("breakfast" in a for a in runs)
    # An optional value that is not a flag comes sometimes, and never as its own default.
    params = {
        **PARAMS,
        "properties": {**PARAMS["properties"], "floor": {"type": "integer", "minimum": 1, "maximum": 9, "default": 1}},
    }
    floors = [a["floor"] for s in range(200) if "floor" in (a := choose_arguments(params, random.Random(s)))]
    assert 20 < len(floors) < 120 and 1 not in floors


def test_values_are_deterministic_in_the_seed() -> None:
    assert choose_arguments(PARAMS, random.Random(5)) == choose_arguments(PARAMS, random.Random(5))
    assert len({json.dumps(choose_arguments(PARAMS, random.Random(s)), sort_keys=True) for s in range(20)}) == 20


@pytest.mark.parametrize(
    ("name", "description", "category"),
    [
        ("company_name", "", "company"),
        ("recipeName", "The name of the recipe.", "food"),
        ("start_location", "", "city"),
        ("name", "The name of the hotel.", "landmark"),
        ("to_currency", "", "currency"),
        ("key", "The key of the scale.", "music_key"),
        ("frobnicator", "An opaque setting.", ""),
        ("to_unit", "The unit in which the speed should be calculated, default is m/s.", "speed_unit"),
        ("unit", "The unit of the temperature.", "temperature_unit"),
        ("unit", "The unit of measure.", "unit"),
    ],
)
def test_categories_by_name_then_description(name: str, description: str, category: str) -> None:
    assert category_for(name, description) == category


TIME_IN_CITY = {
    "type": "dict",
    "properties": {
        "city": {"type": "string", "description": "The city you want to know the current time for."},
        "country": {"type": "string", "description": "The country where the city is located."},
        "display_format": {"type": "string", "description": "The time display format: '12h' or '24h'."},
    },
    "required": ["city", "country", "display_format"],
}


def test_a_call_names_a_city_with_its_own_country_or_state() -> None:
    places = {"Tokyo": "Japan", "Osaka": "Japan", "Paris": "France", "Boston": "United States"}
    calls = [choose_arguments(TIME_IN_CITY, random.Random(seed)) for seed in range(40)]
    assert all(c["country"] == places[c["city"]] for c in calls if c["city"] in places)
    assert len({c["city"] for c in calls}) > 5  # cities still vary
    assert {c["display_format"] for c in calls} == {"12h", "24h"}  # the values the description offers
    state = {"type": "dict", "properties": {"city": {"type": "string"}, "state": {"type": "string"}}}
    state["required"] = ["city", "state"]
    for seed in range(20):  # a city without a state (Paris) is never asked with one
        call = choose_arguments(state, random.Random(seed))
        assert (call["city"], call["state"]) in {
            ("Boston", "Massachusetts"),
            ("Denver", "Colorado"),
            ("Chicago", "Illinois"),
            ("Seattle", "Washington"),
            ("Toronto", "Ontario"),
            ("Austin", "Texas"),
            ("Melbourne", "Victoria"),
            ("San Diego", "California"),
            ("Miami", "Florida"),
        }, call


def test_unknown_strings_use_the_examples_their_description_gives() -> None:
    assert described_examples("Mode of analysis, e.g. 'static' or 'dynamic'.") == ["static", "dynamic"]
    assert described_examples("Rank of the card (e.g. Ace, Two, King).") == ["Ace", "Two", "King"]
    value = choose_value(
        "variant", {"type": "string", "description": "Variant, e.g. 'blitz' or 'bullet'"}, random.Random(1)
    )
    assert value in ("blitz", "bullet")


def test_numbers_respect_bounds_and_names() -> None:
    for seed in range(50):
        rng = random.Random(seed)
        assert 1 <= choose_value("nights", {"type": "integer", "minimum": 1, "maximum": 3}, rng) <= 3
        assert 1990 <= choose_value("year", {"type": "integer"}, rng) <= 2024
        assert 0 <= choose_value("probability", {"type": "number"}, rng) <= 1


def test_round_robin_spreads_the_budget_evenly() -> None:
    library = bundled_tools()
    specs = [plan_spec(i, library, 3) for i in range(3 * len(library))]
    primary = Counter()
    for spec in specs:
        hidden = json.loads(spec.hidden_tool)["function"]["name"] if spec.hidden_tool else None
        primary[hidden or json.loads(spec.planned)[0]["name"]] += 1
    order = [tool_name(library[i]) for i in tool_order(library, 3)]
    assert set(primary) == set(order) and max(primary.values()) - min(primary.values()) <= 1
    assert order != [tool_name(library[i]) for i in tool_order(library, 4)]


@pytest.mark.parametrize("index", range(60))
def test_plans_have_their_kind_shape_and_valid_calls(index: int) -> None:
    library = bundled_tools()
    spec = plan_spec(index, library, 0)
    assert spec == plan_spec(index, library, 0)
    calls, offered = json.loads(spec.planned), {tool_name(t): t for t in spec.offered()}
    names = [c["name"] for c in calls]
    if spec.kind == "irrelevance":
        hidden = json.loads(spec.hidden_tool)
        assert spec.calls == 0 and names == [tool_name(hidden)] and tool_name(hidden) not in offered
        return
    assert spec.calls == len(calls) and set(names) <= set(offered)
    assert {
        "single": lambda: len(calls) == 1 and len(offered) == 1,
        "multiple": lambda: len(calls) == 1 and len(offered) >= 2,
        "parallel": lambda: (
            len(calls) in (2, 3)
            and len(set(names)) == 1
            and len({json.dumps(c, sort_keys=True) for c in calls}) == len(calls)
        ),
        "parallel_multiple": lambda: len(set(names)) == 2,
    }[spec.kind]()
    for call in calls:
        jsonschema.validate(call["arguments"], strict_schema(offered[call["name"]]["function"]["parameters"]))


def test_draft_request_states_purpose_and_values_not_function_names() -> None:
    call = {
        "name": "hotel.book",
        "arguments": {"location": "Oslo", "nights": 3, "breakfast": True, "guests": ["A", "B"]},
    }
    assert (
        draft_request([call], {"hotel.book": HOTEL})
        == "Book a hotel room for location Oslo, nights 3 and guests A and B."
    )
    other = {"name": "hotel.book", "arguments": {"location": "Rome"}}
    assert draft_request([call, other], {"hotel.book": HOTEL}).endswith(" Also, book a hotel room for location Rome.")


def test_draft_cuts_the_description_where_the_values_take_over() -> None:
    aqi = normalise_tool_definitions(
        {
            "name": "aqi",
            "description": "This function retrieves the air quality index for a specific location, daily.",
            "parameters": {"type": "dict", "properties": {"location": {"type": "string"}}},
        }
    )[0]
    call = {"name": "aqi", "arguments": {"location": "Lima"}}
    assert draft_request([call], {"aqi": aqi}) == "Retrieve the air quality index for location Lima."


def test_messages_are_few_shot_turns_from_the_pool() -> None:
    spec = plan_spec(0, bundled_tools(), 0, mix={"single": 1.0})
    messages = CallFirstTask().format_input(spec)
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    pool = {e.request for e in SINGLE}
    assert all(m["content"] in pool for m in messages if m["role"] == "assistant")
    planned = json.loads(spec.planned)[0]["name"]
    assert planned not in messages[-1]["content"] and messages[-1]["content"].endswith(".")
    parallel = plan_spec(1, bundled_tools(), 0, mix={"parallel": 1.0})
    shots = [m["content"] for m in CallFirstTask().format_input(parallel) if m["role"] == "assistant"]
    assert sum(s in {e.request for e in MULTI} for s in shots) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Book a room in Oslo.\nAnd more", "Book a room in Oslo."),
        ('  "Book a room in Oslo."', "Book a room in Oslo."),
        ("User: Book a room in Oslo.", "Book a room in Oslo."),
        ("\n\n", ""),
    ],
)
def test_clean_request(text: str, expected: str) -> None:
    assert clean_request(text) == expected


def completion(text: str) -> Completion:
    return Completion(request_id="r", text=text, finish_reason="stop", model="m", request_hash="h")


def test_row_calls_come_from_the_plan_not_the_model() -> None:
    spec = plan_spec(2, bundled_tools(), 0, mix={"single": 1.0})
    (record,) = CallFirstTask().format_output(completion("Some request text here."), spec)
    planned = json.loads(spec.planned)
    calls = [
        {"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}
        for c in record.messages[1]["tool_calls"]
    ]
    assert calls == planned and record.messages[0] == {"role": "user", "content": "Some request text here."}
    assert record.meta_dict()["planned_calls"] == planned and record.meta_dict()["generation"] == "call_first"
    assert record.meta_dict()["draft"] == CallFirstTask().format_input(spec)[-1]["content"]
    with pytest.raises(ParseError) as error:
        CallFirstTask().format_output(completion("  \n"), spec)
    assert error.value.reason == reasons.MISSING_QUERY


def test_irrelevance_rows_get_the_pipelines_decline() -> None:
    spec = plan_spec(3, bundled_tools(), 0, mix={"irrelevance": 1.0})
    (record,) = CallFirstTask().format_output(completion("query"), spec)
    reply = record.messages[1]
    assert "tool_calls" not in reply and reply["content"].startswith(
        "I can't help with that: none of the available tools can "
    )
    assert record.label == "none"


def test_decline_wording() -> None:
    area = normalise_tool_definitions(
        {
            "name": "area",
            "description": "Calculates the area of a circle.",
            "parameters": {"type": "dict", "properties": {}},
        }
    )[0]
    fetch = normalise_tool_definitions(
        {"name": "fetch", "description": "Fetches news. Fast.", "parameters": {"type": "dict", "properties": {}}}
    )[0]
    assert decline(area, [fetch, HOTEL]) == (
        "I can't help with that: none of the available tools can calculate the area of a circle. "
        "The tools I have can fetch news or book a hotel room."
    )


def test_manifest_tool_keys() -> None:
    spec = plan_spec(0, bundled_tools(), 0, mix={"parallel_multiple": 1.0})
    assert planned_tool_keys(spec) == [f"planned_tool/{n}" for n in sorted(spec.targets)]
    assert planned_tool_keys(plan_spec(0, bundled_tools(), 0, mix={"irrelevance": 1.0})) == ["planned_tool/none"]
    assert kept_tool_keys("a,b") == ["kept_tool/a", "kept_tool/b"] and kept_tool_keys("none") == ["kept_tool/none"]


def test_candidates_share_their_plan_and_differ_in_id() -> None:
    spec = plan_spec(4, bundled_tools(), 0)
    three = candidates(spec, 3)
    assert [c.plan_id for c in three] == [spec.id] * 3 and len({c.id for c in three}) == 3
    assert all(c.planned == spec.planned and c.kind == spec.kind for c in three)
    assert candidates(spec, 1) == [dataclasses.replace(spec, plan_id=spec.id)]
    prompts = {CallFirstTask().format_input(c)[-1]["content"] for c in three}
    assert len(prompts) == 1  # the same draft, phrased by different seeds and examples
    (record,) = CallFirstTask().format_output(completion("Is it warm in Oslo?"), three[2])
    assert record.meta_dict()["plan_id"] == spec.id


def test_candidate_score_prefers_a_natural_question_over_a_draft_copy() -> None:
    spec = plan_spec(2, bundled_tools(), 0, mix={"single": 1.0})
    draft = CallFirstTask().format_input(spec)[-1]["content"]
    (copy,) = CallFirstTask().format_output(completion(draft.rstrip(".") + " please."), spec)
    (natural,) = CallFirstTask().format_output(completion("Could you help me with this one thing today?"), spec)
    assert candidate_score(natural) > candidate_score(copy)


def test_a_part_is_never_larger_than_its_whole() -> None:
    params = {
        "type": "object",
        "properties": {"success_outcomes": {"type": "integer"}, "total_outcomes": {"type": "integer"}},
        "required": ["success_outcomes", "total_outcomes"],
    }
    for seed in range(30):
        arguments = choose_arguments(params, random.Random(seed))
        assert arguments["success_outcomes"] <= arguments["total_outcomes"]


LEADER = {"type": "string", "description": "The official title of the position. Default is 'King'."}


def test_values_fit_what_their_parameter_describes() -> None:
    rng = random.Random(0)
    years = [
        choose_value("date", {"type": "integer", "description": "The year being queried."}, rng) for _ in range(20)
    ]
    assert all(1990 <= y <= 2024 for y in years)
    spans = [choose_value("years", {"type": "integer", "description": "Number of years."}, rng) for _ in range(20)]
    assert all(2 <= y <= 30 for y in spans)
    assert all(18 <= choose_value("age", {"type": "integer"}, rng) <= 90 for _ in range(20))
    titles = {choose_value("title", LEADER, rng) for _ in range(20)}
    assert titles <= {"President", "Prime Minister", "King", "Queen", "Chancellor", "Emperor"} and len(titles) > 1
    cases = {choose_value("case_title", {"type": "string", "description": "Title of the Supreme Court case."}, rng)}
    assert all(" v. " in c for c in cases)


def tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    schema = {"type": "dict", "properties": properties, "required": required}
    return normalise_tool_definitions({"name": name, "description": description, "parameters": schema})[0]


DIRECTIONS = tool(
    "map_service.get_directions",
    "Retrieve directions from a starting location to an ending location, including options for route preferences.",
    {
        "start": {"type": "string"},
        "end": {"type": "string"},
        "avoid": {"type": "array", "items": {"type": "string", "enum": ["tolls", "ferries", "highways"]}},
    },
    ["start", "end"],
)
WEATHER_NOW = tool("weather.get", "Get the current weather for a city.", {"city": {"type": "string"}}, ["city"])
EVOLUTION = tool(
    "prediction.evolution",
    "Predict the evolutionary rate for a specific species for a given timeframe.",
    {"species": {"type": "string"}, "years": {"type": "integer"}},
    ["species", "years"],
)


def test_plain_requests_read_as_requests_per_kind() -> None:
    tools = {tool_name(t): t for t in (DIRECTIONS, WEATHER_NOW, EVOLUTION)}
    route = {
        "name": "map_service.get_directions",
        "arguments": {"start": "Lisbon", "end": "Edinburgh", "avoid": ["ferries", "tolls"]},
    }
    assert plain_request("single", [route], tools) == (
        "Retrieve directions from Lisbon to Edinburgh avoiding ferries and tolls."
    )
    paris, rome = ({"name": "weather.get", "arguments": {"city": c}} for c in ("Paris", "Rome"))
    assert plain_request("parallel", [paris, rome], tools) == "Get the current weather in Paris, and again in Rome."
    eagle = {"name": "prediction.evolution", "arguments": {"species": "bald eagle", "years": 4}}
    assert plain_request("parallel_multiple", [paris, eagle], tools) == (
        "Get the current weather in Paris, and then predict the evolutionary rate for bald eagle over 4 years."
    )


def test_every_kind_has_a_plain_candidate_that_passes_the_gates() -> None:
    library = bundled_tools()
    check = GroundingCheck(tool_examples.all_requests(), library)
    for kind in ("single", "multiple", "parallel", "parallel_multiple", "irrelevance"):
        dropped = []
        for index in range(12):
            record = CallFirstTask().plain_record(plan_spec(index, library, 0, mix={kind: 1.0}))
            assert record.meta_dict()["request_source"] == "plain" and record.meta_dict()["kind"] == kind
            result = check(record)
            if result is not record:
                dropped.append((result, record.messages[0]["content"]))
        # Dates are said "on June 15, 2026" and values repeat across parallel calls: none is a reason to drop.
        assert len(dropped) <= 1, (kind, dropped)


def test_plain_requests_put_a_quoted_text_in_the_purpose_and_agree_their_verbs() -> None:
    tools = {tool_name(t): t for t in bundled_tools()}
    reverse = {"name": "string.reverse", "arguments": {"text": "where is the library"}}
    assert (
        plain_request("single", [reverse], tools) == 'Please reverse the characters of the text "where is the library".'
    )
    forecast = {"name": "get_current_and_future_temperature", "arguments": {"location": "Tokyo", "hours": 9}}
    assert plain_request("single", [forecast], tools) == (
        "Please provide the current temperature and forecast the temperature in Tokyo for the next 9 hours."
    )
    money = {
        "name": "currency_converter",
        "arguments": {"amount": 1530, "base_currency": "CAD", "target_currency": "CHF"},
    }
    assert plain_request("single", [money], tools) == "Convert a value from CAD to CHF with an amount of 1530."
    clock = {"name": "time_zone_converter", "arguments": {"city": "Tokyo", "country": "Japan", "display_format": "24h"}}
    assert (
        plain_request("single", [clock], tools) == "Retrieve the current time in Tokyo, Japan with display format 24h."
    )
    assert arguments_phrase({"city": "Paris", "month": "May"}) == "in Paris in May"  # a month is no place
    warm = {"name": "convert_celsius_to_fahrenheit", "arguments": {"celsius": 59.5}}
    assert (
        plain_request("single", [warm], tools)
        == "Convert a temperature from Celsius to Fahrenheit for 59.5 degrees Celsius."
    )
    stew = {"name": "recipe_prep_time", "arguments": {"recipe": "beef stew"}}
    assert (
        plain_request("single", [stew], tools) == "Calculate the estimated preparation and cooking time for beef stew."
    )
    median = {"name": "statistics.median", "arguments": {"data": [53, 15, 23]}}
    assert (
        plain_request("single", [median], tools) == "Please return the median of the data set with data 53, 15 and 23."
    )
    fibonacci = {"name": "calculate_fibonacci", "arguments": {"position": 50}}
    assert plain_request("single", [fibonacci], tools) == "Calculate the Fibonacci series with a position of 50."


def test_plain_candidates_score_above_every_model_rewrite() -> None:
    spec = plan_spec(0, bundled_tools(), 0, mix={"single": 1.0})
    plain = CallFirstTask().plain_record(spec)
    (model,) = CallFirstTask().format_output(completion("Could you do that for me, please?"), spec)
    assert plain.meta_dict()["plan_id"] == model.meta_dict()["plan_id"] and plain.id != model.id
    assert candidate_score(plain) > candidate_score(model)
    # For models that phrase well, a rewrite that passed every gate wins instead.
    assert candidate_score(model, prefer="model") > candidate_score(plain, prefer="model")


def test_a_sentence_to_work_on_is_quoted_in_the_draft() -> None:
    assert argument_phrase("text", "where is the library")[1] == 'the text "where is the library"'
    assert argument_phrase("text", "hello")[1] == "text hello"  # one word reads as it is
    assert argument_phrase("city", "San Diego")[1] == "in San Diego"


CONVERT_LENGTH = {
    "type": "object",
    "properties": {
        "value": {"type": "number", "description": "The length to convert."},
        "from_unit": {"type": "string", "description": "The unit of the value.", "enum": ["m", "km", "mi"]},
        "to_unit": {"type": "string", "description": "The unit to convert to.", "enum": ["m", "km", "mi"]},
    },
    "required": ["value", "from_unit", "to_unit"],
}


def test_the_two_ends_of_a_conversion_differ_and_read_from_and_to() -> None:
    calls = [choose_arguments(CONVERT_LENGTH, random.Random(seed)) for seed in range(60)]
    assert all(c["from_unit"] != c["to_unit"] for c in calls)
    assert len({(c["from_unit"], c["to_unit"]) for c in calls}) == 6  # every ordered pair still drawn
    assert argument_phrase("from_unit", "m")[1] == "from m" and argument_phrase("to_unit", "km")[1] == "to km"
    assert argument_phrase("unit", "celsius")[1] == "in celsius"
