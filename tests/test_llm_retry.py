from __future__ import annotations

import email.utils
import random

import pytest

from synthbeam.llm import retry


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (400, False),
        (401, False),
        (404, False),
        (422, False),
        (200, False),
    ],
)
def test_only_5xx_and_429_are_retried(status: int, retryable: bool) -> None:
    assert retry.is_retryable_status(status) is retryable


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(0)
    for attempt in range(12):
        ceiling = min(retry.MAX_DELAY_S, retry.BASE_DELAY_S * 2**attempt)
        delays = [retry.backoff_delay(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # jitter really spreads retries
    assert retry.backoff_delay(1000, rng) <= retry.MAX_DELAY_S


def test_retry_after_seconds_and_http_date() -> None:
    assert retry.parse_retry_after("3") == 3.0
    assert retry.parse_retry_after(" 0.5 ") == 0.5
    assert retry.parse_retry_after("-4") == 0.0
    assert retry.parse_retry_after("99999") == retry.MAX_RETRY_AFTER_S
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert retry.parse_retry_after(date, now=now) == pytest.approx(7.0, abs=1.0)
    for junk in (None, "", "soon", "nan"):
        assert retry.parse_retry_after(junk) is None


def test_retry_after_wins_over_backoff() -> None:
    rng = random.Random(1)
    assert retry.retry_delay(5, 2.0, rng) == 2.0
    assert retry.retry_delay(0, None, rng) <= retry.BASE_DELAY_S


def test_retry_after_that_parses_as_a_date_but_is_not_one_is_unreadable() -> None:
    for junk in ("Mon, 32 Jan 2024 10:00:00 GMT", "Mon, 10 Jan 2024 25:61:00 GMT", "Mon, 10 Jan 99999 10:00:00 GMT"):
        assert retry.parse_retry_after(junk) is None
        assert retry.unreadable_retry_after(junk)
    for fine in (None, "", " ", "3", "Wed, 21 Oct 2015 07:28:00 GMT"):
        assert not retry.unreadable_retry_after(fine)
    assert retry.unreadable_retry_after("soon")
