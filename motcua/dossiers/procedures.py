"""Whether a procedure is "same day" (its dossiers get no SMS at all) is an administrator's decision.

A procedure registered on the fly from a vendor's record has a duration guessed from that one record, and
one record misleads: a record without ``NgayHenTra`` looks same-day, and a same-day dossier received after
15:00 is due the next morning, so it looks like a one-day procedure. So the guess never silences SMS: the
procedure stays unconfirmed, its dossiers get their SMS, and the desk lists it with the evidence of all its
dossiers and a proposal, for an administrator to confirm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from motcua.dossiers import services
from motcua.dossiers.models import Procedure

log = logging.getLogger(__name__)

# Evidence needed before the service proposes "same day": this many dossiers, nearly all due as a
# same-day procedure would have made them due.
PROPOSE_MIN_DOSSIERS = 3
PROPOSE_SHARE = Decimal("0.8")
EVIDENCE_DOSSIERS = 200  # the most recent ones; enough to decide, bounded for a busy procedure


@dataclass(frozen=True)
class Evidence:
    procedure: Procedure
    dossiers: int  # looked at
    due_as_same_day: int  # due when a same-day procedure would have been due (same day, or next morning)

    @property
    def proposed_same_day(self) -> bool:
        return self.dossiers >= PROPOSE_MIN_DOSSIERS and self.due_as_same_day >= self.dossiers * PROPOSE_SHARE


def evidence(procedure: Procedure) -> Evidence:
    """How many of the procedure's recent dossiers were due exactly when a same-day procedure is due
    (the working calendar's appointment for 0 days: 17:00 that day, or the next working morning when
    received late), or on the day they were received."""
    calendar = services.work_calendar()
    rows = procedure.dossiers.order_by("-received_at").values_list("received_at", "appointment_at")[:EVIDENCE_DOSSIERS]
    seen = same = 0
    for received, appointment in rows:
        seen += 1
        local_received, local_due = timezone.localtime(received), timezone.localtime(appointment)
        if local_due.date() == local_received.date() or appointment <= calendar.appointment(received, Decimal(0)):
            same += 1
    return Evidence(procedure, seen, same)


def awaiting_confirmation(agency_ids: set[int] | None) -> QuerySet[Procedure]:
    """Unconfirmed procedures of these agencies (None: every agency)."""
    qs = Procedure.objects.filter(duration_confirmed=False).select_related("agency").order_by("agency__code", "code")
    return qs if agency_ids is None else qs.filter(agency_id__in=agency_ids)


def confirm(procedure: Procedure, actor: str, *, same_day: bool, days: Decimal | None = None) -> Procedure:
    """An administrator's decision: same day (no SMS from now on), or a duration of ``days`` working days."""
    if not same_day and (days is None or not Decimal(0) < days < Decimal(10000)):
        raise services.DossierError("days", "Số ngày làm việc phải lớn hơn 0")
    with transaction.atomic():
        procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
        procedure.processing_days = Decimal(0) if same_day else days  # type: ignore[assignment]
        procedure.duration_confirmed = True
        procedure.save(update_fields=["processing_days", "duration_confirmed"])
    log.info("procedure duration confirmed procedure=%s agency=%s same_day=%s by=%s",
             procedure.code, procedure.agency.code, same_day, actor)
    return procedure
