"""The worker's writes: claiming queued messages, recording what a send gave, applying delivery receipts.

Every UPDATE here is conditional on the row still being where we left it (``status``, ``claim``), which
is what lets several workers, and a worker that was presumed dead, share the tables safely.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F

from motcua.messaging.models import Message, MessagePart, Status
from motcua.messaging.signals import message_status_changed
from motcua.messaging.zns import queue_fallbacks

CLAIMED_FIELDS = (
    "id", "to", "text", "encoding", "attempts", "preferred_connection", "claim", "channel", "template_id",
    "template_data",
)


def claim(token: str, now: datetime, limit: int) -> list[Message]:
    """Take up to ``limit`` due messages, earliest due first, and mark them ours (``sending``, ``claim``).

    On PostgreSQL the candidates are locked with ``SKIP LOCKED``, so workers claiming at the same moment
    take different messages instead of waiting for each other; SQLite takes the write lock at the start
    of the transaction (``transaction_mode = IMMEDIATE``), which serialises claims anyway. The UPDATE
    still checks ``status``: whatever happens, a message is only ever claimed once."""
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED, not_before__lte=now)
            .order_by("not_before", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(id__in=ids, status=Status.QUEUED).update(
            status=Status.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(Message.objects.filter(claim=token, status=Status.SENDING).only(*CLAIMED_FIELDS).order_by("id"))


@dataclass
class Outcomes:
    """What one send produced, grouped so that each kind of outcome is one statement."""

    sent: list[int] = field(default_factory=list)
    parts: list[tuple[int, str]] = field(default_factory=list)  # (message id, normalised remote id)
    retry: dict[tuple[datetime, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    retry_free: dict[tuple[datetime, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    failed: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    fallback: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # ZNS gave up: SMS now


def record(connection_name: str, claims: Iterable[str], outcomes: Outcomes, now: datetime) -> None:
    """Store the outcomes of one send atomically.

    Only rows still held by one of our ``claims`` change: if housekeeping judged us dead and another worker
    took a message over, its outcome is that worker's to record. The parts (the SMSC's ids) are stored
    whatever happens to the message row: the SMSC accepted them from us, and their receipts must match.
    ``retry`` uses up an attempt; ``retry_free`` gives it back (no connection was even tried). ``fallback``
    is a ZNS attempt that cannot reach the person: it fails, and its SMS is queued in the same transaction."""
    mine = Message.objects.filter(status=Status.SENDING, claim__in=list(claims))
    with transaction.atomic():
        if outcomes.parts:
            MessagePart.objects.bulk_create(
                [MessagePart(message_id=pk, connection=connection_name, remote_id=rid) for pk, rid in outcomes.parts],
                ignore_conflicts=True,
            )
        if outcomes.sent:
            mine.filter(id__in=outcomes.sent).update(
                status=Status.SENT, sent_at=now, connection=connection_name, error=""
            )
            message_status_changed.send(sender=Message, ids=outcomes.sent, status=Status.SENT, at=now)
        for (not_before, error), ids in outcomes.retry.items():
            mine.filter(id__in=ids).update(status=Status.QUEUED, not_before=not_before, error=error, claim="")
        for (not_before, error), ids in outcomes.retry_free.items():
            mine.filter(id__in=ids).update(
                status=Status.QUEUED, not_before=not_before, error=error, claim="", attempts=F("attempts") - 1
            )
        for error, ids in outcomes.failed.items():
            mine.filter(id__in=ids).update(
                status=Status.FAILED, error=error, final_at=now, connection=connection_name
            )
            message_status_changed.send(sender=Message, ids=ids, status=Status.FAILED, at=now)
        for error, ids in outcomes.fallback.items():
            mine_ids = list(mine.filter(id__in=ids).values_list("id", flat=True))
            # Zalo charges only what it accepted: a refused (or never answered) ZNS attempt costs nothing.
            mine.filter(id__in=mine_ids).update(
                status=Status.FAILED, error=error, final_at=now, connection=connection_name, cost=0
            )
            message_status_changed.send(sender=Message, ids=mine_ids, status=Status.FAILED, at=now)
            queue_fallbacks(mine_ids, now)


def release(messages: list[Message]) -> None:
    """Give claimed messages back to the queue untried, their attempt not counted: they go next pass."""
    Message.objects.filter(id__in=[m.pk for m in messages], status=Status.SENDING,
                           claim__in={m.claim for m in messages}).update(
        status=Status.QUEUED, claim="", attempts=F("attempts") - 1
    )


def apply_receipts(
    connection_name: str, by_status: dict[str, list[str]], now: datetime
) -> tuple[set[str], set[str]]:
    """Move parts still ``sent`` to the status their receipt gives, and settle their messages.

    Returns (applied ids, ids known but already final — duplicate receipts). An id in neither is not
    (yet) ours: its message may still be in another worker's hands, or in ours before ``record``."""
    wanted = [rid for ids in by_status.values() for rid in ids]
    with transaction.atomic():
        parts = {
            rid: (status, message_id)
            for rid, status, message_id in MessagePart.objects.filter(
                connection=connection_name, remote_id__in=wanted
            ).values_list("remote_id", "status", "message_id")
        }
        applied: set[str] = set()
        touched: set[int] = set()
        for status, remote_ids in by_status.items():
            fresh = [rid for rid in remote_ids if rid in parts and parts[rid][0] == Status.SENT]
            if fresh:
                MessagePart.objects.filter(connection=connection_name, remote_id__in=fresh, status=Status.SENT).update(
                    status=status, reported_at=now
                )
                applied.update(fresh)
                touched.update(parts[rid][1] for rid in fresh)
        settle(touched, now)
    known = {rid for rid in wanted if rid in parts and rid not in applied}
    return applied, known


def message_status(part_statuses: Iterable[str]) -> str | None:
    """A message's final status from its parts', or None while a part still waits for its receipt:
    delivered when every part is; undelivered when one is; otherwise expired."""
    statuses = set(part_statuses)
    if not statuses or Status.SENT in statuses:
        return None
    if statuses == {Status.DELIVERED}:
        return Status.DELIVERED
    return Status.UNDELIVERED if Status.UNDELIVERED in statuses else Status.EXPIRED


def settle(message_ids: Iterable[int], now: datetime) -> None:
    """Give each message whose parts all have their receipt its final status."""
    parts: dict[int, list[str]] = defaultdict(list)
    for message_id, status in MessagePart.objects.filter(message_id__in=list(message_ids)).values_list(
        "message_id", "status"
    ):
        parts[message_id].append(status)
    final: dict[str, list[int]] = defaultdict(list)
    for message_id, statuses in parts.items():
        status = message_status(statuses)
        if status is not None:
            final[status].append(message_id)
    for status, ids in final.items():
        Message.objects.filter(id__in=ids, status=Status.SENT).update(status=status, final_at=now)
        message_status_changed.send(sender=Message, ids=ids, status=status, at=now)
