"""Quality gates: each gate's exact reason code on real bad outputs, and good rows kept."""

from __future__ import annotations

import dataclasses
import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.templates import template_fixed_text
from synthbeam.transforms.checks import Drop, RecordFilter, first_drop
from synthbeam.transforms.curate import phrasing, quality

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


def dropped(gate: RecordFilter, record: Record) -> str | None:
    """The reason ``gate`` drops ``record`` for, None when it keeps it."""
    result = gate(record)
    return result.reason if isinstance(result, Drop) else None


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
    assert first_drop(row(request_text, answer), gates).reason == reason


def test_good_rows_pass_every_gate() -> None:
    gates = quality.quality_gates(QA_PROMPT, (quality.USER,))
    good = [
        row("What is a lambda expression in Python?", LAMBDA_ANSWER, LAMBDA_PASSAGE, "Lambdas"),
        row("What are lambda expressions used for?", LAMBDA_ANSWER, LAMBDA_PASSAGE, "Lambdas"),
        row("Explain the difference between a list and a tuple.", "A list is mutable; a tuple is immutable."),
        row("Summarize the paragraph in one sentence.\n\nBees visit flowers for nectar.", "Bees feed on nectar."),
    ]
    assert [first_drop(r, gates) for r in good] == [None] * len(good)


def test_placeholder_gate() -> None:
    gate = quality.PlaceholderGate()
    for bad in ("The answer is <response>.", "It returns [insert value here].", "Hello {{ name }}."):
        assert dropped(gate, row("What does it return?", bad)) == reasons.PLACEHOLDER
    # Code in brackets and angle brackets is not a placeholder.
    for fine in ("Use a[0] and x[i:j].", "The repr is <lambda> for anonymous functions.", "Write [a, b]."):
        assert dropped(gate, row("What does it return?", fine)) is None


def test_request_equals_answer_gate() -> None:
    gate = quality.RequestEqualsAnswerGate()
    assert dropped(gate, row("What is a tuple?", "What is a tuple?")) == reasons.REQUEST_EQUALS_ANSWER
    assert dropped(gate, row("What is a tuple?", "A tuple is an immutable sequence.")) is None
    # Kept by a demo run: the request already says all the answer says ("object" aside).
    restated = row(
        "How does instance method combine a class, a class instance and any callable object "
        "(normally a user-defined function)?",
        "An instance method object combines a class, a class instance and any callable object "
        "(normally a user-defined function).",
    )
    assert dropped(gate, restated) == reasons.REQUEST_EQUALS_ANSWER
    compared = row(
        'How does the operator "<=" compare values of two objects?',
        'The operators "<", ">", "==", ">=", "<=", and "!=" compare the values of two objects. The objects do not '
        "need to have the same type.",
    )
    assert dropped(gate, compared) is None
    assert dropped(gate, row("What is the capital city of France?", "Paris.")) is None
    assert dropped(gate, row("What is the capital city of France?", "The capital city of France is Paris.")) is None


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
    result = dropped(quality.RequestFormGate(), row(text, "An answer of several words."))
    assert result is None if ok else result == reasons.NOT_A_REQUEST


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
    result = dropped(quality.StubAnswerGate(), row("What is a tuple?", answer))
    assert result is None if ok else result == reasons.STUB_ANSWER


def test_repeated_sentences_gate() -> None:
    gate = quality.RepeatedSentencesGate()
    bad = "A list is mutable and ordered. It holds items. A list is mutable and ordered."
    assert dropped(gate, row("What is a list?", bad)) == reasons.REPEATED_SENTENCES
    stutter = row("How-to: how-to: how-to: how-to: instructions", "Steps.")
    assert dropped(gate, stutter) == reasons.REPEATED_SENTENCES
    assert dropped(gate, row("What is a list?", "A list is mutable. A tuple is not.")) is None


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
    result = dropped(quality.MissingContextGate(), row(request_text, answer))
    assert result is None if ok else result == reasons.MISSING_CONTEXT


def test_grounding_gate_rejects_answers_not_from_the_passage() -> None:
    gate = quality.GroundingGate()
    passage = "Lists support appending with the append() method and extending with extend()."
    invented = "Use the add() function from the itertools module to add a new column to a table."
    record = row("How to add a new column to a table in Python", invented, passage, "Lists")
    assert dropped(gate, record) == reasons.UNGROUNDED_ANSWER


def test_grounding_gate_rejects_requests_the_answer_does_not_address() -> None:
    gate = quality.GroundingGate()
    record = row("How do I open a file for writing?", LAMBDA_ANSWER, LAMBDA_PASSAGE, "Lambdas")
    assert dropped(gate, record) == reasons.OFF_TOPIC_REQUEST
    # "slice" and "slicing" share a stem: a good question is not rejected for its word form.
    passage = "Slicings\n\nA slicing selects a range of items in a sequence object such as a string or a list."
    answer = "A slicing selects a range of items in a sequence object such as a string or a list."
    assert dropped(gate, row("What does a slice select in a sequence?", answer, passage, "Slicings")) is None


def test_grounding_gate_rejects_phrases_the_answer_never_uses() -> None:
    gate = quality.GroundingGate()
    answer = (
        "Usually, the subscription of an object using square brackets will call the __getitem__() instance "
        "method defined on the object's class."
    )
    passage = f"Subscriptions\n\n{answer}"
    invented = row('What is a "class-level subscriber" in a subscription?', answer, passage, "Subscriptions")
    assert dropped(gate, invented) == reasons.OFF_TOPIC_REQUEST
    fine = row("What does the subscription of an object with square brackets call?", answer, passage, "Subscriptions")
    assert dropped(gate, fine) is None


def test_grounding_gate_ignores_rows_without_a_passage() -> None:
    assert dropped(quality.GroundingGate(), row("Write a haiku about the sea.", "Grey waves fold.")) is None


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
        (
            "Can you explain what a generic class is?",
            "To implement custom generic classes that can be parameterized at runtime, users should inherit from Generic.",
            False,
        ),
        ("What is a list?", "Lists are mutable sequences, typically used to store collections of items.", True),
        # A passing "not" is no contrast between two things (kept by a demo run).
        (
            "What is the difference between a class and a class definition?",
            "Custom class types are typically created by class definitions. A class has a namespace implemented "
            "by a dictionary object. When the attribute name is not found there, the search continues in the bases.",
            False,
        ),
        (
            "What is the difference between an empty format specification and a non-empty format specification?",
            "An empty format specification produces the same result as str(). A non-empty format specification "
            "typically modifies the result.",
            True,
        ),
        (
            "What is the difference between a list and a tuple?",
            "Lists are mutable, whereas tuples cannot be changed once created.",
            True,
        ),
        (  # kept by a demo run: says where coroutine syntax may appear, not how to use coroutines
            "How can you use coroutines in Python?",
            'Execution of Python coroutines can be suspended and resumed at many points. "await" expressions, '
            '"async for" and "async with" can only be used in the body of a coroutine function.',
            False,
        ),
        ("How can you use decorators?", "Decorators are applied by writing @name above a function definition.", True),
        ("How do I use slicing?", "Slicing can be used to copy a list: a[:] returns a new list.", True),
        ("How can you use the with statement?", 'The "with" statement is used to wrap a block in a context.', True),
        ("How can you use a generator?", "Call next() on it to get each value in turn.", True),
    ],
)
def test_answer_form_gate(request_text: str, answer: str, ok: bool) -> None:
    result = dropped(quality.AnswerFormGate(), row(request_text, answer))
    assert result is None if ok else result == reasons.ANSWER_MISMATCH


BREAK_AND_CONTINUE = (
    'A "break" statement executed in the first suite terminates the loop without executing the "else" clause\u2019s '
    'suite. A "continue" statement executed in the first suite skips the rest of the suite and goes back to testing '
    "the expression."
)


@pytest.mark.parametrize(
    "request_text, answer, ok",
    [
        ('What is a "break" and when is it used?', BREAK_AND_CONTINUE, False),  # kept by a demo run
        ('How does the "continue" statement work?', BREAK_AND_CONTINUE, False),
        ('How do "break" and "continue" statements change a loop?', BREAK_AND_CONTINUE, True),
        (
            'What does the "else" clause of a loop do?',
            'The "else" clause runs when the loop ends normally. The "else" clause is skipped after a "break".',
            True,
        ),
        ("What does a loop do?", BREAK_AND_CONTINUE, True),  # names neither: judged by the grounding gate
    ],
)
def test_answer_that_goes_on_about_a_sibling_is_off_subject(request_text: str, answer: str, ok: bool) -> None:
    result = dropped(quality.AnswerFormGate(), row(request_text, answer))
    assert result is None if ok else result == reasons.ANSWER_OFF_SUBJECT


@pytest.mark.parametrize(
    "text",
    [
        'What is the "else" clause, and what are exceptions?',
        "What are instance methods and what is a class method?",
        'Explain what a coroutine function is, how it is used, and what a "await" expression does.',
    ],
)
def test_request_form_gate_rejects_two_questions_in_one(text: str) -> None:
    result = dropped(quality.RequestFormGate(), row(text, "An answer of several words."))
    assert result == reasons.TWO_QUESTIONS


def test_grounding_gate_rejects_quoted_terms_the_answer_never_names() -> None:
    answer = (
        'The optional "else" clause is executed if the control flow leaves the "try" suite and no exception was raised.'
    )
    passage = f"The try statement\n\n{answer}"
    asked = row(
        'What is the difference between an "else" clause and a "for" clause?', answer, passage, "The try statement"
    )
    assert dropped(quality.GroundingGate(), asked) == reasons.OFF_TOPIC_REQUEST
    fine = row('When is the "else" clause of a "try" statement executed?', answer, passage, "The try statement")
    assert dropped(quality.GroundingGate(), fine) is None


@pytest.mark.parametrize(
    ("text", "twice"),
    [
        ("What are Strings and Strings in Python and how do they work?", True),
        ("What are strings and Strings?", True),
        ('What is "yield" and "yield" used for?', True),
        ("How do the for statement and the for statement differ?", True),
        ("What are list and list comprehensions?", False),
        ("What is the difference between an expression list and an expression list of an expression?", False),
        ("What are classes and class instances?", False),
        ("What are strings and bytes in Python?", False),
        ("How do `list` and `tuple` differ?", False),
        ("What is the difference between x and y?", False),
        ("Explain the with statement and the with-item.", False),
    ],
)
def test_request_form_gate_rejects_one_subject_joined_to_itself(text: str, twice: bool) -> None:
    result = dropped(quality.RequestFormGate(), row(text, "An answer of several words."))
    assert result == (reasons.SAME_SUBJECT_TWICE if twice else None)


FOR_PASSAGE = (
    'The "for" statement\n*******************\n\nThe "for" statement is used to iterate over the elements of a '
    'sequence:\n\n   for_stmt ::= "for" target_list "in" starred_list ":" suite\n                ["else" ":" suite]\n\n'
    'The "starred_list" expression is evaluated once; it should yield an *iterable* object. An *iterator* is '
    "created for that iterable."
)
FOR_ANSWER = (
    'The "starred_list" expression is evaluated once; it should yield an iterable object. An iterator is created '
    "for that iterable."
)


@pytest.mark.parametrize(
    ("request_text", "unseen"),
    [
        ('What is the "starred_list" expression and what does it do?', True),
        ("What does the starred_list of a for statement yield?", True),
        ("What is a starred_list?", True),
        ('What does the expression after "in" in a "for" statement yield?', False),
        ("What does starred_list() return?", False),  # a call: a function, not a grammar rule
    ],
)
def test_requests_about_grammar_rules_the_row_does_not_show(request_text: str, unseen: bool) -> None:
    assert phrasing.asks_about_unseen_grammar(request_text, FOR_PASSAGE, FOR_ANSWER) is unseen
    shown = f'{FOR_ANSWER}\n\n   for_stmt ::= "for" target_list "in" starred_list ":" suite'
    assert not phrasing.asks_about_unseen_grammar(request_text, FOR_PASSAGE, shown)  # the rule is shown


def test_grounding_gate_rejects_a_kept_demo_row_about_an_unseen_grammar_rule() -> None:
    asked = row('What is the "starred_list" expression and what does it do?', FOR_ANSWER, FOR_PASSAGE)
    asked = dataclasses.replace(asked, meta=json.dumps({"passage": FOR_PASSAGE, "focus": FOR_ANSWER[:60]}))
    assert dropped(quality.GroundingGate(), asked) == reasons.MISSING_CONTEXT
