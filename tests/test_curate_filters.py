"""Each filter gives the exact reason code; ApplyFilters routes and counts."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from synthbeam.schemas.record import Record
from synthbeam.transforms.checks import Drop, RecordCheck
from synthbeam.transforms.curate.filters import (
    ApplyFilters,
    CharsetFilter,
    FinishReasonFilter,
    JsonFieldFilter,
    JudgeScoreFilter,
    LengthFilter,
    RefusalFilter,
    RepetitionFilter,
    basic_filters,
    duplicate_line_fraction,
    top_ngram_fraction,
)


def rec(answer: str = "A fine answer.", **kw: object) -> Record:
    return Record(
        id=str(kw.pop("id", "r")),
        task="t",
        messages=[{"role": "user", "content": "Question?"}, {"role": "assistant", "content": answer}],
        **kw,
    )


def kept(check: RecordCheck, record: Record) -> bool:
    """Whether ``check`` keeps ``record`` (returns it, unchanged)."""
    return check(record) is record


def test_length_filter_codes() -> None:
    f = LengthFilter(min_chars=5, max_chars=20, roles=("assistant",))
    assert f(rec("   ")) == Drop("empty")
    assert f(rec("abc")) == Drop("too_short")
    assert f(rec("x" * 21)) == Drop("too_long")
    assert kept(f, rec("x" * 20))
    assert LengthFilter(min_chars=30)(rec("short")) == Drop("too_short")  # all turns
    with pytest.raises(ValueError, match="below min_chars"):
        LengthFilter(min_chars=5, max_chars=2)


def test_repetition_measures_and_codes() -> None:
    assert duplicate_line_fraction("a\nb\na\na") == pytest.approx(0.5)
    assert top_ngram_fraction("ab cd ab cd ab cd".split(), 2) == pytest.approx(3 * 4 / 12)
    looping = "\n".join(["I will check the weather now."] * 12)
    assert RepetitionFilter()(rec(looping)) == Drop("repetition_dup_lines")
    stutter = " ".join(["buy now"] * 40)
    assert RepetitionFilter()(rec(stutter)) == Drop("repetition_top_ngram")
    varied = " ".join(f"word{i}" for i in range(80))
    assert kept(RepetitionFilter(), rec(varied))
    assert kept(RepetitionFilter(), rec("ok ok ok"))  # too short to judge


def test_refusal_only_in_assistant_turns() -> None:
    assert RefusalFilter()(rec("As an AI language model, I can't do that.")) == Drop("refusal")
    assert RefusalFilter()(rec("I\u2019m sorry, but I can\u2019t help.")) == Drop("refusal")
    user_says = Record(id="u", task="t", messages=[{"role": "user", "content": "As an AI language model"}])
    assert kept(RefusalFilter(), user_says)


def test_charset_codes() -> None:
    assert CharsetFilter()(rec("12345 67890 !!!")) == Drop("low_alpha_fraction")
    assert CharsetFilter()(rec("good text \ufffd\ufffd\ufffd")) == Drop("replacement_chars")
    assert kept(CharsetFilter(), rec("Plain English words."))


def test_json_finish_reason_and_judge_codes() -> None:
    assert JsonFieldFilter("tools")(rec(tools="[{")) == Drop("invalid_json")
    assert kept(JsonFieldFilter("tools"), rec(tools="[]"))
    with pytest.raises(ValueError, match="not a Record field"):
        JsonFieldFilter("nope")
    assert FinishReasonFilter()(rec(finish_reason="length")) == Drop("truncated")
    assert kept(FinishReasonFilter(), rec(finish_reason="stop"))
    judge = JudgeScoreFilter(min_score=4)
    assert judge(rec(meta='{"judge_score": 3}')) == Drop("low_judge_score")
    assert kept(judge, rec(meta='{"judge_score": 4.5}'))
    assert judge(rec(meta="{}")) == Drop("missing_judge_score")
    assert kept(JudgeScoreFilter(min_score=4, keep_missing=True), rec(meta="{}"))


def test_apply_filters_first_failure_wins_and_reconciles() -> None:
    records = [
        rec("good answer here", id="a"),
        rec("cut off", id="b", finish_reason="length"),
        rec("", id="c"),
        rec("As an AI language model I refuse.", id="d"),
        rec("", id="e", finish_reason="length"),  # truncated is checked first
    ]
    with TestPipeline() as p:
        out = p | beam.Create(records) | ApplyFilters(basic_filters(min_response_chars=3))
        assert_that(out.main | beam.Map(lambda r: r.id), equal_to(["a"]), label="kept")
        assert_that(
            out.rejected | beam.Map(lambda r: (r.record.id, r.stage, r.reason, r.detail)),
            equal_to(
                [
                    ("b", "filters", "truncated", "finish_reason"),
                    ("c", "filters", "empty", "length"),
                    ("d", "filters", "refusal", "refusal"),
                    ("e", "filters", "truncated", "finish_reason"),
                ]
            ),
            label="rejected",
        )


def test_apply_filters_needs_filters() -> None:
    with pytest.raises(ValueError, match="filters is empty"):
        ApplyFilters([])


def test_apply_filters_counts_each_reason_in_metrics() -> None:
    from apache_beam.metrics.metric import MetricsFilter

    records = [rec("fine", id="a"), rec("x", id="b", finish_reason="length"), rec("", id="c"), rec("", id="d")]
    p = TestPipeline()
    _ = p | beam.Create(records) | ApplyFilters(basic_filters())
    result = p.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace("filters"))["counters"]
    assert {c.key.metric.name: c.committed for c in counters} == {"kept": 1, "truncated": 1, "empty": 2}
