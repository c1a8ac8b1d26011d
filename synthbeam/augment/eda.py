"""Easy Data Augmentation (Wei & Zou, 2019), offline and deterministic.

The four operations of EDA (and of the ``textaugment`` library's ``EDA``): synonym
replacement, random insertion, random swap and random deletion. Each is a pure function of
a token list and a ``random.Random``; ``augment_text`` seeds that generator from the caller's
key (the record id), so a rerun on any worker gives the same variants. Synonyms come from a
small hand-written table shipped in the package (``synthbeam/data/synonyms.json``), so
nothing is downloaded; pass your own table to use a bigger one.

Unlike the reference implementation, text is not lower-cased or stripped of punctuation:
tokens keep their punctuation and case, and line breaks stay where they were. Technical
text is protected: code-like tokens (identifiers, calls, literals, ``snake_case``,
``camelCase``, anything with digits or symbols inside) and terms of art listed in
``synthbeam/data/technical_terms.txt`` ("key", "statement", "method", "state") are never
replaced, deleted or moved, and a variant whose protected tokens differ from its source's is
not returned.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import json
import random
import re
from collections.abc import Callable, Mapping

from synthbeam.schemas.record import Record, stable_id

SYNONYM_REPLACEMENT = "synonym_replacement"
RANDOM_INSERTION = "random_insertion"
RANDOM_SWAP = "random_swap"
RANDOM_DELETION = "random_deletion"
OPS: tuple[str, ...] = (SYNONYM_REPLACEMENT, RANDOM_INSERTION, RANDOM_SWAP, RANDOM_DELETION)
ALIASES = {"sr": SYNONYM_REPLACEMENT, "ri": RANDOM_INSERTION, "rs": RANDOM_SWAP, "rd": RANDOM_DELETION}
NEWLINE = "\n"
_WORD = re.compile(r"^(\W*)([A-Za-z]+(?:'[A-Za-z]+)?)(\W*)$")
_INSERTION_TRIES = 10  # as in the reference implementation
_SWAP_TRIES = 3

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves""".split()
)

Synonyms = Mapping[str, tuple[str, ...]]


def resolve_op(name: str) -> str:
    """An op name or its EDA abbreviation (sr, ri, rs, rd) -> the op name."""
    op = ALIASES.get(name, name)
    if op not in OPS:
        raise ValueError(f"Unknown EDA op {name!r}; choose from {', '.join(OPS)} (or sr, ri, rs, rd).")
    return op


def synonyms_from_groups(groups: list[list[str]]) -> dict[str, tuple[str, ...]]:
    """Groups of mutual synonyms -> word -> its synonyms (in first-seen order)."""
    table: dict[str, list[str]] = {}
    for group in groups:
        words = [w.lower() for w in group]
        for word in words:
            known = table.setdefault(word, [])
            known += [other for other in words if other != word and other not in known]
    return {word: tuple(others) for word, others in table.items()}


@functools.cache
def technical_terms() -> frozenset[str]:
    text = (importlib.resources.files("synthbeam.data") / "technical_terms.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_code_like(token: str) -> bool:
    """A token that reads as code: not a plain word once sentence punctuation is stripped
    (``dict.keys()``, ``snake_case``, ``x=1``, ``3.11``, `` `name` ``), or a word with a
    capital after its first letter (``camelCase``, ``HTTP``)."""
    parts = _core(token)
    if parts is None:
        return any(c.isalnum() for c in token)
    word = parts[1]
    return "`" in token or any(c.isupper() for c in word[1:])


def is_protected(token: str) -> bool:
    """Code-like tokens and listed terms of art: EDA never changes, deletes or moves them."""
    if token == NEWLINE:
        return False
    parts = _core(token)
    return is_code_like(token) or (parts is not None and parts[1].lower() in technical_terms())


def protected_tokens(text: str) -> list[str]:
    """The protected tokens of a text, in order (a variant must keep exactly these)."""
    return [t for t in tokenize(text) if is_protected(t)]


@functools.cache
def bundled_synonyms() -> dict[str, tuple[str, ...]]:
    text = (importlib.resources.files("synthbeam.data") / "synonyms.json").read_text("utf-8")
    return synonyms_from_groups(json.loads(text)["groups"])


def tokenize(text: str) -> list[str]:
    """Whitespace tokens with each line break kept as a ``"\\n"`` token."""
    tokens: list[str] = []
    for number, line in enumerate(text.split(NEWLINE)):
        if number:
            tokens.append(NEWLINE)
        tokens += line.split()
    return tokens


def detokenize(tokens: list[str]) -> str:
    lines: list[list[str]] = [[]]
    for token in tokens:
        if token == NEWLINE:
            lines.append([])
        else:
            lines[-1].append(token)
    return NEWLINE.join(" ".join(line) for line in lines)


def _core(token: str) -> tuple[str, str, str] | None:
    """``'(Quick),'`` -> ``('(', 'Quick', '),')``; None for tokens that are not a word."""
    match = _WORD.match(token)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def _match_case(model: str, word: str) -> str:
    if len(model) > 1 and model.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if model[:1].isupper() else word


def _synonyms(token: str, synonyms: Synonyms) -> tuple[str, ...]:
    """Synonyms a word may become: none for stop words and protected tokens, and never a
    listed term of art (a replacement must not read as one)."""
    parts = _core(token)
    if parts is None or parts[1].lower() in STOP_WORDS or is_protected(token):
        return ()
    return tuple(w for w in synonyms.get(parts[1].lower(), ()) if w not in technical_terms())


def synonym_replacement(tokens: list[str], n: int, rng: random.Random, synonyms: Synonyms) -> list[str]:
    """Replaces up to ``n`` distinct non-stop words (every occurrence) with a synonym."""
    options = {_core(t)[1].lower(): _synonyms(t, synonyms) for t in tokens if _core(t)}  # type: ignore[index]
    words = [word for word, found in options.items() if found]
    rng.shuffle(words)
    chosen = {word: rng.choice(options[word]) for word in words[:n]}
    out = []
    for token in tokens:
        parts = _core(token)
        if parts and parts[1].lower() in chosen and not is_protected(token):
            token = parts[0] + _match_case(parts[1], chosen[parts[1].lower()]) + parts[2]
        out.append(token)
    return out


def random_insertion(tokens: list[str], n: int, rng: random.Random, synonyms: Synonyms) -> list[str]:
    """``n`` times: a synonym of a random word is inserted at a random position."""
    out = list(tokens)
    for _ in range(n):
        for _ in range(_INSERTION_TRIES):
            options = _synonyms(rng.choice(out), synonyms) if out else ()
            if options:
                out.insert(rng.randint(0, len(out)), rng.choice(options))
                break
    return out


def random_swap(tokens: list[str], n: int, rng: random.Random, synonyms: Synonyms | None = None) -> list[str]:
    """``n`` times: two random words trade places (line breaks and protected tokens stay put)."""
    out = list(tokens)
    positions = [i for i, t in enumerate(out) if t != NEWLINE and not is_protected(t)]
    if len(positions) < 2:
        return out
    for _ in range(n):
        i = rng.choice(positions)
        for _ in range(_SWAP_TRIES):
            j = rng.choice(positions)
            if j != i:
                out[i], out[j] = out[j], out[i]
                break
    return out


def random_deletion(tokens: list[str], p: float, rng: random.Random, synonyms: Synonyms | None = None) -> list[str]:
    """Each word is deleted with probability ``p`` (protected tokens never); at least one word
    is always kept."""
    words = [t for t in tokens if t != NEWLINE]
    if len(words) <= 1:
        return list(tokens)
    out = [t for t in tokens if t == NEWLINE or is_protected(t) or rng.random() > p]
    if all(t == NEWLINE for t in out):
        return [rng.choice(words)]
    return out


Op = Callable[..., list[str]]
_FUNCTIONS: dict[str, Op] = {
    SYNONYM_REPLACEMENT: synonym_replacement,
    RANDOM_INSERTION: random_insertion,
    RANDOM_SWAP: random_swap,
    RANDOM_DELETION: random_deletion,
}


def seeded_rng(*key: object) -> random.Random:
    """A generator seeded from ``key`` alone (not from process state), e.g. the record id."""
    return random.Random(int(stable_id(*key), 16))


def augment_text(text: str, op: str, alpha: float, rng: random.Random, synonyms: Synonyms | None = None) -> str:
    """One EDA variant of ``text``: ``alpha`` is the share of words changed (the deletion
    probability for ``random_deletion``), at least one word for the other ops."""
    op = resolve_op(op)
    tokens = tokenize(text)
    table = bundled_synonyms() if synonyms is None else synonyms
    if op == RANDOM_DELETION:
        return detokenize(random_deletion(tokens, alpha, rng))
    words = sum(1 for t in tokens if t != NEWLINE)
    n = max(1, int(alpha * words))
    return detokenize(_FUNCTIONS[op](tokens, n, rng, table))


def eda_variants(
    record: Record,
    ops: tuple[str, ...],
    n_per_row: int,
    alpha: float,
    seed: int = 0,
    roles: tuple[str, ...] = ("user",),
    synonyms: Synonyms | None = None,
) -> list[Record]:
    """Up to ``n_per_row`` variants of ``record``, variant ``i`` made by ``ops[i % len(ops)]``.

    Every turn whose role is in ``roles`` is augmented, each with a generator seeded from
    (record id, op, variant, turn, seed). A variant that equals its parent, or whose protected
    tokens (``protected_tokens``) differ from its parent's, is not returned.
    Variants get a new id, ``lineage.parent_id`` = the parent's id and
    ``lineage.augmentation="eda:<op>"``.
    """
    variants = []
    for i in range(n_per_row):
        op = resolve_op(ops[i % len(ops)])
        messages = [dict(m) for m in record.messages]
        for turn, message in enumerate(messages):
            if message.get("role") in roles and (message.get("content") or "").strip():
                rng = seeded_rng(record.id, op, i, turn, seed)
                message["content"] = augment_text(message["content"], op, alpha, rng, synonyms)
        if messages == record.messages or any(
            protected_tokens(m.get("content") or "") != protected_tokens(o.get("content") or "")
            for m, o in zip(messages, record.messages, strict=True)
        ):
            continue
        variants.append(
            dataclasses.replace(
                record,
                id=stable_id(record.id, "eda", op, i, seed),
                messages=messages,
                lineage=dataclasses.replace(record.lineage, parent_id=record.id, augmentation=f"eda:{op}"),
            )
        )
    return variants
