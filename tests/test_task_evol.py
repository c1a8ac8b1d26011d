import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Lineage, Record, Source, stable_id
from synthbeam.tasks.base import ParseError, build_request
from synthbeam.tasks.evol import EVOL_SCHEMA, MODES, EvolInstruction, evol_augmentation, round_mode

PARENT = Record(
    id="p1",
    task="instruction",
    messages=[
        {"role": "user", "content": "Write a haiku about the sea."},
        {"role": "assistant", "content": "Grey waves fold and break."},
    ],
    label="creative",
    source=Source("seeds.jsonl", 2, 0),
)
SYSTEM = "You rewrite instructions for an AI assistant to make them a bit harder. You never answer them."


def _completion(text: str) -> Completion:
    return Completion(request_id="r", text=text, finish_reason="stop", model="m", request_hash="h")


def test_format_input_is_exact():
    assert EvolInstruction("constraints").format_input(PARENT) == [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": "Rewrite the instruction. Add one more constraint or requirement to it. "
            "Keep it short and answerable.\n\n"
            "Example:\n"
            "Instruction: Describe a cat.\n"
            '{"new_instruction": "Describe a cat in exactly three sentences."}\n\n'
            "Instruction: Write a haiku about the sea.",
        },
    ]


def test_every_mode_renders_its_own_wording():
    users = {mode: EvolInstruction(mode).format_input(PARENT)[1]["content"] for mode in MODES}
    assert len(set(users.values())) == len(MODES)
    assert all(text.endswith("Instruction: Write a haiku about the sea.") for text in users.values())
    assert "Replace a general idea in it with a more specific one." in users["concretize"]


def test_unknown_mode_fails_in_the_constructor():
    with pytest.raises(ValueError, match="choose from constraints, deepen"):
        EvolInstruction("harder")


def test_format_output_is_exact():
    text = json.dumps({"new_instruction": "Write a haiku about the sea at night, without the word moon."})
    assert EvolInstruction("constraints").format_output(_completion(text), PARENT) == [
        Record(
            id=stable_id("evol_instruct", "p1/constraints"),
            task="evol_instruct",
            messages=[{"role": "user", "content": "Write a haiku about the sea at night, without the word moon."}],
            label="creative",
            source=Source("seeds.jsonl", 2, 0),
            lineage=Lineage(parent_id="p1", augmentation="evol:constraints"),
        )
    ]


def test_modes_give_distinct_ids_and_requests():
    text = json.dumps({"new_instruction": "Explain why the sea is salty, step by step."})
    deepen = EvolInstruction("deepen").format_output(_completion(text), PARENT)[0]
    reasoning = EvolInstruction("reasoning").format_output(_completion(text), PARENT)[0]
    assert deepen.id != reasoning.id
    assert (
        build_request(EvolInstruction("deepen"), PARENT, 0).id
        != build_request(EvolInstruction("reasoning"), PARENT, 0).id
    )
    assert build_request(EvolInstruction("deepen"), PARENT, 0).response_format == EVOL_SCHEMA


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("write a haiku about the sea", reasons.REPEATS_INPUT),
        ("Describe a cat in exactly three sentences.", reasons.COPIED_EXAMPLE),
        ("Write a haiku about cats and the sea.", reasons.COPIED_EXAMPLE),
        ("The sea whispers secrets to the shore.", reasons.NOT_AN_INSTRUCTION),
        ("", reasons.EMPTY),
    ],
)
def test_eliminated_rewrites_name_their_reason(new, reason):
    with pytest.raises(ParseError) as caught:
        EvolInstruction("deepen").format_output(_completion(json.dumps({"new_instruction": new})), PARENT)
    assert caught.value.reason == reason


def test_example_words_already_in_the_instruction_are_not_copies():
    parent = Record(id="c", task="t", messages=[{"role": "user", "content": "Describe a cat."}])
    text = json.dumps({"new_instruction": "Describe a cat and explain why cats purr."})
    (row,) = EvolInstruction("deepen").format_output(_completion(text), parent)
    assert row.messages == [{"role": "user", "content": "Describe a cat and explain why cats purr."}]


def test_repeated_evolution_records_the_chain():
    once = Record(id="e", task="evol_instruct", messages=PARENT.messages, lineage=Lineage(augmentation="evol:deepen"))
    assert evol_augmentation(PARENT, "deepen") == "evol:deepen"
    assert evol_augmentation(once, "constraints") == "evol:deepen>constraints"
    paraphrased = Record(id="q", task="t", messages=PARENT.messages, lineage=Lineage(augmentation="paraphrase"))
    assert evol_augmentation(paraphrased, "breadth") == "evol:breadth"


def test_later_rounds_pick_one_mode_per_row_by_hash():
    modes = ("deepen", "constraints", "reasoning")
    picks = [round_mode(f"row{i}", 2, modes) for i in range(30)]
    assert picks == [round_mode(f"row{i}", 2, modes) for i in range(30)]
    assert set(picks) == set(modes)
    assert picks != [round_mode(f"row{i}", 3, modes) for i in range(30)]
    assert round_mode("row1", 2, modes) == modes[int(stable_id("row1", 2)[:8], 16) % 3]
