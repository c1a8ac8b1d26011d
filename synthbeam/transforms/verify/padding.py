"""The ``padded_request`` gate: content the model added that no planned value or tool accounts for.

A call-first request should say what the calls need and little else. Each content word of
the request (3+ letters, not a common request word) must be a word of an argument value, of
the called function's name, description or parameters (names, descriptions, enum values),
matched on its first ``STEM`` letters (common words match whole) ("evolutionary" ~ "evolution"); more than
``PADDING_BUDGET`` unaccounted words ("sushi on a tokyo sesh", "... at the Miami airport ...
on the internet") make the request padded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from synthbeam.transforms.verify.value_grounding import months_said

PADDING_BUDGET = 1
STEM = 5
_WORD = re.compile(r"[a-z]+")
# Words any request may use: question and request forms, connectives, time and quantity words.
COMMON_WORDS = frozenset(
    """
    the and for with from into onto about above after again against all also any are around before
    being below between both but can could did does doing down during each few further had has have
    having her here hers him his how into its itself just let lets like made make many may might more
    most much must near need needs not now off once only other our out over own please same should
    some such than that their them then there these they this those through too under until very was
    were what when where which while who whom whose why will would you your yours yourself want wants
    know tell show give find get got getting look looking help able check see let's i'd i'm what's
    that's it's there's don't can't won't please kindly quick quickly right now today currently
    current latest recent next last new first second third one two three four five six seven eight
    nine ten many much lot lots some each every both either any way ways also well too really
    different specific certain particular given using use used based information info details
    detail data result results value values number numbers amount total list lists out going done
    does also same kind type sort something anything someone like would love interested wondering
    calculate compute determine figure estimate find retrieve fetch search look locate provide
    return give show tell predict identify generate create get set run perform work going trying
    wanted need needs needed happen happened currently near nearby around within between across
    per each year years month months day days week weeks time times hour hours minute minutes
    yes true false again plus then next following followed finally also additionally whats hows
    degree degrees
    related available including include nearest closest best top good
    """.split()
)


def _stems(words: Iterable[str]) -> set[str]:
    return {w[:STEM] for w in words}


def tool_vocabulary(calls: Iterable[dict[str, Any]], tools: dict[str, dict[str, Any]]) -> set[str]:
    """Stems of every word the calls and their tools account for: values (and the months of
    their dates), names, descriptions."""
    text: list[str] = []
    for call in calls:
        name = str(call.get("name", ""))
        text += [re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name), json.dumps(call.get("arguments") or {}, ensure_ascii=False)]
        text.append(json.dumps(tools.get(name) or {}, ensure_ascii=False))
    text.extend(months_said(" ".join(text)))
    words = _WORD.findall(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", " ".join(text)).lower())
    return _stems(words)


def unaccounted_words(request: str, calls: Iterable[dict[str, Any]], tools: dict[str, dict[str, Any]]) -> list[str]:
    """Content words of ``request`` that neither the calls nor their tools nor common words account for."""
    known = tool_vocabulary(calls, tools)
    words = [w for w in _WORD.findall(request.lower().replace("'", "")) if len(w) >= 3]
    common = [w for w in words if w in COMMON_WORDS or w.removesuffix("s") in COMMON_WORDS]
    return list(dict.fromkeys(w for w in words if w[:STEM] not in known and w not in common))


def padding_problem(request: str, calls: Iterable[dict[str, Any]], tools: dict[str, dict[str, Any]]) -> str:
    """Why ``request`` is padded ("" when it is not): the unaccounted words past the budget."""
    extra = unaccounted_words(request, calls, tools)
    return f"words the calls do not account for: {', '.join(extra)}" if len(extra) > PADDING_BUDGET else ""
