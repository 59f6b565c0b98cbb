"""The daily apology batch: at 17:30 local time, one apology per dossier due the next day.

A ``BatchRun`` row per day (unique on the day) makes it run once however many workers race for it. A
service that was down at 17:30 catches up when it starts, until the cut-off (default 20:00); after that
the day is recorded as missed rather than texting citizens at night. An administrator may still send a
missed day on purpose (:func:`run_late_batch`, ``motcua apology-batch --date D --force``): that run is
recorded as "late", and its messages wait for the end of quiet hours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from motcua.domain import rules
from motcua.messaging import outbox
from motcua.messaging.models import BatchRun, Message
from motcua.messaging.signals import message_status_changed
from motcua.messaging.wakeup import notify_worker

log = logging.getLogger(__name__)
CHUNK = 1000


@dataclass
class BatchReport:
    day: date
    status: str  # done / missed / already / dry-run / not-yet / late
    queued: list[tuple[str, str]] = field(default_factory=list)  # (code, text) — small runs only
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (code, reason)
    queued_count: int = 0
    skipped_count: int = 0
    keep_details: bool = True


def batch_times() -> tuple:
    return rules.parse_hhmm(settings.MOTCUA["BATCH_TIME"]), rules.parse_hhmm(settings.MOTCUA["BATCH_CUTOFF"])


def maybe_run_daily_batch(now: datetime, worker: str = "") -> BatchReport | None:
    """Called by every worker on every housekeeping pass; cheap when today's run is already recorded.

    A run left "running" by a worker that died mid-batch is taken over (once, by a conditional UPDATE)
    after ``STUCK_AFTER`` seconds, still before the cut-off: apologies are unique per cause, so the
    second pass only adds what the first did not write.
    """
    local_now = timezone.localtime(now)
    start, cutoff = batch_times()
    if local_now.time() < start:
        return None
    run = BatchRun.objects.filter(day=local_now.date()).first()
    if run is None:
        return run_apology_batch(local_now, worker=worker, keep_details=False)
    stale = now - timedelta(seconds=settings.MOTCUA["STUCK_AFTER"])
    if run.status != "running" or run.started_at >= stale or local_now.time() >= cutoff:
        return None
    taken = BatchRun.objects.filter(pk=run.pk, status="running", started_at=run.started_at).update(
        started_at=now, worker=worker
    )
    if not taken:
        return None
    log.warning("apology batch for %s left running by %s: resumed by %s", run.day, run.worker, worker)
    report = BatchReport(day=run.day, status="done", keep_details=False)
    return _fill(local_now, report, dry_run=False)


def run_apology_batch(at: datetime, dry_run: bool = False, worker: str = "", keep_details: bool = True) -> BatchReport:
    at = timezone.localtime(at if timezone.is_aware(at) else timezone.make_aware(at))
    day = at.date()
    start, cutoff = batch_times()
    report = BatchReport(day=day, status="dry-run" if dry_run else "done", keep_details=keep_details)
    if not dry_run:
        try:
            with transaction.atomic():
                run = BatchRun.objects.create(day=day, worker=worker, started_at=at)
        except IntegrityError:
            report.status = "already"
            return report
        if at.time() >= cutoff:
            BatchRun.objects.filter(pk=run.pk).update(status="missed", finished_at=timezone.now())
            report.status = "missed"
            log.warning("apology batch for %s missed: service started after the cut-off %s", day, cutoff)
            return report
    return _fill(at, report, dry_run)


class LateRunRefused(ValueError):
    """A forced run that must not happen (the day already ran, or its appointments are past)."""


def run_late_batch(day: date, now: datetime | None = None, dry_run: bool = False, worker: str = "cli") -> BatchReport:
    """Send the apologies of a day whose batch was missed (or never ran), on an administrator's decision.

    The apology is for dossiers due on ``day + 1`` and its text keeps their appointment date. Refused when
    the day's batch already ran (each citizen gets one apology per appointment) and when that appointment
    day is already past (the apology would arrive after the day it announces). The run is recorded with
    status "late"; messages created in quiet hours wait for their end, as any event-driven SMS does."""
    now = timezone.localtime(now or timezone.now())
    if day + timedelta(days=1) < now.date():
        raise LateRunRefused(f"Ngày hẹn trả {day + timedelta(days=1):%d/%m/%Y} đã qua: không gửi xin lỗi muộn hơn nữa")
    report = BatchReport(day=day, status="dry-run" if dry_run else "late")
    with transaction.atomic():
        run = BatchRun.objects.select_for_update().filter(day=day).first()
        if run is not None and run.status != "missed":
            raise LateRunRefused(f"Đợt xin lỗi ngày {day:%d/%m/%Y} đã chạy ({run.status}): không gửi lại")
        if not dry_run:
            if run is None:
                BatchRun.objects.create(day=day, status="late", started_at=now, worker=worker)
            else:
                BatchRun.objects.filter(pk=run.pk).update(status="late", started_at=now, worker=worker,
                                                          finished_at=None)
    report = _fill(now, report, dry_run, quiet=True, final_status="late")
    if not dry_run:
        log.warning("apology batch for %s sent late by %s: %d queued", day, worker, report.queued_count)
    return report


def _fill(at: datetime, report: BatchReport, dry_run: bool, quiet: bool = False,
          final_status: str = "done") -> BatchReport:
    """Queue (or, dry, list) the apologies of ``report.day`` and mark the day's run done."""
    day = report.day
    chunk: list[Message] = []
    templates = outbox.agency_templates("apology")
    for dossier in outbox.apology_candidates(day):
        decision = rules.apology_decision(outbox.facts(dossier), day)
        if decision is None:
            continue
        message = outbox.message_for_decision(
            dossier, decision, outbox.apology_cause(dossier), None, quiet=quiet, templates=templates
        )
        chunk.append(message)
        if len(chunk) >= CHUNK:
            _flush(chunk, report, dry_run)
            chunk = []
    _flush(chunk, report, dry_run)
    if not dry_run:
        analyze_queue()
        BatchRun.objects.filter(day=day).update(
            status=final_status, finished_at=timezone.now(), queued=report.queued_count, skipped=report.skipped_count
        )
        log.info("apology batch %s: %d queued, %d skipped", day, report.queued_count, report.skipped_count)
    return report


def analyze_queue() -> None:
    """Fresh planner statistics for the message table after queueing a batch, on PostgreSQL.

    The last ones (autovacuum's, most of the day) saw an almost empty queue; with them the worker's claim
    sorts every queued message on each pass instead of reading the first rows of its index: 86 ms a claim
    with 79,000 queued, against 0.25 ms (``bench/peak.py``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Message._meta.db_table}")


def _flush(chunk: list[Message], report: BatchReport, dry_run: bool) -> None:
    if not chunk:
        return
    existing = set(Message.objects.filter(cause__in=[m.cause for m in chunk]).values_list("cause", flat=True))
    fresh = [m for m in chunk if m.cause not in existing]
    if not dry_run:
        with transaction.atomic():
            Message.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=CHUNK)
            message_status_changed.send(sender=Message, causes=[m.cause for m in fresh], status=None, at=None)
            notify_worker()  # bulk_create sends no post_save
    for m in fresh:
        if m.status == "skipped":
            report.skipped_count += 1
            if report.keep_details:
                report.skipped.append((m.dossier.code, m.skip_reason))
        else:
            report.queued_count += 1
            if report.keep_details:
                report.queued.append((m.dossier.code, m.text))
