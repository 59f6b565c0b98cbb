"""The pace of submit_sm on one bind: ``tps`` in any one second, and half that for a while after the
SMSC says it is overwhelmed."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

#: The span in which at most ``rate`` submits leave. A little over a second: a submit leaves a few
#: milliseconds after its turn when the machine is busy, and the one ``rate`` submits later may not,
#: while the SMSC counts by arrival. 2 % of the rate buys that margin.
SECOND = 1.02


class SendRate:
    """At most ``rate`` submits in any ``SECOND``: each waits until the one ``rate`` submits before it
    left a second ago.

    Why a sliding second. A telco states a bind's cap as submits a second and counts them in a
    window of one second, sliding or per clock second (which allows no more); the submit beyond is
    answered ``ESME_RTHROTTLED``. And the worker hands a bind one batch at a time, pausing between
    two to store one batch's outcomes and claim the next: whatever a pause left unsent within the
    second is sent at once by the next batch, so a bind still sends its cap.

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
        self.slow_until = 0.0
        self.last_halved = float("-inf")
        self.departures: deque[float] = deque(maxlen=max(1, int(rate)))  # of the last ``rate`` submits

    def slow_down(self) -> None:
        """The SMSC answered throttled, queue full or system error."""
        now = self.clock()
        if self.base_rate <= 0 or now - self.last_halved < 1.0:
            return
        self.rate = max(1.0, self.rate / 2)
        self.last_halved = now
        self.slow_until = now + self.pause

    def delay(self) -> float:
        """Take a turn; return how long to wait before sending (0 if allowed now)."""
        if self.base_rate <= 0:
            return 0.0
        now = self.clock()
        if self.rate < self.base_rate and now >= self.slow_until:
            self.rate = self.base_rate
        allowed = max(1, int(self.rate))
        departure = now
        if len(self.departures) >= allowed:
            departure = max(now, self.departures[-allowed] + SECOND)
        self.departures.append(departure)
        return departure - now
