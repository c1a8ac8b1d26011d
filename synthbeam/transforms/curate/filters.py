"""Row filters: each is a ``RecordFilter``, a named check (``record -> record | Drop(reason)``).

``ApplyFilters`` runs them in order and rejects a record with the first failing reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

import apache_beam as beam
from apache_beam import pvalue

from synthbeam.schemas import reasons
from synthbeam.schemas.record import Record
from synthbeam.transforms.checks import ApplyCheckFn, Drop, FirstDrop, RecordFilter
from synthbeam.transforms.curate.text import MESSAGES, check_fields, record_text
from synthbeam.transforms.outputs import MAIN, REJECTED

STAGE = "filters"

DEFAULT_REFUSALS = (
    "as an ai language model",
    "as an ai assistant",
    "i'm sorry, but i can't",
    "i am sorry, but i cannot",
    "i cannot assist with",
    "i can't assist with",
    "i cannot help with",
    "i'm unable to help",
    "i am unable to provide",
)


class LengthFilter(RecordFilter):
    """Character count within [min_chars, max_chars], of the given fields or, when ``roles``
    is set, of the message contents of those roles only (e.g. the assistant's response)."""

    name = "length"

    def __init__(
        self,
        min_chars: int = 1,
        max_chars: int | None = None,
        fields: Sequence[str] = (MESSAGES,),
        roles: Sequence[str] | None = None,
    ) -> None:
        if max_chars is not None and max_chars < min_chars:
            raise ValueError(f"max_chars={max_chars} is below min_chars={min_chars}")
        self.min_chars, self.max_chars, self.fields = min_chars, max_chars, check_fields(fields)
        self.roles = tuple(roles) if roles else None

    def text(self, record: Record) -> str:
        if self.roles is None:
            return record_text(record, self.fields)
        return "\n".join(m.get("content") or "" for m in record.messages if m.get("role") in self.roles)

    def __call__(self, record: Record) -> Record | Drop:
        size = len(self.text(record).strip())
        if size == 0 and self.min_chars > 0:
            return Drop(reasons.EMPTY)
        if size < self.min_chars:
            return Drop(reasons.TOO_SHORT)
        if self.max_chars is not None and size > self.max_chars:
            return Drop(reasons.TOO_LONG)
        return record


def duplicate_line_fraction(text: str) -> float:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return 1.0 - len(set(lines)) / len(lines) if lines else 0.0


def top_ngram_fraction(words: Sequence[str], n: int) -> float:
    """Share of characters covered by the most frequent word n-gram (Gopher)."""
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return 0.0
    gram, count = Counter(grams).most_common(1)[0]
    total = sum(len(w) for w in words)
    return count * sum(len(w) for w in gram) / total if total else 0.0


class RepetitionFilter(RecordFilter):
    """Gopher-style repetition: duplicate-line share and top 2/3/4-gram character share.

    Texts under ``min_words`` words are not judged (short answers repeat naturally).
    """

    name = "repetition"

    def __init__(
        self,
        max_dup_line_fraction: float = 0.3,
        max_top_ngram_fraction: Sequence[tuple[int, float]] = ((2, 0.2), (3, 0.18), (4, 0.16)),
        fields: Sequence[str] = (MESSAGES,),
        min_words: int = 50,
    ) -> None:
        self.min_words = min_words
        self.max_dup_line_fraction = max_dup_line_fraction
        self.max_top_ngram_fraction = tuple(max_top_ngram_fraction)
        self.fields = check_fields(fields)

    def __call__(self, record: Record) -> Record | Drop:
        text = record_text(record, self.fields)
        words = text.lower().split()
        if len(words) < self.min_words:
            return record
        if duplicate_line_fraction(text) > self.max_dup_line_fraction:
            return Drop(reasons.REPETITION_DUP_LINES)
        for n, limit in self.max_top_ngram_fraction:
            if top_ngram_fraction(words, n) > limit:
                return Drop(reasons.REPETITION_TOP_NGRAM)
        return record


class RefusalFilter(RecordFilter):
    """Assistant turns containing refusal or boilerplate phrases (case-insensitive)."""

    name = "refusal"

    def __init__(self, phrases: Sequence[str] = DEFAULT_REFUSALS) -> None:
        self.phrases = tuple(p.lower() for p in phrases)

    def __call__(self, record: Record) -> Record | Drop:
        for message in record.messages:
            content = (message.get("content") or "").lower().replace("\u2019", "'")
            if message.get("role") == "assistant" and any(p in content for p in self.phrases):
                return Drop(reasons.REFUSAL)
        return record


class CharsetFilter(RecordFilter):
    """Enough alphabetic characters and few U+FFFD replacement characters."""

    name = "charset"

    def __init__(
        self,
        min_alpha_fraction: float = 0.5,
        max_replacement_fraction: float = 0.001,
        fields: Sequence[str] = (MESSAGES,),
    ) -> None:
        self.min_alpha_fraction = min_alpha_fraction
        self.max_replacement_fraction = max_replacement_fraction
        self.fields = check_fields(fields)

    def __call__(self, record: Record) -> Record | Drop:
        text = "".join(record_text(record, self.fields).split())
        if not text:
            return record
        if text.count("\ufffd") / len(text) > self.max_replacement_fraction:
            return Drop(reasons.REPLACEMENT_CHARS)
        if sum(c.isalpha() for c in text) / len(text) < self.min_alpha_fraction:
            return Drop(reasons.LOW_ALPHA_FRACTION)
        return record


class JsonFieldFilter(RecordFilter):
    """A string column (``tools``, ``completion``, ``meta``...) must parse as JSON."""

    name = "json"

    def __init__(self, column: str = "tools") -> None:
        if column not in Record.__dataclass_fields__:
            raise ValueError(f"column={column!r} is not a Record field")
        self.column = column

    def __call__(self, record: Record) -> Record | Drop:
        try:
            json.loads(getattr(record, self.column))
        except (json.JSONDecodeError, TypeError):
            return Drop(reasons.INVALID_JSON)
        return record


class FinishReasonFilter(RecordFilter):
    """Completions cut by the token limit (``finish_reason == "length"``)."""

    name = "finish_reason"

    def __call__(self, record: Record) -> Record | Drop:
        return Drop(reasons.TRUNCATED) if record.finish_reason == "length" else record


class JudgeScoreFilter(RecordFilter):
    """A numeric judge score in ``meta[key]`` of at least ``min_score``."""

    name = "judge_score"

    def __init__(self, min_score: float, key: str = "judge_score", keep_missing: bool = False) -> None:
        self.min_score, self.key, self.keep_missing = min_score, key, keep_missing

    def __call__(self, record: Record) -> Record | Drop:
        score: Any = record.meta_dict().get(self.key)
        if not isinstance(score, int | float) or isinstance(score, bool):
            return record if self.keep_missing else Drop(reasons.MISSING_JUDGE_SCORE)
        return record if score >= self.min_score else Drop(reasons.LOW_JUDGE_SCORE)


def basic_filters(min_response_chars: int = 1, max_response_chars: int | None = None) -> list[RecordFilter]:
    """The filters every recipe starts with: truncation, response length, refusals,
    repetition."""
    return [
        FinishReasonFilter(),
        LengthFilter(min_response_chars, max_response_chars, roles=("assistant",)),
        RefusalFilter(),
        RepetitionFilter(),
    ]


class ApplyFilters(beam.PTransform):
    """Runs filters in order; a record is rejected with the first failing reason.

    Input: ``PCollection[Record]``.
    Output: ``DoOutputsTuple`` with ``.main`` (``Record``) and ``.rejected`` (``Rejected``
    with ``stage``, reason the filter's code, detail the filter's name). Counters (namespace
    ``stage``): ``kept`` and one per reason code.
    """

    def __init__(self, filters: Sequence[RecordFilter], stage: str = STAGE) -> None:
        super().__init__()
        if not filters:
            raise ValueError("filters is empty: pass at least one RecordFilter")
        self._filters = tuple(filters)
        self._stage = stage

    def expand(self, pcoll: beam.PCollection) -> pvalue.DoOutputsTuple:
        fn = ApplyCheckFn(FirstDrop(self._filters), self._stage, dropped_counter="{reason}")
        return pcoll | "Filter" >> beam.ParDo(fn).with_outputs(REJECTED, main=MAIN)
