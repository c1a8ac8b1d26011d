"""Self-instruct gates: missing input, non-text tasks, ROUGE-L novelty; exact reason codes.

The rejected examples are verbatim outputs of the bundled SmolLM2-135M-Instruct.
"""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.tasks.instruction_gates import (
    carried_input,
    instruction_gate,
    refers_to_input,
    rouge_l,
    rouge_tokens,
    select_novel,
)
from synthbeam.transforms.checks import Drop, RecordCheck
from synthbeam.transforms.self_instruct_gates import (
    STAGE,
    InstructionGate,
    KeepNovelInstructions,
    novelty_outcomes,
)


def kept(check: RecordCheck, record: Record) -> bool:
    """Whether ``check`` keeps ``record`` (returns it, unchanged)."""
    return check(record) is record


def row(text: str, row_id: str = "r") -> Record:
    return Record(id=row_id, task="self_instruct", messages=[{"role": "user", "content": text}])


@pytest.mark.parametrize(
    "text",
    [
        "Translate the sentence into French.",
        "Tell me whether this joke is funny.",
        "Classify the following text as positive or negative.",
        "Find the grammatical errors in the given paragraph.",
        "Given a list of numbers, find the largest one.",
        "Summarize it in one sentence.",
        "Identify the odd one out and explain why.",
        "What is the sentiment of the review?",
        # Verbatim model outputs: an input that describes the material, or is cut off, or a stub.
        "Remove all the commas from the end of the sentence.\n\nThe sentence contains an inconsistent number of "
        "commas and there are no commas at the end of the sentence.",
        "Add a new employee to the list of staff.\n\ncreate_employees",
        "List the top 5 most endangered species in the list.\n\nOceania",
        "Write a SQL query to rank the games in the table.\n\nThe most popular game of the season is",
        "Sort the numbers in the list.\n\napple, banana, banana, apple, banana, banana, banana, apple, banana, banana",
        "Correct the spelling in the text.\n\n<noinput>",
        "Rewrite the sentence in plain English.\n\n[insert sentence here]",
        "What is the main feature of this product?",
        "What do they do?",
        "Why did she leave the company?",
        "Eliminate the most expensive sentence.",
        "Write a Python function that returns the longest string in the list.\n\nthe_longest_string_in_list.txt",
        "Add a new topic to the list of topics.\n\nThe new topic you have to add to the list of topics.",
        "Rewrite the sentence in the passive voice.\n\nRewrite the sentence so that it is passive.",
        "Create a list of the items that are to be included in a list.\n\nThe list of items is incomplete, but the "
        "items can be included in a list of items.",
    ],
)
def test_instructions_without_the_input_they_refer_to_are_missing_input(text: str) -> None:
    assert instruction_gate(text) == reasons.MISSING_INPUT


@pytest.mark.parametrize(
    "text",
    [
        "Translate the sentence into French.\n\nGood morning, how are you?",
        "Sort the words in alphabetical order.\n\npear, apple, mango, banana",
        "Classify the following review as positive or negative: I loved every minute of this film.",
        "Rewrite the sentence 'The cat sat on the mat' in the passive voice.",
        "Summarize the paragraph.\n\nBees visit flowers to collect nectar. While they do, pollen sticks to them.",
        "What is the capital of France?",
        "Write a short story about a dragon who loves books.",
        "Explain the difference between a list and a tuple in Python.",
        "Describe the plot of the novel Moby-Dick in three sentences.",
        "Give three tips for staying healthy.",
        "Write a Python function that takes a list of strings and returns the longest string in the list.",
        "What did you do this week?",
        "Write a short biography of Marie Curie and explain why her research on radioactivity mattered.",
    ],
)
def test_self_contained_instructions_pass(text: str) -> None:
    assert instruction_gate(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Draw a picture of a cat.",
        "Plot the temperature over the last week.",
        "Describe the image in two sentences.",
        "Implement a new way to store and manage files.",
        "Make a map of the city centre.",
    ],
)
def test_tasks_a_text_model_cannot_do_are_needs_non_text(text: str) -> None:
    assert instruction_gate(text) == reasons.NEEDS_NON_TEXT


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Create a blog post about a topic such as [topic1].", reasons.PLACEHOLDER),
        ("Write a letter to <name> about the delay.", reasons.PLACEHOLDER),
        ("Create a new task that contains a list of tasks.", reasons.PROMPT_ECHO),
        ("Create a new task using the given JSON data.\n\npick a favorite color", reasons.PROMPT_ECHO),
        (
            "Add a new task to the list.\n\nAdd the task to the list of tasks that can be executed by the AI assistant.",
            reasons.PROMPT_ECHO,
        ),
    ],
)
def test_placeholders_and_the_prompts_own_wording_are_rejected(text: str, reason: str) -> None:
    assert instruction_gate(text) == reason


@pytest.mark.parametrize(
    "text",
    ["1. Write a poem about the sea.", '"Write a poem."', "¿Qué hora es?", "Create a simple", "Write a poem about"],
)
def test_broken_off_instructions_or_ones_opening_with_punctuation_or_not_in_english_are_not_instructions(
    text: str,
) -> None:
    assert instruction_gate(text) == reasons.NOT_AN_INSTRUCTION


def test_reference_and_carried_input_detection() -> None:
    assert refers_to_input("Rewrite this in French.") and not refers_to_input("Write a poem about the sea.")
    assert carried_input("Translate into French: Good morning.")
    assert carried_input('Translate "good night, moon" into French.')
    assert not carried_input("Translate the sentence into French:", "")
    assert not carried_input("Summarize the text.", "Here is a list of tasks that need to be done,")


def test_rouge_l_matches_the_published_definition() -> None:
    a, b = rouge_tokens("Write a haiku about the sea."), rouge_tokens("Write a haiku about the ocean!")
    assert a == ["write", "a", "haiku", "about", "the", "sea"]
    assert rouge_l(a, b) == pytest.approx(5 / 6)  # LCS 5 of 6 tokens each
    assert rouge_l(a, a) == 1.0 and rouge_l(a, []) == 0.0
    assert rouge_l(rouge_tokens("a b c d"), rouge_tokens("d c b a")) == pytest.approx(0.25)


def test_novelty_compares_with_the_seeds_and_with_earlier_kept_instructions_only() -> None:
    outcome = select_novel(
        [
            ("1", "Write a haiku about the ocean."),  # 0.83 with the seed
            ("2", "Name three rivers in Africa and their lengths."),
            ("3", "Name three rivers in Africa and their sources."),  # 0.875 with the kept "2"
            ("4", "Explain how a rainbow forms."),
            ("5", "Write a haiku about the ocean."),  # "1" was rejected, so only the seed counts
        ],
        ["Write a haiku about the sea."],
    )
    assert outcome == {
        "1": (pytest.approx(5 / 6), "Write a haiku about the sea."),
        "2": None,
        "3": (pytest.approx(7 / 8), "Name three rivers in Africa and their lengths."),
        "4": None,
        "5": (pytest.approx(5 / 6), "Write a haiku about the sea."),
    }


def test_novelty_ignores_the_input_and_orders_by_id() -> None:
    records = [
        row("Sort the words.\n\npear, apple", "b"),
        row("Sort the words.\n\nmilk, eggs, flour", "a"),
        row("Explain gravity to a child.", "c"),
    ]
    outcomes = list(novelty_outcomes(records, ()))
    assert [o.id for o in outcomes if isinstance(o, Record)] == ["a", "c"]
    (rejected,) = [o for o in outcomes if not isinstance(o, Record)]
    assert (rejected.record.id, rejected.stage, rejected.reason) == ("b", STAGE, reasons.NOT_NOVEL)
    assert rejected.detail == "ROUGE-L 1.00 with: Sort the words."


def test_instruction_gate_filter_gives_the_reason_code() -> None:
    assert InstructionGate()(row("Tell me whether this joke is funny.")) == Drop(reasons.MISSING_INPUT)
    assert kept(InstructionGate(), row("Tell me a joke about cats."))


def test_keep_novel_instructions_in_a_pipeline() -> None:
    records = [row("Write a haiku about the ocean.", "x"), row("Explain how a rainbow forms.", "y")]
    with TestPipeline() as p:
        out = p | "Rows" >> beam.Create(records) | KeepNovelInstructions(["Write a haiku about the sea."])
        assert_that(out.main | "Ids" >> beam.Map(lambda r: r.id), equal_to(["y"]), label="kept")
        reasons_out = out.rejected | "Reasons" >> beam.Map(lambda r: (r.record.id, r.reason))
        assert_that(reasons_out, equal_to([("x", reasons.NOT_NOVEL)]), label="rejected")
