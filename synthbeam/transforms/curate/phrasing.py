"""What the quality gates read in a text: requests, stubs, repetition, references to missing
material, what a question's form asks for. Pure functions and patterns, no records, no Beam."""

from __future__ import annotations

import re

from synthbeam.transforms.curate import wording
from synthbeam.transforms.curate.definition import noun_forms

_PLACEHOLDER_WORDS = (
    r"answer|response|question|description|insert|your|placeholder|topic|example|explanation|"
    r"instruction|passage|output|input|name of|todo|tbd|fill|value here|text here"
)
PLACEHOLDER = re.compile(
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
MISSING_CONTEXT = re.compile(
    rf"\b(?:the|this|that|these|those)\s+(?:(?:given|following|above|provided|attached|preceding)\s+)?"
    rf"(?:{_CONTEXT_NOUNS})\b"
    rf"|\b(?:the|this|that)\s+(?:given|following|above|provided|attached|preceding)\s+(?:{_GIVEN_NOUNS})\b"
    r"|\b(?:mentioned|described|shown|stated|discussed|listed|given)\s+(?:above|below|earlier)\b"
    r"|\b(?:text|code|list|table|example)\s+(?:above|below)\b"
    r"|\baccording to the (?:text|author|article|passage|document)\b",
    re.IGNORECASE,
)
# A request that points at something it never named: "this class", "implement that?", "It ...".
DANGLING_REFERENCE = re.compile(
    r"\b(?:this|these|those)\b|\b(?:that|it|them|they|one)\s*[?.!]*\s*$|^\s*(?:it|they|that|this|these)\b",
    re.IGNORECASE,
)
REQUEST_VERBS = frozenset(
    """explain describe write list give tell show summarize summarise compare define create name
    find identify suggest provide outline translate rewrite classify generate compose draft calculate
    convert help recommend design implement plan make sort count check estimate propose convince
    walk teach illustrate clarify contrast evaluate analyze analyse discuss detail state mention
    book set search look get schedule send order add remove delete update fetch play remind call
    retrieve locate predict compute determine solve obtain display return lookup reserve cancel
    track measure assess simulate""".split()
)
REQUEST_OPENERS = ("i want", "i need", "i'd like", "i would like", "i'm looking", "please", "help me", "let's")
_LEAD_IN = re.compile(
    r"^(?:the answer(?: to (?:the|this|your) question)? (?:is|would be)|here (?:is|are)|sure|okay|ok|"
    r"the following|this is an?|answer|response)\b",
    re.IGNORECASE,
)
# What a question's form asks for, and the words an answer that gives it uses.
ASKS_WHY = re.compile(r"^\s*why\b|\bwhy (?:is|are|does|do|did|would|should|can)\b", re.IGNORECASE)
GIVES_REASON = re.compile(
    r"\b(?:because|since|so that|so|in order to|to allow|allows?|purpose|therefore|hence|reason|as a result|"
    r"which means|thus|to make|to avoid|to ensure|to support|to provide)\b",
    re.IGNORECASE,
)
ASKS_DIFFERENCE = re.compile(r"\bdiffer(?:ence|ences|ent|s)?\b|\bcompare\b|\bvs\.?\b|\bversus\b", re.IGNORECASE)
_GIVES_CONTRAST = re.compile(
    r"\b(?:unlike|whereas|while|but|instead|rather than|differ\w*|however|not|neither|"
    r"than|contrast|whilst|except|cannot|never|no|nor)\b",
    re.IGNORECASE,
)
# "What is the difference between X and Y?" needs the answer to set one against the other: a
# contrast word, not a passing "not" or "than".
ASKS_DIFFERENCE_BETWEEN = re.compile(r"\bdifferences?\s+between\b", re.IGNORECASE)
_SETS_AGAINST = re.compile(
    r"\b(?:unlike|whereas|while|whilst|but|instead|rather than|differ\w*|however|in contrast|contrary to|"
    r"as opposed to|on the other hand|compared (?:to|with))\b",
    re.IGNORECASE,
)
# A sentence opening with a quoted name in a frame: 'A "break" statement ...', 'The "else" clause ...'.
_NAMED_FRAME = re.compile(r"(?:(a|an|the)\s+)?[`\"\u201c]([^`\"\u201d\n]{1,30})[`\"\u201d]\s+(\w+)", re.IGNORECASE)
# "How can you use coroutines?": the object's last word is what the answer must say the use of.
_ASKS_HOW_TO_USE = re.compile(
    r"^\s*how\s+(?:can|do|would|should|could|might)\s+(?:you|i|we|one)\s+(?:use|make\s+use\s+of|apply|employ)\s+"
    r"(?:(?:a|an|the)\s+)?([a-z][\w-]*(?:\s+[a-z][\w-]*){0,3}?)(?:\s+(?:in|with)\s+python(?:\s+3)?)?\s*\?\s*$",
    re.IGNORECASE,
)
_SAYS_HOW = re.compile(
    r"\bby\s+\w+ing\b|(?:^|[.;:]\s+)(?:use|call|pass|write|define|import|wrap|put|add|create|set|apply|prefix)\s",
    re.IGNORECASE,
)
_USE_VERBS = r"(?:used|applied|called|written|passed|combined|invoked|awaited|declared|defined|created)"
# A second question about a second subject: "What is the else clause, and what are exceptions?"
_SECOND_QUESTION = re.compile(r"(?:,|\band\b)\s+(?:what|how|why|when|where|which|who)\b([^,?;]*)", re.IGNORECASE)
# One subject joined to itself: "What are Strings and Strings in Python?" The repeat must end the
# phrase (punctuation, "in", a verb of the question), so "list and list comprehensions" passes.
_SAME_SUBJECT_TWICE = re.compile(
    r"(?<![\w.`\"'])([\"`']?\w[\w.()`\"'-]*(?:\s+[\w.()`\"'-]+){0,3})\s+(?:and|or)\s+\1"
    r"(?=\s*[?,.;:!]|\s*$|\s+(?:in|and|or|do|does|work|works|mean|means|differ|used|is|are)\b)",
    re.IGNORECASE,
)
_AUXILIARIES = frozenset("is are was were does do did can could should would will a an the".split())
_PRONOUNS = frozenset("it its they them their he she this that these those you i we one".split())
_DANGLING = frozenset("is are was were the a an to of and or with for in on as by that which be".split())


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
    if text.rstrip("\"')").endswith("?"):
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


def names_one_subject_twice(request: str) -> bool:
    """Whether a request joins a subject to itself ("What are Strings and Strings in Python?")."""
    return bool(_SAME_SUBJECT_TWICE.search(request))


_GRAMMAR_SYMBOL = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def grammar_symbols(text: str) -> set[str]:
    """Names of grammar rules in a text's productions ("for_stmt ::= ... starred_list ...")."""
    return {name for line in text.splitlines() if "::=" in line for name in _GRAMMAR_SYMBOL.findall(line)}


def asks_about_unseen_grammar(request: str, passage: str, answer: str) -> bool:
    """Whether a request names a grammar rule of its passage ("What is the "starred_list"
    expression?") whose production the answer does not carry: notation the reader never sees."""
    unseen = grammar_symbols(passage) - grammar_symbols(answer)
    return any(re.search(rf"(?<![\w.]){re.escape(name)}(?![\w(])", request) for name in unseen)


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


def gives_contrast(answer: str) -> bool:
    """A contrast word ("unlike", "instead", "but"), or a word next to its opposite ("mutable"
    and "immutable", "empty" and "non-empty")."""
    return bool(_GIVES_CONTRAST.search(answer)) or pairs_opposites(answer)


def pairs_opposites(answer: str) -> bool:
    """A word next to its opposite: "mutable" and "immutable", "empty" and "non-empty"."""
    tokens = {p for w in wording.words(answer) for p in (w, w.replace("-", ""))}
    return any(f"{prefix}{w}" in tokens for w in tokens for prefix in ("im", "un", "in", "non", "dis"))


def sets_against(answer: str) -> bool:
    """Whether an answer contrasts two things: a contrast word ("unlike", "whereas", "but"), or a
    word next to its opposite ("empty" and "non-empty"). Stricter than ``gives_contrast``: a
    passing "not", "no" or "than" is no contrast."""
    return bool(_SETS_AGAINST.search(answer)) or pairs_opposites(answer)


def strays_to_sibling(request: str, answer: str) -> bool:
    """Whether an answer goes on about a sibling of what the request asks about: sentences in one
    frame ('A "break" statement ...', 'A "continue" statement ...') about different quoted names,
    one the request names and one it does not."""
    frames: dict[tuple[str, str], set[str]] = {}
    for sentence in wording.sentences(answer):
        match = _NAMED_FRAME.match(sentence)
        if match:
            frame = ((match.group(1) or "").lower(), match.group(3).lower())
            frames.setdefault(frame, set()).add(match.group(2).strip())
    asked = request.lower()
    for names in frames.values():
        named = {n for n in names if n.lower() in asked}
        if named and names - named:
            return True
    return False


def misses_how_to_use(request: str, answer: str) -> bool:
    """Whether a "How can you use X?" is answered without saying how X is used: no "by ...ing",
    no sentence opening with an instruction ("Use ...", "Call ..."), and X never the subject of
    "can be used" / "are called" nor the object of "use"/"using"/"call" ("How can you use
    coroutines?" -> "Execution of coroutines can be suspended ..."). False for other requests."""
    match = _ASKS_HOW_TO_USE.match(request)
    if not match:
        return False
    if _SAYS_HOW.search(answer):
        return False
    forms = "|".join(sorted(map(re.escape, noun_forms(match.group(1).split()[-1].lower())), key=len, reverse=True))
    noun = rf"(?<![\w-])(?:{forms})(?![\w-])"
    used = (
        rf"{noun}(?:\s+[\w\"'`()-]+){{0,3}}?\s+(?:can|could|may|must|should|is|are)\s+(?:\w+ly\s+|only\s+|also\s+)?"
        rf"(?:be\s+)?{_USE_VERBS}\b|\b(?:use|uses|using|call|calling|apply|applying)\s+(?:[\w\"'`-]+\s+){{0,3}}?{noun}"
    )
    return not re.search(used, answer, re.IGNORECASE)


_QUOTED = re.compile(r"[\"`\u201c]([^\"`\u201d\n]{1,40})[\"`\u201d]")


def quoted_terms(text: str) -> list[str]:
    """Terms a text quotes ("else", `except*`): names of code it asks about."""
    return [term.strip() for term in _QUOTED.findall(text) if term.strip()]
