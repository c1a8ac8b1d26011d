"""A circuit breaker for a server that accepts requests and never answers.

Per-request timeouts alone make such a server expensive: each request spends
``max_attempts`` x ``request_timeout_s`` before it is dead-lettered, and only
``max_in_flight`` of them do so at a time, so a large run takes hours. The breaker watches
the whole worker instead: once the server has answered nothing -- to no request at all --
for ``limit_s`` of time with requests on the wire, it trips, and the client fails every
pending and every later request at once (reason ``server_unresponsive``).

Only time with requests on the wire counts: a worker between bundles, or one waiting for
its managed server to restart, is not listening to the server, so its silence proves
nothing. The breaker trips when an attempt times out, the moment the silence is observed,
and stays tripped for the life of the client: a rerun with the response cache picks up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator


def silence_limit_s(max_attempts: int, request_timeout_s: float) -> float:
    """Silence that trips the breaker: one request's whole budget and one timeout more, so
    the requests that met the silence first run their course (``llm_gave_up``) and the
    breaker fails only those queued behind them."""
    return (max(1, max_attempts) + 1) * request_timeout_s


class SilenceBreaker:
    """Counts the server's silence while requests are on the wire; create it inside the loop."""

    def __init__(self, limit_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit_s = limit_s
        self._clock = clock
        self._on_wire = 0
        self._silent_s = 0.0
        self._since = clock()
        self._tripped = asyncio.Event()

    def _advance(self) -> None:
        now = self._clock()
        if self._on_wire:
            self._silent_s += now - self._since
        self._since = now

    @contextlib.contextmanager
    def on_wire(self) -> Iterator[None]:
        """One request sent and not yet answered (or abandoned) for the duration of the block."""
        self._advance()
        self._on_wire += 1
        try:
            yield
        finally:
            self._advance()
            self._on_wire -= 1

    def heard(self) -> None:
        """The server answered something (any status): it is alive."""
        self._advance()
        self._silent_s = 0.0

    def silent_s(self) -> float:
        self._advance()
        return self._silent_s

    def check(self) -> bool:
        """Trips the breaker when the silence has reached ``limit_s``; True if it trips now."""
        if self.tripped or self.silent_s() < self.limit_s:
            return False
        self._tripped.set()
        return True

    @property
    def tripped(self) -> bool:
        return self._tripped.is_set()

    async def wait_tripped(self) -> None:
        await self._tripped.wait()
