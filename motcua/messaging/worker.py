"""``motcua worker``: the one long-running loop that sends messages, applies reports and runs the daily batch.

One thread, one loop, each pass doing in order:

1. housekeeping every few seconds: requeue what a dead worker left in ``sending``, expire messages whose
   receipt never came, queue the SMS of ZNS notices not received in time, write the heartbeat, run the
   17:30 batch when it is due;
2. claim due messages (a conditional UPDATE: ``queued`` → ``sending`` with our claim token), hand each
   connection its share, wait for every connection's results together, and record them;
3. apply what came in meanwhile: incoming messages (MO), which are answered, and delivery receipts (from
   the connections, and those gateways posted to ``/sms/dlr``).

Then it waits to be woken (:mod:`motcua.messaging.wakeup`) unless there was work.

A pass claims no more than the connections take at once (their ``batch_size``: the SMPP window), so a
worker killed with ``kill -9`` leaves at most that many messages accepted by the telco but not recorded:
they are requeued after ``STUCK_AFTER`` seconds and sent a second time. That is the only way a message is
ever sent twice. Several workers share the queue: each claim takes other rows.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from motcua.messaging import ledger, zns
from motcua.messaging.batch import maybe_run_daily_batch
from motcua.messaging.connections import Router
from motcua.messaging.heartbeat import record_connection_states
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import Channel, GatewayReport, Message, MessagePart, Status
from motcua.messaging.signals import message_status_changed
from motcua.messaging.transports.base import (
    DeliveryReport,
    IncomingSMS,
    OutgoingSMS,
    SendResult,
    Transport,
    done,
)
from motcua.messaging.transports.smpp import normalise_remote_id
from motcua.messaging.wakeup import Wakeup

log = logging.getLogger(__name__)

REPORT_STATUS = {
    "delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "expired": Status.EXPIRED,
}
HOUSEKEEPING_EVERY = 5.0  # seconds
# How long a receipt for an id we do not know yet is kept and tried again. The worker stores a batch's ids
# within the batch's time (a fraction of a second), so an SMPP receipt that arrived first waits briefly;
# a report posted to /sms/dlr is stored, so it can wait longer for a message another worker is sending.
UNMATCHED_GRACE = 60.0
INBOX_GRACE = timedelta(minutes=10)
INBOX_RETRY = timedelta(seconds=5)
SEND_TIMEOUT = 120.0  # a connection that gives no result at all in this time: its messages are retried
LINK_RETRY = timedelta(seconds=5)
NO_CONNECTION = "no connection up"
NO_ZNS_CONNECTION = "no ZNS connection configured"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 600))


class Sink:
    """Receives reports and MO from the connections' threads; the worker's thread takes them."""

    def __init__(self, wakeup: Wakeup) -> None:
        self.reports: queue.SimpleQueue[DeliveryReport] = queue.SimpleQueue()
        self.incoming_sms: queue.SimpleQueue[IncomingSMS] = queue.SimpleQueue()
        self.wakeup = wakeup

    def delivery_report(self, report: DeliveryReport) -> None:
        self.reports.put(report)
        self.wakeup.set()

    def incoming(self, sms: IncomingSMS) -> None:
        self.incoming_sms.put(sms)
        self.wakeup.set()


def drain(q: queue.SimpleQueue, limit: int = 5000) -> list:
    items = []
    while len(items) < limit:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            break
    return items


class Worker:
    def __init__(
        self,
        router: Router | None = None,
        name: str | None = None,
        clock: Callable[[], datetime] = timezone.now,
        run_batch: bool = True,
    ) -> None:
        self.router = router or Router.from_setting(settings.MOTCUA["SMS_URL"])
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self.run_batch = run_batch
        self.wakeup = Wakeup()
        self.sink = Sink(self.wakeup)
        self.unmatched: list[tuple[float, DeliveryReport]] = []  # receipts whose id is not stored yet
        self.incoming_retry: list[IncomingSMS] = []
        self.last_housekeeping = 0.0
        self.started = False
        self.stats: dict[str, int] = defaultdict(int)

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if not self.started:
            for transport in self.router.transports:
                transport.start(self.sink)
            self.started = True

    def stop(self) -> None:
        for transport in self.router.transports:
            try:
                transport.stop()
            except Exception:  # stopping must not hide the other transports
                log.exception("stopping connection %s failed", transport.name)
        self.started = False

    def run_forever(self, stop: threading.Event, poll: float = 0.5) -> None:
        """Run passes until ``stop`` is set (SIGTERM). A pass that fails (the database restarted) is
        retried after two seconds on a fresh connection; nothing it held is lost (see ``tick``)."""
        self.start()
        log.info("worker %s started with connections %s", self.name, [t.name for t in self.router.transports])
        stopper = threading.Thread(target=lambda: (stop.wait(), self.wakeup.set()), daemon=True)
        stopper.start()
        try:
            while not stop.is_set():
                try:
                    busy = self.tick()
                except Exception:  # a database restart must not kill the worker
                    log.exception("worker pass failed; retrying")
                    close_old_connections()
                    connection.close()
                    stop.wait(2)
                    continue
                if not busy and not stop.is_set():
                    self.wait(poll)
        finally:
            self.stop()
            self.wakeup.close()

    def wait(self, poll: float) -> None:
        try:
            self.wakeup.wait(poll)
        except Exception:  # the database went away while we listened: the next pass says so
            log.warning("waiting for work failed", exc_info=True)
            connection.close()
            time.sleep(poll)

    def tick(self) -> int:
        """One pass; returns how much work was done (0 = idle)."""
        self.start()
        if time.monotonic() - self.last_housekeeping >= HOUSEKEEPING_EVERY:
            self.housekeeping()
            self.last_housekeeping = time.monotonic()
        claimed = self.claim()
        if claimed:
            self.send(claimed)
        return len(claimed) + self.process_incoming() + self.process_reports()

    # --- sending -----------------------------------------------------------------------------

    def claim(self, limit: int | None = None) -> list[Message]:
        """Due messages, as many as the connections that are up take at once (see the module docstring)."""
        if limit is None:
            up = [t for t in self.router.transports if t.is_up()] or self.router.transports
            limit = sum(t.batch_size for t in up)
        return ledger.claim(uuid.uuid4().hex, self.clock(), max(1, limit))

    def send(self, messages: list[Message]) -> None:
        """Hand each connection its messages, wait for all of them, record each connection's results."""
        groups: dict[str, list[Message]] = defaultdict(list)
        unroutable: list[Message] = []
        for message in messages:
            transport = self.router.choose(message.to, message.preferred_connection, message.channel)
            (groups[transport.name] if transport else unroutable).append(message)
        if unroutable:
            self.record("", unroutable, [self.unroutable(m) for m in unroutable])
        pending: list[tuple[Transport, list[Message], Future[list[SendResult]]]] = []
        over: list[Message] = []
        for name, group in groups.items():
            transport = self.router.by_name[name]
            # Never more than a connection takes at once, even when one channel got most of the claim
            # (ZNS messages claimed in a pass sized for SMS too): that is the bound on doubles after a kill.
            group, rest = group[:transport.batch_size], group[transport.batch_size:]
            over += rest
            batch = [
                OutgoingSMS(m.pk, m.to, m.text, m.encoding, template_id=m.template_id,  # type: ignore[arg-type]
                            template_data=m.template_data)
                for m in group
            ]
            try:
                future = transport.submit(batch)
            except Exception as e:  # a broken connection must not lose the batch
                log.exception("connection %s refused a batch of %d", transport.name, len(batch))
                future = done([SendResult(m.pk, False, temporary=True, error=type(e).__name__) for m in group])
            pending.append((transport, group, future))
        if over:
            ledger.release(over)
        deadline = time.monotonic() + SEND_TIMEOUT
        for transport, group, future in pending:
            try:
                results = future.result(timeout=max(deadline - time.monotonic(), 0))
            except FutureTimeout:
                log.error("connection %s gave no result for %d messages in %.0fs", transport.name, len(group),
                          SEND_TIMEOUT)
                results = []
            self.record(transport.name, group, results)

    def unroutable(self, message: Message) -> SendResult:
        """No connection for it: a ZNS notice without any ZNS connection goes by SMS; the rest wait."""
        if message.channel == Channel.ZNS and not self.router.has_channel(Channel.ZNS):
            return SendResult(message.pk, False, error=NO_ZNS_CONNECTION)
        return SendResult(message.pk, False, temporary=True, error=NO_CONNECTION)

    def record(self, connection_name: str, messages: list[Message], results: list[SendResult]) -> None:
        """Store what happened to each message. A message without a result is retried, never lost."""
        now = self.clock()
        by_id = {m.pk: m for m in messages}
        out = ledger.Outcomes()
        max_attempts = settings.MOTCUA["MAX_ATTEMPTS"]

        def give_up(message: Message, error: str) -> None:
            # A ZNS attempt that cannot go on is not the end of the notice: its SMS goes instead.
            (out.fallback if message.channel == Channel.ZNS else out.failed)[error[:255] or "failed"].append(message.pk)

        def retry(message: Message, error: str) -> None:
            if message.attempts < max_attempts:
                out.retry[(now + backoff(message.attempts), error[:255])].append(message.pk)
            else:
                give_up(message, error)

        for result in results:
            message = by_id.pop(result.message_id, None)
            if message is None:
                continue
            if result.ok:
                out.sent.append(message.pk)
                out.parts.extend((message.pk, normalise_remote_id(rid)) for rid in result.remote_ids)
            elif result.temporary and result.error == NO_CONNECTION:
                # Every connection was down, so nothing was even tried: that must not use up MAX_ATTEMPTS,
                # or a telco outage longer than the backoff series would fail every queued notice for good.
                out.retry_free[(now + LINK_RETRY, result.error)].append(message.pk)
            elif result.temporary:
                retry(message, result.error)
            else:
                give_up(message, result.error)
        for message in by_id.values():
            retry(message, "no result from connection")
        ledger.record(connection_name, {m.claim for m in messages}, out, now)
        self.stats["sent"] += len(out.sent)
        self.stats["failed"] += sum(len(ids) for ids in out.failed.values())
        self.stats["zns_fallbacks"] += sum(len(ids) for ids in out.fallback.values())
        for error, ids in out.failed.items():
            log.warning("messages failed permanently on %s: %s (%d)", connection_name, error, len(ids))

    # --- what comes in -------------------------------------------------------------------------

    def process_reports(self) -> int:
        return self.apply_sink_reports() + self.apply_inbox()

    def apply_sink_reports(self) -> int:
        """Apply the receipts the connections received; keep those not matched yet for a while."""
        now_mono = time.monotonic()
        fresh = drain(self.sink.reports)
        pending = [(now_mono, r) for r in fresh] + self.unmatched
        if not pending:
            return 0
        try:
            unknown = self.apply_reports(pending)
        except Exception:
            self.unmatched = pending  # the database went away: keep them for the next pass
            raise
        self.unmatched = []
        for first_seen, report in unknown:
            if now_mono - first_seen < UNMATCHED_GRACE:
                self.unmatched.append((first_seen, report))
            else:
                self.stats["unknown_receipts"] += 1
                log.warning("delivery receipt for unknown id %s on %s ignored", report.remote_id, report.connection)
        return len(fresh)

    def apply_inbox(self) -> int:
        """Apply the reports gateways posted to /sms/dlr: those not tried yet, and those not matched at the
        last try ``INBOX_RETRY`` ago. Applied ones (and duplicates) are deleted; the others are tried again
        until ``INBOX_GRACE`` has passed since they came."""
        now = self.clock()
        due = Q(tried_at__isnull=True) | Q(tried_at__lt=now - INBOX_RETRY)
        rows = list(GatewayReport.objects.filter(due).order_by("id")[:5000])
        if not rows:
            return 0
        unknown = self.apply_reports([(0.0, self._report_of(row)) for row in rows])
        unknown_ids = {(r.connection, normalise_remote_id(r.remote_id)) for _, r in unknown}
        waiting = [row for row in rows if (row.connection, normalise_remote_id(row.remote_id)) in unknown_ids]
        expired = [row for row in waiting if row.received_at < now - INBOX_GRACE]
        keep = {row.pk for row in waiting} - {row.pk for row in expired}
        with transaction.atomic():
            GatewayReport.objects.filter(pk__in=[row.pk for row in rows if row.pk not in keep]).delete()
            GatewayReport.objects.filter(pk__in=keep).update(tried_at=now)
        for row in expired:
            self.stats["unknown_receipts"] += 1
            log.warning("delivery report for unknown id %s on %s ignored", row.remote_id, row.connection)
        return len(rows) - len(waiting)

    @staticmethod
    def _report_of(row: GatewayReport) -> DeliveryReport:
        return DeliveryReport(row.remote_id, row.status, row.connection, error=row.error)  # type: ignore[arg-type]

    def apply_reports(self, pending: list[tuple[float, DeliveryReport]]) -> list[tuple[float, DeliveryReport]]:
        """Apply receipts; returns those whose id is not (yet) known. Statuses only move forward."""
        keyed: dict[tuple[str, str], tuple[float, DeliveryReport]] = {}
        for first_seen, report in pending:
            if report.status in REPORT_STATUS:  # not an intermediate one ("accepted"); a repeated id: the first
                keyed.setdefault((report.connection, normalise_remote_id(report.remote_id)), (first_seen, report))
        grouped: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for (conn, rid), (_, report) in keyed.items():
            grouped[conn][REPORT_STATUS[report.status]].append(rid)
        now = self.clock()
        unknown = []
        for conn, by_status in grouped.items():
            applied, known = ledger.apply_receipts(conn, by_status, now)
            self.stats["receipts"] += len(applied) + len(known)
            unknown += [keyed[(conn, rid)] for ids in by_status.values() for rid in ids
                        if rid not in applied and rid not in known]
        return unknown

    def process_incoming(self) -> int:
        items, self.incoming_retry = self.incoming_retry + drain(self.sink.incoming_sms, limit=500), []
        for i, sms in enumerate(items):
            try:
                handle_incoming(sms)
            except Exception:
                # The SMSC has its deliver_sm_resp already: an MO dropped here is charged and never
                # answered. Keep it and the rest for the next pass (recording is idempotent by id).
                self.incoming_retry = items[i:]
                raise
        return len(items)

    # --- housekeeping ------------------------------------------------------------------------

    def housekeeping(self) -> None:
        now = self.clock()
        stuck = Message.objects.filter(
            status=Status.SENDING, claimed_at__lt=now - timedelta(seconds=settings.MOTCUA["STUCK_AFTER"])
        ).update(status=Status.QUEUED, claim="")
        if stuck:
            log.warning("requeued %d messages left in 'sending' by a stopped worker", stuck)
        timeout = now - timedelta(seconds=settings.MOTCUA["RECEIPT_TIMEOUT"])
        expired = list(Message.objects.filter(status=Status.SENT, sent_at__lt=timeout).values_list("id", flat=True)[:5000])
        if expired:
            with transaction.atomic():
                MessagePart.objects.filter(message_id__in=expired, status=Status.SENT).update(status=Status.EXPIRED)
                Message.objects.filter(pk__in=expired, status=Status.SENT).update(
                    status=Status.EXPIRED, final_at=now, error="no delivery receipt"
                )
                message_status_changed.send(sender=Message, ids=expired, status=Status.EXPIRED, at=now)
            log.info("%d messages without a receipt marked expired", len(expired))
        self.fall_back_from_zns(now)
        record_connection_states(self.name, self.router.transports, now)
        if self.run_batch:
            maybe_run_daily_batch(now, worker=self.name)

    def fall_back_from_zns(self, now: datetime) -> None:
        """ZNS notices whose ``user_received_message`` did not come in time go by SMS (``messaging.zns``)."""
        if self.router.has_channel(Channel.ZNS) and (late := zns.fall_back_unanswered(now)):
            log.info("%d ZNS notices without a delivery event in time: their SMS is queued", late)
