"""An HTTP proxy in front of a real OpenAI-compatible server that injects failures.

Chat-completion requests are, at random (seeded), answered 500 / 503 / 429 (with
``Retry-After``) instead of being forwarded; the first ``hangs`` requests hang until the
client gives up. Everything else is forwarded unchanged. It runs its own event loop in a
thread and records what it did, so tests can check the client against it.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web

FAULTS = ((500, None), (503, None), (429, "1"))


class FaultProxy:
    def __init__(self, upstream: str, fault_rate: float = 0.2, hangs: int = 2, seed: int = 7) -> None:
        self._upstream = upstream.rstrip("/")
        self._fault_rate = fault_rate
        self._hangs_left = hangs
        self._rng = random.Random(seed)
        self.stats: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    async def _start(self) -> None:
        self._release = asyncio.Event()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def _stop(self) -> None:
        assert self._runner is not None and self._session is not None
        self._release.set()  # hung handlers return, so the server can shut down
        await self._runner.cleanup()
        await self._session.close()

    def _decide(self) -> str:
        if self._hangs_left > 0:
            self._hangs_left -= 1
            return "hang"
        return "fault" if self._rng.random() < self._fault_rate else "forward"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.path.endswith("/chat/completions"):
            self.stats["requests"] += 1
            action = self._decide()
            if action == "hang":
                self.stats["hangs"] += 1
                await self._release.wait()  # until the proxy stops; the client gives up long before
                return web.json_response({"error": "hung"}, status=503)
            if action == "fault":
                status, retry_after = self._rng.choice(FAULTS)
                self.stats[f"injected_{status}"] += 1
                headers = {"Retry-After": retry_after} if retry_after else {}
                return web.json_response({"error": "injected"}, status=status, headers=headers)
        return await self._forward(request, body)

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._session is not None
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        async with self._session.request(
            request.method, self._upstream + request.path_qs, data=body or None, headers=headers
        ) as upstream:
            payload = await upstream.read()
            if request.path.endswith("/chat/completions"):
                self.stats[f"upstream_{upstream.status}"] += 1
            return web.Response(body=payload, status=upstream.status, content_type=upstream.content_type)
