"""The grounding stage's gates: each accepts good rows and rejects real bad outputs with its reason."""

from __future__ import annotations

import datetime
import json

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.tasks.tool_examples import all_requests
from synthbeam.tools.schema import normalise_tool_definitions
from synthbeam.transforms.checks import Drop
from synthbeam.transforms.curate.dedup_request import DeduplicateRequests
from synthbeam.transforms.verify.grounding import (
    GroundingCheck,
    copied_from,
    decline_problem,
    draft_wording,
    extra_values,
    kind_problem,
    repeats_itself,
    request_problem,
)
from synthbeam.transforms.verify.padding import padding_problem, unaccounted_words
from synthbeam.transforms.verify.value_grounding import (
    dates_in,
    numbers_in,
    string_grounded,
    times_in,
    ungrounded_values,
)

TEAM, WEATHER, AREA = normalise_tool_definitions(
    [
        {
            "name": "team_profile_get",
            "description": "Get a team profile.",
            "parameters": {"type": "dict", "properties": {"token": {"type": "string"}}, "required": ["token"]},
        },
        {
            "name": "get_weather",
            "description": "Weather for a city.",
            "parameters": {
                "type": "dict",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "detailed": {"type": "boolean"},
                },
                "required": ["city"],
            },
        },
        {
            "name": "triangle_area",
            "description": "Area of a triangle.",
            "parameters": {
                "type": "dict",
                "properties": {"base": {"type": "float"}, "height": {"type": "integer"}},
                "required": ["base", "height"],
            },
        },
    ]
)
PARAMS = {t["function"]["name"]: t["function"]["parameters"] for t in (TEAM, WEATHER, AREA)}


def call(name: str, **arguments: object) -> dict:
    return {"name": name, "arguments": arguments}


def row(kind: str, request: str, calls: list[dict], tools: tuple = (WEATHER, AREA), reply: str = "", **meta) -> Record:
    assistant = (
        {"role": "assistant", "content": reply}
        if not calls
        else {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": f"c{i}",
                    "type": "function",
                    "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                }
                for i, c in enumerate(calls)
            ],
        }
    )
    return Record(
        id=request[:8],
        task="tool_use",
        messages=[{"role": "user", "content": request}, assistant],
        tools=json.dumps(list(tools)),
        meta=json.dumps({"kind": kind, "expected_calls": len(calls), **meta}),
    )


def test_numbers_match_numerically_and_in_words() -> None:
    assert {25.0, 3.5, 1500.0, 5.0, 0.05} <= numbers_in("25 apples, 3.5 kg, 1,500 people, five cats and 5% off")
    assert 13.0 not in numbers_in("room 135")


def test_dates_in_common_forms() -> None:
    day = datetime.date(2024, 5, 12)
    for text in ("on 2024-05-12", "on May 12, 2024", "on 12 May 2024", "on the 12th of May 2024", "on 05/12/2024"):
        assert day in dates_in(text), text
    assert day not in dates_in("on May 12th")  # no year: the value is not fully stated


def test_times() -> None:
    assert (19, 30) in times_in("at 19:30") and (19, 30) in times_in("at 7:30 pm") and (19, 0) in times_in("7pm")
    assert (7, 30) not in times_in("at 7:30 pm")


@pytest.mark.parametrize(
    ("value", "request_text"),
    [
        ("New York", "weather in new york?"),
        ("the Louvre", "When does Louvre open?"),
        ("USD", "convert 20 dollars to euros"),
        ("2024-05-12", "Book it for May 12, 2024."),
        ("19:30", "Table at 7:30 pm please"),
        ("Liam O'Brien", "Find Liam O'Brien's profile."),
        ("kilometers", "How far in km is it?"),
        ("recipe", "Show me recipes for soup"),
    ],
)
def test_strings_stated_in_the_request(value: str, request_text: str) -> None:
    assert string_grounded(value, request_text)


@pytest.mark.parametrize(
    ("value", "request_text"),
    [
        ("13689411899430598457", "How do you say 'good morning' in Spanish?"),
        ("Paris", "What is the weather in Parisville?"),
        ("ai", "Tell me about the chair"),  # a word inside another word is not stated
        ("2024-05-12", "Book it for May 12."),
        ("", "anything"),
    ],
)
def test_strings_not_stated_in_the_request(value: str, request_text: str) -> None:
    assert not string_grounded(value, request_text)


def test_ungrounded_values_lists_each_missing_value_and_exempts_booleans() -> None:
    request = "What's the area of a triangle with base 10 and height 4? And the weather in Oslo in celsius?"
    calls = [
        call("triangle_area", base=10.0, height=4),
        call("get_weather", city="Oslo", unit="celsius", detailed=True),
    ]
    assert ungrounded_values(request, calls, PARAMS) == []
    calls = [call("triangle_area", base=12.5, height=4), call("get_weather", city="Rome", unit="fahrenheit")]
    assert ungrounded_values(request, calls, PARAMS) == [
        "triangle_area.base=12.5",
        'get_weather.city="Rome"',
        'get_weather.unit="fahrenheit"',
    ]


def test_nested_and_array_values_are_each_checked() -> None:
    params = {"route": {"type": "object", "properties": {"stops": {"type": "array", "items": {"type": "string"}}}}}
    tools = {"plan": {"type": "object", "properties": params}}
    good = [call("plan", route={"stops": ["Oslo", "Bergen"]})]
    assert ungrounded_values("Plan a route through Oslo and Bergen.", good, tools) == []
    assert ungrounded_values("Plan a route through Oslo.", good, tools) == ['plan.route.stops[1]="Bergen"']


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ('{"query": "weather"}', "JSON or code"),
        ("query", "1 words"),
        ("What is the weather in [city]?", "placeholder"),
        ("Book a table at <restaurant> for 4.", "placeholder"),
        ("Values: city = Paris; unit = celsius", "prompt wording 'values:'"),
        ("Please call get_weather for Paris today.", "names the function get_weather"),
        ("Get the current weather for city Paris.", "echo of the prompt"),
        (
            "The area of a circle with a radius of 60 is the circumference of a circle multiplied by the radius.",
            "a statement, not a request",
        ),
        ("I can create a music scale progression in a specific key with a tempo of 57.", "a statement, not a request"),
    ],
)
def test_not_a_request(text: str, problem: str) -> None:
    assert request_problem(text, ["get_weather"], prompt="Get the current weather for city Paris.") == problem


@pytest.mark.parametrize(
    "text",
    [
        "What's the weather in Paris today?",
        "Find me the weather in Paris, please.",
        "I'd like the weather for Paris in celsius.",
        "Paris weather today, in celsius?",
    ],
)
def test_a_request_is_a_request(text: str) -> None:
    assert request_problem(text, ["get_weather"], prompt="Get the current weather for city Paris.") == ""


def test_copied_example_exact_and_near() -> None:
    examples = ["How do you say 'good morning' in Spanish?"]
    assert copied_from("How do you say 'good morning' in Spanish?", examples)
    assert copied_from("how do you say good morning in spanish", examples)
    assert not copied_from("How do you say 'thank you' in Japanese?", examples)


@pytest.mark.parametrize(
    ("kind", "names", "expected", "ok"),
    [
        ("single", ["a"], 1, True),
        ("multiple", ["a", "a"], None, False),
        ("parallel", ["a", "a"], 2, True),
        ("parallel", ["a", "b"], 2, False),
        ("parallel_multiple", ["a", "b"], 2, True),
        ("parallel_multiple", ["a", "a"], 2, False),  # one function twice: not parallel_multiple
        ("irrelevance", [], 0, True),
        ("irrelevance", ["a"], None, False),
        ("single", ["a"], 2, False),
    ],
)
def test_kind_shapes(kind: str, names: list[str], expected: int | None, ok: bool) -> None:
    calls = [call(n, x=i) for i, n in enumerate(names)]
    assert (kind_problem(kind, calls, expected) == "") is ok


def test_parallel_calls_must_differ() -> None:
    assert kind_problem("parallel", [call("a", x=1), call("a", x=1)], 2) == "parallel calls repeat their arguments"


def test_declines() -> None:
    assert decline_problem("I can't help with that: none of the available tools can translate text.") == ""
    assert decline_problem("Sorry, I am unable to do that with these tools.") == ""
    assert decline_problem("query")
    assert decline_problem("The weather in Paris is sunny today.")


def check(record: Record) -> Record | Drop:
    return GroundingCheck(all_requests(), [TEAM, WEATHER, AREA])(record)


def test_check_keeps_a_grounded_row() -> None:
    record = row("single", "Is it raining in Oslo today?", [call("get_weather", city="Oslo")])
    assert check(record) is record


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (
            row(
                "single",
                "How do you say 'good morning' in Spanish?",
                [call("team_profile_get", token="13689411899430598457")],
                tools=(TEAM,),
            ),
            reasons.UNGROUNDED_ARGUMENT,
        ),
        (
            row(
                "single",
                "What's the weather like in Lisbon right now, in celsius?",
                [call("get_weather", city="Lisbon")],
            ),
            reasons.COPIED_EXAMPLE,
        ),
        (
            row(
                "parallel_multiple",
                "Weather in Oslo and in Rome?",
                [call("get_weather", city="Oslo"), call("get_weather", city="Rome")],
            ),
            reasons.KIND_MISMATCH,
        ),
        (row("irrelevance", "Translate hello into French.", [], reply="query"), reasons.NOT_A_DECLINE),
        (row("single", "[value]", [call("get_weather", city="Oslo")]), reasons.NOT_A_REQUEST),
    ],
)
def test_check_rejects_real_bad_outputs_with_their_reason(record: Record, reason: str) -> None:
    result = check(record)
    assert isinstance(result, Drop) and result.reason == reason, result


def test_irrelevance_request_must_state_the_hidden_call() -> None:
    planned = [call("team_profile_get", token="TX-5520")]
    decline = "I can't help with that: none of the available tools can get a team profile."
    good = row("irrelevance", "Show me the team profile for token TX-5520.", [], reply=decline, planned_calls=planned)
    bad = row("irrelevance", "Show me a team profile please.", [], reply=decline, planned_calls=planned)
    assert check(good) is good
    assert check(bad) == Drop(reasons.UNGROUNDED_ARGUMENT, 'team_profile_get.token="TX-5520"')


def test_one_row_per_request() -> None:
    a = row("single", "Weather in Oslo?", [call("get_weather", city="Oslo")])
    b = row("single", "weather in  oslo", [call("get_weather", city="Oslo", unit="celsius")])
    b = Record(**{**b.__dict__, "id": "zzz"})
    c = row("single", "Weather in Rome?", [call("get_weather", city="Rome")])
    with TestPipeline() as p:
        out = p | beam.Create([a, b, c]) | DeduplicateRequests()
        assert_that(out.main | beam.Map(lambda r: r.id), equal_to([a.id, c.id]), label="kept")
        assert_that(
            out.rejected | beam.Map(lambda r: (r.record.id, r.reason, r.detail)),
            equal_to([("zzz", reasons.DUPLICATE_REQUEST, a.id)]),
            label="rejected",
        )


def test_extra_values_the_calls_do_not_carry() -> None:
    draft = (
        "Fetch the year a particular scientific work was published for author Chloe Martin and work title Inception."
    )
    assert extra_values("What's the title of Inception in 2010, for Chloe Martin?", draft) == ["2010"]
    assert extra_values("When did Chloe Martin publish Inception?", draft) == []
    assert extra_values("When was Comic-Con first held?", "Get the date for event name Comic-Con.") == []
    movies = "Get theater movie releases for location Dublin and timeframe 43."
    assert extra_values("Which movies come out in Dublin in the next 43 days? Then email Dinner plans.", movies) == [
        "Dinner"
    ]
    # A planned date's month, and the parts of a value, are the draft's (plain requests say both).
    sunrise = "Calculate the time of sunrise for location Nairobi and date 2026-06-15."
    assert extra_values("Calculate the time of sunrise in Nairobi on June 15, 2026.", sunrise) == []
    assert extra_values("When does the sun rise in Nairobi on July 15, 2026?", sunrise) == ["July"]
    zone = "Retrieve the current local time for timezone America/New_York and date format YYYY-MM-DD HH:mm:ss."
    assert extra_values("What time is it in America/New_York, as YYYY-MM-DD HH:mm:ss?", zone) == []


def test_check_rejects_a_request_with_an_extra_value() -> None:
    draft = "Get the current weather for city Oslo."
    record = row(
        "single", "Is it raining in Oslo on 23 December 2010?", [call("get_weather", city="Oslo")], draft=draft
    )
    assert check(record) == Drop(reasons.EXTRA_VALUE, "23, 2010, December")
    fine = row("single", "Is it raining in Oslo today?", [call("get_weather", city="Oslo")], draft=draft)
    assert check(fine) is fine


def test_unfinished_request() -> None:
    text = "Retrieve information about a specific stock for company name Samsung using the following code:"
    assert request_problem(text) == "unfinished"


def test_draft_wording_and_repeats_are_not_user_requests() -> None:
    calls = [call("find_restaurants", food_type="mushroom risotto", location="Lisbon")]
    assert draft_wording("Locate a location for Lisbon, food type mushroom risotto.", calls) == (
        "keeps the plain request's wording 'food type'"
    )
    assert draft_wording("Where can I eat mushroom risotto in Lisbon?", calls) == ""
    assert repeats_itself("How many movies for Chloe Martin were released in 2001 in 2001?") == "repeats '2001'"
    assert repeats_itself("Get the date of the battle and the date of the treaty.") == ""
    draft = "Retrieve the highest grossing banks for country Canada and year 2005."
    assert repeats_itself("Which banks grossed most in 2005 for Canada and the year 2005?", draft) == "repeats '2005'"
    assert repeats_itself("Which banks grossed the most in Canada in 2005?", draft) == ""


RECIPE = {
    "name": "find_recipe",
    "description": "Locate a recipe based on name.",
    "parameters": {"type": "dict", "properties": {"recipeName": {"type": "string"}}, "required": ["recipeName"]},
}
CASES = {
    "name": "civil_cases.retrieve",
    "description": "Retrieve civil cases based on given parameters, including year, crime type, and location.",
    "parameters": {
        "type": "dict",
        "properties": {
            "year": {"type": "integer", "description": "Year of the cases"},
            "crime_type": {"type": "string", "description": "Type of the crime."},
            "location": {"type": "string", "description": "Location of the case in the format of city name."},
        },
        "required": ["year", "crime_type", "location"],
    },
}


def test_padding_rejects_the_models_additions_and_keeps_plain_wording() -> None:
    tools = {"find_recipe": RECIPE, "civil_cases.retrieve": CASES}
    sushi = [call("find_recipe", recipeName="sushi")]
    cases = [call("civil_cases.retrieve", year=2004, crime_type="assault", location="Miami")]
    assert padding_problem("Can you find a recipe for sushi on a tokyo sesh?", sushi, tools) == (
        "words the calls do not account for: tokyo, sesh"
    )
    padded = (
        "I need to retrieve all civil cases related to homicide and assault at the Miami airport for 2004. "
        "Please check the available cases on the internet."
    )
    assert unaccounted_words(padded, cases, tools) == ["homicide", "airport", "internet"]
    assert padding_problem(padded, cases, tools).startswith("words the calls do not account for")
    assert padding_problem("How do I make sushi?", sushi, tools) == ""
    assert padding_problem("What's a good recipe for sushi?", sushi, tools) == ""
    assert padding_problem("Retrieve civil cases in Miami in 2004 with crime type assault.", cases, tools) == ""
    assert padding_problem("Are there assault cases from 2004 in Miami?", cases, tools) == ""


def test_a_count_said_as_a_year_is_not_a_request() -> None:
    assert request_problem("What would the rate of evolution for a bald eagle be in the year 4.") == (
        "a count said as a year"
    )
    assert request_problem("What will the evolution rate of a bald eagle be over 4 years?") == ""
    assert request_problem("Who led France in the year 1999?") == ""


def test_check_drops_padding_and_keeps_the_plain_request_it_wrote_itself() -> None:
    check_ = GroundingCheck(library=normalise_tool_definitions([RECIPE]))
    sushi = [call("find_recipe", recipeName="sushi")]
    meta = {"draft": "Locate a recipe for recipe name sushi.", "planned_calls": sushi}
    padded = row("single", "Can you find a recipe for sushi on a tokyo sesh?", sushi, (), **meta)
    assert check_(padded) == Drop(reasons.PADDED_REQUEST, "words the calls do not account for: tokyo, sesh")
    # The draft itself, were the model to return it, is an echo; written by the pipeline, it is kept.
    echo = row("single", "Locate a recipe for recipe name sushi.", sushi, (), **meta)
    assert check_(echo).reason == reasons.NOT_A_REQUEST
    plain = row("single", "Locate a recipe for recipe name sushi.", sushi, (), request_source="plain", **meta)
    assert check_(plain) is plain
