"""Quality gates: each gate's exact reason code on real bad outputs, and good rows kept."""

from __future__ import annotations

import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.templates import template_fixed_text
from synthbeam.transforms.curate import quality
from synthbeam.transforms.curate.filters import first_failure

LAMBDA_PASSAGE = (
    "Lambdas\n*******\n\nLambda expressions (sometimes called lambda forms) are used to create anonymous "
    "functions. The expression lambda parameters: expression yields a function object. Note that functions "
    "created with lambda expressions cannot contain statements or annotations."
)
LAMBDA_ANSWER = (
    "Lambda expressions (sometimes called lambda forms) are used to create anonymous functions. "
    "Note that functions created with lambda expressions cannot contain statements or annotations."
)
QA_PROMPT = [template_fixed_text("instructions_from_passage.jinja2")]


def row(request: str, answer: str, passage: str = "", topic: str = "") -> Record:
    meta = {"passage": passage, "topic": topic} if passage else {}
    return Record(
        id="r",
        task="instruction",
        messages=[{"role": "user", "content": request}, {"role": "assistant", "content": answer}],
        meta=json.dumps(meta),
    )


def verdict(gate: quality.RecordFilter, record: Record) -> object:
    return gate.check(record)


# Verbatim rows a run once kept with every schema check green.
@pytest.mark.parametrize(
    "request_text, answer, reason",
    [
        ("response to instruction", "response to instruction", reasons.PROMPT_ECHO),
        (
            "Question type: factual (a fact stated in the passage).",
            "The answer to the question is",
            reasons.PROMPT_ECHO,
        ),
        ("The answer is:", "The answer is: [response-1]", reasons.PLACEHOLDER),
        (
            "Use the `map()` function to create a new array from the list.",
            "This is a [description of the answer].",
            reasons.PLACEHOLDER,
        ),
        (
            "How-to: how-to: how-to: how-to: instructions",
            "Instructions and answers to the question of how to do something the passage describes.",
            reasons.PROMPT_ECHO,
        ),
    ],
)
def test_gates_reject_real_junk_rows(request_text: str, answer: str, reason: str) -> None:
    gates = quality.quality_gates(QA_PROMPT)
    assert first_failure(row(request_text, answer), gates)[1] == reason


def test_good_rows_pass_every_gate() -> None:
    gates = quality.quality_gates(QA_PROMPT, (quality.USER,))
    good = [
        row("What is a lambda expression in Python?", LAMBDA_ANSWER, LAMBDA_PASSAGE, "Lambdas"),
        row("What are lambda expressions used for?", LAMBDA_ANSWER, LAMBDA_PASSAGE, "Lambdas"),
        row("Explain the difference between a list and a tuple.", "A list is mutable; a tuple is immutable."),
        row("Summarize the paragraph in one sentence.\n\nBees visit flowers for nectar.", "Bees feed on nectar."),
    ]
    assert [first_failure(r, gates) for r in good] == [None] * len(good)


def test_placeholder_gate() -> None:
    gate = quality.PlaceholderGate()
    for bad in ("The answer is <response>.", "It returns [insert value here].", "Hello {{ name }}."):
        assert verdict(gate, row("What does it return?", bad)) == (False, reasons.PLACEHOLDER)
    # Code in brackets and angle brackets is not a placeholder.
    for fine in ("Use a[0] and x[i:j].", "The repr is <lambda> for anonymous functions.", "Write [a, b]."):
        assert verdict(gate, row("What does it return?", fine)) is True


def test_request_equals_answer_gate() -> None:
    gate = quality.RequestEqualsAnswerGate()
    assert verdict(gate, row("What is a tuple?", "What is a tuple?")) == (False, reasons.REQUEST_EQUALS_ANSWER)
    assert verdict(gate, row("What is a tuple?", "A tuple is an immutable sequence.")) is True


@pytest.mark.parametrize(
    "text, ok",
    [
        ("What is a lambda expression?", True),
        ("How do I sort a list in reverse order?", True),
        ("What is the normal binary operations.", False),
        ("What is a power operator and what is it used for?", True),
        ("How does a bytes literal differ, and how does it print?", True),
        ("Explain how slicing works for lists.", True),
        ("I need a function that reverses a string.", True),
        ("The answer is:", False),
        ("Question type: factual (a fact stated in the passage).", False),
        ("Lambda expressions create anonymous functions.", False),
        ("Why?", False),
    ],
)
def test_request_form_gate(text: str, ok: bool) -> None:
    result = verdict(quality.RequestFormGate(), row(text, "An answer of several words."))
    assert result is True if ok else result == (False, reasons.NOT_A_REQUEST)


@pytest.mark.parametrize(
    "answer, ok",
    [
        ("The answer to the question is", False),
        ("Here is the answer:", False),
        ("Yes.", False),
        ("A tuple is an immutable sequence of values.", True),
        ("Sure, a tuple is an immutable sequence of values, often used as a dictionary key.", True),
    ],
)
def test_stub_answer_gate(answer: str, ok: bool) -> None:
    result = verdict(quality.StubAnswerGate(), row("What is a tuple?", answer))
    assert result is True if ok else result == (False, reasons.STUB_ANSWER)


def test_repeated_sentences_gate() -> None:
    gate = quality.RepeatedSentencesGate()
    bad = "A list is mutable and ordered. It holds items. A list is mutable and ordered."
    assert verdict(gate, row("What is a list?", bad)) == (False, reasons.REPEATED_SENTENCES)
    stutter = row("How-to: how-to: how-to: how-to: instructions", "Steps.")
    assert verdict(gate, stutter) == (False, reasons.REPEATED_SENTENCES)
    assert verdict(gate, row("What is a list?", "A list is mutable. A tuple is not.")) is True


@pytest.mark.parametrize(
    "request_text, answer, ok",
    [
        ("What does the passage say about lambdas?", LAMBDA_ANSWER, False),
        ("Translate the sentence into French.", "Bonjour.", False),
        ("Explain this joke.", "It is a pun on the word bank.", False),
        ("What is a lambda?", "As described in the text above, a lambda is a function.", False),
        ("Translate the sentence into French.\n\nGood morning, how are you?", "Bonjour, comment allez-vous ?", True),
        ("What is a lambda expression?", LAMBDA_ANSWER, True),
    ],
)
def test_missing_context_gate(request_text: str, answer: str, ok: bool) -> None:
    result = verdict(quality.MissingContextGate(), row(request_text, answer))
    assert result is True if ok else result == (False, reasons.MISSING_CONTEXT)


def test_grounding_gate_rejects_answers_not_from_the_passage() -> None:
    gate = quality.GroundingGate()
    passage = "Lists support appending with the append() method and extending with extend()."
    invented = "Use the add() function from the itertools module to add a new column to a table."
    record = row("How to add a new column to a table in Python", invented, passage, "Lists")
    assert verdict(gate, record) == (False, reasons.UNGROUNDED_ANSWER)


def test_grounding_gate_rejects_requests_the_answer_does_not_address() -> None:
    gate = quality.GroundingGate()
    record = row("How do I open a file for writing?", LAMBDA_ANSWER, LAMBDA_PASSAGE, "Lambdas")
    assert verdict(gate, record) == (False, reasons.OFF_TOPIC_REQUEST)
    # "slice" and "slicing" share a stem: a good question is not rejected for its word form.
    passage = "Slicings\n\nA slicing selects a range of items in a sequence object such as a string or a list."
    answer = "A slicing selects a range of items in a sequence object such as a string or a list."
    assert verdict(gate, row("What does a slice select in a sequence?", answer, passage, "Slicings")) is True


def test_grounding_gate_rejects_phrases_the_answer_never_uses() -> None:
    gate = quality.GroundingGate()
    answer = (
        "Usually, the subscription of an object using square brackets will call the __getitem__() instance "
        "method defined on the object's class."
    )
    passage = f"Subscriptions\n\n{answer}"
    invented = row('What is a "class-level subscriber" in a subscription?', answer, passage, "Subscriptions")
    assert verdict(gate, invented) == (False, reasons.OFF_TOPIC_REQUEST)
    fine = row("What does the subscription of an object with square brackets call?", answer, passage, "Subscriptions")
    assert verdict(gate, fine) is True


def test_grounding_gate_ignores_rows_without_a_passage() -> None:
    assert verdict(quality.GroundingGate(), row("Write a haiku about the sea.", "Grey waves fold.")) is True


@pytest.mark.parametrize(
    "request_text, answer, ok",
    [
        (
            "Why is the else clause only executed if no exceptions are raised?",
            "The optional else clause is executed if the control flow leaves the try suite and no exception was raised.",
            False,
        ),
        ("Why are strings immutable?", "Strings are immutable so that they can be used as dictionary keys.", True),
        (
            "What is the difference between a class and a class definition?",
            "Custom class types are typically created by class definitions. A class has a namespace.",
            False,
        ),
        (
            "How does a bytes literal differ from a string literal?",
            "Bytes literals produce an instance of the bytes type instead of the str type.",
            True,
        ),
    ],
)
def test_answer_form_gate(request_text: str, answer: str, ok: bool) -> None:
    result = verdict(quality.AnswerFormGate(), row(request_text, answer))
    assert result is True if ok else result == (False, reasons.ANSWER_MISMATCH)


@pytest.mark.parametrize(
    "text",
    [
        'What is the "else" clause, and what are exceptions?',
        "What are instance methods and what is a class method?",
        'Explain what a coroutine function is, how it is used, and what a "await" expression does.',
    ],
)
def test_request_form_gate_rejects_two_questions_in_one(text: str) -> None:
    result = verdict(quality.RequestFormGate(), row(text, "An answer of several words."))
    assert result == (False, reasons.TWO_QUESTIONS)


def test_grounding_gate_rejects_quoted_terms_the_answer_never_names() -> None:
    answer = (
        'The optional "else" clause is executed if the control flow leaves the "try" suite and no exception was raised.'
    )
    passage = f"The try statement\n\n{answer}"
    asked = row(
        'What is the difference between an "else" clause and a "for" clause?', answer, passage, "The try statement"
    )
    assert verdict(quality.GroundingGate(), asked) == (False, reasons.OFF_TOPIC_REQUEST)
    fine = row('When is the "else" clause of a "try" statement executed?', answer, passage, "The try statement")
    assert verdict(quality.GroundingGate(), fine) is True
