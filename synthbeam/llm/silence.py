"""Request timeouts that tell a hung server from a slow one.

A CPU server with a full batch can take minutes to finish any one request, but it keeps
finishing some; a hung server finishes none. So an in-flight request is abandoned once the
server has answered nothing -- neither it nor any other request -- for ``limit_s`` since
the request went out, not once the request alone has taken ``limit_s``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any


class SilenceTimer:
    """When the server last answered; shared by all requests of one client."""

    def __init__(self, limit_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit_s = limit_s
        self._clock = clock
        self._last_answer = -math.inf

    def now(self) -> float:
        return self._clock()

    def heard(self) -> None:
        """The server answered a request (any answer, even an error)."""
        self._last_answer = self._clock()

    def silent_for(self, since: float) -> float:
        """Seconds without an answer, counting from ``since`` at the earliest."""
        return self._clock() - max(since, self._last_answer)

    async def wait(self, pending: asyncio.Future[Any], since: float) -> bool:
        """Waits for ``pending``; True when it finished, False when it was cancelled because
        the server stayed silent for ``limit_s`` (counted from ``since``)."""
        try:
            while True:
                left = self.limit_s - self.silent_for(since)
                if left <= 0:
                    pending.cancel()
                    await asyncio.wait({pending})
                    return pending.done() and not pending.cancelled()
                done, _ = await asyncio.wait({pending}, timeout=left)
                if done:
                    return True
        finally:
            if not pending.done():  # the waiter itself was cancelled
                pending.cancel()
