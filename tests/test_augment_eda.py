import random
from collections import Counter

import pytest

from synthbeam.augment.eda import (
    OPS,
    RANDOM_DELETION,
    RANDOM_INSERTION,
    RANDOM_SWAP,
    SYNONYM_REPLACEMENT,
    augment_text,
    bundled_synonyms,
    detokenize,
    eda_variants,
    protected_tokens,
    random_deletion,
    random_insertion,
    random_swap,
    resolve_op,
    seeded_rng,
    synonym_replacement,
    synonyms_from_groups,
    tokenize,
)
from synthbeam.schemas.record import Lineage, Record, Source, stable_id

TABLE = synonyms_from_groups([["quick", "fast", "rapid"], ["tips", "hints"], ["the", "a"]])
RECORD = Record(
    id="r1",
    task="instruction",
    messages=[
        {"role": "system", "content": "Be brief and kind."},
        {"role": "user", "content": "Give three quick tips for staying healthy.\nKeep the answer short and simple."},
        {"role": "assistant", "content": "Eat well, sleep well and walk every day."},
    ],
    label="advice",
    source=Source("rows.jsonl", 2),
    lineage=Lineage(model="m", request_hash="h"),
)


def test_synonym_table_is_symmetric_and_ordered():
    assert TABLE["quick"] == ("fast", "rapid") and TABLE["rapid"] == ("quick", "fast")
    bundled = bundled_synonyms()
    assert len(bundled) > 400
    assert all(word in bundled[other] for word, others in bundled.items() for other in others)


def test_tokens_keep_line_breaks():
    text = "Give three tips.\n\nKeep it  short."
    assert tokenize(text) == ["Give", "three", "tips.", "\n", "\n", "Keep", "it", "short."]
    assert detokenize(tokenize(text)) == "Give three tips.\n\nKeep it short."


def test_synonym_replacement_replaces_every_occurrence_keeping_case_and_punctuation():
    tokens = ["Quick", "tips:", "the", "quick", "(quick)", "fox."]
    out = synonym_replacement(tokens, 1, random.Random(0), TABLE)
    replaced = {t.strip("():").lower() for t in out} - {"tips", "the", "fox."}
    assert len(replaced) == 1 and replaced <= {"fast", "rapid"}
    (word,) = replaced
    assert out[0] == word.capitalize() and out[3] == word and out[4] == f"({word})"
    assert out[1:3] == ["tips:", "the"]  # n=1: one word changed; stop words never


def test_synonym_replacement_changes_up_to_n_distinct_words():
    tokens = ["quick", "tips", "quick"]
    out = synonym_replacement(tokens, 5, random.Random(1), TABLE)
    assert out[0] == out[2] != "quick" and out[1] == "hints"
    assert synonym_replacement(["no", "synonyms", "here"], 3, random.Random(0), TABLE) == ["no", "synonyms", "here"]


def test_random_insertion_adds_n_synonyms_of_words_present():
    tokens = ["quick", "tips", "for", "you"]
    out = random_insertion(tokens, 2, random.Random(3), TABLE)
    assert len(out) == 6
    added = Counter(out) - Counter(tokens)
    # As in EDA, a word inserted earlier may be the one whose synonym is inserted next.
    assert sum(added.values()) == 2 and set(added) <= set(TABLE)
    assert random_insertion(["nothing", "matches"], 2, random.Random(0), TABLE) == ["nothing", "matches"]


def test_random_swap_permutes_words_and_keeps_line_breaks():
    tokens = tokenize("one two three\nfour five")
    out = random_swap(tokens, 3, random.Random(4))
    assert Counter(out) == Counter(tokens) and out != tokens
    assert out[3] == "\n"
    assert random_swap(["alone"], 3, random.Random(0)) == ["alone"]


def test_random_deletion_edges():
    tokens = ["a", "b", "c", "d"]
    assert random_deletion(tokens, 0.0, random.Random(0)) == tokens
    (kept,) = random_deletion(tokens, 1.0, random.Random(0))
    assert kept in tokens
    assert random_deletion(["solo"], 1.0, random.Random(0)) == ["solo"]
    out = random_deletion(tokenize("a b\nc d"), 0.5, random.Random(5))
    assert "\n" in out and [t for t in out if t != "\n"] == [t for t in ["a", "b", "c", "d"] if t in out]


@pytest.mark.parametrize("op", OPS)
def test_augment_text_is_deterministic_for_a_key(op):
    text = RECORD.messages[1]["content"]
    first = augment_text(text, op, 0.2, seeded_rng("r1", op))
    assert first == augment_text(text, op, 0.2, seeded_rng("r1", op))
    others = {augment_text(text, op, 0.2, seeded_rng(f"r{i}", op)) for i in range(2, 12)}
    assert len(others | {first}) > 1


def test_alpha_sets_how_many_words_change():
    text = " ".join(["quick"] * 10)
    table = synonyms_from_groups([["quick", "fast"]])
    assert len(augment_text(text, "ri", 0.3, random.Random(0), table).split()) == 13
    assert len(augment_text(text, "ri", 0.01, random.Random(0), table).split()) == 11  # at least one


def test_op_names_and_aliases():
    assert [resolve_op(a) for a in ("sr", "ri", "rs", "rd")] == [
        SYNONYM_REPLACEMENT,
        RANDOM_INSERTION,
        RANDOM_SWAP,
        RANDOM_DELETION,
    ]
    with pytest.raises(ValueError, match="Unknown EDA op 'shuffle'"):
        resolve_op("shuffle")


def test_variants_point_to_their_parent_and_name_their_op():
    variants = eda_variants(RECORD, ("rs", "rd"), 4, 0.3, seed=0)
    assert variants == eda_variants(RECORD, ("rs", "rd"), 4, 0.3, seed=0)
    assert [v.lineage.augmentation for v in variants] == ["eda:random_swap", "eda:random_deletion"] * 2
    assert [v.id for v in variants] == [
        stable_id("r1", "eda", op, i, 0) for i, op in enumerate([RANDOM_SWAP, RANDOM_DELETION] * 2)
    ]
    for variant in variants:
        assert variant.lineage == Lineage(
            model="m", request_hash="h", parent_id="r1", augmentation=variant.lineage.augmentation
        )
        assert (variant.task, variant.label, variant.source) == (RECORD.task, RECORD.label, RECORD.source)
        assert variant.messages[0] == RECORD.messages[0] and variant.messages[2] == RECORD.messages[2]
        assert variant.messages[1] != RECORD.messages[1]
    assert eda_variants(RECORD, ("rs",), 2, 0.3, seed=1) != eda_variants(RECORD, ("rs",), 2, 0.3, seed=0)


def test_roles_choose_the_turns_and_unchanged_variants_are_dropped():
    (variant,) = eda_variants(RECORD, ("rd",), 1, 0.5, roles=("assistant",))
    assert variant.messages[:2] == RECORD.messages[:2] and variant.messages[2] != RECORD.messages[2]
    plain = Record(id="x", task="t", messages=[{"role": "user", "content": "Hello"}])
    assert eda_variants(plain, ("sr", "rs", "rd"), 3, 0.5) == []
    assert eda_variants(RECORD, OPS, 0, 0.1) == []


TECHNICAL = (
    "Look up a dict key with the get method; a break statement exits the loop. "
    "Call dict.keys() or run my_func(x=1) in Python 3.11 to see the state of HTTPServer."
)


@pytest.mark.parametrize("op", OPS)
def test_terms_of_art_and_code_tokens_survive_every_op(op: str) -> None:
    for i in range(20):
        variant = augment_text(TECHNICAL, op, 0.3, seeded_rng("technical", op, i))
        assert protected_tokens(variant) == protected_tokens(TECHNICAL), variant
        for phrase in ("dict key", "break statement", "dict.keys()", "my_func(x=1)"):
            assert phrase in variant or op == RANDOM_INSERTION, (phrase, variant)
    assert {"dict", "key", "method;", "break", "statement", "state", "dict.keys()", "3.11", "HTTPServer."} <= set(
        protected_tokens(TECHNICAL)
    )


def test_no_variant_over_the_bundled_corpus_changes_a_code_token() -> None:
    """Every passage of the bundled Python documentation corpus, every op: the ops keep
    each protected token, in order, and the variants still differ from their source."""
    from synthbeam.data.corpus import pydoc_topics

    made = 0
    for name, text in sorted(pydoc_topics().items()):
        text = text[:2000]
        for op in OPS:
            variant = augment_text(text, op, 0.1, seeded_rng(name, op))
            assert protected_tokens(variant) == protected_tokens(text), (name, op)
            made += variant != text
        record = Record(id=name, task="instruction", messages=[{"role": "user", "content": text}])
        for variant in eda_variants(record, OPS, 4, 0.1):
            assert protected_tokens(variant.messages[0]["content"]) == protected_tokens(text)
    assert made > 0.8 * 4 * len(pydoc_topics())
