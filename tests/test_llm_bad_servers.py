"""Whole pipelines against servers that misbehave: every answer has an outcome, none a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from llm_pipeline import make_requests, run_generate
from scripted_server import INVALID_ANSWERS, ScriptedServer

from synthbeam.llm.config import LLMConfig
from synthbeam.schemas import reasons

SHAPES = sorted(INVALID_ANSWERS)


async def one_invalid_shape_per_request(body: dict[str, Any]) -> web.Response:
    """make_requests seeds request i with 1000 + i: request i always gets shape i."""
    return INVALID_ANSWERS[SHAPES[(int(body["seed"]) - 1000) % len(SHAPES)]]()


def test_invalid_answers_are_dead_lettered_not_a_failed_job(bundled_model_dir: str, tmp_path: Path) -> None:
    n = len(SHAPES)
    with ScriptedServer(one_invalid_shape_per_request) as server:
        config = LLMConfig(model=bundled_model_dir, endpoint=server.url, max_attempts=2, request_timeout_s=10)
        run = run_generate(config, make_requests(n, prefix="bad"), tmp_path / "out")
    assert run.main == []
    assert sorted(d["element_id"] for d in run.dead) == sorted(f"bad{i}" for i in range(n))
    assert {d["reason"] for d in run.dead} == {reasons.INVALID_RESPONSE}
    assert server.chat_requests == 2 * n and run.counter("retries") == n
    assert run.counter(f"dead_letter_{reasons.INVALID_RESPONSE}") == n
