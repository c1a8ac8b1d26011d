"""What a tool is for, in words a request can open with: a description's first sentence as a verb
phrase ("Calculates the area of a triangle given its base" -> "calculate the area of a
triangle"), cut where it starts on the details the call's values will give."""

from __future__ import annotations

import re

from synthbeam.tools.schema import ToolDef
from synthbeam.tools.words import name_words


def first_sentence(text: str) -> str:
    """The description's first sentence (not cut inside "U.S." or "e.g."), without its period."""
    sentence = re.split(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])", " ".join(text.split()), maxsplit=1)[0]
    return sentence.rstrip(".!? ")


def purpose(tool: ToolDef) -> str:
    """A tool's description as a verb phrase after "can" ("Calculates the area" -> "calculate the area")."""
    text = first_sentence(tool["function"].get("description") or "")
    text = re.sub(r"^(?:(?:this|the|a) )?(?:function|tool|api|method)(?: that| to| which)?\s+", "", text, flags=re.I)
    text = re.sub(r"\s+and returns?\b.*$|\s+such as\b.*$", "", text, flags=re.I)
    first, _, rest = text.partition(" ")
    low = first.lower()
    if not text or low in ("the", "a", "an", "this", "it"):
        return f"handle {' '.join(name_words(tool['function']['name']))} requests"
    if _base_verb(low) != low:  # "Provides ... and forecasts ..." -> "provide ... and forecast ..."
        rest = re.sub(r"\band ([a-z]+s)\b", lambda m: f"and {_base_verb(m.group(1))}", rest)
    return f"{_base_verb(low)} {rest}".strip()


def _base_verb(word: str) -> str:
    """A third-person verb's base form: "calculates" -> "calculate", "fetches" -> "fetch"."""
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


# Where a description's purpose turns into detail the values will give ("based on ...").
_CUT = re.compile(
    r"\s(?:based on|given|using|according to|with (?:a |the )?(?:given|specified|specific)|"
    r"in (?:either )?\w+ or \w+ order|"
    r"(?:for|of|in|at|from|on|by|within|against|about|up to) (?:a |an |the )?(?:specific|specified|given|particular|certain|provided|defined)\b|"
    r"for the next few \w+|(?:provided|supplied)$)|,|;|\s\(",
    re.IGNORECASE,
)
# A generic tail the values replace ("... for a city" + "in Paris"), cut when 2+ words remain.
_GENERIC_TAIL = re.compile(r"\s(?:(?:for|from) (?:a|an|one) |between two )", re.IGNORECASE)


def short_purpose(tool: ToolDef) -> str:
    """``purpose`` up to where the description starts on the details the values give."""
    whole = re.sub(r"\b(a|an|the) given\b", r"\1", purpose(tool))  # "sorts a given list": not cut at "a"
    head = _CUT.split(whole, maxsplit=1)[0].strip()
    shorter = _GENERIC_TAIL.split(head, maxsplit=1)[0].strip()
    return shorter if len(shorter.split()) >= 2 else head
