"""Answer spans: self-contained stretches of a passage's prose that can stand as a response.

Answer-first generation (instruction backtranslation) takes human-written text as the
answer and asks the model only for the request it answers, so the span must read on its
own: whole prose paragraphs (no headings, code or grammar blocks, list items), not opening
with a word that points back ("This", "However", ...), ending with a full sentence, with
sentences that send the reader elsewhere ("See section ...") and inline emphasis marks
removed. Pure functions, no Beam.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthbeam.schemas.record import Passage

_UNDERLINE = re.compile(r"^\s*([*=\-~^#+])\1{2,}\s*$")
_BULLET = re.compile(r"^\s*(?:[*\-+\u2022]|\d+[.)]|\(\w\))\s+")
_EMPHASIS = re.compile(r"(?<![\w*])\*{1,2}([^*\n]+?)\*{1,2}(?![\w*])")
_LABEL = re.compile(r"^(?:[A-Z][\w\-'\u2019]*(?: [\w\-'\u2019]+){0,3}):\s+(?=[A-Z\"])")  # "Programmer's note: "
_BOILERPLATE = re.compile(r"\b[Rr]aises an auditing event\b")  # reference-manual notes, no answer to anything
_FOOTNOTE = re.compile(r"\s*\[\d+\]|\s*\((?:see|cf\.)\s[^()]*\)", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_POINTS_ELSEWHERE = re.compile(
    r"\b(?:see (?:also|section|the|chapter|below|above|pep)|as follows|the following|described (?:below|above)|"
    r"(?:this|next|previous|preceding|following) (?:section|chapter|paragraph|example)|shown (?:below|above)|"
    r"below|above|footnote|in section|in the section|can be found in|in the table|the table)\b",
    re.IGNORECASE,
)
_BACK_REFERENCE = frozenset(
    """this these that those it its they their them such however thus therefore otherwise also then
    similarly here note notes hence moreover furthermore likewise instead finally but and or so because
    again both either neither changed new deprecated example examples e.g i.e nevertheless nonetheless
    conversely accordingly consequently meanwhile besides alternatively if when unless although once
    whenever while after before since though""".split()
)
_BACK_PHRASES = (
    "in this",
    "in that",
    "in such",
    "in the latter",
    "in the former",
    "for this",
    "for example",
    "as a result",
    "as such",
    "as mentioned",
    "as described",
    "as shown",
    "in addition",
    "on the other",
)


@dataclass(frozen=True)
class AnswerSpan:
    """A cleaned span of a passage that will be a row's response."""

    passage: Passage
    text: str
    topic: str  # the heading the span sits under, else the passage title
    index: int  # the span's number within its passage


def paragraphs_with_headings(text: str) -> list[tuple[str, str]]:
    """(run, paragraph) pairs of the prose paragraphs of ``text``, lines unwrapped.

    Headings are lines underlined with ``***``, ``===``, ``---``...; indented blocks (code,
    grammar), list items and headings themselves are not returned. ``run`` names the
    heading and the stretch of uninterrupted prose a paragraph belongs to: paragraphs with
    the same run follow each other with nothing left out between them.
    """
    out: list[tuple[str, str]] = []
    heading, breaks = "", 0
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        while len(lines) >= 2 and _UNDERLINE.match(lines[1]) and not _UNDERLINE.match(lines[0]):
            heading, lines, breaks = lines[0].strip(), lines[2:], breaks + 1
        mixed = any(line[:1].isspace() for line in lines)  # a term and its indented definition, code
        if not lines or mixed or _BULLET.match(lines[0]) or _UNDERLINE.match(lines[0]):
            breaks += 1
            continue
        out.append((f"{breaks}\x1f{heading}", unwrap(lines)))
    return out


def unwrap(lines: list[str]) -> str:
    """Lines joined with spaces; a word hyphenated across a line break joined back up."""
    text = " ".join(line.strip() for line in lines)
    return re.sub(r"(?<=[a-z])- (?=[a-z])", "-", text)


def clean_prose(paragraph: str) -> str:
    """Emphasis marks, footnote markers and a leading label ("Programmer's note:") removed;
    sentences that point elsewhere or are reference boilerplate ("Raises an auditing event")
    dropped."""
    text = _LABEL.sub("", _FOOTNOTE.sub("", _EMPHASIS.sub(r"\1", paragraph)))
    kept = [
        s
        for s in _SENTENCE.split(" ".join(text.split()))
        if not _POINTS_ELSEWHERE.search(s) and not _BOILERPLATE.search(s) and not s.endswith(":")  # ":" opens a block
    ]
    return " ".join(kept).strip()


_POINTS_BACK = re.compile(r"\b(?:these|those|such|this|said)\b", re.IGNORECASE)


def opens_with_back_reference(text: str) -> bool:
    """Opens with a word that leans on what came before ("This", "However") or with a
    condition ("If ...", "When ..."), or its first sentence points back ("... implement these
    operations"): a detail of a topic, not something to ask about alone."""
    if _POINTS_BACK.search(_SENTENCE.split(text, maxsplit=1)[0]):
        return True
    lowered = text.lower()
    first = re.split(r"[\s,;:]+", lowered, maxsplit=1)[0].strip("\"'(")
    return first in _BACK_REFERENCE or lowered.startswith(_BACK_PHRASES)


def continues(paragraph: str) -> bool:
    """Whether a paragraph goes on about what the one before it said: it opens by pointing back
    ("When the name is bound ...", "In addition to ..."). One that opens with a subject of its own
    ("A class object can be called ...") starts another topic and is not glued to a short one."""
    return bool(paragraph) and opens_with_back_reference(paragraph)


def opening_words(text: str, count: int = 8) -> str:
    """The first words of the span's first sentence: usually what it is about."""
    return " ".join(_SENTENCE.split(text, maxsplit=1)[0].split()[:count])


def reads_alone(text: str, min_chars: int, max_chars: int) -> bool:
    """Whether a cleaned span can stand as an answer on its own."""
    if not min_chars <= len(text) <= max_chars or len(text.split()) < 12:
        return False
    if not (text[0].isupper() or text[0] in "\"'") or not text.endswith((".", "!", "?", '."', ".)")):
        return False
    letters = sum(c.isalpha() or c.isspace() for c in text)
    return letters / len(text) >= 0.75 and not opens_with_back_reference(text)


def _score(text: str, first_under_heading: bool) -> float:
    """Prefer spans of a few sentences, and the paragraph that opens a section (a definition)."""
    return -abs(len(text) - 380) / 100 + (1.5 if first_under_heading else 0.0)


def extract_spans(passage: Passage, max_spans: int = 2, min_chars: int = 120, max_chars: int = 700) -> list[AnswerSpan]:
    """Up to ``max_spans`` answer spans of ``passage``, best first by ``_score``, ties by position.

    A paragraph too short to stand alone is joined with the prose paragraphs that follow it
    under the same heading while they go on about its subject (``continues``) and the span
    stays within ``max_chars``.
    """
    pairs = paragraphs_with_headings(passage.text)
    candidates: list[tuple[float, int, int, str, str]] = []
    for i, (run, paragraph) in enumerate(pairs):
        text = clean_prose(paragraph)
        j = i + 1
        while text and len(text) < min_chars and j < len(pairs) and pairs[j][0] == run:
            following = clean_prose(pairs[j][1])
            if not continues(following):
                break
            text = f"{text} {following}".strip()
            j += 1
        if text and reads_alone(text, min_chars, max_chars):
            first = i == 0 or pairs[i - 1][0].split("\x1f")[1] != run.split("\x1f")[1]
            candidates.append((_score(text, first), i, j, run.split("\x1f")[1], text))
    best: list[tuple[float, int, int, str, str]] = []
    for candidate in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if len(best) < max_spans and all(candidate[2] <= b[1] or b[2] <= candidate[1] for b in best):
            best.append(candidate)  # paragraphs [i, j) not shared with a better span
    return [
        AnswerSpan(passage, text, heading or passage.title, n)
        for n, (_, _, _, heading, text) in enumerate(sorted(best, key=lambda c: c[1]))
    ]
