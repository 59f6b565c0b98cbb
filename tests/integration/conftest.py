"""Fixtures for transport integration tests: the node SMSC, a collecting sink, started transports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from motcua.messaging.transports.base import DeliveryReport, IncomingSMS
from motcua.messaging.transports.smpp import SmppTransport
from tests.peers.smsc import NodeSMSC


class CollectingSink:
    """A ReportSink that keeps everything and lets a test wait for it (the transport calls from its thread)."""

    def __init__(self) -> None:
        self.reports: list[DeliveryReport] = []
        self.incoming_sms: list[IncomingSMS] = []
        self._cond = threading.Condition()

    def delivery_report(self, report: DeliveryReport) -> None:
        with self._cond:
            self.reports.append(report)
            self._cond.notify_all()

    def incoming(self, sms: IncomingSMS) -> None:
        with self._cond:
            self.incoming_sms.append(sms)
            self._cond.notify_all()

    def wait_reports(self, n: int, timeout: float = 10.0) -> list[DeliveryReport]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.reports) >= n, timeout)
            return list(self.reports)

    def wait_incoming(self, n: int, timeout: float = 10.0) -> list[IncomingSMS]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.incoming_sms) >= n, timeout)
            return list(self.incoming_sms)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def smsc() -> Iterator[NodeSMSC]:
    with NodeSMSC() as peer:
        yield peer


@pytest.fixture
def sink() -> CollectingSink:
    return CollectingSink()


@pytest.fixture
def make_transport(smsc: NodeSMSC, sink: CollectingSink) -> Iterator[Callable[..., SmppTransport]]:
    """Build, start and (unless bound=False) wait for the bind of a transport; stopped after the test."""
    started: list[SmppTransport] = []

    def make(bound: bool = True, **params: object) -> SmppTransport:
        params.setdefault("name", "test-smsc")
        transport = SmppTransport.from_url(smsc.url(**params))
        transport.start(sink)
        started.append(transport)
        if bound:
            assert wait_until(transport.is_up), transport.state()
        return transport

    yield make
    for transport in started:
        transport.stop()
