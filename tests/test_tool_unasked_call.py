"""``unasked_call``: a request for calls to two functions must say what each one is for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion
from synthbeam.tasks.tool_call_first import CallFirstTask, plan_spec
from synthbeam.tasks.tool_plain import plain_request
from synthbeam.tools.library import bundled_tools
from synthbeam.tools.schema import normalise_tool_definitions
from synthbeam.transforms.checks import Drop
from synthbeam.transforms.verify.grounding import GroundingCheck
from synthbeam.transforms.verify.purpose import purpose_stems, unasked_calls

LIBRARY = {t["function"]["name"]: t for t in bundled_tools()}
FUNCTIONS = {name: t["function"] for name, t in LIBRARY.items()}
SUNRISE = {"name": "calculate_sunrise", "arguments": {"location": "Nairobi", "date": "2026-06-15"}}
NORM = {"name": "math.hypot", "arguments": {"x": 7, "y": 12, "z": 12}}
BFCL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "bfcl" / "BFCL_v4_simple_python.json"


def test_purpose_words_leave_out_parameters_values_and_do_it_verbs() -> None:
    # "location" and "date" are parameters, "calculate" only says "do it": what is left is the purpose.
    assert purpose_stems(SUNRISE, FUNCTIONS["calculate_sunrise"]) == {"sunri", "time"}
    recipe = {"name": "find_recipe", "arguments": {"recipe_type": "pad thai"}}
    function = {"description": "Find a recipe.", "parameters": {"properties": {"recipe_type": {}}}}
    assert purpose_stems(recipe, function) == {"recip"}  # the function's own name word stays


@pytest.mark.parametrize(
    "request_text, unasked",
    [
        # Kept by a run: the sunrise call's place and date are stated, the sunrise never is.
        (
            "Find the Euclidean norm for x 7, y 12 and z 12 in relation to Nairobi and date 2026-06-15.",
            ["calculate_sunrise"],
        ),
        ("When is sunrise in Nairobi on June 15, 2026, and what is the Euclidean norm of 7, 12 and 12?", []),
        ("What time does the sun come up in Nairobi on 2026-06-15? Also the hypotenuse for 7, 12, 12.", []),
        ("Sunrise in Nairobi on 2026-06-15, please, and the length of the vector (7, 12, 12).", []),
        ("When is sunrise in Nairobi on 2026-06-15 for x 7, y 12 and z 12?", ["math.hypot"]),
    ],
)
def test_each_called_function_must_be_asked_for(request_text: str, unasked: list[str]) -> None:
    assert unasked_calls(request_text, [SUNRISE, NORM], FUNCTIONS) == unasked


def test_one_function_is_not_judged() -> None:
    convert = {"name": "currency_converter", "arguments": {"amount": 1530, "from": "CAD", "to": "CHF"}}
    assert unasked_calls("How much is 1530 CAD in CHF?", [convert], FUNCTIONS) == []


def test_grounding_check_drops_an_unasked_call_with_its_reason() -> None:
    """The run's own plan (seed 0, row 17): its plain request passes, the kept rewrite does not."""
    spec = plan_spec(17, bundled_tools(), 0)
    assert json.loads(spec.planned) == [SUNRISE, NORM]
    task, check = CallFirstTask(), GroundingCheck((), bundled_tools())
    plain = task.plain_record(spec)
    assert check(plain) is plain
    request = "Find the Euclidean norm for x 7, y 12 and z 12 in relation to Nairobi and date 2026-06-15."
    completion = Completion(request_id=spec.id, text=request, finish_reason="stop", model="m", request_hash="h")
    (rewrite,) = task.format_output(completion, spec)
    assert check(rewrite) == Drop(reasons.UNASKED_CALL, "never asks for calculate_sunrise")


def _library(path: Path) -> list[dict]:
    return normalise_tool_definitions(
        [f for line in path.read_text().splitlines() for f in json.loads(line)["function"]]
    )


@pytest.mark.parametrize("source", ["bundled", "bfcl"])
def test_the_pipelines_own_requests_ask_for_every_call(source: str) -> None:
    """Plain requests name each call's purpose by construction: the gate never drops one."""
    if source == "bfcl" and not BFCL.exists():
        pytest.skip("BFCL files not present")
    library = bundled_tools() if source == "bundled" else _library(BFCL)
    tools = {t["function"]["name"]: t for t in library}
    functions = {name: t["function"] for name, t in tools.items()}
    for index in range(600):
        spec = plan_spec(index, library, 0, mix={"parallel_multiple": 1.0})
        calls = json.loads(spec.planned)
        request = plain_request(spec.kind, calls, tools)
        assert unasked_calls(request, calls, functions) == [], request
