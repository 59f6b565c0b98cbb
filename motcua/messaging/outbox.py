"""Transactional outbox: the message row is written in the same transaction as the event causing it.

Callers run inside ``transaction.atomic()``; nothing here commits. ``Message.cause`` is unique, so a
cause that was already recorded (a re-sent sync, two workers, a retried request) adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from motcua.domain import rules
from motcua.domain.phones import InvalidPhone, normalise_phone
from motcua.domain.smstext import (
    DEFAULT_TEMPLATES,
    PH_AGENCY,
    PH_APPOINTMENT_DATE,
    PH_RECEIPT_CODE,
    estimate_cost,
    format_appointment_date,
    prepare_text,
    render_template,
)
from motcua.domain.states import DossierState
from motcua.dossiers.models import Agency, Dossier, DossierEvent
from motcua.messaging import zns
from motcua.messaging.models import Kind, Message, Status, Template
from motcua.messaging.signals import message_status_changed

log = logging.getLogger(__name__)


def local(dt: datetime) -> datetime:
    return timezone.localtime(dt)


def phone_problem(dossier: Dossier) -> str | None:
    if not dossier.phone and not dossier.phone_raw:
        return rules.NO_PHONE
    try:
        normalise_phone(dossier.phone or dossier.phone_raw)
    except InvalidPhone as e:
        return f"{rules.BAD_PHONE}: {e.reason}"
    return None


def facts(dossier: Dossier, state: DossierState | None = None) -> rules.DossierFacts:
    return rules.DossierFacts(
        state=state or dossier.state_enum,
        same_day=dossier.procedure.same_day,
        phone_problem=phone_problem(dossier),
        appointment_date=local(dossier.appointment_at).date(),
    )


def template_text(agency: Agency, kind: str) -> str:
    custom = Template.objects.filter(agency=agency, kind=kind).values_list("text", flat=True).first()
    return custom or DEFAULT_TEMPLATES[kind]


def encoding_policy(agency: Agency | None) -> str:
    return (agency.encoding_policy if agency else "") or settings.MOTCUA["ENCODING_POLICY"]


def render_for(dossier: Dossier, kind: str, template: str | None = None) -> str:
    agency = dossier.agency
    return render_template(
        template or template_text(agency, kind),
        {
            PH_RECEIPT_CODE: dossier.code,
            PH_AGENCY: agency.current().sms_name,  # a retired agency's citizens go to its successor
            PH_APPOINTMENT_DATE: format_appointment_date(local(dossier.appointment_at)),
        },
    )


def build_message(
    *,
    kind: str,
    cause: str,
    agency: Agency | None,
    to: str,
    text: str,
    dossier: Dossier | None = None,
    event: DossierEvent | None = None,
    not_before: datetime | None = None,
    preferred_connection: str = "",
) -> Message:
    """An unsaved queued message with its encoding, part count and estimated cost filled in."""
    body, parts = prepare_text(text, encoding_policy(agency))  # type: ignore[arg-type]
    now = timezone.now()
    return Message(
        kind=kind,
        cause=cause,
        dossier=dossier,
        event=event,
        agency=agency,
        to=to,
        text=body,
        encoding=parts.encoding,
        parts=parts.parts,
        cost=estimate_cost(parts.parts, settings.MOTCUA["PRICE_PER_PART"]),
        not_before=not_before or now,
        created_at=now,
        preferred_connection=preferred_connection,
    )


def skipped(kind: str, cause: str, dossier: Dossier, reason: str, event: DossierEvent | None = None) -> Message:
    return Message(
        kind=kind, cause=cause, dossier=dossier, event=event, agency=dossier.agency,
        status=Status.SKIPPED, skip_reason=reason, final_at=timezone.now(),
    )


def quiet_not_before(now: datetime | None = None) -> datetime | None:
    return rules.quiet_hours_end(local(now or timezone.now()), settings.MOTCUA["QUIET_HOURS"])


def agency_templates(kind: str) -> dict[int, str]:
    """Every agency's own text for ``kind``: the batch loads them once instead of once per dossier."""
    return dict(Template.objects.filter(kind=kind).values_list("agency_id", "text"))


def message_for_decision(
    dossier: Dossier,
    decision: rules.Decision,
    cause: str,
    event: DossierEvent | None,
    quiet: bool,
    templates: dict[int, str] | None = None,
) -> Message:
    """The message (or skipped record) for a decision. ``templates`` (agency id -> text) spares a query."""
    if not decision.send:
        return skipped(decision.kind, cause, dossier, decision.reason, event)
    phone = normalise_phone(dossier.phone or dossier.phone_raw)
    template = None
    if templates is not None:
        template = templates.get(dossier.agency_id) or DEFAULT_TEMPLATES[decision.kind]
    message = build_message(
        kind=decision.kind,
        cause=cause,
        agency=dossier.agency,
        to=phone.gateway,
        text=render_for(dossier, decision.kind, template),
        dossier=dossier,
        event=event,
        not_before=quiet_not_before() if quiet else None,
    )
    return zns.route(message, dossier)  # ZNS first when the agency sends this kind through Zalo


def save_once(message: Message) -> Message | None:
    """Insert unless the cause is already recorded. Runs in a savepoint so the caller's transaction survives."""
    try:
        with transaction.atomic():
            message.save()
            message_status_changed.send(sender=Message, ids=[message.pk], status=None, at=None)
        return message
    except IntegrityError:
        return None


def on_dossier_changed(sender: object, dossier: Dossier, event: DossierEvent, before: DossierState | None,
                       **kwargs: object) -> None:
    """Receiver of ``dossiers.signals.dossier_changed``, sent inside the transaction of every event (API,
    DVCQG sync, desk): the message is written in that transaction, so it is committed with the event or
    rolled back with it."""
    record_transition(dossier, event, before)


def record_transition(dossier: Dossier, event: DossierEvent, before: DossierState | None) -> Message | None:
    """The message (or skipped record) a state change causes, if it causes one."""
    decision = rules.on_transition(before, dossier.state_enum, facts(dossier))
    if decision is None:
        return None
    cause = result_cause(dossier) if decision.kind == "result" else f"supplement:{event.pk}"
    return save_once(message_for_decision(dossier, decision, cause, event, quiet=True))


def result_cause(dossier: Dossier) -> str:
    """One result notice per dossier, and one more after each supplement request that followed it.

    A result set, undone and set again (a slip at the desk, a vendor's correction) is the same news and
    is told once. But a citizen told of the result and then asked for a supplement holds "cần bổ sung" as
    the last word: the result after that is news again. Its cause names that request, so flips after
    it are still told once."""
    first = f"result:{dossier.pk}"
    request = (dossier.events.filter(type=DossierEvent.SUPPLEMENT_REQUESTED).order_by("-recorded_at", "-pk")
               .values_list("pk", "recorded_at").first())
    told = (Message.objects.filter(Q(cause=first) | Q(cause__startswith=f"{first}:after:"), dossier=dossier,
                                   fallback_of__isnull=True)
            .order_by("-created_at", "-pk").values_list("cause", "created_at").first())
    if request is None or told is None:
        return first
    if told[1] > request[1]:
        return told[0]  # already told after the latest request: the same notice again
    return f"{first}:after:{request[0]}"


def apology_cause(dossier: Dossier) -> str:
    return f"apology:{dossier.pk}:{local(dossier.appointment_at).date().isoformat()}"


def apology_candidates(batch_day: date) -> Iterable[Dossier]:
    """Dossiers due on the next calendar day, streamed (the batch must not hold a table in memory)."""
    from datetime import time, timedelta

    tz = timezone.get_current_timezone()
    start = datetime.combine(batch_day + timedelta(days=1), time.min, tzinfo=tz)
    end = start + timedelta(days=1)
    return (
        Dossier.objects.filter(appointment_at__gte=start, appointment_at__lt=end)
        .exclude(state__in=[DossierState.RESULT_READY, DossierState.RETURNED])
        .select_related("agency", "procedure", "agency__successor")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )


def kinds() -> list[str]:
    return [k.value for k in Kind]
