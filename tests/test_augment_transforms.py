import json

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.augment.eda import OPS, eda_variants
from synthbeam.schemas import reasons
from synthbeam.schemas.arrow import records_to_table
from synthbeam.schemas.record import Lineage, Record, Source, stable_id
from synthbeam.tasks.self_instruct import BUNDLED_SEED_TASKS, SeedTask, seed_texts
from synthbeam.transforms.augment import AugmentEDA, HasInstruction, NovelInstruction
from synthbeam.transforms.checks import Drop
from synthbeam.transforms.read.records import ReadRecords, record_from_object

ROWS = [
    Record(
        id=f"r{i}",
        task="instruction",
        messages=[
            {"role": "user", "content": f"Give {i} quick tips for staying healthy and happy."},
            {"role": "assistant", "content": "Eat well and sleep well."},
        ],
    )
    for i in range(3)
]


def test_augment_eda_emits_originals_and_seeded_variants():
    expected = [*ROWS]
    for row in ROWS:
        expected += eda_variants(row, OPS, 4, 0.2, seed=7)
    per_parent = [(("", ""), 3)] + [
        ((f"r{i}", "eda"), n) for i in range(3) if (n := sum(r.lineage.parent_id == f"r{i}" for r in expected))
    ]
    assert len(expected) >= 12  # a variant equal to its parent (nothing deleted, say) is not emitted
    with TestPipeline() as p:
        out = p | beam.Create(ROWS) | AugmentEDA(ops=("sr", "ri", "rs", "rd"), n_per_row=4, alpha=0.2, seed=7)
        assert_that(out, equal_to(expected))
        parents = out | "Parents" >> beam.Map(lambda r: (r.lineage.parent_id, r.lineage.augmentation.split(":")[0]))
        assert_that(
            parents | beam.combiners.Count.PerElement(),
            equal_to(per_parent),
            label="VariantsPerParent",
        )


def test_augment_eda_rejects_bad_settings():
    with pytest.raises(ValueError, match="Unknown EDA op"):
        AugmentEDA(ops=("flip",))
    with pytest.raises(ValueError, match="alpha=0"):
        AugmentEDA(alpha=0)
    with pytest.raises(ValueError, match="at least one op"):
        AugmentEDA(ops=())


def kept(check, record):
    """Whether ``check`` keeps ``record`` (returns it, unchanged)."""
    return check(record) is record


def test_instruction_filters_name_their_reason():
    empty = Record(id="e", task="t", messages=[{"role": "assistant", "content": "Hi."}])
    assert kept(HasInstruction(), ROWS[0])
    assert HasInstruction()(empty) == Drop(reasons.NO_INSTRUCTION)
    seeds = seed_texts([SeedTask("s", "Give 0 quick tips for staying healthy and happy.")])
    novel = NovelInstruction(seeds)
    assert novel(ROWS[0]) == Drop(reasons.COPIED_EXAMPLE)
    assert kept(novel, ROWS[1])
    statement = Record(id="x", task="t", messages=[{"role": "user", "content": "Tips are useful."}])
    assert novel(statement) == Drop(reasons.NOT_AN_INSTRUCTION)
    assert kept(NovelInstruction(seeds, check_form=False), statement)


def test_record_shapes():
    source = Source("f.jsonl", 4)
    chat = {"messages": [{"role": "user", "content": "Hi", "tool_calls": None}]}
    assert record_from_object(chat, source) == Record(
        id=stable_id(json.dumps([{"role": "user", "content": "Hi"}], sort_keys=True)),
        task="chat",
        messages=[{"role": "user", "content": "Hi"}],
        source=source,
    )
    alpaca = {"id": "a1", "instruction": "Add.", "input": "2 3", "output": "5", "task": "math"}
    assert record_from_object(alpaca, source) == Record(
        id="a1",
        task="math",
        messages=[{"role": "user", "content": "Add.\n\n2 3"}, {"role": "assistant", "content": "5"}],
        source=source,
    )
    assert record_from_object({"text": "x"}, source).reason == reasons.MISSING_TEXT_FIELD
    assert record_from_object({"messages": []}, source).reason == reasons.MISSING_TEXT_FIELD
    assert record_from_object({"messages": [{"content": "x"}]}, source).reason == reasons.MISSING_TEXT_FIELD
    assert record_from_object([1], source).reason == reasons.INVALID_JSON
    assert record_from_object({**chat, "lineage": {"bogus": 1}}, source).reason == reasons.INVALID_JSON


def test_read_records_reads_recipe_parquet_and_jsonl(tmp_path):
    written = Record(
        id="w1",
        task="instruction",
        messages=[{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A."}],
        label="factual",
        source=Source("corpus.jsonl", 1, 2),
        lineage=Lineage(template="t.jinja2", model="m", parent_id="p"),
        split="train",
        meta='{"k": 1}',
    )
    pq.write_table(records_to_table([written]), tmp_path / "rows.parquet")
    lines = [json.dumps({"id": "j1", "instruction": "Say hi."}), "not json", json.dumps({"messages": "x"})]
    (tmp_path / "rows.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    jsonl = str(tmp_path / "rows.jsonl")
    with TestPipeline() as p:
        out = p | ReadRecords([str(tmp_path / "*.parquet"), jsonl, str(tmp_path / "notes.txt")])
        said_hi = Record(
            id="j1", task="instruction", messages=[{"role": "user", "content": "Say hi."}], source=Source(jsonl, 0)
        )
        assert_that(out.main, equal_to([written, said_hi]))
        dead = out.dead_letter | beam.Map(lambda d: (d.reason, d.source.position))
        assert_that(
            dead,
            equal_to([(reasons.INVALID_JSON, 1), (reasons.MISSING_TEXT_FIELD, 2), (reasons.UNSUPPORTED_FORMAT, 0)]),
            label="DeadLetters",
        )


def test_read_records_resolves_the_bundled_seed_tasks_where_it_reads():
    with TestPipeline() as p:
        out = p | ReadRecords([BUNDLED_SEED_TASKS])
        summary = out.main | beam.Map(lambda r: (r.task, r.source.uri, len(r.messages)))
        assert_that(
            summary | beam.combiners.Count.PerElement(),
            equal_to([(("instruction", BUNDLED_SEED_TASKS, 2), 32)]),
        )


def test_augment_eda_counts_variants_and_unchanged_ones():
    plain = Record(id="p", task="t", messages=[{"role": "user", "content": "Hello"}])
    pipeline = TestPipeline()
    _ = pipeline | beam.Create([ROWS[0], plain]) | AugmentEDA(ops=("sr",), n_per_row=2, alpha=0.5)
    result = pipeline.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed for c in result.metrics().query()["counters"]}
    made = len(eda_variants(ROWS[0], ("sr",), 2, 0.5))
    assert counters == {"eda_variants": made, "eda_unchanged": 4 - made}
    assert made == 2  # "quick", "tips", "healthy", "happy" all have synonyms
