"""The token bucket of a bind, on a clock the test moves: no sleeping."""

from __future__ import annotations

import random

import pytest

from motcua.messaging.transports.smpp.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_times(rate: float, batches: int, window: int, pause: float, seed: int = 0) -> list[float]:
    """When each submit leaves, as the client sends: every message of a batch takes its token at
    once and waits its delay; the next batch starts a pause (0..``pause``) after the last one left."""
    clock, rng = Clock(), random.Random(seed)
    bucket = TokenBucket(rate, pause=10, clock=clock)
    times: list[float] = []
    for _ in range(batches):
        delays = [bucket.delay() for _ in range(window)]
        times += [clock.now + d for d in delays]
        clock.now += max(delays) + rng.uniform(0, pause)
    return times


def smsc_throttles(arrivals: list[float], rate: float, burst: float) -> int:
    """How many submits an SMSC enforcing ``rate`` with a bucket of ``burst`` would throttle."""
    tokens, last, throttled = burst, arrivals[0], 0
    for t in arrivals:
        tokens = min(burst, tokens + (t - last) * rate)
        last = t
        if tokens >= 1 - 1e-9:
            tokens -= 1
        else:
            throttled += 1
    return throttled


@pytest.mark.parametrize(("rate", "capacity"), [(150, 7.5), (100, 5), (20, 1), (5, 1)])
def test_the_burst_is_50_ms_of_sending_and_at_least_one(rate, capacity):
    assert TokenBucket(rate, pause=10, clock=Clock()).capacity == capacity


def test_a_full_bucket_sends_its_burst_at_once_then_one_every_1_over_rate():
    bucket = TokenBucket(100, pause=10, clock=Clock())  # burst 5
    delays = [bucket.delay() for _ in range(8)]
    assert delays[:5] == [0, 0, 0, 0, 0]
    assert delays[5:] == pytest.approx([0.01, 0.02, 0.03])


def test_pauses_of_up_to_50_ms_between_batches_cost_no_sending_time():
    rate, window, batches = 150, 10, 300
    times = send_times(rate, batches, window, pause=0.05)
    elapsed = times[-1] - times[0]
    ideal = (window * batches - 1) / rate
    assert elapsed <= ideal  # the tokens saved during each pause are spent at once on the next batch


def test_a_one_token_bucket_would_lose_the_pauses():
    """Guards the test above: with no burst, the same pauses add up."""
    clock = Clock()
    bucket = TokenBucket(150, pause=10, clock=clock)
    bucket.capacity = bucket.tokens = 1.0
    start = clock.now
    for _ in range(300):
        clock.now += max(bucket.delay() for _ in range(10)) + 0.05
    assert clock.now - start > 3000 / 150 + 5


@pytest.mark.parametrize("seed", range(5))
def test_an_smsc_capping_the_same_rate_with_a_burst_of_rate_over_10_never_throttles(seed):
    rate = 150
    sent = send_times(rate, 300, 10, pause=0.2, seed=seed)
    rng = random.Random(seed)
    arrivals: list[float] = []
    for t in sent:  # the network delays each submit by up to 40 ms, keeping their order
        arrivals.append(max(arrivals[-1] if arrivals else 0.0, t + rng.uniform(0, 0.04)))
    assert smsc_throttles(arrivals, rate, burst=rate / 10) == 0
    assert smsc_throttles(arrivals, rate, burst=rate / 40) > 0  # a tighter SMSC would: the check can fail


def test_throttling_halves_the_rate_once_a_second_until_the_pause_is_over():
    clock = Clock()
    bucket = TokenBucket(100, pause=10, clock=clock)
    bucket.slow_down()
    bucket.slow_down()  # the rest of the same window of throttled responses
    assert bucket.rate == 50
    clock.now += 1.0
    bucket.slow_down()
    assert bucket.rate == 25
    clock.now += 9.9
    bucket.delay()
    assert bucket.rate == 25
    clock.now += 0.2  # 10 s after the last halving
    bucket.delay()
    assert bucket.rate == 100


def test_the_rate_never_falls_below_one_a_second():
    clock = Clock()
    bucket = TokenBucket(3, pause=10, clock=clock)
    for _ in range(5):
        bucket.slow_down()
        clock.now += 1
    assert bucket.rate == 1


def test_rate_0_means_no_cap_and_no_halving():
    bucket = TokenBucket(0, pause=10, clock=Clock())
    bucket.slow_down()
    assert [bucket.delay() for _ in range(1000)] == [0.0] * 1000
    assert bucket.rate == 0
