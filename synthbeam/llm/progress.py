"""Throttled progress lines for a stream of LLM requests (never one line per request).

Every ``Progress`` of this process is listed by ``live()``: a terminal display in the process
that runs the pipeline (the DirectRunner's) reads their ``snapshot()``s.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass

logger = logging.getLogger("synthbeam.llm")

LOG_EVERY_S = 10.0
_LIVE: weakref.WeakSet[Progress] = weakref.WeakSet()


def live() -> list[Progress]:
    """Every ``Progress`` of this process still in use."""
    return list(_LIVE)


@dataclass(frozen=True)
class Snapshot:
    """One moment's counts of a ``Progress``; ``generating_s``: seconds since the server answered."""

    submitted: int = 0
    finished: int = 0
    cached: int = 0
    failed: int = 0
    completion_tokens: int = 0
    generating_s: float = 0.0


class Progress:
    """Counts submitted / finished requests and output tokens; logs at most every 10 s."""

    def __init__(self, every_s: float = LOG_EVERY_S) -> None:
        self._every_s = every_s
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._ready_at: float | None = None
        self._last_log = self._started
        self.submitted = 0
        self.finished = 0
        self.cached = 0
        self.failed = 0
        self.completion_tokens = 0
        _LIVE.add(self)

    def snapshot(self) -> Snapshot:
        with self._lock:
            ready = self._ready_at
            generating = time.monotonic() - ready if ready is not None else 0.0
            return Snapshot(self.submitted, self.finished, self.cached, self.failed, self.completion_tokens, generating)

    def ready(self) -> None:
        """The server answers: rates are measured from here, not from the server's start."""
        with self._lock:
            self._ready_at = self._ready_at or time.monotonic()

    def submit(self) -> None:
        with self._lock:
            self.submitted += 1

    def finish(self, completion_tokens: int, cached: bool, failed: bool) -> None:
        with self._lock:
            self.finished += 1
            self.cached += int(cached)
            self.failed += int(failed)
            self.completion_tokens += completion_tokens
            now = time.monotonic()
            if now - self._last_log < self._every_s:
                return
            self._last_log = now
            line = self.summary(now)
        logger.info("%s", line)

    def summary(self, now: float | None = None) -> str:
        now = now or time.monotonic()
        elapsed = max(now - self._started, 1e-9)
        generating = max(now - (self._ready_at or self._started), 1e-9)
        pending = self.submitted - self.finished
        line = (
            f"LLM requests {self.finished}/{self.submitted} done ({self.cached} cached, {self.failed} failed), "
            f"{self.completion_tokens / generating:.1f} output tok/s, {elapsed:.0f} s elapsed"
        )
        per_request = generating / max(self.finished - self.cached, 1)
        if pending and self.finished > self.cached:
            line += f", ~{pending * per_request:.0f} s left for those submitted"
        return line
