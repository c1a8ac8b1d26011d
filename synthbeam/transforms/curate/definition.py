"""Whether the answer to a pure definition request defines what it asks about: "What is a
comparison operation?" answered with "... all comparison operations in Python have the same
priority ..." does not.

A pure definition request is "What is/are X?" (optionally "... in Python?") and nothing else:
no "and ...", no "used for", no other preposition than "of"; a follow-up about the same X
("..., and when is it used?") is set aside first, except "and what does it do?" and "and how
does it work?", which an answer saying what X does answers. X's head noun is the last word
before any "of" ("termination model" of "the termination model of error handling"). The
request is not judged (the answer passes) when X is

- a property of something: "the purpose/role/meaning/behavior/difference ..." (a value, not a
  term, is asked for; ``PROPERTY_NOUNS``), "the function/list/number of ...", or "the
  default/maximum/best ..." X;
- a listing: "What are the X?", "What are some X?";
- a name: one code name (`` `__slots__` ``, "break", ``dict.keys()``), or a head with a
  capital or a digit (GenericAlias, PEP 8): reference text answers those with what they do.

The answer defines X when some sentence links X's head noun (case-insensitive; singular or
plural; quotes and backticks dropped) definitionally:

- as subject: the head, then up to six words, a parenthesis or one comma-delimited insert ("a
  class attribute, which ..., is"), then is/are/was/were, refers to, means, denotes,
  represents, consists of, stands for, describes, has the same semantics as, or ":"; not where
  X is the object of a preposition ("names defined by a module are", "an identifier occurring
  as an atom is") or the verb is another clause's ("structures where there are");
- as complement: is/are/was/were/called/named/known as, an optional article, up to three
  words, then the head ("... are view objects").

A false reject costs a good row, so the rule is generous to the answer: any such link counts,
whatever it says. Pure functions, no records, no Beam.
"""

from __future__ import annotations

import re

_REQUEST = re.compile(r"\s*(?:what\s+(is|are)|what['\u2019](s|re))\s+([^?\n]+?)\s*\?\s*", re.IGNORECASE)
# "..., and when is it used?": a second question about the same X, which still asks what X is.
# Not "and what does it do?" / "and how does it work?": saying what X does answers those.
_FOLLOW_UP = re.compile(
    r",?\s+and\s+(?!(?:what\s+(?:does|do)\s+(?:it|they)\s+do|how\s+(?:does|do)\s+(?:it|they)\s+work)\b)"
    r"(?:what|when|how|why|where)\b[^?,]*\b(?:it|they|them|its|their|one)\b[^?,]*\?\s*$",
    re.IGNORECASE,
)
_CONTEXT = re.compile(r"\s+in\s+(?:python(?:\s+3)?|programming)(?:\s+programming)?$", re.IGNORECASE)
_TOKEN = re.compile(r"`[^`\n]+`|\"[^\"\n]+\"|\u201c[^\u201d\n]+\u201d|'[^'\n]+'(?!\w)|[^\s`\"\u201c\u201d]+")
_QUOTES = "`\"'\u201c\u201d\u2018\u2019"
_ARTICLES = frozenset("a an the".split())
# Opening words that make X a listing or something other than a term.
_NOT_A_TERM_OPENING = frozenset(
    """some any all these those this that its it their they there your my our his her each every
    many several few most various different other another such main key common important""".split()
)
# "What is the default encoding?" asks for a value, not what a default encoding is.
_VALUE_ADJECTIVES = frozenset(
    """default maximum minimum max min current first last best worst correct right proper preferred
    recommended standard usual typical main primary only total exact actual resulting expected same
    next previous new old most least largest smallest fastest slowest simplest easiest general
    overall real""".split()
)
# Words that make the request more than "What is X?": a second part, a use, a comparison, a
# preposition other than "of", a verb.
_NOT_PURE = frozenset(
    """and or nor but & / + vs versus between than as like when where why how which who whom whose
    what that used use using called meant known needed required considered done made defined
    returned raised passed stored for to with by from about if not in on at into onto over under
    within without through during after before since until against via per among do does did can
    could should would will may might must has have had compared""".split()
)
# Heads that ask for a property of something rather than what a term is.
PROPERTY_NOUNS = frozenset(
    """purpose role meaning significance importance difference differences distinction use uses
    usage point benefit benefits advantage advantages disadvantage disadvantages drawback drawbacks
    reason reasons cause causes result results output outputs effect effects behavior behaviour
    behaviors behaviours syntax default defaults value values signature precedence priority order
    scope lifetime cost complexity limit limits limitation limitations name names definition
    definitions type types kind kinds sort sorts form forms example examples part parts
    way ways rule rules idea goal aim job task responsibility relationship relation connection
    equivalent alternative alternatives opposite counterpart status state size length format""".split()
)
# Heads that ask for a property only with "of": "the function of a metaclass", "a list of names".
_OF_NOUNS = frozenset(
    """function functions list lists set sets number numbers amount group groups collection
    sequence series piece pieces instance instances member members element elements""".split()
)

_WORD = r"(?:[^\s,;:.?!()\[\]]|\.(?=\w)|\(\))+"
# Words that open another clause, whose verb is not X's: "structures where there are ...".
_CLAUSE_OPENER = r"(?:where|when|while|if|whether|because|since|although|though|unless|there|it|they|this|these)"
_GAP_WORD = rf"(?!{_CLAUSE_OPENER}\b){_WORD}"
_GAP_ITEM = (
    rf"(?:\s*\([^()\n]{{0,100}}\)"  # a parenthesis
    rf"|\s+{_GAP_WORD}"  # a word
    r"|\s*,[^,;:.?!()\n]{1,80},"  # ", which ...,"
    r"|\s*,(?=\s*(?:which|who|that)\s))"  # ", which are ..."
)
_LINK = re.compile(
    rf"{_GAP_ITEM}{{0,6}}?"
    r"(?:\s*:(?!:)|\s+(?:is|are|was|were|refers?\s+to|means?|denotes?|represents?|consists?\s+of|stands?\s+for"
    r"|describes?|ha(?:s|ve)\s+the\s+same\s+(?:semantics|meaning)\s+as)\b)"
)
_COPULA = rf"\b(?:is|are|was|were|called|named|termed|known\s+as)\s+(?:(?:a|an|the)\s+)?(?:(?!(?:that|which|who|whether|if|how|what|when|where|why)\b){_WORD}\s+){{0,3}}"
# X as the object of a preposition ("names defined by a module are"): not the subject.
_AFTER_PREPOSITION = re.compile(
    r"\b(?:of|by|in|for|to|with|from|on|at|into|than|about|like|as)\s+(?:(?:a|an|the)\s+)?$"
)


def _is_code(token: str) -> bool:
    """A quoted or backticked name, or one that looks like code: ``x.y()``, ``__slots__``, ``*args``."""
    return token[:1] in _QUOTES or bool(re.search(r"[()_*\[\]<>=]|\w\.\w|[a-z][A-Z]", token))


def _unquote(text: str) -> str:
    """Without quotes and backticks (an apostrophe inside a word stays): "“termination” model" ->
    "termination model"."""
    text = re.sub(r"[`\"\u201c\u201d]", "", text)
    return re.sub(r"(?<!\w)['\u2018\u2019]|['\u2018\u2019](?!\w)", "", text)


def definition_head(request: str) -> str | None:
    """X's head noun, lowercase, when ``request`` is a pure definition request whose answer is
    to be judged ("What is a comparison operation?" -> "operation"), or one with a follow-up about
    the same X ("What is an atom, and when is it used?"); None otherwise."""
    match = _REQUEST.fullmatch(_FOLLOW_UP.sub("?", request))
    if not match:
        return None
    verb = (match.group(1) or match.group(2)).lower()
    subject = _CONTEXT.sub("", match.group(3).strip())
    tokens: list[str] = []
    for token in _TOKEN.findall(subject):  # a quoted phrase ("magic methods") is its words
        phrase = token[:1] in _QUOTES and " " in token
        tokens.extend(_TOKEN.findall(_unquote(token)) if phrase else [token])
    if not tokens or len(tokens) > 8:
        return None
    if len(tokens) == 1 and _is_code(tokens[0]):
        return None  # `__slots__`, "break": a name, answered with what it does
    words = [t.lower() for t in tokens]
    article = words[0] if words[0] in _ARTICLES else ""
    if article:
        tokens, words = tokens[1:], words[1:]
    if not words or words[0] in _NOT_A_TERM_OPENING:
        return None
    if article == "the" and (verb in ("are", "re") or words[0] in _VALUE_ADJECTIVES):
        return None  # "What are the built-in types?": a listing; "the default encoding": a value
    plain = [w for t, w in zip(tokens, words, strict=True) if t[:1] not in _QUOTES]
    if any(w.strip(",;:") in _NOT_PURE or w.endswith((",", ";", ":")) for w in plain):
        return None
    before_of = tokens[: words.index("of")] if "of" in words else tokens
    if not before_of or len(before_of) > 5:
        return None
    head = "" if _is_code(before_of[-1]) else _unquote(before_of[-1])
    if not re.fullmatch(r"[a-z]+(?:-[a-z]+)*", head) or len(head) < 2:
        return None  # a name (GenericAlias, PEP 8, `x.y()`), a symbol or a number
    if head in PROPERTY_NOUNS or (head in _OF_NOUNS and len(before_of) < len(tokens)):
        return None
    return head


def noun_forms(noun: str) -> set[str]:
    """The noun, its plural and its singular: operation/operations, class/classes, entry/entries."""
    forms = {noun}
    if noun.endswith("ies") and len(noun) > 4:
        forms.add(noun[:-3] + "y")
    elif re.search(r"(?:s|x|z|ch|sh)es$", noun):
        forms.add(noun[:-2])
    elif noun.endswith("s") and not noun.endswith(("ss", "us", "is")):
        forms.add(noun[:-1])
    for form in list(forms):
        if re.search(r"[^aeiou]y$", form):
            forms.add(form[:-1] + "ies")
        elif re.search(r"(?:s|x|z|ch|sh)$", form):
            forms.add(form + "es")
        else:
            forms.add(form + "s")
    return forms


def defines(answer: str, head: str) -> bool:
    """Whether ``answer`` links ``head`` definitionally somewhere (module docstring)."""
    text = _unquote(answer).lower()
    forms = "|".join(sorted(map(re.escape, noun_forms(head)), key=len, reverse=True))
    noun = rf"(?<![\w-])(?:{forms})(?:['\u2019]s)?(?![\w-])"
    if re.search(_COPULA + noun, text):
        return True
    return any(
        _LINK.match(text, found.end()) and not _AFTER_PREPOSITION.search(text, 0, found.start())
        for found in re.finditer(noun, text)
    )


def misses_definition(request: str, answer: str) -> bool:
    """Whether ``request`` is a pure definition request ("What is X?") whose ``answer`` never
    says what X is; False for any other request."""
    head = definition_head(request)
    return head is not None and not defines(answer, head)
