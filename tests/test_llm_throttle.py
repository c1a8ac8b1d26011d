"""Throttle bookkeeping on a fake clock: throttled time, request pacing, the adaptive window."""

from __future__ import annotations

import asyncio

import pytest

from synthbeam.llm.throttle import (
    AdaptiveLimit,
    InFlightWindow,
    RequestPacer,
    ThrottleMeter,
    narrowed_window,
    reject_probability,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_meter_counts_the_share_of_the_capacity_held_back() -> None:
    clock = FakeClock()
    meter = ThrottleMeter(capacity=4, clock=clock)
    with meter.holding():
        clock.now += 8  # one request of 4 held: a quarter of each second
        with meter.holding(), meter.holding(), meter.holding(), meter.holding():
            clock.now += 2  # five held, capped at the whole capacity
    clock.now += 100  # nothing held
    assert meter.total_s() == pytest.approx(8 / 4 + 2)


def test_meter_ignores_blocks_that_hold_nothing() -> None:
    clock = FakeClock()
    meter = ThrottleMeter(capacity=1, clock=clock)
    with meter.holding(False):
        clock.now += 10
    assert meter.total_s() == 0


def test_meter_hands_out_whole_seconds_and_keeps_the_fraction() -> None:
    clock = FakeClock()
    meter = ThrottleMeter(capacity=1, clock=clock)
    with meter.holding():
        clock.now += 1.6
        assert meter.take_whole_seconds() == 1
        clock.now += 0.6
    assert meter.take_whole_seconds() == 1  # 2.2 in all
    assert meter.take_whole_seconds() == 0


def test_pacer_spaces_starts_without_bursts() -> None:
    clock = FakeClock()
    pacer = RequestPacer(per_s=4, clock=clock)
    assert [pacer.reserve() for _ in range(4)] == pytest.approx([0, 0.25, 0.5, 0.75])
    clock.now += 10  # idle time is not saved up for a burst
    assert [pacer.reserve() for _ in range(2)] == pytest.approx([0, 0.25])


def test_reject_probability_is_beams_formula() -> None:
    assert reject_probability(answered=0, accepted=0) == 0
    assert reject_probability(answered=10, accepted=10) == 0
    assert reject_probability(answered=10, accepted=5) == 0  # K = 2: half rejected is tolerated
    assert reject_probability(answered=9, accepted=0) == pytest.approx(0.9)
    assert narrowed_window(256, 0.9) == 26 and narrowed_window(256, 0) == 256 and narrowed_window(4, 0.999) == 1


def test_adaptive_limit_narrows_while_the_server_rejects_and_recovers_after() -> None:
    clock = FakeClock()
    limit = AdaptiveLimit(100, window_s=60, clock=clock)
    for _ in range(3):
        limit.record(accepted=True)
    assert limit() == 100
    for _ in range(30):
        limit.record(accepted=False)
    narrowed = limit()
    assert 1 <= narrowed < 30  # 30 of 33 rejected
    clock.now += 61  # the rejections age out
    assert limit() == 100


def test_a_disabled_adaptive_limit_never_narrows() -> None:
    limit = AdaptiveLimit(8, enabled=False)
    for _ in range(50):
        limit.record(accepted=False)
    assert limit() == 8


def test_window_holds_requests_beyond_its_limit_first_come_first_served() -> None:
    async def main() -> list[int]:
        size = [2]
        window = InFlightWindow(lambda: size[0])
        order: list[int] = []
        active = 0
        peak = 0

        async def request(i: int) -> None:
            nonlocal active, peak
            async with window.slot():
                active += 1
                peak = max(peak, active)
                order.append(i)
                await asyncio.sleep(0.01)
                active -= 1

        await asyncio.gather(*(request(i) for i in range(6)))
        assert peak == 2
        size[0] = 1  # narrowed: one at a time from now on
        peak = 0
        await asyncio.gather(*(request(i) for i in range(6, 10)))
        assert peak == 1
        return order

    assert asyncio.run(main()) == list(range(10))


def test_a_cancelled_waiter_gives_its_slot_to_the_next() -> None:
    async def main() -> None:
        window = InFlightWindow(lambda: 1)
        await window.acquire()
        cancelled = asyncio.ensure_future(window.acquire())
        after = asyncio.ensure_future(window.acquire())
        await asyncio.sleep(0)
        cancelled.cancel()
        window.release()
        await asyncio.wait_for(after, timeout=5)
        window.release()
        await asyncio.wait_for(window.acquire(), timeout=5)  # nothing leaked

    asyncio.run(main())
