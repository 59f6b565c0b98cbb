"""The one small interface every SMS connection implements.

A transport knows a protocol (simulator, SMPP, Kannel) and nothing about the database. The worker
hands it a batch of outgoing messages and gets one result per message back; delivery reports and
incoming (MO) messages flow the other way through a ``ReportSink`` the worker gives it at start.
Keeping correlation (our message id <-> the SMSC's id) in the database, not in the transport,
is what lets a crashed worker resume without losing or doubling anything.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

Encoding = Literal["gsm", "ucs2"]
ReportStatus = Literal["delivered", "undelivered", "expired", "accepted"]


@dataclass(frozen=True)
class OutgoingSMS:
    message_id: int  # our Message.pk, for logs and correlation
    to: str  # international digits without '+', e.g. "84912345678"
    text: str  # exactly what the citizen should read (already folded when encoding == "gsm")
    encoding: Encoding
    source: str | None = None  # sender: short code or brandname; None = the connection's default
    template_id: str = ""  # a template channel (Zalo ZNS) sends this approved template instead of the text
    template_data: dict | None = None


@dataclass(frozen=True)
class SendResult:
    message_id: int
    ok: bool
    remote_ids: tuple[str, ...] = ()  # one per SMS part accepted by the SMSC
    temporary: bool = False  # when not ok: True = try again later (throttled, queue full, link down)
    error: str = ""  # e.g. "ESME_RINVDSTADR (0x0B)"


@dataclass(frozen=True)
class DeliveryReport:
    remote_id: str  # id as given by the SMSC (normalised by the receiver, not here)
    status: ReportStatus
    connection: str
    at: datetime | None = None
    error: str = ""
    raw: str = ""


@dataclass(frozen=True)
class IncomingSMS:
    sender: str  # as received (normalised later)
    recipient: str  # short code, e.g. "8083"
    text: str
    connection: str
    remote_id: str = ""  # telco/gateway id, used to ignore redeliveries
    received_at: datetime | None = None
    extra: dict = field(default_factory=dict)


class ReportSink(Protocol):
    def delivery_report(self, report: DeliveryReport) -> None: ...

    def incoming(self, sms: IncomingSMS) -> None: ...


class Transport(abc.ABC):
    """A configured SMS connection. ``name`` is unique among the configured connections.

    What a connection does beyond sending is declared here, so that callers read it instead of
    probing for methods:

    * ``batch_size``: the most messages the worker hands it at once. The worker stores their
      outcomes before it hands over more, so this is also the most a worker killed with ``kill -9``
      can leave accepted by the telco but not recorded, i.e. sent twice after the restart.
    * ``reports_over_http``: delivery reports arrive at ``/sms/dlr`` (a gateway calls us), not
      through the sink.
    * ``mo_over_http``: incoming messages arrive at ``/sms/mo`` and are answered in its response.
    * ``simulated``: a phone simulator; ``/simulator`` shows what it sent and lets one type an MO.
    * ``channel``: ``sms``, or ``zns`` for Zalo ZNS: the router gives a connection only its channel's messages.
    """

    name: str
    scheme: str = ""
    batch_size: int = 10
    reports_over_http: bool = False
    mo_over_http: bool = False
    simulated: bool = False
    channel: str = "sms"

    def start(self, sink: ReportSink) -> None:  # noqa: B027 - optional hook
        """Open connections / background threads. Reports go to ``sink`` from any thread."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Close connections; must return in bounded time."""

    @abc.abstractmethod
    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        """Start sending ``batch`` and return at once. The future gives one result per message (in any
        order) and never fails: a message that could not be sent is a result with ``ok=False``. The
        worker waits on the futures of all its connections together, so binds send side by side."""

    def send(self, batch: Sequence[OutgoingSMS]) -> list[SendResult]:
        """``submit`` and wait for the results."""
        return self.submit(batch).result()

    def is_up(self) -> bool:
        return True

    def state(self) -> dict:
        """Live state for the status page: bound, last error, counters."""
        return {"name": self.name, "scheme": self.scheme, "up": self.is_up()}



def done(results: list[SendResult]) -> Future[list[SendResult]]:
    """A future that already holds ``results``: for a connection that sends synchronously."""
    future: Future[list[SendResult]] = Future()
    future.set_result(results)
    return future


def gather(futures: Sequence[Future[SendResult]]) -> Future[list[SendResult]]:
    """One future for the results of several, set when the last of them is (from whichever thread)."""
    combined: Future[list[SendResult]] = Future()
    left = len(futures)
    lock = threading.Lock()

    def one_done(_: Future) -> None:
        nonlocal left
        with lock:
            left -= 1
            last = left == 0
        if last:
            combined.set_result([f.result() for f in futures])

    if not futures:
        combined.set_result([])
    for f in futures:
        f.add_done_callback(one_done)
    return combined
