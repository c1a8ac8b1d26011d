"""Quality gates: deterministic checks that a chat row is one a person would train on.

Each gate is a ``RecordFilter`` (a named check: ``record -> record | Drop(reason_code)``) run
by ``ApplyFilters`` under stage ``quality``. They catch what schema checks let through: a
request that repeats the prompt's own wording, placeholders, a request equal to its answer,
a user turn that asks nothing, stub answers, repeated sentences, references to a passage the
row does not carry, and answers (or requests) whose words do not come from their source.

Rows derived from a passage carry it in ``meta.passage`` (and its heading in
``meta.topic``); the grounding gates pass rows without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.transforms.checks import Drop, RecordFilter
from synthbeam.transforms.curate import wording
from synthbeam.transforms.curate.agreement import number_disagrees
from synthbeam.transforms.curate.definition import misses_definition
from synthbeam.transforms.curate.phrasing import (
    ASKS_DIFFERENCE,
    ASKS_DIFFERENCE_BETWEEN,
    ASKS_WHY,
    DANGLING_REFERENCE,
    GIVES_REASON,
    MISSING_CONTEXT,
    PLACEHOLDER,
    asks_about_unseen_grammar,
    asks_two_things,
    gives_contrast,
    has_supplied_input,
    is_request,
    is_stub,
    misses_how_to_use,
    names_one_subject_twice,
    quoted_terms,
    repeats_itself,
    sets_against,
    strays_to_sibling,
)

STAGE = "quality"
USER, ASSISTANT = "user", "assistant"


def turn_text(record: Record, role: str) -> str:
    """The contents of every turn of ``role``, joined (tool calls not included)."""
    return "\n".join(m.get("content") or "" for m in record.messages if m.get("role") == role).strip()


class PromptEchoGate(RecordFilter):
    """Rejects a turn that repeats the prompt's fixed wording instead of writing something:
    half its words inside 4-grams of the prompt that hold a content word, or (short turns)
    every content word from the prompt and none from the passage."""

    name = "prompt_echo"

    def __init__(self, prompt_texts: Iterable[str], roles: Sequence[str] = (USER, ASSISTANT)) -> None:
        texts = list(prompt_texts)
        self._grams = wording.reference_ngrams(texts)
        self._vocabulary = set().union(*(wording.content_stems(t) for t in texts)) if texts else set()
        self._roles = tuple(roles)

    def __call__(self, record: Record) -> Record | Drop:
        passage = record.meta_dict().get("passage", "")
        for role in self._roles:
            text = turn_text(record, role)
            if wording.ngram_covered_fraction(text, self._grams) >= 0.5:
                return Drop(reasons.PROMPT_ECHO)
            stems = wording.content_stems(text)
            short = len(wording.words(text)) <= 8
            if short and stems and stems <= self._vocabulary and not stems & wording.content_stems(passage):
                return Drop(reasons.PROMPT_ECHO)
        return record


class PlaceholderGate(RecordFilter):
    """Rejects template slots left unfilled: ``[answer]``, ``<response>``, ``[response-1]``, ``{{x}}``."""

    name = "placeholder"

    def __call__(self, record: Record) -> Record | Drop:
        text = "\n".join((turn_text(record, USER), turn_text(record, ASSISTANT)))
        return Drop(reasons.PLACEHOLDER) if PLACEHOLDER.search(text) else record


class RequestEqualsAnswerGate(RecordFilter):
    """Rejects rows whose answer (nearly) repeats the request, or restates it: five or more of
    the instruction's content words (supplied input aside) and at most ``max_new_words`` of its
    own ("How does an instance method combine a class, an instance and a callable?" -> "An
    instance method object combines a class, an instance and a callable."). A short answer
    ("The capital city of France is Paris.") restates too little to be judged."""

    name = "request_equals_answer"

    def __init__(self, max_new_words: int = 1) -> None:
        self.max_new_words = max_new_words

    def __call__(self, record: Record) -> Record | Drop:
        request, answer = turn_text(record, USER), turn_text(record, ASSISTANT)
        if not request or not answer:
            return record
        same = wording.words(request) == wording.words(answer) or wording.jaccard(request, answer) >= 0.8
        instruction = re.split(r"\n\s*\n|:\s*\n", request, maxsplit=1)[0]  # not the input it supplies
        stems, asked = wording.content_stems(answer), wording.content_stems(instruction)
        restates = len(stems - asked) <= self.max_new_words and len(stems & asked) >= 5
        return Drop(reasons.REQUEST_EQUALS_ANSWER) if same or restates else record


class RequestFormGate(RecordFilter):
    """Rejects a first user turn that is neither a question nor an instruction, or that is too
    short (< ``min_words``) or too long (> ``max_words``, before any supplied input)
    (``not_a_request``), that asks about two subjects at once (``two_questions``) or joins one
    subject to itself ("Strings and Strings", ``same_subject_twice``), or whose
    opening verb disagrees in number with its subject ("What are importlib.import_module()?",
    ``subject_verb_mismatch``)."""

    name = "not_a_request"

    def __init__(self, min_words: int = 3, max_words: int = 60) -> None:
        self.min_words, self.max_words = min_words, max_words

    def __call__(self, record: Record) -> Record | Drop:
        users = [m.get("content") or "" for m in record.messages if m.get("role") == USER]
        if not users:
            return Drop(reasons.NOT_A_REQUEST)
        instruction = re.split(r"\n\s*\n|:\s*\n", users[0].strip(), maxsplit=1)[0]
        size = len(wording.words(instruction))
        if not is_request(instruction) or not self.min_words <= size <= self.max_words:
            return Drop(reasons.NOT_A_REQUEST)
        if asks_two_things(instruction):
            return Drop(reasons.TWO_QUESTIONS)
        if names_one_subject_twice(instruction):
            return Drop(reasons.SAME_SUBJECT_TWICE)
        if number_disagrees(instruction):
            return Drop(reasons.SUBJECT_VERB_MISMATCH)
        return record


class StubAnswerGate(RecordFilter):
    """Rejects answers that are only a lead-in, a few words or cut off mid-sentence."""

    name = "stub_answer"

    def __call__(self, record: Record) -> Record | Drop:
        answer = turn_text(record, ASSISTANT)
        if not answer and any(m.get("tool_calls") for m in record.messages):
            return record
        return Drop(reasons.STUB_ANSWER) if is_stub(answer) else record


class RepeatedSentencesGate(RecordFilter):
    """Rejects a turn that says a sentence of four or more words twice, or any fragment three
    times ("How-to: how-to: how-to:")."""

    name = "repeated_sentences"

    def __call__(self, record: Record) -> Record | Drop:
        for role in (USER, ASSISTANT):
            if repeats_itself(turn_text(record, role)):
                return Drop(reasons.REPEATED_SENTENCES)
        return record


class MissingContextGate(RecordFilter):
    """Rejects references to material the row does not contain ("the passage", "this joke",
    "the text above"): in a request that supplies no input of its own, or in any answer."""

    name = "missing_context"

    def __call__(self, record: Record) -> Record | Drop:
        request = turn_text(record, USER)
        if not has_supplied_input(request) and (MISSING_CONTEXT.search(request) or DANGLING_REFERENCE.search(request)):
            return Drop(reasons.MISSING_CONTEXT)
        if MISSING_CONTEXT.search(turn_text(record, ASSISTANT)):
            return Drop(reasons.MISSING_CONTEXT)
        return record


ASKS_WHAT_IT_IS = re.compile(r"^\s*(?:what (?:is|are)\b|(?:can you )?(?:explain|describe) what\b)", re.IGNORECASE)
OPENS_WITH_INSTRUCTION = re.compile(r"\s*To [a-z]+\b")


class AnswerFormGate(RecordFilter):
    """Rejects an answer that does not give what the question's form asks for: a "why" with no
    reason in the answer, a "difference" or comparison with no contrast in it (a "difference
    between X and Y" needs a contrast word or a pair of opposites, not a passing "not"), a "How
    can you use X?" that never says how X is used, a "what is" answered with instructions ("To
    implement ...") (``answer_mismatch``); a pure "What is X?" whose answer never says what X
    is ("What is a comparison operation?" -> "... comparison operations have the same priority
    ...", ``answer_not_definition``); an answer that goes on about a sibling of what is asked
    ('What is a "break"?' -> '... A "continue" statement ...', ``answer_off_subject``)."""

    name = "answer_mismatch"

    def __call__(self, record: Record) -> Record | Drop:
        request, answer = turn_text(record, USER), turn_text(record, ASSISTANT)
        if not answer:
            return record
        if ASKS_WHY.search(request) and not GIVES_REASON.search(answer):
            return Drop(reasons.ANSWER_MISMATCH)
        if ASKS_DIFFERENCE.search(request) and not gives_contrast(answer):
            return Drop(reasons.ANSWER_MISMATCH)
        if ASKS_DIFFERENCE_BETWEEN.search(request) and not sets_against(answer):
            return Drop(reasons.ANSWER_MISMATCH)
        if misses_how_to_use(request, answer):
            return Drop(reasons.ANSWER_MISMATCH)  # "How can you use coroutines?" -> where they may be suspended
        if ASKS_WHAT_IT_IS.search(request) and OPENS_WITH_INSTRUCTION.match(answer):
            return Drop(reasons.ANSWER_MISMATCH)  # "what is a generic class?" -> "To implement one, ..."
        if misses_definition(request, answer):
            return Drop(reasons.ANSWER_NOT_DEFINITION)
        if strays_to_sibling(request, answer):
            return Drop(reasons.ANSWER_OFF_SUBJECT)
        return record


class GroundingGate(RecordFilter):
    """For rows derived from a passage (``meta.passage``).

    The answer's content words must come from the passage (``ungrounded_answer``). The
    request (``off_topic_request``: a question the answer does not address) must name what
    the answer opens with (``meta.focus``, else the heading); its content words, those that
    only say what is asked ("difference", "purpose") aside, must come from the answer; and
    each of its phrases ("power operator") must be one the answer or the heading uses, and
    each term it quotes ("for", `except*`) one the answer names. A request that names a rule of
    the passage's grammar ("starred_list") whose production the answer does not show lacks its
    context (``missing_context``).
    """

    name = "grounding"

    def __init__(self, min_answer_coverage: float = 0.6, min_request_coverage: float = 0.75) -> None:
        self.min_answer, self.min_request = min_answer_coverage, min_request_coverage

    def __call__(self, record: Record) -> Record | Drop:
        meta = record.meta_dict()
        passage = meta.get("passage")
        if not passage:
            return record
        answer = turn_text(record, ASSISTANT)
        if wording.coverage(answer, passage) < self.min_answer:
            return Drop(reasons.UNGROUNDED_ANSWER)
        request = turn_text(record, USER)
        focus = meta.get("focus") or meta.get("topic", "")
        if not wording.content_stems(request) & wording.content_stems(focus):
            return Drop(reasons.OFF_TOPIC_REQUEST)
        if wording.coverage(request, answer, wording.ASKING_WORDS) < self.min_request:
            return Drop(reasons.OFF_TOPIC_REQUEST)
        if not wording.phrases_found(request, f"{meta.get('topic', '')}\n{answer}", wording.ASKING_WORDS):
            return Drop(reasons.OFF_TOPIC_REQUEST)
        if any(term.lower() not in answer.lower() for term in quoted_terms(request)):
            return Drop(reasons.OFF_TOPIC_REQUEST)  # asks about a "for" clause the answer never names
        if asks_about_unseen_grammar(request, passage, answer):
            return Drop(reasons.MISSING_CONTEXT)  # "the starred_list expression": a rule of a grammar not shown
        return record


def quality_gates(
    prompt_texts: Iterable[str] = (), model_roles: Sequence[str] = (USER, ASSISTANT)
) -> list[RecordFilter]:
    """Every recipe's gates, cheapest and most telling first.

    Args:
        prompt_texts: The fixed wording the model was shown (template text, few-shot examples).
        model_roles: The roles whose turns the model wrote (echo is checked on those).
    """
    return [
        PlaceholderGate(),
        PromptEchoGate(prompt_texts, model_roles),
        RequestFormGate(),
        StubAnswerGate(),
        RequestEqualsAnswerGate(),
        RepeatedSentencesGate(),
        MissingContextGate(),
        GroundingGate(),
        AnswerFormGate(),
    ]
