"""Exact and near deduplication on DirectRunner, with planted duplicates of known Jaccard."""

from __future__ import annotations

import json
import random

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas.record import Record
from synthbeam.transforms.curate.components import ConnectedComponents
from synthbeam.transforms.curate.dedup_exact import DeduplicateExact
from synthbeam.transforms.curate.dedup_near import CLUSTER_META_KEY, DeduplicateNear


def rec(rid: str, text: str, answer: str = "ok") -> Record:
    return Record(
        id=rid,
        task="t",
        messages=[{"role": "user", "content": text}, {"role": "assistant", "content": answer}],
    )


def shingles(text: str, n: int = 5) -> set[str]:
    words = text.lower().split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def true_jaccard(x: str, y: str) -> float:
    a, b = shingles(x), shingles(y)
    return len(a & b) / len(a | b)


def edited(words: list[str], positions: list[int], tag: str) -> str:
    out = list(words)
    for p in positions:
        out[p] = f"{tag}{p}"
    return " ".join(out)


def corpus(seed: int = 0) -> tuple[list[Record], dict[str, str], set[str]]:
    """Background docs plus planted near-duplicates; returns records, expected drops, keepers."""
    rng = random.Random(seed)
    docs = [[f"w{rng.randrange(100_000)}" for _ in range(120)] for _ in range(60)]
    records = [rec(f"d{i:03d}", " ".join(d)) for i, d in enumerate(docs)]
    drops: dict[str, str] = {}
    # One edit at the end: Jaccard 115/125 = 0.92; two edits far apart: ~0.84.
    high = edited(docs[0], [119], "x")
    assert true_jaccard(" ".join(docs[0]), high) > 0.9
    records.append(rec("n000", high, answer="ok"))
    drops["n000"] = "d000"
    mid = edited(docs[1], [10, 110], "y")
    assert 0.8 < true_jaccard(" ".join(docs[1]), mid) < 0.9
    records.append(rec("n001", mid))
    drops["n001"] = "d001"
    # Case and whitespace only: identical after normalisation.
    records.append(rec("n002", "  ".join(docs[2]).upper()))
    drops["n002"] = "d002"
    # A chain: d003 ~ n003 ~ n004, so all three form one cluster around d003.
    first = edited(docs[3], [119], "a")
    records.append(rec("n003", first))
    records.append(rec("n004", edited(first.split(), [0], "b")))
    drops["n003"] = drops["n004"] = "d003"
    # Below the threshold: Jaccard ~0.5, must stay.
    low = edited(docs[4], list(range(0, 120, 12)), "z")
    assert true_jaccard(" ".join(docs[4]), low) < 0.6
    records.append(rec("n005", low))
    keep = {r.id for r in records} - set(drops)
    return records, drops, keep


def test_exact_dedup_keeps_smallest_id_and_reconciles() -> None:
    records = [
        rec("b", "Hello   World"),
        rec("a", "hello world"),
        rec("c", "hello world!"),
        rec("d", "something else"),
        rec("e", "HELLO WORLD"),
    ]
    with TestPipeline() as p:
        out = p | beam.Create(records) | DeduplicateExact()
        assert_that(out.main | beam.Map(lambda r: r.id), equal_to(["a", "c", "d"]), label="kept")
        assert_that(
            out.rejected | beam.Map(lambda r: (r.record.id, r.stage, r.reason, r.detail)),
            equal_to([("b", "dedup_exact", "exact_duplicate", "a"), ("e", "dedup_exact", "exact_duplicate", "a")]),
            label="rejected",
        )


def test_exact_dedup_strip_punctuation() -> None:
    records = [rec("b", "hello, world!"), rec("a", "hello world")]
    with TestPipeline() as p:
        out = p | beam.Create(records) | DeduplicateExact(strip_punctuation=True)
        assert_that(out.main | beam.Map(lambda r: r.id), equal_to(["a"]))


def test_near_dedup_finds_planted_duplicates_only() -> None:
    records, drops, keep = corpus()
    with TestPipeline() as p:
        out = p | beam.Create(records) | DeduplicateNear(batch_size=16)
        assert_that(out.main | beam.Map(lambda r: r.id), equal_to(sorted(keep)), label="kept")
        assert_that(
            out.rejected | beam.Map(lambda r: (r.record.id, r.reason, r.detail)),
            equal_to([(rid, "near_duplicate", survivor) for rid, survivor in drops.items()]),
            label="rejected",
        )
        clusters = out.main | beam.FlatMap(
            lambda r: [(r.id, json.loads(r.meta)[CLUSTER_META_KEY])] if CLUSTER_META_KEY in r.meta else []
        )
        assert_that(clusters, equal_to([(s, s) for s in sorted(set(drops.values()))]), label="meta")
        total = (
            (
                out.main | "CountMain" >> beam.combiners.Count.Globally(),
                out.rejected | "CountRejected" >> beam.combiners.Count.Globally(),
            )
            | beam.Flatten()
            | beam.CombineGlobally(sum)
        )
        assert_that(total, equal_to([len(records)]), label="reconcile")


def test_near_dedup_annotate_only_keeps_every_member() -> None:
    records, drops, _ = corpus()
    with TestPipeline() as p:
        out = p | beam.Create(records) | DeduplicateNear(drop=False, batch_size=16, rounds=2)
        tagged = out.main | beam.FlatMap(
            lambda r: [(r.id, json.loads(r.meta)[CLUSTER_META_KEY])] if CLUSTER_META_KEY in r.meta else []
        )
        expected = sorted({(s, s) for s in drops.values()} | set(drops.items()))
        assert_that(tagged, equal_to(expected), label="tagged")
        assert_that(out.rejected, equal_to([]), label="none_rejected")


def test_near_dedup_without_exact_check_and_char_shingles() -> None:
    records, drops, _ = corpus()
    with TestPipeline() as p:
        out = p | beam.Create(records) | DeduplicateNear(verify=False, unit="char", ngram=24, rounds=2)
        assert_that(out.rejected | beam.Map(lambda r: r.record.id), equal_to(sorted(drops)))


def test_near_dedup_multi_process_runner_matches() -> None:
    records, drops, keep = corpus(seed=1)
    options = PipelineOptions(["--direct_num_workers=2", "--direct_running_mode=multi_processing"])
    with TestPipeline(options=options) as p:
        out = p | beam.Create(records) | DeduplicateNear(batch_size=8, max_partition_entries=100, rounds=2)
        assert_that(out.main | beam.Map(lambda r: r.id), equal_to(sorted(keep)), label="kept")
        assert_that(out.rejected | beam.Map(lambda r: r.record.id), equal_to(sorted(drops)), label="rej")


def test_connected_components_on_long_chain_and_separate_groups() -> None:
    chain = [(f"n{i:02d}", f"n{i + 1:02d}") for i in range(20)]
    other = [("x2", "x1"), ("x3", "x2"), ("x1", "x1")]
    with TestPipeline() as p:
        labels = p | beam.Create(chain + other) | ConnectedComponents(rounds=6)
        expected = [(f"n{i:02d}", "n00") for i in range(21)] + [("x1", "x1"), ("x2", "x1"), ("x3", "x1")]
        assert_that(labels, equal_to(expected))


def test_near_dedup_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="must divide"):
        DeduplicateNear(num_perm=128, bands=10)
    with pytest.raises(ValueError, match="threshold"):
        DeduplicateNear(threshold=0.0)
