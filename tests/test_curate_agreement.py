"""Subject-verb agreement of a request's opening: clear disagreements rejected, plurals and
doubtful cases kept, and the demo run's real requests (kept and rejected) left alone."""

from __future__ import annotations

import json

import pytest

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.transforms.checks import Drop
from synthbeam.transforms.curate.agreement import number_disagrees
from synthbeam.transforms.curate.quality import RequestFormGate

DISAGREE = [
    # one code name with a plural verb
    "What are importlib.import_module() and what does it do?",
    "What are importlib.import_module(), and what does it do?",
    "What are `foo`?",
    'What are "break"?',
    "Why are `x()` used?",
    "What do x.y() mean in Python?",
    "How do x.y() work?",
    # an article or "the" and no word that could be plural, with a plural verb
    "What are the purpose of decorators?",
    "What are a decorator?",
    "What are an example of a closure?",
    "What are a decorator, and how does it work?",
    "How do the power operator work?",
    "What are the default equality comparison behavior?",
    "How are the `with` statement used?",
    "What are the function's purpose?",
    "How do a generator's send() method work?",
    "What are the key difference between lists and tuples?",
    "Why do the function fail?",
    # a plural subject with a singular verb
    "What is the differences between a list and a tuple?",
    "How does list comprehensions work?",
    "What is list comprehensions?",
    "What is the built-in functions of Python?",
    "How does Python's decorators work?",
    "What is these functions?",
    "What is the ways to sort a list?",
    "What is the `__init__` method's parameters?",
    # a pronoun
    "How does they work?",
    "What are it?",
    "How do it work?",
]

AGREE = [
    # the brief's plurals
    "What are decorators?",
    "What are the arguments of x()?",
    "How do list comprehensions work?",
    "What are `*args` and `**kwargs`?",
    # names that look plural, or symbols
    "What are dict.keys()?",
    "What are `__slots__` used for?",
    "What is `*args`?",
    "What is sys.argv?",
    "What is itertools?",
    "How does itertools work?",
    "How does Python's itertools work?",
    "What is bytes?",
    "How does bytes differ from str?",
    "What is Pandas used for?",
    "How does requests handle cookies?",
    "What do the `[]` mean?",
    "What are the PEP 8 naming conventions?",
    "What is the C3 method resolution order?",
    # -s words that are singular, plurals without -s, quantities
    "What is the status of a thread?",
    "What is the analysis of algorithms?",
    "What is the class of an integer?",
    "What are the semantics of the `is` operator?",
    "What are the data types in Python?",
    "What are the criteria for hashability?",
    "What are the rest of the values after unpacking?",
    "What are a couple of ways to reverse a list?",
    "What are the set of characters allowed in identifiers?",
    "What are the following?",
    "What are the odds of a hash collision?",
    # joined subjects and lists
    "What are the pros and cons of generators?",
    "What are the input and output of map()?",
    "What are the `!r`, `!s` and `!a` conversions?",
    "How do the `and` and `or` operators work?",
    'What are "None" and "False" in Python?',
    "What is async and asyncio?",
    "What does the `*` and `**` operators mean?",
    # the subject's end is not where a naive reading puts it
    "What is the value Python returns?",
    "What is the syntax Python uses?",
    "What is the type the function returns?",
    "What is the way functions return values?",
    "What is the arguments list?",
    "What is the class methods' role?",
    "How does the print function work?",
    "How does the help function work?",
    "How does the for loop's else clause work?",
    "How do the flow control statements work?",
    "How does Python let users define classes?",
    "How does the `with` statement help developers manage resources?",
    "How does the interpreter treat strings differently?",
    # "what" as the subject, pronouns, quoted phrases
    "What is considered best practices for naming?",
    "What is meant by list comprehensions?",
    "How is the `with` statement used?",
    "How are decorators implemented?",
    "How do you use coroutines in Python?",
    "How do I open a file?",
    "How does one create a decorator?",
    "Why is it that you can't leave values undefined?",
    "What are it's benefits?",
    'What are "magic methods"?',
    'What does the term "duck typing" mean?',
    "What is the weather in Paris today?",
    "How are the Lakers doing this season?",
]

# Left to other gates on purpose: a single bare word may be a module or a library ("How does
# requests ..."), an article before a plural is the noun's disagreement, not the verb's.
NOT_JUDGED = [
    "How does debuggers help you debug your program?",
    "What is a text processing services?",
]

# Every request of the demo run (out/demo: SmolLM2-135M-Instruct, seed 0), kept in train and eval.
DEMO_KEPT = [
    "What is the difference between a class and a class definition?",
    "What is the purpose of class attribute assignment?",
    'What is a "break" and when is it used?',
    "How does the power operator work?",
    "What is a power operator and what is it used for?",
    "What is the default equality comparison behavior?",
    "How can you use coroutines in Python?",
    'How does a "with" statement work?',
    'What is a "printf"-style string formatting?',
    "How does a function definition work?",
    "What is the difference between an empty format specification and a non-empty format specification?",
    'How does the operator "<=" compare values of two objects?',
    "What is an exception and how does it differ from other types of control flow?",
    "What is the termination model of error handling?",
    "How does lexical scoping work when using a function from the outer scope of a class?",
    "What is an atom, and when is it used?",
    'Explain what the "else" clause is and how it handles exceptions.',
    "What is a comparison operation?",
    "What are view objects?",
    "How does augmented assignment evaluate the left-hand side before evaluating the right-hand side?",
    "What is the purpose of the `except*` clause?",
    "How does augmented assignment work in Python?",
    "What is a class attribute?",
    "What is a future statement used for in Python?",
    'What is the "starred_list" expression and what does it do?',
    "What is a list?",
]

# Requests of the same run the other gates rejected, in agreement: this gate leaves them too.
DEMO_REJECTED = [
    "What are future statements and why are they used?",
    'Why are "Except*" clauses used?',
    "What are string methods?",
    "What are these operations?",
    'What does "pdb" do in Python?',
    "How do coroutines work?",
    'How does "nonlocal" prevent syntax errors?',
    "How does a decorator work?",
    "How does a function return its arguments?",
    "How does the `dict` class provide dynamic view on dictionary objects?",
    "How does the list include duplicate elements?",
    'What are "None" and "False" in Python?',
    "What are multiple inheritance mechanisms?",
    'What are the benefits of "global" in programming?',
    'What does a "bytes" type represent?',
    'What does the "dir()" built-in function return?',
    "What is a GenericAlias and how is it different from a GenericClass?",
    "What is the C3 method resolution order?",
    "What is the builtins module?",
    "What types of built-in types have customered their comparison behavior, and why?",
    'What does a "break" statement does?',
    "What are Strings and Strings in Python and how do they work?",
    "What are instance methods and what is a class method?",
    "Why do we have to import the builtins module? What is the difference between an import statement and a module import?",
    "Why is '__builtins__' not a builtin in Python, but in Ruby?",
    "What is async and asyncio?",
]


@pytest.mark.parametrize("request_text", DISAGREE)
def test_disagreement_is_found(request_text: str) -> None:
    assert number_disagrees(request_text)


@pytest.mark.parametrize("request_text", AGREE + NOT_JUDGED + DEMO_KEPT + DEMO_REJECTED)
def test_agreement_or_doubt_passes(request_text: str) -> None:
    assert not number_disagrees(request_text)


def test_only_the_opening_is_read() -> None:
    assert not number_disagrees("Explain what are importlib.import_module().")
    assert not number_disagrees("When are importlib.import_module() called?")
    assert number_disagrees("what ARE the purpose of x()?")


def _row(request: str) -> Record:
    return Record(
        id="r",
        task="instruction",
        messages=[{"role": "user", "content": request}, {"role": "assistant", "content": "An answer of words."}],
        meta=json.dumps({}),
    )


@pytest.mark.parametrize(
    "request_text, reason",
    [
        ("What are importlib.import_module() and what does it do?", reasons.SUBJECT_VERB_MISMATCH),
        ("How does list comprehensions work?", reasons.SUBJECT_VERB_MISMATCH),
        ("What are the purpose of x()?", reasons.SUBJECT_VERB_MISMATCH),
        ("What are `*args` and `**kwargs`?", None),
        ("What are instance methods and what is a class method?", reasons.TWO_QUESTIONS),
        ("What is the normal binary operations.", reasons.NOT_A_REQUEST),
    ],
)
def test_request_form_gate_gives_the_reason(request_text: str, reason: str | None) -> None:
    result = RequestFormGate()(_row(request_text))
    assert (result.reason if isinstance(result, Drop) else None) == reason
