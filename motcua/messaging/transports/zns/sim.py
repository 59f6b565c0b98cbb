"""A simulated ZNS connection for the demo: every template "reaches Zalo" at once, except to the numbers
given as ``refuse=`` (answered like "Zalo account not existed", so the SMS fallback can be shown).

    MOTCUA_SMS_URL="sim:// znssim://?refuse=84912345678"

The phone simulator (``/simulator``) shows its messages as Zalo bubbles.
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

NO_ZALO = "ZNS -118 Zalo account not existed"


class ZnsSimTransport(Transport):
    scheme = "znssim"
    channel = "zns"
    simulated = True
    batch_size = 500

    def __init__(self, name: str = "zalo", refuse: Sequence[str] = ()) -> None:
        self.name = name
        self.refuse = set(refuse)
        self._sink: ReportSink | None = None
        self._ids = itertools.count(1)
        self.sent = 0

    @classmethod
    def from_url(cls, url: str) -> ZnsSimTransport:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        return cls(name=query.get("name", [parts.netloc or "zalo"])[0],
                   refuse=[n for v in query.get("refuse", []) for n in v.split(",") if n])

    def start(self, sink: ReportSink) -> None:
        self._sink = sink

    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        results = []
        for sms in batch:
            if sms.to in self.refuse:
                results.append(SendResult(sms.message_id, False, error=NO_ZALO))
                continue
            results.append(SendResult(sms.message_id, True, (f"zsim{sms.message_id}-{next(self._ids)}",)))
            self.sent += 1
        if self._sink is not None:
            for result in results:
                if result.ok:
                    self._sink.delivery_report(DeliveryReport(result.remote_ids[0], "delivered", self.name))
        return done(results)

    def state(self) -> dict:
        return {**super().state(), "sent": self.sent}
