"""Subject-verb agreement of a request's opening: "What are importlib.import_module()?",
"What is the differences ...", "How does list comprehensions work?".

A request opening "What/How/Why is/are/does/do" is read up to the end of its subject (a
preposition, punctuation, "and what ...", a pronoun or a second article; for "do/does", the
main verb from a list of common ones). The verb's number is judged only in the clear cases:

- a plural verb (are, do) with one code name (``x.y()``, `` `foo` ``, "break"), or with an
  article or "the" and no word that could be plural ("What are the purpose of x()?");
- a singular verb (is, does) with "the/these/..." and a plural head noun ("What is the
  differences ..."), or with a bare noun phrase of two or more words ("How does list
  comprehensions work?").

Anything else passes: names that look plural (`*args`, ``dict.keys()``, itertools), joined
subjects ("`*args` and `**kwargs`"), capitalised names (Pandas, Windows), nouns whose plural
has no -s (data, criteria), quantities ("a few", "the rest of"). A false reject costs a good
row, so doubt keeps it. Pure functions, no records, no Beam.
"""

from __future__ import annotations

import builtins
import re
import sys

_OPENING = re.compile(r"^\s*(?:what|how|why)\s+(is|are|does|do)\s+(.*)", re.IGNORECASE | re.DOTALL)
_TOKEN = re.compile(
    r"`[^`\n]+`"  # `name`
    r"|(?<![\w'])\"[^\"\n]+\"|“[^”\n]+”|(?<![\w'])'[^'\n]+'(?!\w)"  # "name", “name”, 'name'
    r"|[,;:?!]"
    r"|[^\s,;:?!`\"“”]+"
)
# Words that end a subject: prepositions, conjunctions, relative and adverbial words.
_BOUNDARY = frozenset(
    """of in on at by for with from to into onto about over under within without between among
    through during after before since until against than as like per via versus vs when where
    while whereas if because that which who whom whose what how why not so too very also only
    often always usually generally typically still never sometimes really actually even just
    instead rather compared differently exactly""".split()
)
_PRONOUNS = frozenset("it he she they we you i one there here".split())
_ARTICLES = frozenset("a an the this that these those".split())
_DETERMINERS = _ARTICLES | frozenset("its his her their our your my some many several all both".split())
_QUESTION_WORDS = frozenset(
    "what how why when where which who whom whose is are was were does do did can could should would will".split()
)
_COORDINATION = frozenset("and or nor & / plus ,".split())
# Common main verbs of "How does X <verb>?": nouns that name code ("list", "return", "print",
# "import", "format", "set") are left out, so "the print function" is not cut at "print".
_VERBS = frozenset(
    """work do differ handle affect help behave compare mean represent relate interact get make allow
    support provide prevent evaluate create define apply take accept determine happen include know find
    look need have contain produce resolve implement manage improve influence impact enable ensure avoid
    protect catch propagate iterate execute generate convert compute calculate treat deal fit refer depend
    matter exist occur fail capture bind share inherit override extend modify retrieve display show parse
    simplify reduce increase cause lead result trigger indicate specify declare assign initialize
    initialise release allocate use operate see say tell add remove become remain stay keep hold go come
    give let want expect require emit throw receive send save control check guarantee solve fix explain
    describe signify denote correspond stand translate perform achieve benefit vary decide choose pick
    combine connect communicate identify recognize recognise detect distinguish affect""".split()
)
# Verbs whose -s form ends a relative clause ("the value Python returns"): not a plural noun there.
_CLAUSE_VERBS = _VERBS | frozenset("return raise yield call pass print store expose".split())
# Singular words that end in -s, and names of code that do.
_SINGULAR_S = frozenset(
    """news series species means lens alias canvas atlas bias gas whereas has was does this thus always
    perhaps yes plus minus chaos cosmos kudos ethos pathos logos os ios macos windows args kwargs kwds
    generics pandas requests attrs odds headquarters whereabouts""".split()
)
# Python's modules and builtins (itertools, bytes, globals): a name, not a plural, unless "the" says so.
_PYTHON_NAMES = frozenset(name.lower() for name in (*sys.stdlib_module_names, *dir(builtins)))
_IRREGULAR_PLURALS = frozenset(
    """data metadata criteria phenomena people children men women media alumni bacteria feet teeth mice
    geese dice fish sheep deer police cattle staff personnel aircraft offspring corpora schemata
    stimuli foci radii cacti fungi nuclei syllabi appendices matrices vertices""".split()
)
_NUMBERS = frozenset("two three four five six seven eight nine ten dozen dozens hundred hundreds many".split())
# Heads that take a plural verb without an -s: "What are the following?", "the rest of them".
_PLURAL_HEADS = frozenset(
    """following above below former latter same other rest remainder majority minority bulk few
    couple lot lots number variety range series bunch handful host set group collection pair
    plethora multitude array selection mix combination sequence family team suite""".split()
)
# First words after which "What is ..." describes rather than names: "What is considered best practices?"
_PREDICATES = frozenset(
    """considered meant needed used required known called new special different common important
    best better worse more most less least good bad true false possible necessary typical usual""".split()
)
_PARTICIPLES = frozenset(
    "done made known given taken written shown seen built found held kept meant sent thrown chosen hidden bound".split()
)
_ED_NOUNS = frozenset("seed speed feed need embed bed shed hundred red bred thread".split())


class _Word:
    """One token of a request: its text, and whether it names code."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.quoted = text[:1] in "`\"'“"
        inner = text[1:-1].strip() if self.quoted else text
        self.phrase = self.quoted and " " in inner  # "magic methods": neither a name nor one word
        self.code = (self.quoted and not self.phrase) or bool(re.search(r"[()_]|\w\.\w|^\*|[a-z][A-Z]", inner))
        self.lower = re.sub(r"'s$|'$", "", inner if self.quoted else inner.rstrip(".")).lower()

    @property
    def name(self) -> str:
        """The last part of a code name, without calls, stars and underscores: ``dict.keys()`` -> keys."""
        return re.split(r"[.]", re.sub(r"\(.*?\)|\[.*?\]", "", self.lower).strip(".*_ "))[-1].strip("*_")


def _looks_plural_code(word: _Word) -> bool:
    name = word.name
    if not re.search(r"[a-z]", name):
        return True  # `[]`, "<=": symbols, read as "the brackets" as often as not
    return (name.endswith("s") and not name.endswith(("ss", "us", "is"))) or name in ("argv", "environ")


def _maybe_plural(word: _Word, head: bool) -> bool:
    """Whether a word could be plural (the plural-verb check stays silent then)."""
    if word.phrase:
        return True
    if word.code:
        return head and _looks_plural_code(word)  # a code name before the head only qualifies it
    text = word.lower
    if text in _IRREGULAR_PLURALS or text in _NUMBERS or text.isdigit() or word.text.isupper():
        return True
    if word.text.endswith("'"):
        return True  # "methods'"
    return text.endswith("s") and not text.endswith(("ss", "us", "is", "ous", "'s"))


def _clearly_plural(word: _Word, relative_clause_possible: bool, name_possible: bool) -> bool:
    """A lowercase English word with a plural -s: "differences", "comprehensions", not "class",
    "status", "analysis", "bytes", "itertools", "Windows" or a verb ending a clause ("returns")."""
    text = word.lower
    if word.code or word.quoted or word.text != word.text.lower() or word.text.endswith("'"):
        return False
    if not re.fullmatch(r"[a-z][a-z-]*s", text) or len(text) < 4 or "'" in word.text:
        return False
    if text.endswith(("ss", "us", "is", "ics", "ous")) or text in _SINGULAR_S:
        return False
    if name_possible and text in _PYTHON_NAMES:
        return False
    if relative_clause_possible:
        stems = {text[:-1], text[:-2], text[:-3] + "y" if text.endswith("ies") else ""}
        if stems & _CLAUSE_VERBS:
            return False
    return True


def _opens_clause(tokens: list[_Word], i: int) -> bool:
    """Whether a second question or clause starts at ``tokens[i]``: "what ...", "and how ...", "it"."""
    words = [t.lower if not t.quoted else "" for t in tokens[i : i + 2]]
    if not words:
        return True
    if words[0] in _QUESTION_WORDS or words[0] in _PRONOUNS:
        return True
    return words[0] in _COORDINATION and len(words) > 1 and (words[1] in _QUESTION_WORDS or words[1] in _PRONOUNS)


def _run(tokens: list[_Word]) -> list[_Word]:
    """The words from the verb up to the first that cannot be in its subject: punctuation, a
    preposition, a pronoun, a second article ("the type the function returns") or a second
    question ("..., and what does it do?"). A comma that lists ("`!r`, `!s` and `!a`") stays in."""
    run: list[_Word] = []
    for i, token in enumerate(tokens):
        if token.quoted:
            run.append(token)
            continue
        word, after_article = token.lower, len(run) == 1 and run[0].lower in _ARTICLES
        if token.text == "," and not _opens_clause(tokens, i + 1):
            run.append(token)
            continue
        if token.text in (",", ";", ":", "?", "!"):
            break
        if word in _COORDINATION and _opens_clause(tokens, i):
            break
        if word in _BOUNDARY and not after_article:  # "the for loop", "the in operator": a keyword named
            break
        if run and (word in _PRONOUNS or (word in _ARTICLES and not token.code)):
            break
        run.append(token)
    return run


def _main_verbs(run: list[_Word]) -> list[int]:
    """Where words of the run can be the main verb of "How does X <verb>": not first, not
    right after a leading article ("the help function")."""
    return [
        i
        for i, token in enumerate(run)
        if i >= 1 and not token.quoted and token.lower in _VERBS and not (i == 1 and run[0].lower in _ARTICLES)
    ]


def _joined(words: list[_Word]) -> bool:
    return any(not w.quoted and w.lower in _COORDINATION for w in words)


def _trim(subject: list[_Word]) -> list[_Word]:
    """Without trailing participles and adverbs: "decorators used", "the arguments passed"."""
    while len(subject) > 1:
        last = subject[-1]
        word = last.lower
        participle = (word.endswith("ed") and len(word) > 3 and word not in _ED_NOUNS) or word in _PARTICIPLES
        if last.code or last.quoted or not (participle or word.endswith("ly")):
            break
        subject = subject[:-1]
    return subject


def number_disagrees(request: str) -> bool:
    """Whether a request's opening "What/How/Why is|are|does|do" disagrees in number with its
    subject, in the clear cases only (module docstring)."""
    match = _OPENING.match(request)
    if not match:
        return False
    verb, rest = match.group(1).lower(), match.group(2)
    tokens = [_Word(t) for t in _TOKEN.findall(rest.split("\n", 1)[0].replace("\u2019", "'"))]
    if not tokens:
        return False
    first = tokens[0].text.lower()  # "it", not "it's"
    plural_verb = verb in ("are", "do")
    if first in ("it", "he", "she"):
        return plural_verb
    if first in ("they", "we", "you") or (first == "i" and verb == "does"):
        return not plural_verb
    run = _run(tokens)
    if verb in ("is", "are"):
        subject = _trim(run)
    else:
        verbs = _main_verbs(run)
        if not verbs:
            return False  # no main verb found: where the subject ends is a guess
        subject = run[: verbs[0]]
        # "How do the flow control statements work?": "control" need not be the verb either.
        if plural_verb and (_joined(run[: verbs[-1]]) or any(_maybe_plural(w, False) for w in run[: verbs[-1]])):
            return False
    if not subject or _joined(subject):
        return False
    return _singular_subject(subject) if plural_verb else _plural_subject(subject)


def _determiner(subject: list[_Word]) -> tuple[str, list[_Word]]:
    """The subject's determiner ("the", "a", "Python's", "" for none) and its other words."""
    first = subject[0]
    if first.quoted or first.code or len(subject) < 2:
        return "", subject
    if first.lower in _DETERMINERS:
        return first.lower, subject[1:]
    if first.text.endswith("'s"):
        return "'s", subject[1:]  # "Python's"
    return "", subject


def _singular_subject(subject: list[_Word]) -> bool:
    """One code name, or an article and words none of which could be plural."""
    determiner, words = _determiner(subject)
    if not words:
        return False
    if not determiner:
        return len(words) == 1 and words[0].code and not _looks_plural_code(words[0])
    if determiner not in ("a", "an", "the", "this", "that", "its", "his", "her", "their", "our", "your", "my", "'s"):
        return False
    if len(words) > 5 or any(w.phrase or w.text.isupper() for w in words):
        return False
    head = words[-1]
    if any(_maybe_plural(w, w is head) for w in words):
        return False
    if not head.code and (head.lower in _PLURAL_HEADS or head.lower.endswith(("ing", "est"))):
        return False
    return not (determiner in ("a", "an") and words[0].lower in _PLURAL_HEADS)


def _plural_subject(subject: list[_Word]) -> bool:
    """A plural head noun after "the" (or another determiner that allows one), or ending a bare
    phrase of two or more plain words; no other word that could be plural."""
    determiner, words = _determiner(subject)
    if not words or len(words) > 4 or determiner in ("a", "an", "this", "that", "its", "his", "her"):
        return False
    if not determiner and (len(words) < 2 or any(w.code or w.quoted for w in words)):
        return False
    if not determiner and (words[0].lower in _PREDICATES or words[0].lower.endswith(("ed", "ly"))):
        return False
    head = words[-1]
    if any(_maybe_plural(w, False) for w in words[:-1] if not w.code):
        return False
    return _clearly_plural(head, relative_clause_possible=len(words) > 1, name_possible=determiner in ("", "'s"))
