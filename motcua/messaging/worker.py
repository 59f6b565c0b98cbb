"""``motcua worker``: the one long-running loop that sends messages, applies reports and runs the batch.

Work is claimed with a conditional UPDATE (``status='queued'`` → ``'sending'`` with a claim token), and
on PostgreSQL the candidate rows are picked with ``FOR UPDATE SKIP LOCKED`` so several workers spread
the queue without ever sending a message twice. A worker that dies leaves rows in ``sending``; after
``STUCK_AFTER`` seconds any worker puts them back in the queue. Outcomes are recorded every
``transport.send_chunk`` messages (the SMPP send window), so a kill -9 doubles at most that many:
messages the SMSC accepted but whose answer we never stored.
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
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from motcua.messaging.connections import Router
from motcua.messaging.models import STATUS_RANK, Message, MessagePart, Status
from motcua.messaging.transports.base import DeliveryReport, IncomingSMS, OutgoingSMS, SendResult

log = logging.getLogger(__name__)

REPORT_STATUS = {
    "delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "expired": Status.EXPIRED,
}
UNMATCHED_GRACE = 60  # seconds a receipt may arrive before we stored its message id (another worker's bind)


def normalise_remote_id(remote_id: str) -> str:
    try:
        from motcua.messaging.transports.smpp import normalise_remote_id as smpp_normalise
    except ImportError:  # pragma: no cover - the SMPP module is always shipped
        return remote_id.strip().lower()
    return smpp_normalise(remote_id)


class QueueSink:
    """Receives reports from transport threads; the worker thread drains it (one writer to the database)."""

    def __init__(self) -> None:
        self.reports: queue.SimpleQueue[DeliveryReport] = queue.SimpleQueue()
        self.incoming_sms: queue.SimpleQueue[IncomingSMS] = queue.SimpleQueue()
        self.wakeup = threading.Event()

    def delivery_report(self, report: DeliveryReport) -> None:
        self.reports.put(report)
        self.wakeup.set()

    def incoming(self, sms: IncomingSMS) -> None:
        self.incoming_sms.put(sms)
        self.wakeup.set()


LINK_RETRY = timedelta(seconds=5)
NO_CONNECTION = "no connection up"


def link_trouble(error: str) -> bool:
    """Every connection was down, so nothing was even tried: that must not use up MAX_ATTEMPTS, or
    a telco outage longer than the backoff series (~10 minutes) would fail every queued notice for
    good. (A message the SMSC throttled or lost on a dropped link was tried, and counts.)"""
    return error == NO_CONNECTION


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 600))


class Worker:
    def __init__(
        self,
        router: Router | None = None,
        name: str | None = None,
        batch_size: int = 500,
        clock: Callable[[], datetime] = timezone.now,
        run_batch: bool = True,
    ) -> None:
        self.router = router or Router.from_setting(settings.MOTCUA["SMS_URL"])
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch_size = batch_size
        self.clock = clock
        self.run_batch = run_batch
        self.sink = QueueSink()
        self.unmatched: list[tuple[float, DeliveryReport]] = []
        self.incoming_retry: list[IncomingSMS] = []
        self._last_housekeeping = 0.0
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
            except Exception:  # noqa: BLE001 - stopping must not hide the other transports
                log.exception("stopping connection %s failed", transport.name)
        self.started = False

    def run_forever(self, stop: threading.Event, idle_sleep: float = 0.5) -> None:
        self.start()
        log.info("worker %s started with connections %s", self.name, [t.name for t in self.router.transports])
        try:
            while not stop.is_set():
                try:
                    busy = self.tick()
                except Exception:  # noqa: BLE001 - a database restart must not kill the worker
                    log.exception("worker tick failed; retrying")
                    close_old_connections()
                    connection.close()
                    stop.wait(2)
                    continue
                if not busy:
                    self.sink.wakeup.wait(idle_sleep)
                    self.sink.wakeup.clear()
        finally:
            self.stop()

    def tick(self) -> int:
        """One pass; returns how much work was done (0 = idle)."""
        self.start()
        done = self.process_incoming() + self.process_reports()
        now_mono = time.monotonic()
        if now_mono - self._last_housekeeping > 5:
            self._last_housekeeping = now_mono
            self.housekeeping()
        claimed = self.claim()
        if claimed:
            self.send(claimed)
            done += len(claimed)
            done += self.process_reports()
        return done

    # --- sending -----------------------------------------------------------------------------

    def claim(self, limit: int | None = None) -> list[Message]:
        """Take up to ``limit`` due messages in one statement: a conditional UPDATE whose candidates are
        picked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serialises writers anyway), returning
        what the send needs. One round trip, because the worker does this for every batch."""
        now = self.clock()
        token = uuid.uuid4().hex
        table = connection.ops.quote_name(Message._meta.db_table)
        lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
        at = connection.ops.adapt_datetimefield_value(now)
        with transaction.atomic(), connection.cursor() as cursor:
            # The candidates go in a MATERIALIZED CTE: as a plain "IN (subquery LIMIT n)" PostgreSQL may
            # run the subquery more than once and claim more than n rows.
            cursor.execute(
                f"WITH picked AS MATERIALIZED (SELECT id FROM {table} WHERE status = %s AND not_before <= %s "
                f"ORDER BY id LIMIT %s{lock}) "
                f"UPDATE {table} SET status = %s, claim = %s, claimed_at = %s, attempts = attempts + 1 "
                "WHERE status = %s AND id IN (SELECT id FROM picked) "
                'RETURNING id, "to", text, encoding, attempts, preferred_connection, agency_id',
                [Status.QUEUED, at, limit or self.batch_size, Status.SENDING, token, at, Status.QUEUED],
            )
            rows = cursor.fetchall()
        return [
            Message(id=pk, to=to, text=text, encoding=enc, attempts=attempts, preferred_connection=pref,
                    agency_id=agency_id, claim=token, status=Status.SENDING)
            for pk, to, text, enc, attempts, pref, agency_id in sorted(rows)
        ]

    def send(self, messages: list[Message]) -> None:
        groups: dict[str, list[Message]] = defaultdict(list)
        unroutable: list[Message] = []
        for message in messages:
            transport = self.router.choose(message.to, message.preferred_connection)
            if transport is None:
                unroutable.append(message)
            else:
                groups[transport.name].append(message)
        if unroutable:
            self.apply_results(
                "", unroutable, [SendResult(m.pk, False, temporary=True, error=NO_CONNECTION) for m in unroutable]
            )
        for name, whole in groups.items():
            transport = self.router.by_name[name]
            # Record outcomes every ``send_chunk`` messages: a worker killed mid-batch has then at most
            # one chunk accepted by the SMSC but not recorded, i.e. at most that many sent twice.
            chunk = getattr(transport, "send_chunk", 0) or len(whole)
            for i in range(0, len(whole), chunk):
                self._send_group(transport, whole[i : i + chunk])

    def _send_group(self, transport, group: list[Message]) -> None:  # noqa: ANN001 - a Transport
        name = transport.name
        batch = [OutgoingSMS(m.pk, m.to, m.text, m.encoding) for m in group]  # type: ignore[arg-type]
        started = time.monotonic()
        try:
            results = transport.send(batch)
        except Exception as e:  # noqa: BLE001 - a broken transport must not lose the batch
            log.exception("connection %s failed to send a batch of %d", name, len(batch))
            results = [SendResult(m.pk, False, temporary=True, error=f"{type(e).__name__}") for m in group]
        self.stats["send_seconds_ms"] += int((time.monotonic() - started) * 1000)
        self.apply_results(name, group, results)

    def apply_results(self, connection_name: str, messages: list[Message], results: list[SendResult]) -> None:
        now = self.clock()
        by_id = {m.pk: m for m in messages}
        sent_ids, parts, permanent, temporary = [], [], defaultdict(list), defaultdict(list)
        link: dict[str, list[int]] = defaultdict(list)
        for result in results:
            message = by_id.get(result.message_id)
            if message is None:
                continue
            if result.ok:
                sent_ids.append(message.pk)
                for remote_id in result.remote_ids:
                    parts.append(
                        MessagePart(message_id=message.pk, connection=connection_name,
                                    remote_id=normalise_remote_id(remote_id))
                    )
            elif result.temporary and link_trouble(result.error):
                link[result.error[:255]].append(message.pk)
            elif result.temporary and message.attempts < settings.MOTCUA["MAX_ATTEMPTS"]:
                temporary[(backoff(message.attempts), result.error[:255])].append(message.pk)
            else:
                permanent[result.error[:255] or "failed"].append(message.pk)
        missing = set(by_id) - {r.message_id for r in results}
        for pk in missing:  # a transport that forgot a message: retry it rather than lose it
            if by_id[pk].attempts < settings.MOTCUA["MAX_ATTEMPTS"]:
                temporary[(backoff(by_id[pk].attempts), "no result from connection")].append(pk)
            else:
                permanent["no result from connection"].append(pk)
        # Only rows still held by our claim: if housekeeping judged us dead and another worker took a
        # message over, its outcome is that worker's to record, not ours.
        mine = Message.objects.filter(status=Status.SENDING, claim__in={m.claim for m in messages})
        with transaction.atomic():
            if parts:
                MessagePart.objects.bulk_create(parts, ignore_conflicts=True, batch_size=1000)
            if sent_ids:
                mine.filter(pk__in=sent_ids).update(
                    status=Status.SENT, sent_at=now, connection=connection_name, error=""
                )
            for (delay, error), ids in temporary.items():
                mine.filter(pk__in=ids).update(
                    status=Status.QUEUED, not_before=now + delay, error=error, claim=""
                )
            for error, ids in link.items():  # not this message's fault: retry without using an attempt
                mine.filter(pk__in=ids).update(
                    status=Status.QUEUED, not_before=now + LINK_RETRY, error=error, claim="",
                    attempts=F("attempts") - 1,
                )
            for error, ids in permanent.items():
                mine.filter(pk__in=ids).update(
                    status=Status.FAILED, error=error, final_at=now, connection=connection_name
                )
        self.stats["sent"] += len(sent_ids)
        self.stats["failed"] += sum(len(v) for v in permanent.values())
        self.stats["retried"] += sum(len(v) for v in temporary.values()) + sum(len(v) for v in link.values())
        for error, ids in permanent.items():
            log.warning("messages failed permanently on %s: %s (%d)", connection_name, error, len(ids))

    # --- reports -----------------------------------------------------------------------------

    def _drain(self, q: queue.SimpleQueue, limit: int = 5000) -> list:
        items = []
        while len(items) < limit:
            try:
                items.append(q.get_nowait())
            except queue.Empty:
                break
        return items

    def process_reports(self) -> int:
        reports = self._drain(self.sink.reports)
        now_mono = time.monotonic()
        retry, self.unmatched = self.unmatched, []
        pending = [(now_mono, r) for r in reports] + retry
        if not pending:
            return 0
        try:
            unmatched = self.apply_reports(pending)
        except Exception:
            # The database went away (restart, failover): keep the receipts for the next tick rather
            # than drop them, or every message they report would end "expired" instead of delivered.
            self.unmatched = pending
            raise
        for first_seen, report in unmatched:
            if now_mono - first_seen < UNMATCHED_GRACE:
                self.unmatched.append((first_seen, report))
            else:
                self.stats["unknown_receipts"] += 1
                log.warning("delivery receipt for unknown id %s on %s ignored", report.remote_id, report.connection)
        return len(reports)

    def apply_reports(self, pending: list[tuple[float, DeliveryReport]]) -> list[tuple[float, DeliveryReport]]:
        """Apply receipts; returns those whose id is not (yet) known. Statuses only move forward."""
        now = self.clock()
        keyed: dict[tuple[str, str], tuple[float, DeliveryReport]] = {}
        for first_seen, report in pending:
            if report.status not in REPORT_STATUS:
                continue  # intermediate ("accepted"): nothing to record
            key = (report.connection, normalise_remote_id(report.remote_id))
            keyed.setdefault(key, (first_seen, report))
        if not keyed:
            return []
        by_conn: dict[str, list[str]] = defaultdict(list)
        for conn, rid in keyed:
            by_conn[conn].append(rid)
        found: dict[tuple[str, str], tuple[int, int, str]] = {}  # key -> (part id, message id, status)
        for conn, rids in by_conn.items():
            for i in range(0, len(rids), 900):
                rows = MessagePart.objects.filter(connection=conn, remote_id__in=rids[i : i + 900]).values_list(
                    "remote_id", "pk", "message_id", "status"
                )
                for remote_id, pk, message_id, part_status in rows:
                    found[(conn, remote_id)] = (pk, message_id, part_status)
        updates: dict[str, list[int]] = defaultdict(list)
        touched: set[int] = set()
        for key, (pk, message_id, part_status) in found.items():
            status = REPORT_STATUS[keyed[key][1].status]
            if STATUS_RANK[status] > STATUS_RANK[Status(part_status)]:
                updates[status].append(pk)
                touched.add(message_id)
        with transaction.atomic():
            for status, ids in updates.items():
                MessagePart.objects.filter(pk__in=ids, status=Status.SENT).update(status=status, reported_at=now)
            self.settle_messages(touched, now)
        self.stats["receipts"] += len(found)
        return [v for k, v in keyed.items() if k not in found]

    def settle_messages(self, message_ids: Iterable[int], now: datetime) -> None:
        """A message is delivered when all its parts are; undelivered/expired as soon as every part is final."""
        ids = list(message_ids)
        if not ids:
            return
        parts: dict[int, list[str]] = defaultdict(list)
        for i in range(0, len(ids), 900):
            for mid, status in MessagePart.objects.filter(message_id__in=ids[i : i + 900]).values_list(
                "message_id", "status"
            ):
                parts[mid].append(status)
        final: dict[str, list[int]] = defaultdict(list)
        for mid, statuses in parts.items():
            if Status.SENT in statuses:
                continue
            if all(s == Status.DELIVERED for s in statuses):
                final[Status.DELIVERED].append(mid)
            elif Status.UNDELIVERED in statuses:
                final[Status.UNDELIVERED].append(mid)
            else:
                final[Status.EXPIRED].append(mid)
        for status, mids in final.items():
            Message.objects.filter(pk__in=mids, status__in=[Status.SENT, Status.SENDING]).update(
                status=status, final_at=now
            )

    def process_incoming(self) -> int:
        from motcua.messaging.inbound import handle_incoming

        items, self.incoming_retry = self.incoming_retry + self._drain(self.sink.incoming_sms, limit=500), []
        for i, sms in enumerate(items):
            try:
                handle_incoming(sms)
            except Exception:
                # The SMSC has its deliver_sm_resp already: an MO dropped here is charged and never
                # answered. Keep it and the rest for the next tick (recording is idempotent by id).
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
        expired_ids = list(Message.objects.filter(status=Status.SENT, sent_at__lt=timeout).values_list("id", flat=True)[:5000])
        if expired_ids:
            with transaction.atomic():
                MessagePart.objects.filter(message_id__in=expired_ids, status=Status.SENT).update(status=Status.EXPIRED)
                Message.objects.filter(pk__in=expired_ids, status=Status.SENT).update(
                    status=Status.EXPIRED, final_at=now, error="no delivery receipt"
                )
            log.info("%d messages without a receipt marked expired", len(expired_ids))
        from motcua.ops.health import record_connection_states

        record_connection_states(self)  # heartbeat for /healthz and /metrics
        if self.run_batch:
            from motcua.messaging.batch import maybe_run_daily_batch

            maybe_run_daily_batch(now, worker=self.name)
