"""Answers to pure definition requests ("What is X?") must say what X is: answers that only
mention X rejected, definitions in any of their usual shapes kept, and requests that are not
pure definition requests never judged; the demo run's kept rows checked one by one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.transforms.checks import Drop
from synthbeam.transforms.curate.definition import defines, definition_head, misses_definition
from synthbeam.transforms.curate.quality import AnswerFormGate

DEMO_KEPT = Path(__file__).parent / "data" / "demo_kept_instructions.jsonl"

# Pure definition requests and the head noun the answer must link.
HEADS = [
    ("What is a list?", "list"),
    ("What are view objects?", "objects"),
    ("What is a class attribute?", "attribute"),
    ("What is the termination model of error handling?", "model"),
    ('What is a "printf"-style string formatting?', "formatting"),
    ("What is a comparison operation?", "operation"),
    ("What's a generator in Python?", "generator"),
    ("what are f-strings?", "f-strings"),
    ('What are "magic methods"?', "methods"),
    # a follow-up about the same X still asks what X is
    ("What is a power operator and what is it used for?", "operator"),
    ("What is an atom, and when is it used?", "atom"),
    ("What is a descriptor and what are its uses?", "descriptor"),
    ("What is a namespace ?", "namespace"),
]

# Not pure definition requests, or not judged: the answer is never looked at.
NOT_JUDGED = [
    # a second part, a follow-up that saying what X does answers, a use, a comparison
    "What is pdb and what does it do?",
    "What is a context manager, and how does it work?",
    "What is a list and what is a tuple?",
    "What is a future statement used for in Python?",
    "What is the difference between a class and a class definition?",
    "What is a list compared to a tuple?",
    "What is a decorator, exactly?",
    # a property, a value, a listing
    "What is the purpose of the `except*` clause?",
    "What is the role of a metaclass?",
    "What is the meaning of a star in an import?",
    "What is the default equality comparison behavior?",
    "What is the default encoding?",
    "What is the syntax of a lambda?",
    "What are the built-in types?",
    "What are some string methods?",
    "What are the types of exceptions?",
    "What is an example of a closure?",
    # code names, names, acronyms
    "What is `__slots__`?",
    'What is "break"?',
    "What is dict.keys()?",
    "What is *args?",
    "What is a GenericAlias?",
    "What is the GIL?",
    "What is PEP 8?",
    # other prepositions, other forms, more than one sentence
    "What is a suite in a compound statement?",
    "What is a function with default arguments?",
    "How does a list work?",
    "Explain what a list is.",
    "What is a list? Give an example.",
    "What is a list",
]

# (request, answer) pairs whose answer defines X.
DEFINED = [
    ("What is a list?", "Lists are mutable sequences, typically used to store collections of homogeneous items."),
    ("What is a list?", "A list is a mutable sequence."),
    ("What is a list?", "The list type is a mutable sequence type."),
    ("What are view objects?", 'The objects returned by "dict.keys()" and "dict.items()" are view objects.'),
    ("What is a class attribute?", "Variables defined in the class definition are class attributes; they are shared."),
    (
        "What is the termination model of error handling?",
        "Python uses the \u201ctermination\u201d model of error handling: an exception handler can find out what happened.",
    ),
    ("What is a namespace?", "A namespace is a mapping from names to objects."),
    (
        "What is a decorator?",
        "A decorator (a callable that returns a callable) is applied when the function is defined.",
    ),
    ("What is a generator?", "Generators, which are functions that yield values, return iterators."),
    ("What is a generator?", "A generator, which looks like a function, is run lazily."),
    ("What is a coroutine?", "Coroutines: a generalised form of subroutines."),
    ("What is an iterator?", "An object representing a stream of data is called an iterator."),
    ("What is slicing?", "Slicing refers to selecting a range of items in a sequence."),
    ("What is a virtual environment?", "A virtual environment denotes a self-contained directory tree."),
    ("What are f-strings?", "F-strings, also called formatted string literals, are string literals prefixed with f."),
    ("What is a keyword argument?", "Arguments preceded by an identifier in a call are `keyword arguments`."),
    (
        "What is the power operator?",
        'The power operator has the same semantics as "pow()": it yields its left argument.',
    ),
    (
        "What is a class?",
        "Custom class types are typically created by class definitions. A class's namespace is a dict.",
    ),
    ("What are entries?", "An entry is a key and its value."),
    ("What is a dictionary?", "Dictionaries consist of key: value pairs."),
]

# (request, answer) pairs whose answer only mentions X, or never names it.
NOT_DEFINED = [
    (
        "What is a comparison operation?",
        "Unlike C, all comparison operations in Python have the same priority, which is lower than that of any "
        "arithmetic, shifting or bitwise operation.",
    ),
    (
        'What is a "printf"-style string formatting?',
        "Strings also support two styles of string formatting, one providing a large degree of flexibility and "
        'customization (see "str.format()", Format String Syntax and Custom String Formatting) and the other based '
        'on C "printf" style formatting that handles a narrower range of types and is slightly harder to use '
        "correctly, but is often faster for the cases it can handle (printf-style String Formatting).",
    ),
    ("What is a generator?", "Generators can be used to save memory when iterating."),
    ("What is a module?", "The public names defined by a module are determined by its namespace."),
    ("What is a syntax error?", 'The "nonlocal" statement causes names to refer to previously bound variables.'),
    ("What is lexical scoping?", 'The key difference from a call to "exec()" is that lexical scoping allows the body.'),
    (
        "What is a nested inheritance structure?",
        "Dynamic ordering is necessary because all cases of multiple inheritance exhibit diamond structures where "
        "there are multiple paths.",
    ),
    ('What is a "break" statement?', 'A "break" statement executed in the first suite terminates the loop.'),
    ("What is an atom, and when is it used?", "An identifier occurring as an atom is a name."),  # X after "as"
    ("What is the builtins module?", 'Users should not touch "__builtins__"; it is an implementation detail.'),
]

# Every kept row of the demo run (out/demo: SmolLM2-135M-Instruct, seed 0, train and eval, no
# oversampled copies) this gate rejects; each read by eye: neither answer says what X is.
DEMO_REJECTED = {
    "What is a comparison operation?",  # the answer is about their priority
    'What is a "printf"-style string formatting?',  # the answer says strings support two styles
    "What is an atom, and when is it used?",  # the answer says what an identifier occurring as one is
}


@pytest.mark.parametrize("request_text, head", HEADS)
def test_pure_definition_requests_give_their_head_noun(request_text: str, head: str) -> None:
    assert definition_head(request_text) == head


@pytest.mark.parametrize("request_text", NOT_JUDGED)
def test_other_requests_are_not_judged(request_text: str) -> None:
    assert definition_head(request_text) is None
    assert not misses_definition(request_text, "An answer that defines nothing at all.")


@pytest.mark.parametrize("request_text, answer", DEFINED)
def test_definitions_pass(request_text: str, answer: str) -> None:
    assert not misses_definition(request_text, answer)


@pytest.mark.parametrize("request_text, answer", NOT_DEFINED)
def test_answers_that_only_mention_x_are_found(request_text: str, answer: str) -> None:
    assert misses_definition(request_text, answer)


def test_singular_plural_and_quotes_are_normalised() -> None:
    assert defines("Classes are templates.", "class")
    assert defines("An entry is a pair.", "entries")
    assert defines("`Lists` are sequences.", "list")
    assert defines("\u201cview objects\u201d are dynamic.", "objects")
    assert not defines("Listings are long.", "list")  # another word, not a form of the head


def test_the_link_must_be_close_and_in_one_clause() -> None:
    assert not defines("Comparison operations in Python have the same priority.", "operation")
    assert not defines("Formatting that handles a narrower range of types and is slightly harder.", "formatting")
    assert not defines("Operations. Are they fast?", "operation")
    assert not defines("The key difference is that lexical scoping allows it.", "scoping")  # not "is scoping"
    assert not defines("Names defined by a module are public.", "module")  # X after "by", not the subject
    assert not defines("Diamond structures where there are many paths.", "structure")  # another clause's verb


def test_demo_kept_rows() -> None:
    rows = [json.loads(line) for line in DEMO_KEPT.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 26
    rejected = {row["request"] for row in rows if misses_definition(row["request"], row["answer"])}
    assert rejected == DEMO_REJECTED


def _row(request: str, answer: str) -> Record:
    return Record(
        id="r",
        task="instruction",
        messages=[{"role": "user", "content": request}, {"role": "assistant", "content": answer}],
        meta=json.dumps({}),
    )


@pytest.mark.parametrize(
    "request_text, answer, reason",
    [
        (
            "What is a comparison operation?",
            "Comparison operations have the same priority.",
            reasons.ANSWER_NOT_DEFINITION,
        ),
        ("What is a list?", "Lists are mutable sequences.", None),
        ("What is a list and how is it used?", "Lists have a length.", reasons.ANSWER_NOT_DEFINITION),
        ("What is a list and what does it do?", "Lists keep items in order.", None),
        ("Why are strings immutable?", "Strings are stored in a table.", reasons.ANSWER_MISMATCH),
    ],
)
def test_answer_form_gate_gives_the_reason(request_text: str, answer: str, reason: str | None) -> None:
    result = AnswerFormGate()(_row(request_text, answer))
    assert (result.reason if isinstance(result, Drop) else None) == reason
