"""Per-process generation engine: an event loop thread that keeps requests in flight.

Callers hand in ChatRequests from any thread and get ``concurrent.futures.Future``s back
at once. Each request is looked up in the response cache, checked against the context
window, sent by the saturating client and written back to the cache. The server is only
reached (and a managed one only started) when the first cache miss needs it, so a fully
cached rerun starts nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

from synthbeam.llm.cache import ResponseCache
from synthbeam.llm.client import LLMClient, Outcome
from synthbeam.llm.config import LLMConfig
from synthbeam.llm.model_store import model_identity
from synthbeam.llm.progress import Progress
from synthbeam.llm.tokens import PromptTokenCounter, context_detail, fits_context, surely_fits
from synthbeam.schemas import reasons
from synthbeam.schemas.record import ChatRequest

logger = logging.getLogger(__name__)

_IO_THREADS = 16  # cache reads/writes on GCS are latency-bound, not CPU-bound


class ServerHandle(Protocol):
    def endpoint(self) -> str: ...

    def ensure_running(self) -> str: ...


Connect = Callable[[], ServerHandle]


def describe_server(endpoint: str, timeout_s: float = 30.0) -> tuple[str, int | None]:
    """The first served model's name and its ``max_model_len`` from ``GET /v1/models``."""
    with urllib.request.urlopen(f"{endpoint.rstrip('/')}/v1/models", timeout=timeout_s) as response:
        body: Any = json.loads(response.read())
    model = body["data"][0]
    length = model.get("max_model_len")
    return str(model["id"]), int(length) if length else None


class GenerationRuntime:
    """Cache, token check and client behind one background event loop."""

    def __init__(self, config: LLMConfig, model_dir: str, connect: Connect) -> None:
        self.config = config
        self.model_id = model_identity(model_dir)
        self._connect = connect
        self._model_dir = model_dir
        self._counter: asyncio.Future[PromptTokenCounter] | None = None  # loaded on the first miss
        self._cache = ResponseCache(config.cache_root) if config.cache_root else None
        self._io = concurrent.futures.ThreadPoolExecutor(_IO_THREADS, thread_name_prefix="synthbeam-io")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="synthbeam-llm", daemon=True)
        self._thread.start()
        self._client: LLMClient | None = None
        # Known up front when configured; otherwise the server's own value, read on first use
        # (it reflects --max-model-len however it was passed).
        self._max_model_len = config.max_model_len or 0
        self._server: ServerHandle | None = None
        self._connecting: asyncio.Future[LLMClient] | None = None
        self.progress = Progress()

    def submit(self, request: ChatRequest) -> concurrent.futures.Future[Outcome]:
        """Starts ``request`` on the loop; the future resolves to its Outcome."""
        self.progress.submit()
        return asyncio.run_coroutine_threadsafe(self._handle(request), self._loop)

    def close(self) -> None:
        """Closes the client and stops the loop (in-flight requests are abandoned)."""
        if self._client is not None:
            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._io.shutdown(wait=False)

    @property
    def server(self) -> ServerHandle | None:
        return self._server

    def take_throttled_seconds(self) -> int:
        """Whole seconds requests were held back since the last call (``throttle.ThrottleMeter``);
        callable from any thread, for the DoFn that reports them to the runner."""
        client = self._client
        return client.throttle.take_whole_seconds() if client is not None else 0

    async def _handle(self, request: ChatRequest) -> Outcome:
        outcome = await self._generate(request)
        tokens = outcome.completion.completion_tokens if outcome.completion else 0
        self.progress.finish(tokens, cached=outcome.cache_hit, failed=outcome.completion is None)
        return outcome

    async def _count_tokens(self, request: ChatRequest) -> int | None:
        """The prompt's token count, or None when the chat template rejects the messages (the
        request then goes out as it is, and the server's answer decides: a 400 becomes a
        dead letter, never a failed bundle)."""
        counter = await self._ensure_counter()
        try:
            return counter.count(request)
        except Exception as error:  # templates raise on role orders they do not support
            logger.warning("could not count the prompt tokens of %s: %s", request.id, error)
            return None

    async def _generate(self, request: ChatRequest) -> Outcome:
        loop = asyncio.get_running_loop()
        key = request.cache_key(self.model_id)
        if self._cache is not None:
            hit = await loop.run_in_executor(self._io, self._cache.get, key)
            if hit is not None:
                return Outcome(request.id, completion=hit, cache_hit=True)
        client = await self._ensure_client()  # also learns the server's max_model_len
        if not surely_fits(request, self._max_model_len):
            prompt_tokens = await self._count_tokens(request)
            if prompt_tokens is not None and not fits_context(
                prompt_tokens, request.sampling.max_tokens, self._max_model_len
            ):
                detail = context_detail(prompt_tokens, request.sampling.max_tokens, self._max_model_len)
                return Outcome(request.id, reason=reasons.CONTEXT_LENGTH, detail=detail)
        outcome = await client.complete(request, key)
        if outcome.completion is not None and self._cache is not None:
            await loop.run_in_executor(self._io, self._cache.put, key, outcome.completion)
        return outcome

    async def _ensure_counter(self) -> PromptTokenCounter:
        if self._counter is None:
            loop = asyncio.get_running_loop()
            self._counter = loop.run_in_executor(self._io, PromptTokenCounter, self._model_dir)
        return await asyncio.shield(self._counter)

    async def _ensure_client(self) -> LLMClient:
        if self._client is not None:
            return self._client
        if self._connecting is None or (self._connecting.done() and self._connecting.exception()):
            # A failed start is retried by the next request (Beam retries the bundle).
            self._connecting = asyncio.ensure_future(self._make_client())
        return await asyncio.shield(self._connecting)

    async def _make_client(self) -> LLMClient:
        loop = asyncio.get_running_loop()
        self._server = await loop.run_in_executor(None, self._connect)
        endpoint = self._server.endpoint()
        served_name, server_len = await loop.run_in_executor(None, describe_server, endpoint)
        if not self._max_model_len:
            self._max_model_len = server_len or 2048
        self._client = LLMClient(
            endpoint,
            self.config.served_model_name or served_name,
            self.model_id,
            max_in_flight=self.config.max_in_flight,
            request_timeout_s=self.config.request_timeout_s,
            max_attempts=self.config.max_attempts,
            max_requests_per_s=self.config.max_requests_per_s,
            adaptive_throttle=self.config.adaptive_throttle,
            recover=self._recover,
        )
        self.progress.ready()
        logger.info(
            "LLM client ready: %s at %s (max_model_len %d, pid %d)",
            served_name,
            endpoint,
            self._max_model_len,
            os.getpid(),
        )
        return self._client

    async def _recover(self) -> str:
        assert self._server is not None
        return await asyncio.get_running_loop().run_in_executor(None, self._server.ensure_running)
