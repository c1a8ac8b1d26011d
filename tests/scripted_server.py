"""A stand-in OpenAI-compatible server whose chat answers each test scripts.

``GET /v1/models`` names one model; every ``POST /v1/chat/completions`` is answered by the
test's ``answer(body)``, so a pipeline can be run against answers no real server gives:
bodies of the wrong shape, bytes that are not UTF-8, bad headers, or no answer at all. It
runs its own event loop in a thread, like ``fault_proxy.FaultProxy``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Answer = Callable[[dict[str, Any]], Awaitable[web.StreamResponse]]


def raw(body: bytes, status: int = 200, content_type: str = "application/json", **headers: str) -> web.Response:
    return web.Response(body=body, status=status, content_type=content_type, headers=headers)


# Answers that are no chat completion, each once a crash of the whole job.
INVALID_ANSWERS: dict[str, Callable[[], web.Response]] = {
    "choice_is_a_string": lambda: web.json_response({"choices": ["hello"]}),
    "message_is_a_string": lambda: web.json_response({"choices": [{"message": "hello"}]}),
    "content_is_a_number": lambda: web.json_response({"choices": [{"message": {"content": 7}}]}),
    "no_choices": lambda: web.json_response({"choices": []}),
    "body_is_a_list": lambda: web.json_response([1, 2]),
    "tokens_are_words": lambda: web.json_response(
        {"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": "many"}}
    ),
    "tool_call_is_a_string": lambda: web.json_response(
        {"choices": [{"message": {"content": None, "tool_calls": ["f()"]}}]}
    ),
    "not_utf8": lambda: raw(b'{"choices": [{"message": {"content": "\xff\xfe"}}]}'),
    "not_json": lambda: raw(b"<html>all good</html>", content_type="text/html"),
    "429_with_a_bad_date": lambda: raw(b"{}", status=429, **{"Retry-After": "Mon, 32 Jan 2024 10:00:00 GMT"}),
    "503_with_words_for_retry_after": lambda: raw(b"{}", status=503, **{"Retry-After": "soon"}),
}


async def never_answer(body: dict[str, Any]) -> web.StreamResponse:
    """Accepts the request and keeps it open (until the server stops)."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


class ScriptedServer:
    def __init__(self, answer: Answer, model: str = "scripted", max_model_len: int = 2048) -> None:
        self._answer = answer
        self._model = model
        self._max_model_len = max_model_len
        self.chat_requests = 0
        self._answering: set[asyncio.Future[web.StreamResponse]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        assert self._runner is not None
        for answer in list(self._answering):  # answers that never come end with the server
            answer.cancel()
        await asyncio.gather(*self._answering, return_exceptions=True)
        await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": self._model, "max_model_len": self._max_model_len}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.chat_requests += 1
        answer = asyncio.ensure_future(self._answer(await request.json()))
        self._answering.add(answer)
        try:
            return await answer
        finally:
            self._answering.discard(answer)
