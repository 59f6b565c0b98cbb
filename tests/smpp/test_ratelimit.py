"""The pace of a bind, on a clock the test moves: no sleeping."""

from __future__ import annotations

import random

import pytest

from motcua.messaging.transports.smpp.ratelimit import SECOND, SendRate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_times(rate: float, batches: int, window: int, pause: float, seed: int = 0) -> list[float]:
    """When each submit leaves, as the client sends: every message of a batch takes its turn at
    once and waits its delay; the next batch starts a pause (0..``pause``) after the last one left."""
    clock, rng = Clock(), random.Random(seed)
    limit = SendRate(rate, pause=10, clock=clock)
    times: list[float] = []
    for _ in range(batches):
        delays = [limit.delay() for _ in range(window)]
        times += [clock.now + d for d in delays]
        clock.now += max(delays) + rng.uniform(0, pause)
    return times


def most_in_one_second(arrivals: list[float]) -> int:
    """The most submits an SMSC counting a sliding second sees in one."""
    most, first = 0, 0
    for last, t in enumerate(arrivals):
        while arrivals[first] <= t - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("pause", [0.0, 0.05, 0.3])
def test_never_more_than_rate_submits_in_any_second(seed, pause):
    rate = 150
    sent = send_times(rate, 300, 10, pause=pause, seed=seed)
    rng = random.Random(seed)
    arrivals: list[float] = []
    for t in sent:  # a submit leaves up to 15 ms after its turn, keeping their order
        arrivals.append(max(arrivals[-1] if arrivals else 0.0, t + rng.uniform(0, 0.015)))
    assert most_in_one_second(arrivals) <= rate


@pytest.mark.parametrize("pause", [0.05, 0.08])
def test_pauses_between_batches_cost_no_sending_time(pause):
    """Batches of 10 that take 67 ms at the rate, with pauses of up to ``pause`` (longer than a batch)
    between them: what a pause leaves unsent within the second is sent by the next batch, so 3,000
    submits take the time of 3,000 at the rate (longer by the margin)."""
    rate, window, batches = 150, 10, 300
    times = send_times(rate, batches, window, pause=pause)
    assert times[-1] - times[0] <= (window * batches / rate) * SECOND


def test_a_second_s_submits_go_at_once_then_wait_for_the_next_second():
    clock = Clock()
    limit = SendRate(100, pause=10, clock=clock)
    delays = [limit.delay() for _ in range(103)]
    assert delays[:100] == [0] * 100
    assert delays[100:] == pytest.approx([SECOND] * 3)


def test_throttling_halves_the_rate_once_a_second_until_the_pause_is_over():
    clock = Clock()
    limit = SendRate(100, pause=10, clock=clock)
    limit.slow_down()
    limit.slow_down()  # the rest of the same window of throttled responses
    assert limit.rate == 50
    assert [limit.delay() for _ in range(51)][-1] == pytest.approx(SECOND)
    clock.now += 1.0
    limit.slow_down()
    assert limit.rate == 25
    clock.now += 9.9
    limit.delay()
    assert limit.rate == 25
    clock.now += 0.2  # 10 s after the last halving
    limit.delay()
    assert limit.rate == 100


def test_the_rate_never_falls_below_one_a_second():
    clock = Clock()
    limit = SendRate(3, pause=10, clock=clock)
    for _ in range(5):
        limit.slow_down()
        clock.now += 1
    assert limit.rate == 1


def test_rate_0_means_no_cap_and_no_halving():
    limit = SendRate(0, pause=10, clock=Clock())
    limit.slow_down()
    assert [limit.delay() for _ in range(1000)] == [0.0] * 1000
    assert limit.rate == 0
