"""Which failures are retried and how long to wait: pure functions, no I/O."""

from __future__ import annotations

import email.utils
import random
import time

BASE_DELAY_S = 0.5
MAX_DELAY_S = 30.0
MAX_RETRY_AFTER_S = 120.0  # a server asking for longer is treated as asking for this


def is_retryable_status(status: int) -> bool:
    """5xx and 429 are transient; every other 4xx will fail the same way again."""
    return status == 429 or 500 <= status <= 599


def is_pushback_status(status: int) -> bool:
    """429 and 503: the server is up and asks for less work (a throttle, not a failure)."""
    return status in (429, 503)


def backoff_delay(
    attempt: int,
    rng: random.Random,
    base_s: float = BASE_DELAY_S,
    cap_s: float = MAX_DELAY_S,
) -> float:
    """Capped exponential backoff with "equal jitter": a random delay in [d/2, d].

    ``attempt`` is 0 for the wait after the first failure. Jitter spreads the retries of
    requests that failed together (a server restart fails hundreds at once).
    """
    ceiling = min(cap_s, base_s * (2 ** min(attempt, 30)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None
    when the header is absent or unreadable (never raises)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        parsed = _http_date(text)
        if parsed is None:
            return None
        seconds = parsed - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def unreadable_retry_after(value: str | None) -> bool:
    """A ``Retry-After`` header that is there but says nothing usable: the server broke the protocol."""
    return bool(value and value.strip()) and parse_retry_after(value) is None


def _http_date(text: str) -> float | None:
    """The POSIX time an HTTP date names, or None: "Mon, 32 Jan 2024 ..." parses as a date
    and then fails as one, so every step is guarded."""
    try:
        if email.utils.parsedate_tz(text) is None:
            return None
        return email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def retry_delay(attempt: int, retry_after: float | None, rng: random.Random) -> float:
    """The server's Retry-After when it gave one, else jittered exponential backoff."""
    if retry_after is not None:
        return retry_after
    return backoff_delay(attempt, rng)
