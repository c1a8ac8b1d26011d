"""Quality gates: deterministic checks that a chat row is one a person would train on.

Each gate is a ``RecordFilter`` (``check(record) -> True | (False, reason_code)``) run by
``ApplyFilters`` under stage ``quality``. They catch what schema checks let through: a
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
from synthbeam.transforms.curate import wording
from synthbeam.transforms.curate.filters import RecordFilter, Verdict

STAGE = "quality"
USER, ASSISTANT = "user", "assistant"

_PLACEHOLDER_WORDS = (
    r"answer|response|question|description|insert|your|placeholder|topic|example|explanation|"
    r"instruction|passage|output|input|name of|todo|tbd|fill|value here|text here"
)
_PLACEHOLDER = re.compile(
    rf"\[[^\]\n]{{0,40}}\b(?:{_PLACEHOLDER_WORDS})\b[^\]\n]{{0,40}}\]"
    rf"|<\s*(?:{_PLACEHOLDER_WORDS})[^<>\n]{{0,30}}>"
    r"|\{\{[^{}\n]*\}\}|\blorem ipsum\b|\bXXX\b|\bTODO\b",
    re.IGNORECASE,
)
_CONTEXT_NOUNS = (
    r"passage|paragraph|article|document|excerpt|snippet|sentence|sentences|context|joke|poem|story|"
    r"review|essay|statement|quote|extract|transcript|dialogue|conversation|text"
)
_GIVEN_NOUNS = r"list|table|code|data|input|numbers|words|string|text|array|example|information|details|values"
_MISSING_CONTEXT = re.compile(
    rf"\b(?:the|this|that|these|those)\s+(?:(?:given|following|above|provided|attached|preceding)\s+)?"
    rf"(?:{_CONTEXT_NOUNS})\b"
    rf"|\b(?:the|this|that)\s+(?:given|following|above|provided|attached|preceding)\s+(?:{_GIVEN_NOUNS})\b"
    r"|\b(?:mentioned|described|shown|stated|discussed|listed|given)\s+(?:above|below|earlier)\b"
    r"|\b(?:text|code|list|table|example)\s+(?:above|below)\b"
    r"|\baccording to the (?:text|author|article|passage|document)\b",
    re.IGNORECASE,
)
# A request that points at something it never named: "this class", "implement that?", "It ...".
_DANGLING_REFERENCE = re.compile(
    r"\b(?:this|these|those)\b|\b(?:that|it|them|they|one)\s*[?.!]*\s*$|^\s*(?:it|they|that|this|these)\b",
    re.IGNORECASE,
)
QUESTION_WORDS = frozenset(
    "what which who whom whose when where why how can could should would will is are was were "
    "do does did has have may might shall am isn't aren't doesn't don't".split()
)
REQUEST_VERBS = frozenset(
    """explain describe write list give tell show summarize summarise compare define create name
    find identify suggest provide outline translate rewrite classify generate compose draft calculate
    convert help recommend design implement plan make sort count check estimate propose convince
    walk teach illustrate clarify contrast evaluate analyze analyse discuss detail state mention
    book set search look get schedule send order add remove delete update fetch play remind call""".split()
)
REQUEST_OPENERS = ("i want", "i need", "i'd like", "i would like", "i'm looking", "please", "help me", "let's")
_LEAD_IN = re.compile(
    r"^(?:the answer(?: to (?:the|this|your) question)? (?:is|would be)|here (?:is|are)|sure|okay|ok|"
    r"the following|this is an?|answer|response)\b",
    re.IGNORECASE,
)
# What a question's form asks for, and the words an answer that gives it uses.
_ASKS_WHY = re.compile(r"^\s*why\b|\bwhy (?:is|are|does|do|did|would|should|can)\b", re.IGNORECASE)
_GIVES_REASON = re.compile(
    r"\b(?:because|since|so that|so|in order to|to allow|allows?|purpose|therefore|hence|reason|as a result|"
    r"which means|thus|to make|to avoid|to ensure|to support|to provide)\b",
    re.IGNORECASE,
)
_ASKS_DIFFERENCE = re.compile(r"\bdiffer(?:ence|ences|ent|s)?\b|\bcompare\b|\bvs\.?\b|\bversus\b", re.IGNORECASE)
_GIVES_CONTRAST = re.compile(
    r"\b(?:unlike|whereas|while|but|instead|rather than|differ\w*|however|not|neither|"
    r"than|contrast|whilst|except|cannot|never|no|nor)\b",
    re.IGNORECASE,
)
# A second question about a second subject: "What is the else clause, and what are exceptions?"
_SECOND_QUESTION = re.compile(r"(?:,|\band\b)\s+(?:what|how|why|when|where|which|who)\b([^,?;]*)", re.IGNORECASE)
_AUXILIARIES = frozenset("is are was were does do did can could should would will a an the".split())
_PRONOUNS = frozenset("it its they them their he she this that these those you i we one".split())
_DANGLING = frozenset("is are was were the a an to of and or with for in on as by that which be".split())


def turn_text(record: Record, role: str) -> str:
    """The contents of every turn of ``role``, joined (tool calls not included)."""
    return "\n".join(m.get("content") or "" for m in record.messages if m.get("role") == role).strip()


def has_supplied_input(request: str) -> bool:
    """Whether a user turn carries material of its own after the instruction (a second paragraph,
    a quoted block or text after a colon on a new line)."""
    parts = [p for p in re.split(r"\n\s*\n|:\s*\n", request.strip()) if p.strip()]
    return len(parts) > 1


def is_request(text: str) -> bool:
    """A question (ends with "?") or an instruction (opens with a request verb or a phrase
    like "I need")."""
    text = text.strip()
    if not text or text.endswith(":"):
        return False
    if text.rstrip('"\')').endswith("?"):
        return True
    tokens = wording.words(text)
    if not tokens:
        return False
    # A question word opens a question, and a question ends with "?": "What is the normal binary operations."
    return tokens[0] in REQUEST_VERBS or text.lower().startswith(REQUEST_OPENERS)


def asks_two_things(request: str) -> bool:
    """Whether a request adds a second question about another subject ("..., and what are
    exceptions?"); a follow-up about the same one ("and what is it used for?") is fine."""
    for match in _SECOND_QUESTION.finditer(request):
        tokens = [t for t in wording.words(match.group(1)) if t not in _AUXILIARIES]
        if tokens and tokens[0] not in _PRONOUNS:
            return True
    return False


def is_stub(answer: str) -> bool:
    """An answer that is only a lead-in ("The answer is:"), too short to say anything, or cut
    off at a dangling word."""
    tokens = wording.words(answer)
    if len(tokens) < 3 or answer.rstrip().endswith(":"):
        return True
    if tokens[-1] in _DANGLING and not answer.rstrip().endswith((".", "?", "!", ")", "`", '"')):
        return True
    return bool(_LEAD_IN.match(answer.strip())) and len(tokens) <= 8


def repeats_itself(text: str) -> bool:
    """A segment of four or more words said twice, or any segment said three times."""
    seen: dict[str, int] = {}
    for sentence in wording.sentences(text):
        key = " ".join(wording.words(sentence))
        if key:
            seen[key] = seen.get(key, 0) + 1
    return any(n >= 3 or (n >= 2 and len(key.split()) >= 4) for key, n in seen.items())


class PromptEchoGate(RecordFilter):
    """Rejects a turn that repeats the prompt's fixed wording instead of writing something:
    half its words inside 3-grams of the prompt, or (short turns) every content word from the
    prompt and none from the passage."""

    name = "prompt_echo"

    def __init__(self, prompt_texts: Iterable[str], roles: Sequence[str] = (USER, ASSISTANT)) -> None:
        texts = list(prompt_texts)
        self._grams = wording.reference_ngrams(texts)
        self._vocabulary = set().union(*(wording.content_stems(t) for t in texts)) if texts else set()
        self._roles = tuple(roles)

    def check(self, record: Record) -> Verdict:
        passage = record.meta_dict().get("passage", "")
        for role in self._roles:
            text = turn_text(record, role)
            if wording.ngram_covered_fraction(text, self._grams) >= 0.5:
                return False, reasons.PROMPT_ECHO
            stems = wording.content_stems(text)
            short = len(wording.words(text)) <= 8
            if short and stems and stems <= self._vocabulary and not stems & wording.content_stems(passage):
                return False, reasons.PROMPT_ECHO
        return True


class PlaceholderGate(RecordFilter):
    """Rejects template slots left unfilled: ``[answer]``, ``<response>``, ``[response-1]``, ``{{x}}``."""

    name = "placeholder"

    def check(self, record: Record) -> Verdict:
        text = "\n".join((turn_text(record, USER), turn_text(record, ASSISTANT)))
        return (False, reasons.PLACEHOLDER) if _PLACEHOLDER.search(text) else True


class RequestEqualsAnswerGate(RecordFilter):
    """Rejects rows whose answer (nearly) repeats the request."""

    name = "request_equals_answer"

    def check(self, record: Record) -> Verdict:
        request, answer = turn_text(record, USER), turn_text(record, ASSISTANT)
        if not request or not answer:
            return True
        same = wording.words(request) == wording.words(answer) or wording.jaccard(request, answer) >= 0.8
        return (False, reasons.REQUEST_EQUALS_ANSWER) if same else True


class RequestFormGate(RecordFilter):
    """Rejects a first user turn that is neither a question nor an instruction, or that is too
    short (< ``min_words``) or too long (> ``max_words``, before any supplied input)
    (``not_a_request``), or that asks about two subjects at once (``two_questions``)."""

    name = "not_a_request"

    def __init__(self, min_words: int = 3, max_words: int = 60) -> None:
        self.min_words, self.max_words = min_words, max_words

    def check(self, record: Record) -> Verdict:
        users = [m.get("content") or "" for m in record.messages if m.get("role") == USER]
        if not users:
            return False, reasons.NOT_A_REQUEST
        instruction = re.split(r"\n\s*\n|:\s*\n", users[0].strip(), maxsplit=1)[0]
        size = len(wording.words(instruction))
        if not is_request(instruction) or not self.min_words <= size <= self.max_words:
            return False, reasons.NOT_A_REQUEST
        if asks_two_things(instruction):
            return False, reasons.TWO_QUESTIONS
        return True


class StubAnswerGate(RecordFilter):
    """Rejects answers that are only a lead-in, a few words or cut off mid-sentence."""

    name = "stub_answer"

    def check(self, record: Record) -> Verdict:
        answer = turn_text(record, ASSISTANT)
        if not answer and any(m.get("tool_calls") for m in record.messages):
            return True
        return (False, reasons.STUB_ANSWER) if is_stub(answer) else True


class RepeatedSentencesGate(RecordFilter):
    name = "repeated_sentences"

    def check(self, record: Record) -> Verdict:
        for role in (USER, ASSISTANT):
            if repeats_itself(turn_text(record, role)):
                return False, reasons.REPEATED_SENTENCES
        return True


class MissingContextGate(RecordFilter):
    """Rejects references to material the row does not contain ("the passage", "this joke",
    "the text above"): in a request that supplies no input of its own, or in any answer."""

    name = "missing_context"

    def check(self, record: Record) -> Verdict:
        request = turn_text(record, USER)
        if not has_supplied_input(request) and (_MISSING_CONTEXT.search(request) or _DANGLING_REFERENCE.search(request)):
            return False, reasons.MISSING_CONTEXT
        if _MISSING_CONTEXT.search(turn_text(record, ASSISTANT)):
            return False, reasons.MISSING_CONTEXT
        return True


class AnswerFormGate(RecordFilter):
    """Rejects an answer that does not give what the question's form asks for: a "why" with no
    reason in the answer, a "difference" or comparison with no contrast in it."""

    name = "answer_mismatch"

    def check(self, record: Record) -> Verdict:
        request, answer = turn_text(record, USER), turn_text(record, ASSISTANT)
        if not answer:
            return True
        if _ASKS_WHY.search(request) and not _GIVES_REASON.search(answer):
            return False, reasons.ANSWER_MISMATCH
        if _ASKS_DIFFERENCE.search(request) and not gives_contrast(answer):
            return False, reasons.ANSWER_MISMATCH
        return True


def gives_contrast(answer: str) -> bool:
    """A contrast word ("unlike", "instead", "but"), or a word next to its opposite ("mutable"
    and "immutable", "empty" and "non-empty")."""
    if _GIVES_CONTRAST.search(answer):
        return True
    tokens = {p for w in wording.words(answer) for p in (w, w.replace("-", ""))}
    return any(f"{prefix}{w}" in tokens for w in tokens for prefix in ("im", "un", "in", "non", "dis"))


class GroundingGate(RecordFilter):
    """For rows derived from a passage (``meta.passage``).

    The answer's content words must come from the passage (``ungrounded_answer``). The
    request (``off_topic_request``: a question the answer does not address) must name what
    the answer opens with (``meta.focus``, else the heading); its content words, those that
    only say what is asked ("difference", "purpose") aside, must come from the answer; and
    each of its phrases ("power operator") must be one the answer or the heading uses.
    """

    name = "grounding"

    def __init__(self, min_answer_coverage: float = 0.6, min_request_coverage: float = 0.75) -> None:
        self.min_answer, self.min_request = min_answer_coverage, min_request_coverage

    def check(self, record: Record) -> Verdict:
        meta = record.meta_dict()
        passage = meta.get("passage")
        if not passage:
            return True
        answer = turn_text(record, ASSISTANT)
        if wording.coverage(answer, passage) < self.min_answer:
            return False, reasons.UNGROUNDED_ANSWER
        request = turn_text(record, USER)
        focus = meta.get("focus") or meta.get("topic", "")
        if not wording.content_stems(request) & wording.content_stems(focus):
            return False, reasons.OFF_TOPIC_REQUEST
        if wording.coverage(request, answer, wording.ASKING_WORDS) < self.min_request:
            return False, reasons.OFF_TOPIC_REQUEST
        if not wording.phrases_found(request, f"{meta.get('topic', '')}\n{answer}", wording.ASKING_WORDS):
            return False, reasons.OFF_TOPIC_REQUEST
        return True


def quality_gates(prompt_texts: Iterable[str] = (), model_roles: Sequence[str] = (USER, ASSISTANT)) -> list[RecordFilter]:
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
