"""The built-in phone simulator: every message "reaches the phone" at once.

Used by ``motcua demo`` and the tests. Sent messages are visible at ``/simulator`` (they are the
``Message`` rows sent through this connection), where one can also type an MO as a citizen would.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from concurrent.futures import Future
from urllib.parse import parse_qs, urlsplit

from motcua.messaging.transports.base import (
    DeliveryReport,
    OutgoingSMS,
    ReportSink,
    SendResult,
    Transport,
    done,
)


class SimTransport(Transport):
    scheme = "sim"
    simulated = True
    batch_size = 500  # nothing leaves the process: no telco can have accepted what a crash did not record

    def __init__(self, name: str = "sim", fail_numbers: Sequence[str] = ()) -> None:
        self.name = name
        self.fail_numbers = set(fail_numbers)  # numbers that "never receive" (undelivered), for demos and tests
        self._sink: ReportSink | None = None
        self._ids = itertools.count(1)
        self.sent = 0

    @classmethod
    def from_url(cls, url: str) -> SimTransport:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        name = query.get("name", [parts.netloc or "sim"])[0]
        return cls(name=name, fail_numbers=query.get("fail", []))

    def start(self, sink: ReportSink) -> None:
        self._sink = sink

    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        results = []
        for sms in batch:
            remote_id = f"sim{sms.message_id}-{next(self._ids)}"
            results.append(SendResult(sms.message_id, True, (remote_id,)))
            self.sent += 1
        if self._sink is not None:
            for sms, result in zip(batch, results, strict=True):
                status = "undelivered" if sms.to in self.fail_numbers else "delivered"
                self._sink.delivery_report(DeliveryReport(result.remote_ids[0], status, self.name))
        return done(results)

    def state(self) -> dict:
        return {**super().state(), "sent": self.sent}
