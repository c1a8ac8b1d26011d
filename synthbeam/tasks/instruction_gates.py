"""Deterministic gates for generated instructions: the pipeline decides, not the model.

Self-Instruct (Wang et al. 2022) keeps a new instruction only when its ROUGE-L against
every instruction already in the pool is below 0.7, and drops instructions a text model
cannot carry out (images, files, graphs, drawing). A small model also writes
instructions about "the sentence" or "this joke" without the sentence or the joke;
``input_problem`` rejects those unless the material is carried (after a blank line,
after a colon, or in quotes). All functions here are pure and English-only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from synthbeam.schemas import reasons

ROUGE_L_THRESHOLD = 0.7
MIN_INPUT_WORDS = 2  # "Good morning." is an input; "it" or "text" is not

_MATERIAL = (
    r"(?:sentences?|paragraphs?|text|texts|passage|passages|articles?|essays?|story|stories|poems?|jokes?|"
    r"reviews?|lists?|tables?|code|snippet|program|function|emails?|letters?|messages?|tweets?|posts?|"
    r"statements?|words?|phrases?|documents?|data|dataset|numbers|array|strings?|quotes?|lyrics|dialogue|"
    r"conversation|speech|headlines?|excerpt|query|json|equation|expression|input|argument|claims?|"
    r"description|report|news|summary|recipe|transcript|sequence|options|choices|items|examples?|scenario|"
    r"questions?|context|tasks?|products?|topics?)"
)
_QUALIFIER = r"(?:following|given|above|below|provided|attached|next|same|original|input|short|long|two|three)"
# "the sentence", "the most expensive sentence", "the given list", "the following short story"
_DEICTIC = re.compile(
    rf"\b(?:the|said)\s+(?:{_QUALIFIER}\s+)?(?:[a-z-]+\s+){{0,2}}(?P<noun>{_MATERIAL})\b|\bthe following\b|\bthe odd one out\b",
    re.IGNORECASE,
)
# "this product", "these two reviews": a demonstrative before any noun points at material,
# unless it names a time ("this week").
_DEMONSTRATIVE = re.compile(
    r"\b(?:this|these|those)\s+(?!(?:year|years|week|weeks|month|months|day|days|morning|evening|time|weekend|"
    r"summer|winter|spring|autumn|season|century|decade|is|are|was|were|will|can|could|would|should|may|might|"
    r"must|does|do|has|have|means|way|kind|type)\b)[a-z-]+",
    re.IGNORECASE,
)
# "Given a sentence, ...", "For a list of numbers, ..." at the start: the material is assumed.
_GIVEN = re.compile(
    rf"^(?:given|for|using|with|from|based on)\s+(?:a|an|some|two|three)\s+(?:[a-z-]+\s+)?{_MATERIAL}\b", re.IGNORECASE
)
_PERSON = re.compile(r"\b(?:they|them|he|him|she|her|his)\b", re.IGNORECASE)
SHORT_WORDS = 8  # too short to have named whom "they" or "she" are
# "Summarize it.", "Translate this into French."
_PRONOUN = re.compile(
    r"^[a-z]+\s+(?:it|this|them|these|that)\s*(?:$|[.?!:]|\s+(?:into|to|in|for|as|using|with|so|from|and|by)\b)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"\[[^\]]*\]|<[^>]*>|\{\{?[^}]*\}\}?|\b(?:insert|your)\s+\w+(?:\s+\w+)?\s+here\b|^\W*(?:n/?a|none|null|empty|"
    r"nothing|tbd|todo|input|text|sentence|example)\W*$|\.\.\.|…",
    re.IGNORECASE,
)
# "The sentence contains ...", "Here is a list of ...": the model described the input instead of writing it.
_DESCRIBES_INPUT = re.compile(
    rf"^(?:(?:the|this|that|these|my|your|an?)\s+(?:{_QUALIFIER}\s+)?{_MATERIAL}\s+(?:is|are|was|contains?|has|should|will|must|can)\b"
    r"|here (?:is|are)\b|(?:input|output|instruction|task)\s*:)",
    re.IGNORECASE,
)
# "the_longest_string_in_list.txt", "create_employees": a name, not material.
_IDENTIFIER = re.compile(r"^\S*(?:_|\.[a-z]{2,4}$)\S*$", re.IGNORECASE)
_STOP_WORDS = frozenset(
    "a an the of to in on for and or is are be that this these it you your with as by at from".split()
)
ECHO_SHARE = 0.6  # an input whose content words are this much the instruction's is an echo
# Text that stops mid-sentence: a trailing comma, colon or connective.
_CUT_OFF = re.compile(r"(?:[,:;(\-]|\b(?:is|are|was|the|a|an|and|or|of|to|with|for|that|by|as|in|on))$", re.IGNORECASE)
_QUOTED = re.compile(r"\"([^\"]{6,})\"|“([^”]{6,})”|(?<!\w)'([^']{6,})'(?!\w)")
# The generation prompt's own subject ("new tasks", "the JSON format", "an AI assistant"):
# an instruction about it is the prompt talking, not a user.
_PROMPT_WORDING = re.compile(
    r"\b(?:(?:a|the|this)\s+new\s+tasks?|new\s+tasks|list\s+of\s+tasks|tasks?\s+list|json\s+(?:format|data)|"
    r"ai\s+assistant|instructions?\s+(?:above|below)|example\s+(?:tasks?|instructions?))\b",
    re.IGNORECASE,
)
# Self-Instruct's list of what a text model cannot take or give, plus a few of the same kind.
_NON_TEXT = re.compile(
    r"\b(?:images?|pictures?|photos?|photographs?|graphs?|charts?|diagrams?|flowcharts?|files?|maps?|draw|drawing|"
    r"sketch|videos?|audio|recordings?|screenshots?|go to|attached)\b|(?:^|\bto\s+)plot\b",
    re.IGNORECASE,
)


def split_input(text: str) -> tuple[str, str]:
    """A user turn as (instruction, input): the input follows the first blank line."""
    instruction, _, task_input = text.strip().partition("\n\n")
    return instruction.strip(), task_input.strip()


def is_real_input(text: str) -> bool:
    """Whether ``text`` is material to work on: not empty, a stub, a placeholder, a
    description of the material ("The sentence contains ..."), cut off ("... the season is")
    or one word over and over."""
    words = re.findall(r"\w+", text.lower())
    if len(words) < MIN_INPUT_WORDS or len(text.strip()) < 8 or _PLACEHOLDER.search(text):
        return False
    if _DESCRIBES_INPUT.match(text.strip()) or _CUT_OFF.search(text.strip()) or _IDENTIFIER.match(text.strip()):
        return False
    return len(words) < 8 or Counter(words).most_common(1)[0][1] <= 0.3 * len(words)


def _stems(text: str) -> list[str]:
    return [w.rstrip("s") for w in re.findall(r"[a-z0-9]+", text.lower())]


def echoes_instruction(instruction: str, task_input: str) -> bool:
    """Whether the input repeats the instruction instead of bringing material: it opens with
    the instruction's verb ("Add a task ..." / "Add the task ..."), or its content words are
    mostly the instruction's."""
    words, own = _stems(task_input), _stems(instruction)
    if words and own and words[0] == own[0]:
        return True
    content = [w for w in words if w not in _STOP_WORDS]
    return bool(content) and sum(w in set(own) for w in content) >= ECHO_SHARE * len(content)


def carried_input(instruction: str, task_input: str = "") -> bool:
    """Whether the material an instruction works on is there: as its input (one that does
    not just repeat the instruction), after a colon inside it ("Translate into French: Good
    morning."), or quoted in it."""
    if is_real_input(task_input) and not echoes_instruction(instruction, task_input):
        return True
    _, colon, tail = instruction.partition(":")
    if colon and is_real_input(tail):
        return True
    return any(is_real_input(next(g for g in match.groups() if g)) for match in _QUOTED.finditer(instruction))


def refers_to_input(instruction: str) -> bool:
    """Whether the instruction points at material ("the sentence", "Given a list, ...", "Summarize it")."""
    text = instruction.strip()
    if _DEMONSTRATIVE.search(text) or _GIVEN.match(text) or _PRONOUN.match(text):
        return True
    if len(text.split()) <= SHORT_WORDS and _PERSON.search(text):
        return True  # "What do they do?": a person or people the request never named
    return any(not _introduced(text[: match.start()], match.group("noun")) for match in _DEICTIC.finditer(text))


def _introduced(before: str, noun: str | None) -> bool:
    """Whether ``noun`` was introduced earlier in the instruction ("takes a list ... the list")."""
    if not noun:
        return False
    stem = re.escape(noun.lower().rstrip("s"))
    return bool(re.search(rf"\b(?:a|an|some|two|three|\d+)\s+(?:[a-z-]+\s+){{0,2}}{stem}s?\b", before.lower()))


def input_problem(text: str) -> str | None:
    """``missing_input`` when the user turn refers to material it does not carry, else None."""
    instruction, task_input = split_input(text)
    if refers_to_input(instruction) and not carried_input(instruction, task_input):
        return reasons.MISSING_INPUT
    if task_input and (not is_real_input(task_input) or echoes_instruction(instruction, task_input)):
        return reasons.MISSING_INPUT  # an input slot left as "<noinput>" or "[text]", or an echo
    return None


def needs_non_text(instruction: str) -> bool:
    """Whether the instruction needs an image, file, graph, map, drawing, audio or video."""
    return bool(_NON_TEXT.search(instruction))


def instruction_gate(text: str) -> str | None:
    """The first reason (code) a generated user turn cannot be kept, None when it can:
    ``not_an_instruction``, ``needs_non_text``, ``placeholder``, ``prompt_echo`` or
    ``missing_input``."""
    instruction, _ = split_input(text)
    if not instruction or not instruction[0].isalpha() or not instruction[0].isascii():
        return reasons.NOT_AN_INSTRUCTION  # Self-Instruct: starts with punctuation, or not English
    if not instruction.rstrip("\"'`)").endswith((".", "?", "!", ":")):
        return reasons.NOT_AN_INSTRUCTION  # broken off: "Create a simple"
    if needs_non_text(instruction):
        return reasons.NEEDS_NON_TEXT
    if _PLACEHOLDER.search(instruction):
        return reasons.PLACEHOLDER  # "a topic such as [topic1]"
    if _PROMPT_WORDING.search(instruction):
        return reasons.PROMPT_ECHO  # "Create a new task using the given JSON data."
    return input_problem(text)


def rouge_tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric tokens, as ``rouge_score``'s default tokenizer makes them."""
    return re.findall(r"[a-z0-9]+", text.lower())


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(a: Sequence[str], b: Sequence[str]) -> float:
    """ROUGE-L F1 of two token lists (symmetric; 0.0 when either is empty)."""
    if not a or not b:
        return 0.0
    lcs = _lcs(a, b)
    return 0.0 if lcs == 0 else 2 * lcs / (len(a) + len(b))


def most_similar(tokens: list[str], pool: Iterable[tuple[list[str], Counter[str], str]]) -> tuple[float, str]:
    """The highest ROUGE-L of ``tokens`` against ``pool`` (tokens, their counts, text) and that text.

    The LCS is only computed where the shared-token bound could reach the threshold.
    """
    counts, best = Counter(tokens), (0.0, "")
    for other, other_counts, text in pool:
        shared = sum((counts & other_counts).values())
        if 2 * shared / (len(tokens) + len(other) or 1) < ROUGE_L_THRESHOLD:
            continue
        score = rouge_l(tokens, other)
        if score > best[0]:
            best = (score, text)
    return best


def select_novel(candidates: Sequence[tuple[str, str]], seeds: Iterable[str]) -> dict[str, tuple[float, str] | None]:
    """Self-Instruct's novelty filter over ``(id, instruction)`` candidates, in the given order.

    A candidate is kept when its ROUGE-L against every seed instruction and every candidate
    kept before it is below ``ROUGE_L_THRESHOLD``. Returns, per id, None when kept, else
    (score, the instruction it is too close to).
    """
    pool = [(tokens, Counter(tokens), text) for text in seeds if (tokens := rouge_tokens(text))]
    outcome: dict[str, tuple[float, str] | None] = {}
    for item_id, text in candidates:
        tokens = rouge_tokens(text)
        score, closest = most_similar(tokens, pool)
        if score >= ROUGE_L_THRESHOLD:
            outcome[item_id] = (score, closest)
        else:
            outcome[item_id] = None
            pool.append((tokens, Counter(tokens), text))
    return outcome
