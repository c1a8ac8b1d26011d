"""Everything a request passes before and after it reaches the server, for one client.

``ServerGate`` puts together the parts of ``throttle`` (the in-flight window, narrowed while
the server rejects work; the request rate; the meter of time held back) and ``breaker`` (the
server's silence), so the client asks one object: may this request go, did the server
answer, has the server gone silent for good. All on the client's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from synthbeam.llm import retry
from synthbeam.llm.breaker import SilenceBreaker, silence_limit_s
from synthbeam.llm.throttle import AdaptiveLimit, InFlightWindow, RequestPacer, ThrottleMeter
from synthbeam.schemas import reasons

T = TypeVar("T")
logger = logging.getLogger(__name__)


class ServerGate:
    def __init__(
        self,
        max_in_flight: int,
        max_attempts: int,
        request_timeout_s: float,
        max_requests_per_s: float = 0.0,
        adaptive_throttle: bool = True,
    ) -> None:
        self._limit = AdaptiveLimit(max_in_flight, enabled=adaptive_throttle)
        self._window = InFlightWindow(self._limit)
        self._pacer = RequestPacer(max_requests_per_s) if max_requests_per_s > 0 else None
        self.throttle = ThrottleMeter(max_in_flight)  # drained into Beam's throttling counter
        self.breaker = SilenceBreaker(silence_limit_s(max_attempts, request_timeout_s))

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """A place in the in-flight window, at the request rate; held-back time is metered."""
        with self.throttle.holding(self._window.narrowed(self._limit.size)):
            await self._window.acquire()
        try:
            if self._pacer is not None:
                with self.throttle.holding():
                    await asyncio.sleep(self._pacer.reserve())
            yield
        finally:
            self._window.release()

    def on_wire(self) -> contextlib.AbstractContextManager[None]:
        return self.breaker.on_wire()

    def answered(self, status: int) -> None:
        """The server answered with ``status``: it is alive, and it accepted or rejected work."""
        self.breaker.heard()
        self._limit.record(accepted=not retry.is_pushback_status(status))

    def silence_trips(self, endpoint: str) -> bool:
        """After an attempt timed out: True when the silence now trips the breaker, which
        happens once and is logged in one line."""
        if not self.breaker.check():
            return False
        logger.error(
            "LLM server at %s answered no request for %g s ((--max_attempts + 1) x --request_timeout_s): "
            "failing this worker's pending and new requests at once as %s dead letters.",
            endpoint,
            self.breaker.limit_s,
            reasons.SERVER_UNRESPONSIVE,
        )
        return True

    async def back_off(self, delay_s: float, pushback: bool) -> None:
        """Waits before a retry; a wait the server asked for (429 / 503) is throttled time."""
        with self.throttle.holding(pushback):
            await asyncio.sleep(delay_s)

    async def unless_tripped(self, work: Callable[[], Awaitable[T]]) -> T | None:
        """``work()``'s result, or None when the breaker trips first (``work`` is then cancelled)."""
        if self.breaker.tripped:
            return None
        task = asyncio.ensure_future(work())
        tripped = asyncio.ensure_future(self.breaker.wait_tripped())
        try:
            await asyncio.wait({task, tripped}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            tripped.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
        return None if task.cancelled() else task.result()
