"""A server that accepts requests and never answers: the breaker ends the run in one
request budget, not one budget per wave of ``max_in_flight`` requests, and every request
has an outcome."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from llm_pipeline import make_requests, run_generate
from scripted_server import ScriptedServer, never_answer

from synthbeam.llm.client import LLMClient, Outcome
from synthbeam.llm.config import LLMConfig
from synthbeam.schemas import reasons
from synthbeam.schemas.record import ChatRequest, SamplingParams

GAVE_UP_OR_CUT = {reasons.LLM_GAVE_UP, reasons.SERVER_UNRESPONSIVE}


def _requests(n: int) -> list[ChatRequest]:
    return [
        ChatRequest(id=f"r{i}", messages=[{"role": "user", "content": "hi"}], sampling=SamplingParams(), seed=i)
        for i in range(n)
    ]


def _silent_run(n: int, **kwargs: Any) -> tuple[list[Outcome], Outcome, int, int]:
    """``n`` requests, then one more after they are all done: (outcomes, the late one's
    outcome, HTTP requests before it, HTTP requests in all)."""
    with ScriptedServer(never_answer) as server:

        async def main() -> tuple[list[Outcome], Outcome, int]:
            client = LLMClient(server.url, "served", "m@1", **kwargs)
            try:
                outcomes = await asyncio.gather(*(client.complete(r, f"k{r.id}") for r in _requests(n)))
                sent = server.chat_requests
                late = await client.complete(_requests(1)[0], "late")
            finally:
                await client.close()
            return list(outcomes), late, sent

        outcomes, late, sent = asyncio.run(main())
        return outcomes, late, sent, server.chat_requests


def test_a_silent_server_fails_every_request_of_the_worker_at_once(caplog: pytest.LogCaptureFixture) -> None:
    """Thirty requests, three in flight, two attempts of 0.3 s: without the breaker ten
    waves of two timeouts each; with it the server is given up after 0.9 s of silence."""
    with caplog.at_level(logging.ERROR, logger="synthbeam.llm.gate"):
        outcomes, late, sent, total = _silent_run(30, max_in_flight=3, request_timeout_s=0.3, max_attempts=2)
    assert all(o.completion is None and o.reason in GAVE_UP_OR_CUT for o in outcomes)
    cut = [o for o in outcomes if o.reason == reasons.SERVER_UNRESPONSIVE]
    assert len(cut) >= 20 and sent <= 15  # far from 60 HTTP requests
    assert all("answered no request for 0.9 s" in o.detail for o in cut)
    assert sum(o.timeouts for o in outcomes) <= sent  # attempts of cut requests are still counted
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and reasons.SERVER_UNRESPONSIVE in errors[0]
    # A request made after the breaker tripped fails at once, without reaching the server.
    assert late.reason == reasons.SERVER_UNRESPONSIVE and "0 attempts made" in late.detail and total == sent


def test_a_single_request_runs_its_whole_budget_before_the_breaker() -> None:
    outcomes, late, _, _ = _silent_run(1, request_timeout_s=0.3, max_attempts=3)
    assert [(o.reason, o.timeouts, o.retries) for o in outcomes] == [(reasons.LLM_GAVE_UP, 3, 2)]
    assert late.reason == reasons.SERVER_UNRESPONSIVE  # 0.9 s of silence, limit 1.2 s: tripped by the late one


def test_a_server_that_answers_only_errors_is_not_silent() -> None:
    async def busy(body: dict[str, Any]) -> web.Response:
        await asyncio.sleep(0.2)
        return web.json_response({"error": "overloaded"}, status=500)

    with ScriptedServer(busy) as server:

        async def main() -> list[Outcome]:
            client = LLMClient(server.url, "served", "m@1", request_timeout_s=0.3, max_attempts=3, max_in_flight=2)
            try:
                return list(await asyncio.gather(*(client.complete(r, "k") for r in _requests(6))))
            finally:
                await client.close()

        outcomes = asyncio.run(main())
    assert {o.reason for o in outcomes} == {reasons.LLM_GAVE_UP}


def test_a_pipeline_against_a_silent_server_accounts_for_every_request(bundled_model_dir: str, tmp_path: Path) -> None:
    n = 24
    with ScriptedServer(never_answer) as server:
        config = LLMConfig(
            model=bundled_model_dir, endpoint=server.url, max_in_flight=2, request_timeout_s=0.5, max_attempts=2
        )
        run = run_generate(config, make_requests(n, prefix="silent"), tmp_path / "out")
    assert run.main == []
    assert sorted(d["element_id"] for d in run.dead) == sorted(f"silent{i}" for i in range(n))
    assert {d["reason"] for d in run.dead} <= GAVE_UP_OR_CUT
    assert run.counter(f"dead_letter_{reasons.SERVER_UNRESPONSIVE}") >= n // 2
    assert server.chat_requests < n  # most requests never reached the server
