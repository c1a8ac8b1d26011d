"""Word-level text measures the quality gates share: content words, stems, coverage, n-grams.

Pure functions, no Beam. English-centric on purpose: they decide whether a request reads as a
request and whether an answer's words come from its source, not what the text means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9_]+(?:[-'][a-z0-9_]+)*")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?:;])\s+|\n+")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ions", "ion", "ers", "er", "ies", "es", "ed", "ly", "s", "e")
STOP_WORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from as into onto about over under
    is are was were be been being am do does did done doing have has had having can could should would
    will shall may might must not no nor so than too very just only also there here this that these those
    it its they them their we our you your i me my he she his her what which who whom whose when where why
    how all any each every some such own same other more most few both between after before again once
    up down out off further while during through because until against above below one ones use used using
    get gets got make makes made way ways thing things something give tell please""".split()
)


def words(text: str) -> list[str]:
    """Lowercase word tokens (letters, digits, underscores; inner hyphens and apostrophes kept)."""
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    """A crude stem, enough to match "slice"/"slicing" and "expression"/"expressions"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:7]


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (stop words and one-letter words left out)."""
    return {stem(w) for w in words(text) if w not in STOP_WORDS and len(w) > 1}


def coverage(text: str, source: str) -> float:
    """Share of ``text``'s content stems that also occur in ``source`` (1.0 for no content)."""
    mine = content_stems(text)
    if not mine:
        return 1.0
    return len(mine & content_stems(source)) / len(mine)


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def ngram_covered_fraction(text: str, reference: set[tuple[str, ...]], n: int = 3) -> float:
    """Share of ``text``'s tokens that lie inside an n-gram found in ``reference``."""
    tokens = words(text)
    if len(tokens) < n:
        return 0.0
    covered = [False] * len(tokens)
    for i in range(len(tokens) - n + 1):
        if tuple(tokens[i : i + n]) in reference:
            covered[i : i + n] = [True] * n
    return sum(covered) / len(tokens)


def reference_ngrams(texts: Iterable[str], n: int = 3) -> set[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for text in texts:
        grams |= ngrams(words(text), n)
    return grams


def sentences(text: str) -> list[str]:
    """Sentence-like segments (split after . ! ? : ; and at line breaks), stripped, non-empty."""
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s.strip()]


def jaccard(a: str, b: str) -> float:
    left, right = set(words(a)), set(words(b))
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
