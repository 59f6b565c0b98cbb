"""The pace of submit_sm on one bind: ``tps`` a second, and half that for a while after the SMSC
says it is overwhelmed."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Paces submits to ``rate`` a second with a burst of ``max(1, rate / 20)``: 50 ms of sending.

    Why that burst. The worker hands a bind one batch at a time and pauses a few milliseconds
    between two (it stores one batch's outcomes and claims the next). Tokens saved up during the
    pause let the next batch catch up at once, so a bind still sends at its cap; a pause of up to
    50 ms costs no sending time. And an SMSC that enforces the same rate with a burst of ``rate/10``
    (a common setting) never throttles us: over any interval ``t`` we send at most
    ``rate·t + rate/20``, it allows ``rate·t + rate/10``, and the difference (another 50 ms of
    sending) absorbs submits bunched together by the network on their way.

    Why the halving. ``ESME_RTHROTTLED``, ``ESME_RMSGQFUL`` and ``ESME_RSYSERR`` mean the SMSC is
    taking less than we send (its cap is lower than configured, or it is busy): the rate is halved
    (at most once a second: a whole window of such responses is one signal) and goes back to
    ``tps`` after ``pause`` seconds without another.

    ``rate`` 0 means no cap (benchmarks only). ``clock`` is injected so tests can move time.
    """

    def __init__(self, rate: float, pause: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.base_rate = rate
        self.rate = rate
        self.pause = pause
        self.clock = clock
        self.capacity = max(1.0, rate / 20)
        self.tokens = self.capacity
        self.updated = clock()
        self.slow_until = 0.0
        self.last_halved = float("-inf")

    def slow_down(self) -> None:
        """The SMSC answered throttled, queue full or system error."""
        now = self.clock()
        if self.base_rate <= 0 or now - self.last_halved < 1.0:
            return
        self.rate = max(1.0, self.rate / 2)
        self.last_halved = now
        self.slow_until = now + self.pause

    def delay(self) -> float:
        """Take a token; return how long to wait before sending (0 if allowed now)."""
        if self.base_rate <= 0:
            return 0.0
        now = self.clock()
        if self.rate < self.base_rate and now >= self.slow_until:
            self.rate = self.base_rate
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate
