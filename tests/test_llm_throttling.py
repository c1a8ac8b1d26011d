"""LLMClient against a scripted server that pushes back with 429s: the time requests are
held back is measured, the request rate stays under its limit, and the in-flight window
narrows while the server rejects work.

Timing is asserted only where load cannot break it: a paced request never goes early, so
the run's length has a floor; request counts per second get a wide margin."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from llm_pipeline import make_requests, run_generate
from scripted_server import ScriptedServer, raw

from synthbeam.llm.client import LLMClient, Outcome
from synthbeam.llm.config import LLMConfig
from synthbeam.schemas.record import ChatRequest, SamplingParams
from synthbeam.transforms.generate import THROTTLED_SECONDS

Answer = Callable[[dict[str, Any]], Awaitable[web.StreamResponse]]


def _ok() -> web.Response:
    return web.json_response(
        {"choices": [{"message": {"content": "Hi."}, "finish_reason": "stop"}], "usage": {"completion_tokens": 1}}
    )


def _too_many(retry_after: str = "1") -> web.Response:
    return raw(b'{"error": "slow down"}', status=429, **{"Retry-After": retry_after})


def _requests(n: int) -> list[ChatRequest]:
    return [
        ChatRequest(id=f"r{i}", messages=[{"role": "user", "content": "hi"}], sampling=SamplingParams(), seed=i)
        for i in range(n)
    ]


class Recorder:
    """Wraps an answer: when each request arrived, and how many were being answered at once."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self.arrivals: list[float] = []
        self.active = self.max_active = 0

    async def __call__(self, body: dict[str, Any]) -> web.StreamResponse:
        self.arrivals.append(time.monotonic())
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            return await self._answer(body)
        finally:
            self.active -= 1


def run_client(answer: Answer, n: int, **kwargs: Any) -> tuple[list[Outcome], LLMClient, Recorder, int, float]:
    recorder = Recorder(answer)
    with ScriptedServer(recorder) as server:

        async def main() -> tuple[list[Outcome], LLMClient, float]:
            client = LLMClient(server.url, "served", "m@1", **{"request_timeout_s": 30.0, **kwargs})
            started = time.monotonic()
            try:
                outcomes = await asyncio.gather(*(client.complete(r, f"k{r.id}") for r in _requests(n)))
            finally:
                await client.close()
            return list(outcomes), client, time.monotonic() - started

        outcomes, client, elapsed = asyncio.run(main())
        return outcomes, client, recorder, server.chat_requests, elapsed


def first_attempt_rejected(answer_ok: Answer, retry_after: str = "1") -> Answer:
    """Each request's first attempt gets a 429 with ``Retry-After``, later ones ``answer_ok``."""
    seen: Counter[int] = Counter()

    async def answer(body: dict[str, Any]) -> web.StreamResponse:
        seen[body["seed"]] += 1
        return _too_many(retry_after) if seen[body["seed"]] == 1 else await answer_ok(body)

    return answer


def most_in_any_second(arrivals: list[float]) -> int:
    return max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)


async def _ok_now(_body: dict[str, Any] | None = None) -> web.Response:
    return _ok()


def test_waits_the_server_asked_for_are_throttled_time() -> None:
    outcomes, client, _, calls, _ = run_client(first_attempt_rejected(_ok_now), 8, max_in_flight=4)
    assert all(o.completion is not None for o in outcomes) and calls == 16
    assert [(o.pushbacks, o.retries) for o in outcomes] == [(1, 1)] * 8
    # Eight requests each wait out one second with a window of four: the whole window waits
    # for about a second (counted once, not once per request).
    assert 0.9 <= client.throttle.total_s() < 8


def test_a_server_that_never_pushes_back_costs_no_throttled_time() -> None:
    outcomes, client, _, _, _ = run_client(_ok_now, 8, max_in_flight=2)
    assert all(o.completion is not None and o.pushbacks == 0 for o in outcomes)
    assert client.throttle.total_s() == 0


def test_the_request_rate_stays_under_its_limit_retries_included() -> None:
    rate = 10.0
    outcomes, client, recorder, calls, elapsed = run_client(
        first_attempt_rejected(_ok_now), 15, max_in_flight=8, max_requests_per_s=rate
    )
    assert all(o.completion is not None for o in outcomes) and calls == 30
    assert elapsed >= (calls - 1) / rate * 0.95  # paced starts never go early
    assert most_in_any_second(recorder.arrivals) <= 2 * rate  # at most rate + 1 on an idle machine
    assert client.throttle.total_s() > 1  # waiting for the rate is throttled time too


def test_without_a_limit_requests_go_at_once() -> None:
    _, _, recorder, calls, _ = run_client(_ok_now, 30, max_in_flight=30)
    assert calls == 30 and most_in_any_second(recorder.arrivals) > 20


async def _ok_slowly(_body: dict[str, Any] | None = None) -> web.Response:
    await asyncio.sleep(0.5)
    return _ok()


def test_the_window_narrows_while_the_server_rejects_work() -> None:
    """Sixteen requests, all rejected at first: with the adaptive window the retries go out a
    few at a time and the window widens as answers come back; without it all sixteen retry
    at once."""
    outcomes, client, recorder, _, _ = run_client(first_attempt_rejected(_ok_slowly), 16, max_in_flight=16)
    assert all(o.completion is not None for o in outcomes)
    assert recorder.max_active <= 12
    assert client.throttle.total_s() > 1

    outcomes, _, recorder, _, _ = run_client(
        first_attempt_rejected(_ok_slowly), 16, max_in_flight=16, adaptive_throttle=False
    )
    assert all(o.completion is not None for o in outcomes)
    assert recorder.max_active == 16


def test_a_pipeline_reports_throttled_time_to_the_runner(bundled_model_dir: str, tmp_path: Path) -> None:
    """Six requests, two in flight, each first told to wait 2 s: the whole window waits about
    2 s, which reaches the runner as Beam's throttling counter."""
    with ScriptedServer(first_attempt_rejected(_ok_now, retry_after="2")) as server:
        config = LLMConfig(model=bundled_model_dir, endpoint=server.url, max_in_flight=2, max_requests_per_s=50)
        run = run_generate(config, make_requests(6, prefix="pushed"), tmp_path / "out")
    assert len(run.main) == 6 and run.dead == [] and server.chat_requests == 12
    assert run.counter("pushbacks") == 6 and run.counter("retries") == 6
    assert 1 <= run.counter(THROTTLED_SECONDS) <= 12
