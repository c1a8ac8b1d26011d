"""Server time per request: how long it was at the server, and its share of the server's time.

A server that batches answers many requests at once, so the time requests spend there,
summed (``seconds``), counts the same second once per request in flight. Each request's
share (``share``) splits every moment the server holds at least one request equally among
the requests it holds then (processor sharing); the shares of all requests add up to the
time the server was busy with them, which is what a GPU-hour pays for.

``ServerTime`` tracks one client's requests, on one event loop (no locks): ``enter`` when a
request goes to the server, ``leave`` when its answer is in or it is abandoned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Spent:
    """What one request spent at the server, over all its attempts."""

    seconds: float = 0.0  # from sending to the answer (or to giving up), summed over attempts
    share: float = 0.0  # its share of the time the server was busy with this client's requests


@dataclass(frozen=True)
class Visit:
    """One attempt in progress: when it started, on the wall clock and on the shared clock."""

    started: float
    shared_started: float


class ServerTime:
    """The shared clock: ``shared`` grows by ``dt / n`` while ``n`` requests are in flight."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._in_flight = 0
        self._last = clock()
        self._shared = 0.0

    def _advance(self) -> float:
        now = self._clock()
        if self._in_flight:
            self._shared += (now - self._last) / self._in_flight
        self._last = now
        return now

    def enter(self) -> Visit:
        now = self._advance()
        self._in_flight += 1
        return Visit(now, self._shared)

    def leave(self, visit: Visit, spent: Spent) -> None:
        """Adds the attempt that began with ``visit`` to ``spent``."""
        now = self._advance()
        self._in_flight -= 1
        spent.seconds += now - visit.started
        spent.share += self._shared - visit.shared_started

    @property
    def in_flight(self) -> int:
        return self._in_flight
