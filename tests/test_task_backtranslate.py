"""Answer-first instructions: span extraction, the prompt, parsing, labels and copy detection."""

from __future__ import annotations

import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Completion, Passage, Source
from synthbeam.tasks.backtranslate import (
    RequestCandidate,
    RequestForAnswer,
    candidates_for_passage,
    clean_request,
    examples_for,
    request_examples,
    request_label,
)
from synthbeam.tasks.base import ParseError
from synthbeam.tasks.spans import clean_prose, extract_spans, paragraphs_with_headings

ASSERT_TOPIC = """The "assert" statement
**********************

Assert statements are a convenient way to insert debugging assertions
into a program:

   assert_stmt ::= "assert" expression ["," expression]

The extended form, "assert expression1, expression2", is equivalent to

   if __debug__:
       if not expression1: raise AssertionError(expression2)

These equivalences assume that "__debug__" and "AssertionError" refer
to the built-in variables with those names.  In the current
implementation, the built-in variable "__debug__" is "True" under
normal circumstances, "False" when optimization is requested (command
line option "-O").  The current code generator emits no code for an
assert statement when optimization is requested at compile time.

Assignments to "__debug__" are illegal.  The value for the built-in
variable is determined when the interpreter starts.
"""
LAMBDA_TOPIC = """Lambdas
*******

   lambda_expr ::= "lambda" [parameter_list] ":" expression

Lambda expressions (sometimes called lambda forms) are used to create
anonymous functions. The expression "lambda parameters: expression"
yields a function object.  The unnamed object behaves like a function
object defined with:

   def <lambda>(parameters):
       return expression

See section Function definitions for the syntax of parameter lists.
Note that functions created with lambda expressions cannot contain
statements or annotations.
"""


def test_paragraphs_skip_headings_code_and_lists() -> None:
    text = "Title\n=====\n\nFirst para\nwraps here.\n\n   code = 1\n\n* a list item\n\nLast para."
    pairs = paragraphs_with_headings(text)
    assert [p for _, p in pairs] == ["First para wraps here.", "Last para."]
    assert [run.split("\x1f")[1] for run, _ in pairs] == ["Title", "Title"]
    assert pairs[0][0] != pairs[1][0]  # a code block and a list lie between them


def test_clean_prose_drops_pointers_elsewhere_and_lead_ins_to_code() -> None:
    text = "Functions are *first-class* objects.  See section Calls for details.  It is defined with:"
    assert clean_prose(text) == "Functions are first-class objects."


def test_spans_never_glue_prose_across_a_code_block() -> None:
    # Each prose paragraph of this topic introduces code (":"), points back ("These ...") or is
    # too short to stand alone; joined across the code blocks they would read as nonsense.
    assert extract_spans(Passage("assert", ASSERT_TOPIC, title="assert")) == []
    short = "A short opening sentence about generators here.\n\n   code = 1\n\n" + "Yield suspends a generator. " * 6
    (span,) = extract_spans(Passage("g", short, title="generators"), min_chars=60)
    assert span.text.startswith("Yield suspends") and "opening" not in span.text


def test_lambda_span_is_the_definition_without_the_cross_reference() -> None:
    (span, *_) = extract_spans(Passage("lambda", LAMBDA_TOPIC, title="lambda"))
    assert span.text.startswith("Lambda expressions (sometimes called lambda forms) are used to create anonymous")
    assert "See section" not in span.text and not span.text.endswith(":")


@pytest.mark.parametrize(
    "completion, cleaned",
    [
        ("What is a lambda expression?", "What is a lambda expression?"),
        ("Question: What is a lambda?\nAnswer: a function", "What is a lambda?"),
        ('"Why are tuples hashable?"', "Why are tuples hashable?"),
        ("\n\n  How do I slice a list?  ", "How do I slice a list?"),
    ],
)
def test_clean_request(completion: str, cleaned: str) -> None:
    assert clean_request(completion) == cleaned


@pytest.mark.parametrize(
    "request_text, label",
    [
        ("What is a lambda?", "factual"),
        ("How do I slice a list?", "how_to"),
        ("How does slicing work?", "explanation"),
        ("Why are strings immutable?", "explanation"),
        ("Summarize the rules for assert.", "summary"),
    ],
)
def test_request_label(request_text: str, label: str) -> None:
    assert request_label(request_text) == label


def candidate() -> RequestCandidate:
    passage = Passage("lambda#0", LAMBDA_TOPIC, Source("corpus.jsonl", 3, 0), "lambda")
    return candidates_for_passage(passage, spans_per_passage=1, candidates_per_span=2)[1]


def test_format_input_shows_worked_examples_as_turns_then_the_span() -> None:
    task, item = RequestForAnswer(), candidate()
    messages = task.format_input(item)
    examples = examples_for(task.item_id(item), request_examples())
    assert [m["role"] for m in messages] == ["system", "user", "assistant"] * 1 + ["user", "assistant"] * 2 + ["user"]
    assert [m["content"] for m in messages[2:7:2]] == [e["request"] for e in examples]
    assert messages[-1]["content"] == f"Topic: Lambdas\nAnswer: {item.span.text}"


def test_examples_differ_between_requests_and_repeat_for_the_same_one() -> None:
    pool = request_examples()
    shown = {tuple(e["request"] for e in examples_for(f"p/span0/{i}", pool)) for i in range(12)}
    assert len(shown) > 6
    assert examples_for("p/span0/1", pool) == examples_for("p/span0/1", pool)


def test_format_output_makes_the_span_the_response() -> None:
    task, item = RequestForAnswer(), candidate()
    completion = Completion("x", "What are lambda expressions used for?", "stop", "m", "h")
    (record,) = task.format_output(completion, item)
    assert record.messages == [
        {"role": "user", "content": "What are lambda expressions used for?"},
        {"role": "assistant", "content": item.span.text},
    ]
    assert record.label == "factual" and record.source == Source("corpus.jsonl", 3, 0)
    meta = json.loads(record.meta)
    assert meta == {
        "mode": "answer_first",
        "passage": LAMBDA_TOPIC,
        "topic": "Lambdas",
        "focus": "Lambda expressions (sometimes called lambda forms) are used",
        "span": "lambda#0/span0",
    }


def test_a_copied_example_request_is_rejected() -> None:
    task, item = RequestForAnswer(), candidate()
    copied = request_examples()[4]["request"]
    with pytest.raises(ParseError) as error:
        task.format_output(Completion("x", copied, "stop", "m", "h"), item)
    assert error.value.reason == reasons.COPIED_EXAMPLE


def test_request_asks_for_one_short_line() -> None:
    sampling = RequestForAnswer().sampling
    assert sampling.stop == ("\n",) and sampling.max_tokens <= 64


def test_clean_prose_drops_note_labels_and_reference_boilerplate() -> None:
    labelled = "Programmer\u2019s note: Variables defined in the class definition are class attributes."
    assert clean_prose(labelled) == "Variables defined in the class definition are class attributes."
    audited = '"import_module()" loads a module. Raises an auditing event "import" with arguments "module".'
    assert clean_prose(audited) == '"import_module()" loads a module.'
    accessed = 'Accessing "f_code" raises an auditing event "object.__getattr__". A code object holds bytecode.'
    assert clean_prose(accessed) == "A code object holds bytecode."


CLASS_TOPIC = """Custom classes
==============

Class attribute assignments update the class's dictionary, never the
dictionary of a base class.

A class object can be called (see above) to yield a class instance
(see below).

Special attributes are read through the class object itself.

An identifier occurring as an atom is a name.

When the name is bound to an object, evaluation of the atom yields that
object, and evaluating an unbound name raises a "NameError" exception.
"""


def test_a_short_paragraph_is_joined_only_with_one_that_goes_on_about_it() -> None:
    spans = [s.text for s in extract_spans(Passage(id="c", text=CLASS_TOPIC), max_spans=5)]
    # "A class object can be called" starts another subject: never glued to the assignment rule.
    assert not any("class object" in s for s in spans)
    assert spans == [
        "An identifier occurring as an atom is a name. When the name is bound to an object, evaluation of the "
        'atom yields that object, and evaluating an unbound name raises a "NameError" exception.'
    ]
