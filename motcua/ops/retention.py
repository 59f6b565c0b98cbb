"""Remove personal data once it has served its purpose, keeping everything statistics need.

Blanked after ``RETENTION_DAYS`` (default 365): a finished dossier's applicant and phone; a final
message's recipient and text; an MO's sender and text. Kept: codes, states, dates, kinds, statuses,
parts, cost, encoding, MO price/outcome/recipient/connection, so delivery rates, costs, on-time rates
and the monthly reconciliation with the telco still add up.

Rows are updated in batches (``UPDATE … WHERE id IN (SELECT id … LIMIT n)``), each its own short
transaction, so the job never loads a table into memory nor holds long locks against the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from motcua.dossiers.models import Dossier
from motcua.messaging.models import FINAL_STATUSES, IncomingMessage, Message

DEFAULT_DAYS = 365
BATCH = 5000


@dataclass
class RetentionReport:
    cutoff: datetime
    dossiers: int = 0
    messages: int = 0
    incoming: int = 0
    dry_run: bool = False


def dossiers_to_clear(cutoff: datetime) -> QuerySet:
    return Dossier.objects.filter(finished_at__lt=cutoff).exclude(applicant="", phone="", phone_raw="")


def messages_to_clear(cutoff: datetime) -> QuerySet:
    return Message.objects.filter(status__in=FINAL_STATUSES, final_at__lt=cutoff).filter(~Q(to="") | ~Q(text=""))


def incoming_to_clear(cutoff: datetime) -> QuerySet:
    return IncomingMessage.objects.filter(received_at__lt=cutoff).filter(~Q(sender="") | ~Q(text=""))


def blank_in_batches(candidates: QuerySet, values: dict, batch: int = BATCH) -> int:
    """Apply ``values`` to every row of ``candidates``, ``batch`` rows per statement.

    ``candidates`` must exclude rows already blank, so each round shrinks it and the loop ends.
    """
    total = 0
    while True:
        ids = candidates.order_by().values("pk")[:batch]
        with transaction.atomic():
            done = candidates.model.objects.filter(pk__in=ids).update(**values)
        total += done
        if done < batch:
            return total


def purge_personal_data(
    days: int = DEFAULT_DAYS, now: datetime | None = None, dry_run: bool = False, batch: int = BATCH
) -> RetentionReport:
    if days < 0:
        raise ValueError("days must be >= 0")
    cutoff = (now or timezone.now()) - timedelta(days=days)
    report = RetentionReport(cutoff=cutoff, dry_run=dry_run)
    work = [
        ("dossiers", dossiers_to_clear(cutoff), {"applicant": "", "phone": "", "phone_raw": ""}),
        ("messages", messages_to_clear(cutoff), {"to": "", "text": "", "template_data": {}}),  # ZNS data too
        ("incoming", incoming_to_clear(cutoff), {"sender": "", "text": ""}),
    ]
    for field, candidates, values in work:
        count = candidates.count() if dry_run else blank_in_batches(candidates, values, batch)
        setattr(report, field, count)
    return report
