"""Saturating asyncio client for an OpenAI-compatible chat server.

At most ``max_in_flight`` requests are on the wire at once; each request goes on as soon as
a slot frees, so the server's batch stays full (no batch-and-wait). Transient failures
(connection errors, timeouts, 5xx, 429) are retried with capped, jittered backoff; other
4xx are never retried.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from synthbeam.llm import protocol, retry
from synthbeam.schemas import reasons
from synthbeam.schemas.record import ChatRequest, Completion


@dataclass(frozen=True)
class Outcome:
    """What happened to one request: a completion, or a reason code and detail."""

    request_id: str
    completion: Completion | None = None
    reason: str = ""
    detail: str = ""
    llm_calls: int = 0  # 1 when the server produced the completion (0: cache hit or give-up)
    retries: int = 0
    client_errors: int = 0  # non-retryable 4xx answers
    cache_hit: bool = False


class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's wish in seconds."""

    def __init__(self, detail: str, retry_after: float | None = None, reconnect: bool = False) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.reconnect = reconnect


Recover = Callable[[], Awaitable[str]]


class LLMClient:
    """Sends ChatRequests; create and use it inside one running event loop."""

    def __init__(
        self,
        endpoint: str,
        served_name: str,
        model_id: str,
        *,
        max_in_flight: int = 256,
        request_timeout_s: float = 600.0,
        max_retries: int = 8,
        recover: Recover | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._served_name = served_name
        self._model_id = model_id
        self._slots = asyncio.Semaphore(max_in_flight)
        self._timeout = aiohttp.ClientTimeout(total=request_timeout_s)
        self._max_retries = max_retries
        self._recover = recover
        self._recovering: asyncio.Future[str] | None = None
        self._rng = rng or random.Random()
        connector = aiohttp.TCPConnector(limit=max_in_flight, force_close=False)
        self._session = aiohttp.ClientSession(connector=connector)

    async def close(self) -> None:
        await self._session.close()

    async def complete(self, request: ChatRequest, key: str) -> Outcome:
        """One chat completion with retries; never raises for server or network trouble."""
        body = protocol.request_body(request, self._served_name)
        last = ""
        for attempt in range(self._max_retries + 1):
            try:
                completion = await self._attempt(body, request, key)
            except _Transient as error:
                last = str(error)
                if attempt == self._max_retries:
                    break
                if error.reconnect:
                    await self._reconnect()
                await asyncio.sleep(retry.retry_delay(attempt, error.retry_after, self._rng))
                continue
            except _ClientError as error:
                reason = reasons.CONTEXT_LENGTH if error.context else reasons.LLM_CLIENT_ERROR
                return Outcome(request.id, reason=reason, detail=str(error), retries=attempt, client_errors=1)
            return _checked(request, completion, attempt)
        return Outcome(
            request.id, reason=reasons.LLM_GAVE_UP, detail=f"{attempt + 1} attempts; last: {last}", retries=attempt
        )

    async def _attempt(self, body: dict[str, object], request: ChatRequest, key: str) -> Completion:
        url = f"{self._endpoint}/v1/chat/completions"
        async with self._slots:
            try:
                async with self._session.post(url, json=body, timeout=self._timeout) as response:
                    text = await response.text()
                    status = response.status
                    retry_after = retry.parse_retry_after(response.headers.get("Retry-After"))
            except aiohttp.ClientConnectionError as error:
                raise _Transient(f"connection: {error!r}", reconnect=True) from error
            except (asyncio.TimeoutError, aiohttp.ClientPayloadError) as error:
                raise _Transient(f"timeout or broken response: {error!r}") from error
        if retry.is_retryable_status(status):
            raise _Transient(f"HTTP {status}: {text[:200]}", retry_after=retry_after)
        if status != 200:
            raise _ClientError(f"HTTP {status}: {text[:500]}", protocol.looks_like_context_error(status, text))
        try:
            return protocol.parse_response(json.loads(text), request, self._model_id, key)
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as error:
            raise _Transient(f"malformed response: {error!r}") from error

    async def _reconnect(self) -> None:
        """Asks the server owner to restart a dead server; one check shared by all requests."""
        if self._recover is None:
            return
        if self._recovering is None or self._recovering.done():
            self._recovering = asyncio.ensure_future(self._recover())
        try:
            self._endpoint = (await asyncio.shield(self._recovering)).rstrip("/")
        except (OSError, RuntimeError, TimeoutError):
            # Restart failed this time; the next attempt's backoff and check try again.
            return


class _ClientError(Exception):
    def __init__(self, detail: str, context: bool) -> None:
        super().__init__(detail)
        self.context = context


def _checked(request: ChatRequest, completion: Completion, retries: int) -> Outcome:
    """Structured output is validated again; a completion cut by ``max_tokens`` goes on as it
    is (the parse step rejects it as truncated, keeping its raw text for inspection)."""
    if request.response_format and completion.finish_reason != "length":
        problem = protocol.schema_violation(completion.text, request.response_format)
        if problem:
            return Outcome(
                request.id,
                reason=reasons.STRUCTURED_OUTPUT_INVALID,
                detail=f"{problem}; finish_reason={completion.finish_reason}; text={completion.text[:500]}",
                llm_calls=1,
                retries=retries,
            )
    return Outcome(request.id, completion=completion, llm_calls=1, retries=retries)
