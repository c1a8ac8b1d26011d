"""What a row cost: server time shares, usage counters, the cost arithmetic and the card section."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from synthbeam.llm.client import Outcome
from synthbeam.llm.server_time import ServerTime, Spent
from synthbeam.schemas.record import Completion
from synthbeam.transforms.cost import UNMEASURED, cost_section, stage_usage, summary_lines, usd_per_1000_rows
from synthbeam.transforms.usage import outcome_usage
from synthbeam.transforms.write.run_cost import cost_lines, with_section


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_shares_add_up_to_the_busy_time_and_seconds_count_each_request():
    clock = FakeClock()
    meter = ServerTime(clock)
    a, b = Spent(), Spent()
    visit_a = meter.enter()
    clock.now = 2.0
    visit_b = meter.enter()  # 0-2 s: a alone; 2-4 s: a and b
    clock.now = 4.0
    meter.leave(visit_a, a)
    clock.now = 5.0  # 4-5 s: b alone
    meter.leave(visit_b, b)
    clock.now = 9.0  # idle: nobody pays
    assert (a.seconds, b.seconds) == (4.0, 3.0)
    assert (a.share, b.share) == (3.0, 2.0)
    assert a.share + b.share == 5.0 and meter.in_flight == 0


def test_attempts_of_one_request_add_up():
    clock = FakeClock()
    meter, spent = ServerTime(clock), Spent()
    for start in (0.0, 10.0):
        clock.now = start
        visit = meter.enter()
        clock.now = start + 1.5
        meter.leave(visit, spent)
    assert spent.seconds == spent.share == 3.0


def _completion(prompt: int, output: int) -> Completion:
    return Completion("r", "x", "stop", "m", "k", prompt_tokens=prompt, completion_tokens=output)


def test_outcome_usage_this_run_cached_and_refused_answers():
    sent = Outcome("r", completion=_completion(10, 4), llm_calls=1, server_seconds=0.25, busy_seconds=0.1)
    assert outcome_usage(sent) == {
        "requests": 1,
        "llm_calls": 1,
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "server_us": 250_000,
        "busy_us": 100_000,
    }
    cached = Outcome("r", completion=_completion(10, 4), cache_hit=True)
    assert outcome_usage(cached) == {
        "requests": 1,
        "cache_hits": 1,
        "cached_prompt_tokens": 10,
        "cached_completion_tokens": 4,
    }
    refused = Outcome("r", reason="structured_output_invalid", llm_calls=1, discarded_usage=(7, 3))
    assert (outcome_usage(refused)["prompt_tokens"], outcome_usage(refused)["completion_tokens"]) == (7, 3)
    assert outcome_usage(Outcome("r", reason="context_length")) == {
        "requests": 1,
        "llm_calls": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "server_us": 0,
        "busy_us": 0,
    }


COUNTERS = {
    "llm_calls": 5,  # run-wide counters are no stage
    "prompt_tokens": 999,
    "tool_use/requests": 4,
    "tool_use/llm_calls": 3,
    "tool_use/prompt_tokens": 3000,
    "tool_use/completion_tokens": 300,
    "tool_use/cache_hits": 1,
    "tool_use/cached_prompt_tokens": 1000,
    "tool_use/cached_completion_tokens": 100,
    "tool_use/server_us": 9_000_000,
    "tool_use/busy_us": 3_000_000,
    "verify_semantic/requests": 2,
    "verify_semantic/llm_calls": 2,
    "verify_semantic/prompt_tokens": 800,
    "verify_semantic/completion_tokens": 100,
    "verify_semantic/server_us": 2_000_000,
    "verify_semantic/busy_us": 1_000_000,
}


def test_stage_usage_reads_only_stage_counters():
    stages = stage_usage(COUNTERS)
    assert list(stages) == ["tool_use", "verify_semantic"]
    assert stages["tool_use"]["prompt_tokens"] == 3000 and stages["verify_semantic"]["cache_hits"] == 0


def test_cost_section_figures_and_prices():
    cost = cost_section(COUNTERS, kept_rows=2, gpu_hour_price=3.6)
    assert cost["total"]["prompt_tokens"] == 3800 and cost["total"]["busy_seconds"] == 4.0
    assert cost["this_run"] == {
        "requests": 5,
        "prompt_tokens": 3800,
        "completion_tokens": 400,
        "server_seconds": 11.0,
        "busy_seconds": 4.0,
    }
    assert cost["as_if_uncached"] == {"requests": 6, "prompt_tokens": 4800, "completion_tokens": 500}
    assert cost["per_kept_row"]["as_if_uncached"] == {"requests": 3, "prompt_tokens": 2400, "completion_tokens": 250}
    assert cost["tokens_per_s"] == {"used": 100.0, "source": "measured", "measured": 100.0}
    # 400 tokens at 100/s = 4 s = 1/900 h of a $3.60 GPU-hour = $0.004 for 2 rows: $2 per 1,000 rows
    prices = cost["usd_per_1000_kept_rows"]
    assert prices["this_run"] == pytest.approx(2.0) and prices["as_if_uncached"] == pytest.approx(2.5)
    assert "why_missing" not in prices


def test_a_given_rate_replaces_the_measured_one():
    cost = cost_section(COUNTERS, kept_rows=2, gpu_hour_price=3.6, tokens_per_s=400.0)
    assert cost["tokens_per_s"] == {"used": 400.0, "source": "--tokens_per_s", "measured": 100.0}
    assert cost["usd_per_1000_kept_rows"]["this_run"] == pytest.approx(0.5)


def test_formula():
    assert usd_per_1000_rows(3600, 1000, 1.0, 2.0) == pytest.approx(2.0)
    assert usd_per_1000_rows(0, 10, None, 2.0) == 0.0  # nothing sent: free, whatever the rate
    assert usd_per_1000_rows(10, 10, None, 2.0) is None
    assert usd_per_1000_rows(10, 0, 1.0, 2.0) is None
    assert usd_per_1000_rows(10, 10, 1.0, 0.0) is None


def test_missing_figures_say_why():
    assert "--gpu_hour_price" in cost_section(COUNTERS, 2)["usd_per_1000_kept_rows"]["why_missing"]
    assert cost_section(COUNTERS, 0, 3.6)["usd_per_1000_kept_rows"]["why_missing"] == "no row was kept"
    all_cached = {"a/requests": 2, "a/cache_hits": 2, "a/cached_completion_tokens": 50}
    prices = cost_section(all_cached, 2, 3.6)["usd_per_1000_kept_rows"]
    assert prices["this_run"] == 0.0 and prices["as_if_uncached"] is None
    assert "--tokens_per_s" in prices["why_missing"]
    assert cost_section(all_cached, 2, 3.6, 50.0)["usd_per_1000_kept_rows"]["as_if_uncached"] == pytest.approx(0.5)


CARD = "---\nlicense: other\n---\n\n# t\n\n## Splits\n\nrows\n\n## Columns\n\n- `id`: string\n"


def test_card_section_goes_before_columns_and_is_replaced_on_rewrite():
    cost = cost_section(COUNTERS, kept_rows=2, gpu_hour_price=3.6)
    card = with_section(CARD, cost_lines(cost))
    assert card.index("## Splits") < card.index("## Cost") < card.index("## Columns")
    assert "| tool_use | 4 | 3 | 1 | 4000 | 400 | 9 |" in card
    assert "$2.5 ($2 this run" in card
    again = with_section(card, cost_lines(cost_section(COUNTERS, kept_rows=2)))
    assert again.count("## Cost") == 1 and "not priced" in again and "$2.5" not in again
    assert again.endswith("- `id`: string\n") and "\n\n\n" not in again


def test_card_without_columns_gets_the_section_at_the_end():
    card = with_section("# t\n", cost_lines(UNMEASURED))
    assert card.startswith("# t\n\n## Cost\n\nNot measured") and card.endswith("\n") and "\n\n\n" not in card


def test_summary_line():
    (line,) = summary_lines(cost_section(COUNTERS, kept_rows=2, gpu_hour_price=3.6))
    assert "3 requests, 2400 prompt + 250 output tokens" in line and "2 this run, 2.5 uncached" in line
    assert summary_lines(UNMEASURED) == []


def test_a_run_that_asked_no_model_costs_nothing():
    cost = cost_section({"dead_letter_x": 0}, kept_rows=5, gpu_hour_price=3.0)
    assert cost["stages"] == {} and cost["total"]["requests"] == 0 and cost["total"]["busy_seconds"] == 0
    assert cost["usd_per_1000_kept_rows"]["as_if_uncached"] == 0.0
    assert "No model was asked" in "\n".join(cost_lines(cost))


def _projection_script():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "cost_projection.py"
    spec = importlib.util.spec_from_file_location("cost_projection", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module, path.parent


def test_projection_prices_the_tokens_per_kept_row(tmp_path, capsys):
    script, _ = _projection_script()
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"recipe": "tool_use", "run_id": "r", "cost": cost_section(COUNTERS, kept_rows=2)}))
    # 250 output tokens per row as if uncached: 1,000 rows at 100 tokens/s = 2,500 s = 0.694 h at $3.60
    (projection,) = script.main([str(path), "--rows=1000", "--gpu=X=100:3.6"])["projections"]
    assert projection["usd"] == pytest.approx(2.5) and projection["gpu_hours"] == pytest.approx(0.69)
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["projections"][0]["name"] == "X"


def test_the_readme_table_is_the_checked_in_runs_projection():
    script, benchmarks = _projection_script()
    result = script.main([str(benchmarks / "tool_use_20_manifest.json")])
    assert [p["usd"] for p in result["projections"]] == [14.43, 20.12, 5.46]
