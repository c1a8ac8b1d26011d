"""Holding requests back from a server that many workers share.

Three parts, each small: ``ThrottleMeter`` measures how long a worker's requests were held
back (what Beam reports to the runner as ``cumulativeThrottlingSeconds``, so Dataflow's
autoscaler does not add workers against a server that is already full); ``RequestPacer``
spaces request starts to ``--max_requests_per_s``; ``InFlightWindow`` bounds the requests
on the wire, and with ``AdaptiveLimit`` narrows that bound while the server rejects work
(429 / 503), the client-side throttling of Beam's ``AdaptiveThrottler`` (the SRE book's
"Handling Overload") applied to the in-flight window instead of to single requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator

# Beam's RemoteModelHandler default "K": throttling starts once more than half of the
# answers are rejections, so a server that rejects now and then is not slowed down.
OVERLOAD_RATIO = 2.0
# Answers that decide the window. LLM requests take seconds each, so Beam's 1 s default
# would hold a handful of answers; a minute holds enough to tell a trend from one 429.
REJECT_WINDOW_S = 60.0

Clock = Callable[[], float]


class ThrottleMeter:
    """Seconds of a worker's request capacity held back.

    While ``k`` requests are held back (waiting out a 429 / 503, waiting for the request
    rate, waiting for a slot of a window the server's rejections narrowed) the meter runs at
    ``min(1, k / capacity)`` seconds per second: a worker whose every slot waits counts in
    full, one request of 256 waiting counts 1/256. Updated on the client's event loop and
    drained from DoFn threads, hence the lock.
    """

    def __init__(self, capacity: int, clock: Clock = time.monotonic) -> None:
        self._capacity = max(1, capacity)
        self._clock = clock
        self._lock = threading.Lock()
        self._held = 0
        self._since = clock()
        self._total_s = 0.0
        self._reported_s = 0

    def _advance(self) -> None:
        now = self._clock()
        self._total_s += (now - self._since) * min(1.0, self._held / self._capacity)
        self._since = now

    @contextlib.contextmanager
    def holding(self, held: bool = True) -> Iterator[None]:
        """Counts one request as held back for the duration of the block (if ``held``)."""
        if not held:
            yield
            return
        with self._lock:
            self._advance()
            self._held += 1
        try:
            yield
        finally:
            with self._lock:
                self._advance()
                self._held -= 1

    def total_s(self) -> float:
        with self._lock:
            self._advance()
            return self._total_s

    def take_whole_seconds(self) -> int:
        """Whole seconds not taken before (Beam counters are integers); fractions carry over."""
        with self._lock:
            self._advance()
            whole = int(self._total_s) - self._reported_s
            self._reported_s += whole
            return whole


class RequestPacer:
    """Spaces request starts at least ``1 / per_s`` apart, without bursts: in any ``T``
    seconds at most ``per_s * T + 1`` requests start."""

    def __init__(self, per_s: float, clock: Clock = time.monotonic) -> None:
        self._interval_s = 1.0 / per_s
        self._clock = clock
        self._next = -math.inf

    def reserve(self) -> float:
        """Seconds the caller waits before its request goes out (0: at once)."""
        now = self._clock()
        start = max(now, self._next)
        self._next = start + self._interval_s
        return start - now


def reject_probability(answered: int, accepted: int, overload_ratio: float = OVERLOAD_RATIO) -> float:
    """Beam's ``AdaptiveThrottler`` formula: ``max(0, (answered - K * accepted) / (answered + 1))``."""
    return max(0.0, (answered - overload_ratio * accepted) / (answered + 1))


def narrowed_window(size: int, reject_p: float) -> int:
    """The in-flight window a rejection probability leaves of ``size`` (at least one request)."""
    return max(1, math.ceil(size * (1.0 - reject_p)))


class AdaptiveLimit:
    """The in-flight window for the server's recent answers: ``size`` while it accepts work,
    narrower while it rejects it (429 / 503), back to ``size`` as rejections age out."""

    def __init__(
        self,
        size: int,
        enabled: bool = True,
        window_s: float = REJECT_WINDOW_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.size = size
        self._enabled = enabled
        self._window_s = window_s
        self._clock = clock
        self._answers: deque[tuple[float, bool]] = deque()
        self._accepted = 0

    def record(self, accepted: bool) -> None:
        """One answer from the server: ``accepted`` unless it was a 429 or 503."""
        if self._enabled:
            self._answers.append((self._clock(), accepted))
            self._accepted += int(accepted)

    def __call__(self) -> int:
        if not self._enabled:
            return self.size
        horizon = self._clock() - self._window_s
        while self._answers and self._answers[0][0] < horizon:
            self._accepted -= int(self._answers.popleft()[1])
        return narrowed_window(self.size, reject_probability(len(self._answers), self._accepted))


class InFlightWindow:
    """An asyncio semaphore whose size is ``limit()`` at each moment (first come, first served).

    A narrower limit takes no slot away from a request on the wire; it only holds back the
    next ones. Releasing never suspends, so a request that ends hands its slot on at once.
    """

    def __init__(self, limit: Callable[[], int]) -> None:
        self._limit = limit
        self._in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def narrowed(self, size: int) -> bool:
        return self._limit() < size

    async def acquire(self) -> None:
        if not self._waiters and self._in_use < self._limit():
            self._in_use += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._hand_over()  # the limit may have grown since the last release
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed a slot, then cancelled
                self.release()
            raise

    def release(self) -> None:
        self._in_use -= 1
        self._hand_over()

    def _hand_over(self) -> None:
        while self._waiters and self._in_use < self._limit():
            waiter = self._waiters.popleft()
            if not waiter.done():  # cancelled waiters are skipped
                self._in_use += 1
                waiter.set_result(None)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self.acquire()
        try:
            yield
        finally:
            self.release()
