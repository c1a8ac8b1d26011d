"""GenerateCompletions end to end against a real vLLM server with the bundled model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from llm_pipeline import make_requests, run_generate

from synthbeam.llm.config import LLMConfig
from synthbeam.schemas import reasons
from synthbeam.schemas.record import ChatRequest, SamplingParams

pytestmark = pytest.mark.slow


def test_completions_keep_their_context_and_a_rerun_makes_no_calls(llm_config: LLMConfig, tmp_path: Path) -> None:
    items = make_requests(6, max_tokens=8)
    first = run_generate(llm_config, items, tmp_path / "first")
    assert first.dead == []
    by_id = {row["completion"]["request_id"]: row for row in first.main}
    assert sorted(by_id) == sorted(request.id for request, _ in items)
    for request, context in items:
        row = by_id[request.id]
        assert row["context"] == context
        assert row["completion"]["request_hash"] == request.cache_key(row["completion"]["model"])
        assert 0 < row["completion"]["completion_tokens"] <= 8 and row["completion"]["text"]
    assert first.counter("llm_calls") == 6 and first.counter("cache_hits") == 0
    assert first.counter("completion_tokens") == sum(r["completion"]["completion_tokens"] for r in first.main)
    assert first.counter("prompt_tokens") > 6 * 10

    again = run_generate(llm_config, items, tmp_path / "again")
    assert again.counter("llm_calls") == 0 and again.counter("cache_hits") == 6
    texts = {r["completion"]["request_id"]: r["completion"]["text"] for r in first.main}
    assert {r["completion"]["request_id"]: r["completion"]["text"] for r in again.main} == texts
    assert all(r["completion"]["cached"] for r in again.main)


def test_over_long_prompt_is_dead_lettered_alone(llm_config: LLMConfig, tmp_path: Path) -> None:
    items = make_requests(3, max_tokens=8)
    too_long = ChatRequest(
        id="too-long", messages=[{"role": "user", "content": "word " * 3000}], sampling=SamplingParams(max_tokens=8)
    )
    run = run_generate(llm_config, [*items, (too_long, {"row": 99})], tmp_path)
    assert sorted(r["completion"]["request_id"] for r in run.main) == ["q0", "q1", "q2"]
    assert [(d["element_id"], d["reason"], d["stage"]) for d in run.dead] == [
        ("too-long", reasons.CONTEXT_LENGTH, "generate")
    ]
    assert "max_model_len" in run.dead[0]["detail"]
    assert run.counter("dead_letter_context_length") == 1 and run.counter("llm_calls") == 3


def test_resume_calls_only_the_missing_requests(llm_config: LLMConfig, tmp_path: Path) -> None:
    items = make_requests(5, max_tokens=8, prefix="resume")
    partial = run_generate(llm_config, items[:2], tmp_path / "partial")  # a run that stopped early
    assert partial.counter("llm_calls") == 2
    full = run_generate(llm_config, items, tmp_path / "full")
    assert full.counter("llm_calls") == 3 and full.counter("cache_hits") == 2
    ids = [r["completion"]["request_id"] for r in full.main]
    assert sorted(ids) == sorted(r.id for r, _ in items) and len(set(ids)) == len(ids)


def test_structured_output_matches_the_schema(llm_config: LLMConfig, tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string", "enum": ["red", "green", "blue"]}},
        "required": ["colour"],
        "additionalProperties": False,
    }
    request = ChatRequest(
        id="json",
        messages=[{"role": "user", "content": "Pick a colour. Answer in JSON."}],
        sampling=SamplingParams(temperature=0.0, max_tokens=24),
        response_format=json.dumps(schema),
    )
    run = run_generate(llm_config, [(request, None)], tmp_path)
    assert run.dead == [] and len(run.main) == 1
    assert json.loads(run.main[0]["completion"]["text"])["colour"] in {"red", "green", "blue"}


def test_multi_process_runner(llm_config: LLMConfig, tmp_path: Path) -> None:
    items = make_requests(4, max_tokens=8, prefix="mp")
    options = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]
    run = run_generate(dataclasses.replace(llm_config), items, tmp_path, options)
    assert sorted(r["completion"]["request_id"] for r in run.main) == ["mp0", "mp1", "mp2", "mp3"]
    assert run.counter("llm_calls") == 4
