"""The ``unasked_call`` gate: a request that states a call's values without asking for it.

A multi-call request rewritten by a small model can keep every value and lose what one call is
for ("Find the Euclidean norm for x 7, y 12 and z 12 in relation to Nairobi and date
2026-06-15": the sunrise call is only hinted by its place and date). Each called function's
purpose words (the words of its name and of its description's first sentence, less function
words, verbs that only say "do it" ("calculate", "get"), its parameters' names unless the
function's name has them, and the call's values) must have one word in the request, matched on the first ``STEM`` letters of the word
without a plural "s"; a function with no such word is not judged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from synthbeam.tools.words import name_words
from synthbeam.transforms.curate.wording import STOP_WORDS
from synthbeam.transforms.verify.padding import STEM

_SENTENCE_END = re.compile(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])")
# Words that name no purpose: what a function is, and verbs that only say "do it".
_NOT_PURPOSE = frozenset(
    """function functions tool tools api method methods returns return provides provide specified specific
    given input inputs output outputs parameter parameters argument arguments based certain user users
    request requests calculate calculates compute computes determine determines find finds get gets
    retrieve retrieves fetch fetches locate locates search searches look looks show shows perform
    performs run runs""".split()
)


def _words(text: str) -> list[str]:
    return [w for w in name_words(text) if w.isalpha()]


def _stem(word: str) -> str:
    return (word[:-1] if word.endswith("s") and not word.endswith("ss") else word)[:STEM]


def purpose_stems(call: dict[str, Any], function: dict[str, Any]) -> set[str]:
    """Stems of the words that say what ``function`` is for, less those the call states anyway."""
    description = _SENTENCE_END.split(" ".join(str(function.get("description") or "").split()), maxsplit=1)[0]
    properties = (function.get("parameters") or {}).get("properties") or {}
    named = {_stem(w) for w in _words(str(call.get("name", "")))}
    told = {_stem(w) for name in properties for w in _words(name)} - named  # "recipe" of find_recipe stays
    values = list((call.get("arguments") or {}).values())
    told |= {_stem(w) for w in _words(json.dumps(values, ensure_ascii=False))}
    words = _words(f"{call.get('name', '')} {description}")
    return {_stem(w) for w in words if len(w) >= 3 and w not in STOP_WORDS and w not in _NOT_PURPOSE} - told


def unasked_calls(request: str, calls: Iterable[dict[str, Any]], functions: dict[str, dict[str, Any]]) -> list[str]:
    """Names of the called functions whose purpose ``request`` never states (each name once),
    when the calls are to two or more functions; a one-function request's values say what it
    is for ("How much is 1530 CAD in CHF?")."""
    calls = list(calls)
    if len({str(c.get("name", "")) for c in calls}) < 2:
        return []
    said = {_stem(w) for w in _words(request)}
    unasked: list[str] = []
    for call in calls:
        name = str(call.get("name", ""))
        stems = purpose_stems(call, functions.get(name) or {})
        if stems and not stems & said and name not in unasked:
            unasked.append(name)
    return unasked
