"""The silence breaker's bookkeeping on a fake clock."""

from __future__ import annotations

from synthbeam.llm.breaker import SilenceBreaker, silence_limit_s


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_is_one_whole_request_budget_and_one_timeout_more() -> None:
    assert silence_limit_s(max_attempts=4, request_timeout_s=180) == 900
    assert silence_limit_s(max_attempts=1, request_timeout_s=2) == 4


def test_only_silence_with_requests_on_the_wire_counts() -> None:
    clock = FakeClock()
    breaker = SilenceBreaker(10, clock=clock)
    clock.now += 100  # idle: nothing asked, nothing to hear
    with breaker.on_wire(), breaker.on_wire():
        clock.now += 4  # two on the wire count once
    clock.now += 100  # waiting for a restart, say
    with breaker.on_wire():
        clock.now += 3
    assert breaker.silent_s() == 7
    assert not breaker.check() and not breaker.tripped


def test_any_answer_resets_the_silence() -> None:
    clock = FakeClock()
    breaker = SilenceBreaker(10, clock=clock)
    with breaker.on_wire():
        clock.now += 9
        breaker.heard()
        clock.now += 9
    assert breaker.silent_s() == 9 and not breaker.check()


def test_it_trips_once_and_stays_tripped() -> None:
    clock = FakeClock()
    breaker = SilenceBreaker(10, clock=clock)
    with breaker.on_wire():
        clock.now += 10
    assert breaker.check() and breaker.tripped
    breaker.heard()
    assert not breaker.check() and breaker.tripped  # trips once: one log line
