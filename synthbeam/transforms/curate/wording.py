"""Word-level text measures the quality gates share: content words, stems, coverage, n-grams.

Pure functions, no Beam. English-centric on purpose: they decide whether a request reads as a
request and whether an answer's words come from its source, not what the text means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9_]+(?:[-'][a-z0-9_]+)*")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?:;])\s+|\n+")
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ions",
    "ion",
    "ers",
    "er",
    "ies",
    "es",
    "ed",
    "ly",
    "s",
    "e",
)
STOP_WORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from as into onto about over under
    is are was were be been being am do does did done doing have has had having can could should would
    will shall may might must not no nor so than too very just only also there here this that these those
    it its they them their we our you your i me my he she his her what which who whom whose when where why
    how all any each every some such own same other more most few both between after before again once
    up down out off further while during through because until against above below one ones use used using
    get gets got make makes made way ways thing things something give tell please""".split()
)


# Words a request may use without its answer using them: what it asks, not what it is about.
ASKING_WORDS = frozenset(
    """difference differences differ benefit benefits advantage advantages purpose work works working mean
    means meaning happen happens role rule rules example examples main key python programming language
    concept idea important kind kinds way explain describe define definition compare happen behave behaviour
    behavior affect effect effects need needs possible common difference detail details cause causes
    caused""".split()
)


def words(text: str) -> list[str]:
    """Lowercase word tokens (letters, digits, underscores; inner hyphens and apostrophes kept)."""
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    """A crude stem, enough to match "slice"/"slicing" and "expression"/"expressions"."""
    for suffix in _SUFFIXES:
        if suffix == "s" and word.endswith("ss"):  # "class", "process": no plural to strip
            continue
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:7]


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (stop words and one-letter words left out)."""
    parts = (p for w in words(text) for p in w.split("-"))
    return {stem(p) for p in parts if p not in STOP_WORDS and len(p) > 1}


def content_runs(text: str, ignore: frozenset[str] = frozenset()) -> list[list[str]]:
    """Stems of the runs of consecutive content words; stop words, ``ignore`` words and verb
    forms in -ed/-ing end a run ("try statement executed" -> "try statement")."""
    runs: list[list[str]] = [[]]
    for part in (p for w in words(text) for p in w.split("-")):
        if part in STOP_WORDS or part in ignore or len(part) < 2 or part.endswith(("ed", "ing")):
            runs.append([])
        else:
            runs[-1].append(stem(part))
    return [run for run in runs if run]


def phrases_found(text: str, source: str, ignore: frozenset[str] = frozenset()) -> bool:
    """Whether every run of two or more content words of ``text`` occurs in ``source`` within
    a few content words, in any order: "power operator" is found in "the power operator binds",
    "string literals" in "String and Bytes literals", "class-level subscriber" is not found in
    a text about subscriptions."""
    sequence = [stem(p) for w in words(source) for p in w.split("-") if p not in STOP_WORDS and len(p) > 1]
    for run in content_runs(text, ignore):
        if len(run) < 2:
            continue
        width = len(run) + 1
        windows = (set(sequence[i : i + width]) for i in range(max(1, len(sequence) - width + 1)))
        if not any(set(run) <= window for window in windows):
            return False
    return True


def coverage(text: str, source: str, ignore: frozenset[str] = frozenset()) -> float:
    """Share of ``text``'s content stems that also occur in ``source`` (1.0 for no content);
    words in ``ignore`` do not count."""
    mine = content_stems(" ".join(w for w in words(text) if w not in ignore))
    if not mine:
        return 1.0
    return len(mine & content_stems(source)) / len(mine)


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def ngram_covered_fraction(text: str, reference: set[tuple[str, ...]], n: int = 4) -> float:
    """Share of ``text``'s tokens that lie inside an n-gram found in ``reference``."""
    tokens = words(text)
    if len(tokens) < n:
        return 0.0
    covered = [False] * len(tokens)
    for i in range(len(tokens) - n + 1):
        if tuple(tokens[i : i + n]) in reference:
            covered[i : i + n] = [True] * n
    return sum(covered) / len(tokens)


def reference_ngrams(texts: Iterable[str], n: int = 4) -> set[tuple[str, ...]]:
    """The n-grams of ``texts`` that hold at least one content word ("what is the" is nobody's)."""
    grams: set[tuple[str, ...]] = set()
    for text in texts:
        grams |= {g for g in ngrams(words(text), n) if any(w not in STOP_WORDS for w in g)}
    return grams


def sentences(text: str) -> list[str]:
    """Sentence-like segments (split after . ! ? : ; and at line breaks), stripped, non-empty."""
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s.strip()]


def jaccard(a: str, b: str) -> float:
    left, right = set(words(a)), set(words(b))
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
