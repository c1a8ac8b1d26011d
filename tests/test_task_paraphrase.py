import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Lineage, Record, Source, stable_id
from synthbeam.tasks.base import ParseError, build_request
from synthbeam.tasks.paraphrase import (
    PARAPHRASE_SCHEMA,
    ParaphraseInstruction,
    ParaphraseItem,
    paraphrase_items,
    replace_first_instruction,
)

PARENT = Record(
    id="p1",
    task="instruction",
    messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Give three tips for staying healthy."},
        {"role": "assistant", "content": "Eat vegetables, sleep well, walk daily."},
    ],
    label="advice",
    completion='{"instruction": "..."}',
    finish_reason="stop",
    source=Source("rows.parquet", 9, 0),
    lineage=Lineage(template="instructions_from_passage.jinja2", model="m0", request_hash="h0"),
    split="train",
)


def _completion(text: str) -> Completion:
    return Completion(request_id="r", text=text, finish_reason="stop", model="m", request_hash="h")


def test_format_input_is_exact():
    assert ParaphraseInstruction().format_input(ParaphraseItem(PARENT, 0)) == [
        {"role": "system", "content": "You paraphrase instructions for an AI assistant. You never answer them."},
        {
            "role": "user",
            "content": "Paraphrase the instruction: keep its meaning, change the words.\n\n"
            "Example:\n"
            "Instruction: Describe a cat.\n"
            '{"paraphrase": "Give a description of a cat."}\n\n'
            "Instruction: Give three tips for staying healthy.",
        },
    ]


def test_format_output_is_exact():
    text = json.dumps({"paraphrase": "List three ways to stay healthy."})
    assert ParaphraseInstruction().format_output(_completion(text), ParaphraseItem(PARENT, 1)) == [
        Record(
            id=stable_id("paraphrase", "p1/1"),
            task="instruction",
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "List three ways to stay healthy."},
                {"role": "assistant", "content": "Eat vegetables, sleep well, walk daily."},
            ],
            label="advice",
            source=Source("rows.parquet", 9, 0),
            lineage=Lineage(
                template="instructions_from_passage.jinja2",
                model="m0",
                request_hash="h0",
                parent_id="p1",
                augmentation="paraphrase",
            ),
            split="train",
        )
    ]


def test_each_variant_is_its_own_request():
    items = paraphrase_items(PARENT, 3)
    assert [item.index for item in items] == [0, 1, 2]
    requests = [build_request(ParaphraseInstruction(), item, run_seed=0) for item in items]
    assert len({r.id for r in requests}) == 3 and len({r.seed for r in requests}) == 3
    assert len({json.dumps(r.messages) for r in requests}) == 1
    assert requests[0].response_format == PARAPHRASE_SCHEMA
    assert ParaphraseItem(PARENT, 0).source == PARENT.source


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("Give three tips for staying healthy!", reasons.REPEATS_INPUT),
        ("Give a description of a cat.", reasons.COPIED_EXAMPLE),
        ("Eating vegetables keeps you healthy.", reasons.NOT_AN_INSTRUCTION),
        (" ", reasons.EMPTY),
    ],
)
def test_unusable_paraphrases_name_their_reason(new, reason):
    with pytest.raises(ParseError) as caught:
        ParaphraseInstruction().format_output(_completion(json.dumps({"paraphrase": new})), ParaphraseItem(PARENT))
    assert caught.value.reason == reason


def test_form_is_only_checked_when_the_original_reads_as_an_instruction():
    statement = Record(id="s", task="t", messages=[{"role": "user", "content": "My code is slow."}])
    text = json.dumps({"paraphrase": "My program runs slowly."})
    (row,) = ParaphraseInstruction().format_output(_completion(text), ParaphraseItem(statement))
    assert row.messages == [{"role": "user", "content": "My program runs slowly."}]


def test_replace_first_instruction_leaves_other_turns_and_the_parent_alone():
    row = Record(
        id="m",
        task="t",
        messages=[
            {"role": "user", "content": ""},
            {"role": "user", "content": "First."},
            {"role": "assistant", "content": "A."},
            {"role": "user", "content": "Second."},
        ],
    )
    assert [m["content"] for m in replace_first_instruction(row, "New.")] == ["", "New.", "A.", "Second."]
    assert row.messages[1]["content"] == "First."
