"""``motcua worker``: the one long-running loop that sends messages, applies reports and runs the batch.

Work is claimed with a conditional UPDATE (``status='queued'`` → ``'sending'`` with a claim token), and
on PostgreSQL the candidate rows are picked with ``FOR UPDATE SKIP LOCKED`` so several workers spread
the queue without ever sending a message twice. A worker that dies leaves rows in ``sending``; after
``STUCK_AFTER`` seconds any worker puts them back in the queue. Over SMPP the outcome of each message
is stored before a message ``unrecorded`` places behind it may go (``SmppTransport.send_stream``; by
default the window), so a kill -9 doubles at most that many: messages the SMSC accepted but whose
answer we never stored.
While a full batch is sending, ``run_forever`` claims the next one on a thread of its own (see
``take_claim``), so the SMSC is not left idle for the claim's tens of milliseconds between batches.
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
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from motcua.messaging import ledger
from motcua.messaging.connections import Router
from motcua.messaging.ledger import Claimed
from motcua.messaging.models import Message, MessagePart, Status
from motcua.messaging.transports.base import DeliveryReport, IncomingSMS, OutgoingSMS, SendResult

log = logging.getLogger(__name__)

REPORT_STATUS = {
    "delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "expired": Status.EXPIRED,
}
RECEIPT_BATCH_SECONDS = 0.05
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
        self.reports_ready = threading.Event()

    def delivery_report(self, report: DeliveryReport) -> None:
        self.reports.put(report)
        wake(self.reports_ready)
        wake(self.wakeup)

    def incoming(self, sms: IncomingSMS) -> None:
        self.incoming_sms.put(sms)
        wake(self.wakeup)


def wake(event: threading.Event) -> None:
    """``event.set()`` unless already set: ``set`` takes a lock and notifies every time, and receipts
    come in by the thousand a second while the event stays set until the next batch is taken."""
    if not event.is_set():
        event.set()


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
        self.reports_elsewhere = False  # True while run_forever's receipts thread applies them
        self.claimer: ThreadPoolExecutor | None = None  # run_forever claims the next batch ahead on it
        self.ahead: Future[list[Claimed]] | None = None
        self.ahead_at = 0.0  # monotonic time the batch ahead was asked for
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
        # Receipts get their own thread, hence their own database connection: applied in the sending
        # loop they held up the recording that the next SMPP window waits for (see send_stream).
        self.reports_elsewhere = True
        receipts = threading.Thread(target=self.apply_reports_forever, args=(stop,), name="receipts", daemon=True)
        receipts.start()
        self.claimer = ThreadPoolExecutor(1, thread_name_prefix="claim-ahead")
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
            stop.set()
            receipts.join(10)
            try:
                self.release_ahead()
            except Exception:  # noqa: BLE001 - the database is away: housekeeping requeues it later
                log.exception("could not give back the batch claimed ahead")
            self.claimer.submit(lambda: connection.close()).result()  # the claimer thread's own connection
            self.claimer.shutdown()
            self.claimer = None
            self.stop()

    def apply_reports_forever(self, stop: threading.Event) -> None:
        """Apply receipts in batches gathered over ``RECEIPT_BATCH_SECONDS``: a receipt waits that much
        longer, and PostgreSQL runs a few statements per hundred receipts instead of per handful
        (its CPU, on the same two cores as everything else, was what capped the send rate)."""
        try:
            while not stop.is_set():
                try:
                    if self.sink.reports_ready.wait(0.2):
                        self.sink.reports_ready.clear()
                        stop.wait(RECEIPT_BATCH_SECONDS)
                    self.process_reports()
                except Exception:  # noqa: BLE001 - a database restart must not stop receipts for good
                    log.exception("applying delivery receipts failed; retrying")
                    connection.close()
                    stop.wait(2)
        finally:
            connection.close()

    def tick(self) -> int:
        """One pass; returns how much work was done (0 = idle)."""
        self.start()
        done = self.process_incoming() + self.reports_here()
        now_mono = time.monotonic()
        if now_mono - self._last_housekeeping > 5:
            self._last_housekeeping = now_mono
            self.housekeeping()
        claimed = self.take_claim()
        if claimed:
            self.send(claimed)
            done += len(claimed)
            done += self.reports_here()
        return done

    def reports_here(self) -> int:
        return 0 if self.reports_elsewhere else self.process_reports()

    # --- sending -----------------------------------------------------------------------------

    def claim(self, limit: int | None = None) -> list[Claimed]:
        """Take up to ``limit`` due messages (one statement, see ``ledger.claim``)."""
        return ledger.claim(uuid.uuid4().hex, self.clock(), limit or self.batch_size)

    def take_claim(self) -> list[Claimed]:
        """The batch to send now: the one claimed ahead if there is one, else a fresh claim.

        After a full batch (the queue is longer than a claim) the next one is claimed on the
        ``claimer`` thread, with its own database connection, while this one sends: each claim of 500
        costs PostgreSQL 20–45 ms (bench/mt_throughput.py), during which the SMSC had nothing to do.
        A batch claimed ahead is only taken if it is young: after ``STUCK_AFTER`` any worker's
        housekeeping may have put it back in the queue, and its outcomes would no longer be ours
        to record; an older one is released and claimed afresh."""
        claimed: list[Claimed] | None = None
        if self.ahead is not None:
            if time.monotonic() - self.ahead_at < settings.MOTCUA["STUCK_AFTER"] / 2:
                ahead, self.ahead = self.ahead, None
                claimed = ahead.result()
            else:
                self.release_ahead()
        if claimed is None:
            claimed = self.claim()
        if self.claimer is not None and len(claimed) == self.batch_size:
            self.ahead_at = time.monotonic()
            self.ahead = self.claimer.submit(self.claim)
        return claimed

    def release_ahead(self) -> None:
        """Put a batch claimed ahead but not sent back in the queue, its attempt not used up."""
        ahead, self.ahead = self.ahead, None
        if ahead is None:
            return
        try:
            claimed = ahead.result()
        except Exception:  # noqa: BLE001 - the claim failed, so nothing is held
            log.warning("claiming ahead failed", exc_info=True)
            return
        ledger.release(claimed)

    def send(self, messages: list[Claimed]) -> None:
        groups: dict[str, list[Claimed]] = defaultdict(list)
        unroutable: list[Claimed] = []
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
        for name, group in groups.items():
            transport = self.router.by_name[name]
            self._send_group(transport, group)

    def _send_group(self, transport, group: list[Claimed]) -> None:  # noqa: ANN001 - a Transport
        batch = [OutgoingSMS(m.pk, m.to, m.text, m.encoding) for m in group]  # type: ignore[arg-type]
        try:
            results = transport.send(batch)
        except Exception as e:  # noqa: BLE001 - a broken transport must not lose the batch
            log.exception("connection %s failed to send a batch of %d", transport.name, len(batch))
            results = [SendResult(m.pk, False, temporary=True, error=f"{type(e).__name__}") for m in group]
        self.apply_results(transport.name, group, results)

    def _stream_group(self, transport, group: list[Claimed]) -> None:  # noqa: ANN001 - an SmppTransport
        """Store outcomes as they arrive and only then let further messages go (see ``send_stream``):
        the SMSC never holds more than one window of messages whose outcome we have not stored."""
        waiting = {m.pk: m for m in group}
        batch = [OutgoingSMS(m.pk, m.to, m.text, m.encoding) for m in group]  # type: ignore[arg-type]
        with transport.send_stream(batch) as stream:
            for results in stream:
                done = [waiting.pop(r.message_id) for r in results if r.message_id in waiting]
                self.apply_results(transport.name, done, results)
                stream.recorded(len(results))
        if waiting:  # cancelled or never answered: retried (apply_results treats a missing result so)
            self.apply_results(transport.name, list(waiting.values()), [])

    def apply_results(self, connection_name: str, messages: list[Claimed], results: list[SendResult]) -> None:
        now = self.clock()
        by_id = {m.pk: m for m in messages}
        out = ledger.Outcomes([], [], defaultdict(list), defaultdict(list), defaultdict(list))
        max_attempts = settings.MOTCUA["MAX_ATTEMPTS"]

        def retry(message: Claimed, error: str) -> None:
            if message.attempts < max_attempts:
                out.retry[(now + backoff(message.attempts), error[:255])].append(message.pk)
            else:
                out.failed[error[:255] or "failed"].append(message.pk)

        for result in results:
            message = by_id.pop(result.message_id, None)
            if message is None:
                continue
            if result.ok:
                out.sent.append(message.pk)
                out.parts.extend((message.pk, normalise_remote_id(rid)) for rid in result.remote_ids)
            elif result.temporary and link_trouble(result.error):  # not this message's fault: no attempt used
                out.retry_free[(now + LINK_RETRY, result.error[:255])].append(message.pk)
            elif result.temporary:
                retry(message, result.error)
            else:
                out.failed[result.error[:255] or "failed"].append(message.pk)
        for message in by_id.values():  # a transport that forgot a message: retry it rather than lose it
            retry(message, "no result from connection")
        ledger.record(connection_name, {m.claim for m in messages}, out, now)
        self.stats["sent"] += len(out.sent)
        self.stats["failed"] += sum(len(v) for v in out.failed.values())
        self.stats["retried"] += sum(len(v) for v in out.retry.values()) + sum(len(v) for v in out.retry_free.values())
        for error, ids in out.failed.items():
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
        keyed: dict[tuple[str, str], tuple[float, DeliveryReport]] = {}
        for first_seen, report in pending:
            if report.status not in REPORT_STATUS:
                continue  # intermediate ("accepted"): nothing to record
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
