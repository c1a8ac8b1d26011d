"""Pure functions behind near-dedup: normalisation, shingles, MinHash, LSH buckets, components."""

from __future__ import annotations

import random

import numpy as np
import pytest

from synthbeam.schemas.record import Record
from synthbeam.transforms.curate import components, lsh, near_pairs
from synthbeam.transforms.curate.minhash import (
    LshParams,
    band_keys,
    jaccard,
    lsh_bands,
    shingle_sets,
    signatures,
    token_codes,
)
from synthbeam.transforms.curate.text import check_fields, normalised_text, record_text, shingle_text


def python_shingles(text: str, n: int) -> set[str]:
    words = text.split()
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_normalise_nfkc_case_whitespace_and_punctuation() -> None:
    assert normalised_text("  \uff28\uff45llo,\tWORLD!\n ") == "hello, world!"  # fullwidth H, e
    assert normalised_text("Hello, world!", strip_punctuation=True) == "hello world"


def test_record_text_covers_contents_and_tool_calls() -> None:
    record = Record(
        id="a",
        task="t",
        messages=[
            {"role": "user", "content": "q"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
            },
        ],
        completion="raw",
    )
    assert record_text(record) == "q\nf\n{}"
    assert record_text(record, ("messages", "completion")) == "q\nf\n{}\nraw"
    with pytest.raises(ValueError, match="choose from"):
        check_fields(("nope",))


def test_shingle_sets_match_python_sets_exactly() -> None:
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(50)] + ["ünï", "cødé"]
    texts = [" ".join(rng.choices(vocab, k=rng.randint(0, 30))) for _ in range(40)] + ["a b"]
    values, offsets = shingle_sets(texts, 5, "word")
    for i, text in enumerate(texts):
        assert offsets[i + 1] - offsets[i] == len(python_shingles(text, 5))
    for i in range(0, 40, 7):
        for j in range(1, 40, 9):
            truth = python_shingles(texts[i], 5), python_shingles(texts[j], 5)
            if truth[0] and truth[1]:
                expected = len(truth[0] & truth[1]) / len(truth[0] | truth[1])
                ours = jaccard(values[offsets[i] : offsets[i + 1]], values[offsets[j] : offsets[j + 1]])
                assert ours == pytest.approx(expected)


def test_char_shingles() -> None:
    values, offsets = shingle_sets(["abcdefgh", "abcdefgx"], 3, "char")
    assert list(offsets) == [0, 6, 12]
    assert jaccard(values[0:6], values[6:12]) == pytest.approx(5 / 7)


def test_signature_agreement_estimates_jaccard() -> None:
    rng = random.Random(0)
    errors = []
    for _ in range(60):
        words = [f"w{rng.randrange(10_000)}" for _ in range(100)]
        edited = list(words)
        for i in rng.sample(range(100), rng.randint(1, 20)):
            edited[i] = f"x{rng.random()}"
        values, offsets = shingle_sets([" ".join(words), " ".join(edited)], 5, "word")
        sigs = signatures(values, offsets, 128, 1)
        truth = jaccard(values[offsets[0] : offsets[1]], values[offsets[1] : offsets[2]])
        errors.append((sigs[0] == sigs[1]).mean() - truth)
    assert abs(np.mean(errors)) < 0.02
    assert np.std(errors) < 0.06


def test_signatures_are_batch_independent_and_seeded() -> None:
    texts = [" ".join(f"w{i + j}" for j in range(40)) for i in range(30)] + ["one two three four five"]
    values, offsets = shingle_sets(texts, 5, "word")
    whole = signatures(values, offsets, 64, 7)
    for i in (0, 17, 30):
        alone = signatures(values[offsets[i] : offsets[i + 1]], np.array([0, offsets[i + 1] - offsets[i]]), 64, 7)
        assert np.array_equal(alone[0], whole[i])
    assert not np.array_equal(signatures(values, offsets, 64, 8), whole)


def test_densified_bins_copy_filled_bins_of_the_same_document() -> None:
    """A one-shingle document has one filled bin; densification copies it everywhere."""
    values, offsets = shingle_sets(["just five words right here", "two words"], 5, "word")
    sigs = signatures(values, offsets, 128, 1)
    assert len(set(sigs[0])) == 1 and len(set(sigs[1])) == 1 and sigs[0, 0] != sigs[1, 0]


def test_candidate_probability_follows_the_s_curve() -> None:
    """Pairs at Jaccard ~0.8 and ~0.9 become LSH candidates as often as theory says."""
    rng = np.random.default_rng(5)
    params = LshParams()
    for shared, unique in ((80, 10), (90, 5)):
        pairs = 400
        base = rng.integers(0, 2**32, size=(pairs, shared + 2 * unique), dtype=np.uint64).astype(np.uint32)
        sets = [np.unique(row[: shared + unique]) for row in base] + [
            np.unique(np.concatenate((row[:shared], row[shared + unique :]))) for row in base
        ]
        values = np.concatenate(sets)
        offsets = np.concatenate(([0], np.cumsum([len(x) for x in sets])))
        keys = band_keys(signatures(values, offsets, 128, 1), params.bands, params.rows)
        hit = (keys[:pairs] == keys[pairs:]).any(axis=1).mean()
        expected = params.candidate_probability(shared / (shared + 2 * unique))
        assert abs(hit - expected) < 0.04, (shared, hit, expected)


def test_band_keys_differ_per_band_and_match_equal_bands() -> None:
    sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    keys = band_keys(sigs, 2, 2)
    assert keys[0, 0] == keys[1, 0] and keys[0, 1] != keys[1, 1]
    assert len(set(band_keys(np.zeros((1, 4), np.uint32), 2, 2)[0])) == 2


def test_params_validation_and_band_choice() -> None:
    with pytest.raises(ValueError, match="bands \\* rows"):
        LshParams(num_perm=128, bands=20, rows=8)
    assert LshParams().candidate_probability(0.8) == pytest.approx(0.947, abs=1e-3)
    for num_perm in (64, 112, 128, 256):
        for threshold in (0.5, 0.6, 0.7, 0.8, 0.9):
            bands, rows = lsh_bands(num_perm, threshold)
            params = LshParams(num_perm=num_perm, bands=bands, rows=rows)
            assert bands * rows <= num_perm and params.candidate_probability(threshold) >= 0.95


def _pairs_at(jaccard: float, count: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """CSR shingle sets of ``count`` pairs whose exact Jaccard is ``jaccard`` (2*size - shared)."""
    shared = round(2 * size * jaccard / (1 + jaccard))
    sets = []
    for _ in range(count):
        values = rng.choice(1 << 40, size=2 * size - shared, replace=False).astype(np.uint64)
        sets += [np.sort(values[:size]), np.sort(values[size - shared :])]
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in sets])])
    return np.concatenate(sets), offsets


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.7, 0.8])
def test_threshold_sets_the_banding_measured_candidate_rates(threshold: float) -> None:
    """Pairs just above the threshold nearly all become candidates; pairs well below rarely do."""
    rng = np.random.default_rng(7)
    bands, rows = lsh_bands(128, threshold)

    def candidate_rate(jaccard: float) -> float:
        values, offsets = _pairs_at(jaccard, 300, 200, rng)
        keys = band_keys(signatures(values, offsets, 128, seed=3), bands, rows)
        return float(np.mean((keys[0::2] == keys[1::2]).any(axis=1)))

    assert candidate_rate(threshold + 0.02) >= 0.92
    assert candidate_rate(threshold - 0.3) <= 0.3


def test_partition_payloads_round_trip_to_buckets() -> None:
    params = LshParams()
    base = " ".join(f"w{i}" for i in range(60))
    near = base.replace("w30", "zz")
    batch = lsh.hash_batch(params, ["a", "b", "c", "e"], [base, near, "other words entirely here ok", ""])
    assert batch.ids == ["a", "b", "c"] and batch.empty == 1
    parts = list(lsh.split_by_partition(lsh.encode_batch(batch, "k1"), 4))
    assert len(parts) > 1 and all(payload[0] == "k1" for _, payload in parts)
    pairs = set()
    for _, payload in parts:
        table = lsh.PartitionTable.concat([payload])
        pairs |= {
            (table.record_id(x), table.record_id(y), int(table.rows[x]), int(table.rows[y]))
            for x, y in table.candidate_pairs(64)
        }
    assert pairs == {("a", "b", 0, 1)}
    sets = lsh.decode_sets(lsh.encode_sets(batch))
    assert jaccard(sets.row(0), sets.row(1)) == pytest.approx(51 / 61, abs=1e-3)


def test_partition_table_concatenates_batches() -> None:
    params = LshParams()
    text = " ".join(f"w{i}" for i in range(30))
    first = lsh.encode_batch(lsh.hash_batch(params, ["x1", "x2"], ["unrelated words go here now", text]), "k1")
    second = lsh.encode_batch(lsh.hash_batch(params, ["y1"], [text]), "k2")
    table = lsh.PartitionTable.concat([first, second])
    found = {
        (table.record_id(a), table.batch_key(a), table.record_id(b), table.batch_key(b))
        for a, b in table.candidate_pairs(64)
    }
    assert found == {("x2", "k1", "y1", "k2")}


def test_oversized_bucket_compares_with_anchors_only() -> None:
    ids = lsh.encode_ids([f"d{i}" for i in range(10)])
    table = lsh.PartitionTable(
        keys=np.zeros(10, dtype=np.uint64),
        docs=np.arange(10),
        rows=np.arange(10, dtype=np.int32),
        batches=np.zeros(10, dtype=np.int64),
        batch_keys=["k"],
        ids=ids,
    )
    pairs = list(table.candidate_pairs(max_bucket=5))
    assert len(pairs) == 6 + 6 * 4  # anchors among themselves, then each other member x 4


def test_star_steps() -> None:
    assert sorted(components.large_star("b", ["a", "c", "d"])) == [("c", "a"), ("d", "a")]
    assert sorted(components.small_star("d", ["b", "c"])) == [("c", "b"), ("d", "b")]
    assert sorted(components.small_star_both("d", ["b", "c"])) == [("b", "c"), ("b", "d"), ("c", "b"), ("d", "b")]
    assert components.label("c", ["a", "d"]) == ("c", "a")


def test_local_stars_contract_each_component_to_its_smallest_node() -> None:
    edges = [("d", "c"), ("c", "b"), ("x", "y"), ("b", "a"), ("e", "d")]
    assert sorted(components.local_stars(edges)) == [("b", "a"), ("c", "a"), ("d", "a"), ("e", "a"), ("y", "x")]


def test_candidate_pair_halves_meet_at_the_pair_and_are_checked_exactly() -> None:
    params = LshParams()
    base = " ".join(f"w{i}" for i in range(60))
    batch = lsh.hash_batch(params, ["a", "b"], [base, base.replace("w30", "zz")])
    sets = (near_pairs.SETS, lsh.encode_sets(batch))
    pair = (near_pairs.node_name("a", "k"), near_pairs.node_name("b", "k"))
    mentions = [(near_pairs.MENTION, 0, pair[0], pair), (near_pairs.MENTION, 1, pair[1], pair)]
    halves = list(near_pairs.attach_sets(("k", [mentions[0], sets, mentions[1]])))
    assert [key for key, _ in halves] == [pair, pair]
    values = [value for _, value in halves]
    assert list(near_pairs.VerifyPairsFn(0.8).process((pair, values + values))) == [pair]  # repeats are fine
    assert list(near_pairs.VerifyPairsFn(0.9).process((pair, values))) == []  # Jaccard 51/61 ~ 0.84


def test_mentions_without_their_batch_sets_fail_loudly() -> None:
    with pytest.raises(RuntimeError, match="without shingle sets"):
        list(near_pairs.attach_sets(("k", [(near_pairs.MENTION, 0, "a\x1fk", ("a\x1fk", "b\x1fk"))])))


def test_shingle_text_gives_the_same_words_as_normalise_for_every_kind_of_whitespace() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    for space in spaces:
        codes, _ = token_codes([shingle_text(f"A{space}b{space}{space}c ")], "word")
        assert len(codes) == 3, repr(space)
    texts = [
        "  Tabs\tand\nnew\r\nlines\u2028and\u00a0no-break\u3000ideographic  ",
        "\uff26\uff55\uff4c\uff4c width, CAPS and   runs  of spaces",  # fullwidth "Full"
        "",
    ]
    collapsed = shingle_sets([normalised_text(t) for t in texts], 2, "word")
    raw = shingle_sets([shingle_text(t) for t in texts], 2, "word")
    assert all(np.array_equal(a, b) for a, b in zip(collapsed, raw, strict=True))
