"""Oversampling arithmetic and variant preference; split determinism and zero leakage."""

from __future__ import annotations

import json
from collections import Counter

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas.record import Lineage, Record
from synthbeam.transforms.curate.dedup_near import CLUSTER_META_KEY
from synthbeam.transforms.curate.oversample import Oversample, copies_by_rank, extra_rows
from synthbeam.transforms.curate.split import SplitTrainEval, assign_split, eval_threshold


def rec(rid: str, label: str, **kw: object) -> Record:
    return Record(id=rid, task="t", messages=[{"role": "user", "content": rid}], label=label, **kw)


def test_extra_rows_caps_at_target_and_factor() -> None:
    assert extra_rows(3, 10, 3.0) == 6  # capped by the factor: 3 x 3 = 9 rows
    assert extra_rows(4, 10, 3.0) == 6  # capped by the target
    assert extra_rows(10, 10, 3.0) == 0
    assert extra_rows(0, 10, 3.0) == 0


def test_copies_by_rank_hits_the_extra_exactly() -> None:
    ranked = [(0.9, "r1", "f1"), (0.1, "r2", "f2"), (0.5, "r3", "f1")]
    assert list(copies_by_rank(ranked, 7)) == [("f2", ("r2", 3)), ("f1", ("r3", 2)), ("f1", ("r1", 2))]
    assert list(copies_by_rank(ranked, 1)) == [("f2", ("r2", 1))]
    assert list(copies_by_rank(ranked, 0)) == [] and list(copies_by_rank([], 5)) == []


def test_oversample_counts_and_variants_first() -> None:
    variant = rec("b0v", "b", lineage=Lineage(parent_id="b0", augmentation="paraphrase"))
    records = [rec(f"a{i}", "a") for i in range(10)] + [rec("b0", "b"), rec("b1", "b"), variant]
    records += [rec(f"c{i}", "c") for i in range(4)]
    with TestPipeline() as p:
        out = p | beam.Create(records) | Oversample(target="max", max_factor=3.0)
        assert_that(
            out["class_counts"],
            equal_to([{"before": {"a": 10, "b": 3, "c": 4}, "after": {"a": 10, "b": 9, "c": 10}}]),
            label="counts",
        )
        b0_family = (
            out["main"]
            | beam.Filter(lambda r: r.lineage.oversampled_from in ("b0", "b0v"))
            | beam.Map(lambda r: r.lineage.oversampled_from)
        )
        # The b0 family has 4 copies to make: alternately from the variant and the original.
        assert_that(b0_family, equal_to(["b0v", "b0", "b0v", "b0"]), label="variants_first")
        ids = (
            out["main"]
            | beam.Map(lambda r: r.id)
            | beam.combiners.Count.PerElement()
            | beam.Filter(lambda kv: kv[1] > 1)
        )
        assert_that(ids, equal_to([]), label="unique_ids")


def test_oversample_fixed_target() -> None:
    records = [rec(f"a{i}", "a") for i in range(2)]
    with TestPipeline() as p:
        out = p | beam.Create(records) | Oversample(target=6, max_factor=10)
        assert_that(out["class_counts"], equal_to([{"before": {"a": 2}, "after": {"a": 6}}]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_oversample_hits_every_target_exactly_and_copies_train_rows_only(seed: int) -> None:
    sizes = {"a": 37, "b": 11, "c": 5, "d": 2}
    records = [
        rec(f"{label}{i}", label, split="eval" if i % 4 == 3 else "train")
        for label, n in sizes.items()
        for i in range(n)
    ]
    train = Counter(r.label for r in records if r.split == "train")
    with TestPipeline() as p:
        out = p | beam.Create(records) | Oversample(target="max", max_factor=100.0, seed=seed, only_split="train")
        top = max(train.values())
        assert_that(
            out["class_counts"],
            equal_to([{"before": dict(sorted(train.items())), "after": {label: top for label in sorted(train)}}]),
            label="exact",
        )
        evals = out["main"] | beam.Filter(lambda r: r.split == "eval") | beam.Map(lambda r: r.id)
        assert_that(evals, equal_to([r.id for r in records if r.split == "eval"]), label="eval_once")
        eval_ids = {r.id for r in records if r.split == "eval"}
        copied_from_eval = out["main"] | beam.Filter(lambda r: r.lineage.oversampled_from in eval_ids)
        assert_that(copied_from_eval, equal_to([]), label="no_eval_sources")


def test_oversample_validates() -> None:
    with pytest.raises(ValueError, match="max_factor"):
        Oversample(max_factor=0.5)
    with pytest.raises(ValueError, match="target"):
        Oversample(target="min")


def test_eval_threshold_small_classes() -> None:
    assert eval_threshold(0.1, 1000) == 0.1
    assert eval_threshold(0.1, 4) == 0.25
    assert eval_threshold(0.1, 1) == 0.1


def test_split_is_deterministic_stratified_and_cluster_safe() -> None:
    records = []
    for i in range(400):
        meta = json.dumps({CLUSTER_META_KEY: f"k{i // 4}"}) if i < 200 else "{}"
        records.append(rec(f"r{i:03d}", "ab"[i % 2], meta=meta))
    copies = [rec("copy1", "a", lineage=Lineage(oversampled_from="r201"))]
    expected = {r.id: assign_split(r, 0.2, 200, 7, CLUSTER_META_KEY) for r in records}
    expected["copy1"] = expected["r201"]
    with TestPipeline() as p:
        out = p | beam.Create(records + copies) | SplitTrainEval(0.2, seed=7)
        assert_that(out | beam.Map(lambda r: (r.id, r.split)), equal_to(sorted(expected.items())))
    sides_per_cluster: dict[str, set[str]] = {}
    for r in records[:200]:
        sides_per_cluster.setdefault(json.loads(r.meta)[CLUSTER_META_KEY], set()).add(expected[r.id])
    assert all(len(s) == 1 for s in sides_per_cluster.values())  # zero leakage
    per_label = Counter((r.label, expected[r.id]) for r in records)
    for label in "ab":
        share = per_label[(label, "eval")] / 200
        assert 0.1 < share < 0.3
    assert sum(v == "eval" for v in expected.values()) > 0
