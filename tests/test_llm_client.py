"""LLMClient against a scripted local HTTP server: retries, give-ups and the in-flight bound."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from scripted_server import INVALID_ANSWERS

from synthbeam.llm.client import LLMClient, Outcome
from synthbeam.schemas import reasons
from synthbeam.schemas.record import ChatRequest, SamplingParams

Reply = Callable[[int], Awaitable[web.Response]]


def _ok(text: str = "Hello.", finish_reason: str = "stop") -> web.Response:
    return web.json_response(
        {
            "choices": [{"message": {"content": text}, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2},
        }
    )


class Scripted:
    """Answers the n-th chat request with ``reply(n)`` and records concurrency."""

    def __init__(self, reply: Reply) -> None:
        self.reply, self.calls, self.active, self.max_active = reply, 0, 0, 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            return await self.reply(self.calls)
        finally:
            self.active -= 1


async def _serve(script: Scripted) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", script.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def _request(i: int = 0, response_format: str = "") -> ChatRequest:
    return ChatRequest(
        id=f"r{i}",
        messages=[{"role": "user", "content": "hi"}],
        sampling=SamplingParams(max_tokens=4),
        seed=i,
        response_format=response_format,
    )


def run_client(reply: Reply, requests: list[ChatRequest], **kwargs: Any) -> tuple[list[Outcome], Scripted, float]:
    async def main() -> tuple[list[Outcome], Scripted, float]:
        script = Scripted(reply)
        runner, url = await _serve(script)
        client = LLMClient(url, "served", "m@1", **{"request_timeout_s": 5.0, "max_attempts": 4, **kwargs})
        started = time.monotonic()
        try:
            outcomes = await asyncio.gather(*(client.complete(r, f"k{r.id}") for r in requests))
        finally:
            await client.close()
            await runner.cleanup()
        return list(outcomes), script, time.monotonic() - started

    return asyncio.run(main())


def test_5xx_is_retried_until_success() -> None:
    async def reply(n: int) -> web.Response:
        return web.json_response({"error": "busy"}, status=503) if n <= 2 else _ok()

    [outcome], script, _ = run_client(reply, [_request()])
    assert outcome.completion is not None and outcome.completion.text == "Hello."
    assert (outcome.retries, outcome.llm_calls, script.calls) == (2, 1, 3)
    assert outcome.completion.request_hash == "kr0" and outcome.completion.model == "m@1"


def test_429_waits_for_retry_after() -> None:
    async def reply(n: int) -> web.Response:
        return web.json_response({}, status=429, headers={"Retry-After": "1"}) if n == 1 else _ok()

    [outcome], script, elapsed = run_client(reply, [_request()])
    assert outcome.completion is not None and script.calls == 2
    assert elapsed >= 1.0


def test_4xx_is_never_retried() -> None:
    async def reply(n: int) -> web.Response:
        return web.json_response({"error": "bad temperature"}, status=400)

    [outcome], script, _ = run_client(reply, [_request()])
    assert (outcome.reason, outcome.client_errors, outcome.retries, script.calls) == (reasons.LLM_CLIENT_ERROR, 1, 0, 1)


def test_server_context_error_is_a_context_length_dead_letter() -> None:
    async def reply(n: int) -> web.Response:
        return web.json_response({"error": "maximum context length is 2048 tokens"}, status=400)

    [outcome], script, _ = run_client(reply, [_request()])
    assert (outcome.reason, script.calls) == (reasons.CONTEXT_LENGTH, 1)


def test_gives_up_after_max_attempts() -> None:
    async def reply(n: int) -> web.Response:
        return web.json_response({}, status=500)

    [outcome], script, _ = run_client(reply, [_request()], max_attempts=3)
    assert (outcome.reason, outcome.retries, script.calls) == (reasons.LLM_GAVE_UP, 2, 3)
    assert outcome.detail.startswith("3 attempts; last: HTTP 500")


def test_timeouts_are_retried() -> None:
    async def reply(n: int) -> web.Response:
        if n == 1:
            await asyncio.sleep(5)
        return _ok()

    [outcome], script, _ = run_client(reply, [_request()], request_timeout_s=1.5)
    assert outcome.completion is not None and (outcome.retries, script.calls) == (1, 2)


def test_in_flight_is_bounded_and_kept_full() -> None:
    async def reply(n: int) -> web.Response:
        await asyncio.sleep(0.2)
        return _ok()

    outcomes, script, elapsed = run_client(reply, [_request(i) for i in range(12)], max_in_flight=4)
    assert all(o.completion is not None for o in outcomes)
    assert script.max_active == 4
    assert elapsed < 1.2  # 3 waves of 0.2 s, not 12 sequential requests


def test_structured_output_is_validated_again() -> None:
    schema = json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})

    async def reply(n: int) -> web.Response:
        return _ok('{"n": 1}') if n == 1 else _ok('{"n": "one"}')

    good, bad = run_client(reply, [_request(0, schema), _request(1, schema)], max_in_flight=1)[0]
    assert good.completion is not None and json.loads(good.completion.text) == {"n": 1}
    assert bad.completion is None and bad.reason == reasons.STRUCTURED_OUTPUT_INVALID and bad.llm_calls == 1


def test_structured_output_cut_by_max_tokens_is_passed_on_for_the_parser() -> None:
    schema = json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})

    async def reply(n: int) -> web.Response:
        return _ok('{"n": ', finish_reason="length")

    (cut,) = run_client(reply, [_request(0, schema)], max_in_flight=1)[0]
    assert cut.completion is not None and cut.completion.text == '{"n": ' and cut.completion.finish_reason == "length"


def test_connection_error_asks_owner_to_recover() -> None:
    async def main() -> tuple[Outcome, int]:
        script = Scripted(lambda n: asyncio.sleep(0, _ok()))
        runner, url = await _serve(script)
        recovered = 0

        async def recover() -> str:
            nonlocal recovered
            recovered += 1
            return url

        client = LLMClient("http://127.0.0.1:9", "served", "m@1", max_attempts=4, recover=recover)
        try:
            outcome = await client.complete(_request(), "k")
        finally:
            await client.close()
            await runner.cleanup()
        return outcome, recovered

    outcome, recovered = asyncio.run(main())
    assert outcome.completion is not None and outcome.retries == 1 and recovered == 1


@pytest.mark.parametrize("shape", sorted(INVALID_ANSWERS))
def test_invalid_answer_is_retried_a_bounded_number_of_times_then_dead_lettered(shape: str) -> None:
    async def reply(n: int) -> web.Response:
        return INVALID_ANSWERS[shape]()

    [outcome], script, _ = run_client(reply, [_request()], max_attempts=3)
    assert outcome.completion is None and outcome.reason == reasons.INVALID_RESPONSE
    assert (outcome.retries, script.calls) == (2, 3)
    assert outcome.detail.startswith("3 attempts; last: ")


@pytest.mark.parametrize("shape", sorted(INVALID_ANSWERS))
def test_one_invalid_answer_then_a_good_one_completes(shape: str) -> None:
    async def reply(n: int) -> web.Response:
        return INVALID_ANSWERS[shape]() if n == 1 else _ok()

    [outcome], script, _ = run_client(reply, [_request()], max_attempts=3)
    assert outcome.completion is not None and outcome.completion.text == "Hello."
    assert (outcome.retries, script.calls) == (1, 2)


def test_malformed_http_is_an_invalid_response() -> None:
    async def main() -> Outcome:
        async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(65536)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n{}")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(garbage, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = LLMClient(f"http://127.0.0.1:{port}", "served", "m@1", max_attempts=2)
        try:
            return await client.complete(_request(), "k")
        finally:
            await client.close()
            server.close()

    outcome = asyncio.run(main())
    assert outcome.completion is None and outcome.reason == reasons.INVALID_RESPONSE and outcome.retries == 1


def test_a_server_that_never_answers_times_out_on_every_attempt() -> None:
    async def reply(n: int) -> web.Response:
        await asyncio.sleep(3)  # far past the timeout; short so the server's own shutdown is quick
        return _ok()

    [outcome], script, elapsed = run_client(reply, [_request()], request_timeout_s=0.3, max_attempts=3)
    assert outcome.reason == reasons.LLM_GAVE_UP and (outcome.timeouts, outcome.retries, script.calls) == (3, 2, 3)
    assert "no answer from the server for 0.3 s" in outcome.detail and elapsed < 10


def test_a_slow_server_that_keeps_answering_never_times_out() -> None:
    """Request i takes 0.6 * i s, twice the timeout for the last; the server answers someone
    every 0.6 s, so none is abandoned (a hung server answers no one)."""

    async def reply(n: int) -> web.Response:
        await asyncio.sleep(0.6 * n)
        return _ok()

    outcomes, script, _ = run_client(reply, [_request(i) for i in range(5)], request_timeout_s=1.5)
    assert all(o.completion is not None for o in outcomes)
    assert [(o.retries, o.timeouts) for o in outcomes] == [(0, 0)] * 5 and script.calls == 5
