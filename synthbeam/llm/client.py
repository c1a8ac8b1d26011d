"""Saturating asyncio client for an OpenAI-compatible chat server.

At most ``max_in_flight`` requests are on the wire at once; each request goes on as soon as
a slot frees, so the server's batch stays full (no batch-and-wait). Transient failures
(connection errors, 5xx, 429, timeouts: ``request_timeout_s`` with no answer from the
server, see ``silence``) and invalid answers (a body that is not a chat
completion, malformed HTTP, an unreadable ``Retry-After``) are retried with capped,
jittered backoff, ``max_attempts`` times in all; other 4xx are never retried.

Every request passes a ``gate``: against a server many workers share, the time requests
are held back is metered for the runner, ``max_requests_per_s`` spaces request starts and
the in-flight window narrows while the server rejects work (429 / 503); against a server
that answers no one for longer than a request's whole budget, every pending and new
request fails at once as ``server_unresponsive``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from synthbeam.llm import protocol, retry
from synthbeam.llm.config import DEFAULT_MAX_ATTEMPTS, DEFAULT_REQUEST_TIMEOUT_S
from synthbeam.llm.gate import ServerGate
from synthbeam.llm.server_time import ServerTime, Spent
from synthbeam.llm.silence import SilenceTimer
from synthbeam.schemas import reasons
from synthbeam.schemas.record import ChatRequest, Completion

logger = logging.getLogger(__name__)
# A request may take as long as the server keeps answering (SilenceTimer); aiohttp's own
# 5-minute default would cut long CPU generations.
_NO_TOTAL_TIMEOUT = aiohttp.ClientTimeout(total=None)


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
    timeouts: int = 0  # attempts abandoned after request_timeout_s
    pushbacks: int = 0  # 429 / 503 answers: the server asked for less work
    cache_hit: bool = False
    server_seconds: float = 0.0  # time its attempts spent at the server (server_time.Spent)
    busy_seconds: float = 0.0  # its share of the time the server was busy with this client
    discarded_usage: tuple[int, int] = (0, 0)  # (prompt, completion) tokens of an answer refused here

    @property
    def usage(self) -> tuple[int, int]:
        """(prompt, completion) tokens of the server's answer (the server's ``usage``), used or not."""
        if self.completion is not None:
            return self.completion.prompt_tokens, self.completion.completion_tokens
        return self.discarded_usage


class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's wish in seconds. ``invalid``:
    the server answered, but not in the protocol (the give-up reason is then invalid_response)."""

    def __init__(
        self,
        detail: str,
        retry_after: float | None = None,
        reconnect: bool = False,
        timed_out: bool = False,
        invalid: bool = False,
        pushback: bool = False,
    ) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
        self.reconnect = reconnect
        self.timed_out = timed_out
        self.invalid = invalid
        self.pushback = pushback


@dataclass
class _Tally:
    """What one request's attempts did so far (kept when the breaker cuts the request)."""

    attempts: int = 0
    timeouts: int = 0
    pushbacks: int = 0

    def add(self, error: _Transient) -> None:
        self.timeouts += int(error.timed_out)
        self.pushbacks += int(error.pushback)

    def counts(self) -> dict[str, int]:
        return {"retries": max(0, self.attempts - 1), "timeouts": self.timeouts, "pushbacks": self.pushbacks}


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
        request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_requests_per_s: float = 0.0,
        adaptive_throttle: bool = True,
        recover: Recover | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._served_name = served_name
        self._model_id = model_id
        self._gate = ServerGate(max_in_flight, max_attempts, request_timeout_s, max_requests_per_s, adaptive_throttle)
        self.throttle = self._gate.throttle
        self._silence = SilenceTimer(request_timeout_s)
        self._server_time = ServerTime()
        self._warned_at = -math.inf
        self._max_attempts = max(1, max_attempts)
        self._recover = recover
        self._recovering: asyncio.Future[str] | None = None
        self._rng = rng or random.Random()
        connector = aiohttp.TCPConnector(limit=max_in_flight, force_close=False)
        self._session = aiohttp.ClientSession(connector=connector)

    async def close(self) -> None:
        await self._session.close()

    async def complete(self, request: ChatRequest, key: str) -> Outcome:
        """One chat completion with retries; never raises for server or network trouble. The
        outcome says how long its attempts spent at the server (``server_time``). Once the
        server has gone silent for good (``gate``), it ends at once as server_unresponsive."""
        spent, tally = Spent(), _Tally()
        outcome = await self._gate.unless_tripped(lambda: self._complete(request, key, spent, tally))
        if outcome is None:
            outcome = self._unresponsive(request, tally)
        return dataclasses.replace(outcome, server_seconds=spent.seconds, busy_seconds=spent.share)

    async def _complete(self, request: ChatRequest, key: str, spent: Spent, tally: _Tally) -> Outcome:
        body = protocol.request_body(request, self._served_name)
        failure = _Transient("no attempt made")
        for attempt in range(self._max_attempts):
            tally.attempts = attempt + 1
            try:
                completion = await self._attempt(body, request, key, spent)
            except _Transient as error:
                failure = error
                tally.add(error)
                if attempt + 1 == self._max_attempts:
                    break
                if error.reconnect:
                    await self._reconnect()
                await self._gate.back_off(retry.retry_delay(attempt, error.retry_after, self._rng), error.pushback)
                continue
            except _ClientError as error:
                reason = reasons.CONTEXT_LENGTH if error.context else reasons.LLM_CLIENT_ERROR
                return Outcome(request.id, reason=reason, detail=str(error), client_errors=1, **tally.counts())
            return dataclasses.replace(_checked(request, completion, attempt), **tally.counts())
        return Outcome(
            request.id,
            reason=reasons.INVALID_RESPONSE if failure.invalid else reasons.LLM_GAVE_UP,
            detail=f"{tally.attempts} attempts; last: {failure}",
            **tally.counts(),
        )

    async def _attempt(self, body: dict[str, object], request: ChatRequest, key: str, spent: Spent) -> Completion:
        url = f"{self._endpoint}/v1/chat/completions"
        async with self._gate.slot():
            visit = self._server_time.enter()
            try:
                started = self._silence.now()
                post = asyncio.ensure_future(self._post(url, body))
                with self._gate.on_wire():
                    answered = await self._silence.wait(post, started)
                if not answered:
                    if not self._gate.silence_trips(self._endpoint):
                        self._warn_silent()
                    raise _Transient(
                        f"timed out: no answer from the server for {self._silence.limit_s:g} s", timed_out=True
                    )
                status, raw, retry_after_header = post.result()
            finally:
                self._server_time.leave(visit, spent)
        return _completion_from(status, raw, retry_after_header, request, self._model_id, key)

    async def _post(self, url: str, body: dict[str, object]) -> tuple[int, bytes, str | None]:
        """One HTTP exchange: (status, body, Retry-After); _Transient for network trouble."""
        try:
            async with self._session.post(url, json=body, timeout=_NO_TOTAL_TIMEOUT) as response:
                raw = await response.read()
                self._silence.heard()
                self._gate.answered(response.status)
                return response.status, raw, response.headers.get("Retry-After")
        except asyncio.TimeoutError as error:
            raise _Transient(f"timed out: {error!r}", timed_out=True) from error
        except aiohttp.ClientConnectionError as error:
            raise _Transient(f"connection: {error!r}", reconnect=True) from error
        except aiohttp.ClientPayloadError as error:
            raise _Transient(f"broken response: {error!r}") from error
        except aiohttp.ClientResponseError as error:
            raise _Transient(f"malformed HTTP answer: {error!r}", invalid=True) from error
        except aiohttp.ClientError as error:
            raise _Transient(f"HTTP client error: {error!r}") from error

    def _warn_silent(self) -> None:
        """One warning per silent period, not one per abandoned request."""
        now = self._silence.now()
        if now - self._warned_at >= self._silence.limit_s:
            self._warned_at = now
            logger.warning(
                "No answer from %s for %g s: abandoning requests in flight and retrying them "
                "(%d attempts per request; --request_timeout_s / --max_attempts set these).",
                self._endpoint,
                self._silence.limit_s,
                self._max_attempts,
            )

    def _unresponsive(self, request: ChatRequest, tally: _Tally) -> Outcome:
        detail = (
            f"the server at {self._endpoint} answered no request for {self._gate.breaker.limit_s:g} s; "
            f"{tally.attempts} attempts made"
        )
        return Outcome(request.id, reason=reasons.SERVER_UNRESPONSIVE, detail=detail, **tally.counts())

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


def _completion_from(
    status: int, raw: bytes, retry_after_header: str | None, request: ChatRequest, model_id: str, key: str
) -> Completion:
    """The completion in one HTTP answer; _Transient or _ClientError when it holds none."""
    text = raw.decode("utf-8", errors="replace")
    if retry.is_retryable_status(status):
        if retry.unreadable_retry_after(retry_after_header):
            raise _Transient(
                f"HTTP {status} with unreadable Retry-After {str(retry_after_header)[:80]!r}",
                invalid=True,
                pushback=retry.is_pushback_status(status),
            )
        raise _Transient(
            f"HTTP {status}: {text[:200]}",
            retry_after=retry.parse_retry_after(retry_after_header),
            pushback=retry.is_pushback_status(status),
        )
    if status != 200:
        raise _ClientError(f"HTTP {status}: {text[:500]}", protocol.looks_like_context_error(status, text))
    try:
        return protocol.parse_response(json.loads(raw.decode("utf-8")), request, model_id, key)
    except UnicodeDecodeError as error:
        raise _Transient(f"invalid response: body is not UTF-8 ({error})", invalid=True) from error
    except (json.JSONDecodeError, protocol.InvalidResponse) as error:
        raise _Transient(f"invalid response: {error}; body: {text[:200]}", invalid=True) from error


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
                discarded_usage=(completion.prompt_tokens, completion.completion_tokens),
            )
    return Outcome(request.id, completion=completion, llm_calls=1, retries=retries)
