"""ZNS first, SMS when it cannot: which notices go through Zalo, and the SMS that replaces a ZNS attempt.

A notice of an agency that turned ZNS on, and has an approved template for its kind, is queued as a ``zns``
message that also carries the SMS text. When ZNS cannot reach the person (a refusal meaning "not by
Zalo", the tries used up, or no ``user_received_message`` within ``ZNS_FALLBACK_AFTER``) the SMS becomes a
second message, ``fallback_of`` the first, with the cause ``<cause>:sms``: unique like every cause, so a
notice has at most one SMS fallback whatever workers race.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from motcua.domain import rules
from motcua.domain import zns as zns_domain
from motcua.domain.smstext import estimate_cost, format_appointment_date
from motcua.dossiers.models import Dossier
from motcua.messaging.models import Channel, Message, Status, ZnsTemplate
from motcua.messaging.signals import message_status_changed

FALLBACK_SUFFIX = ":sms"


def configured() -> bool:
    """A zns:// connection is configured: without one, nothing is queued for ZNS."""
    urls = str(settings.MOTCUA["SMS_URL"]).replace(",", " ").split()
    return any(urlsplit(u).scheme in ("zns", "znss", "znssim") for u in urls)


def lookup_link(dossier: Dossier) -> str:
    base = str(settings.MOTCUA.get("PUBLIC_URL", "")).rstrip("/")
    return f"{base}/tra-cuu?{urlencode({'code': dossier.code, 'access_code': dossier.access_code})}"


def field_values(dossier: Dossier) -> dict[str, str]:
    agency = dossier.agency.current()  # a retired agency's citizens go to its successor
    return {
        zns_domain.FIELD_CODE: dossier.code,
        zns_domain.FIELD_AGENCY: agency.sms_name or agency.name,
        zns_domain.FIELD_APPOINTMENT_DATE: format_appointment_date(timezone.localtime(dossier.appointment_at)),
        zns_domain.FIELD_LOOKUP_LINK: lookup_link(dossier),
    }


def route(message: Message, dossier: Dossier) -> Message:
    """Make a queued notice a ZNS one when its agency sends that kind through ZNS."""
    if message.status != Status.QUEUED or not configured():
        return message
    template = (
        ZnsTemplate.objects.filter(agency=dossier.agency, kind=message.kind, agency__zns__enabled=True)
        .only("template_id", "params").first()
    )
    if template is None:
        return message
    message.channel = Channel.ZNS
    message.template_id = template.template_id
    message.template_data = zns_domain.template_data(template.params, field_values(dossier))
    message.cost = settings.MOTCUA["ZNS_PRICE"]
    return message


def quiet_end(now: datetime) -> datetime | None:
    return rules.quiet_hours_end(timezone.localtime(now), settings.MOTCUA["QUIET_HOURS"])


def queue_fallbacks(zns_ids: list[int], now: datetime) -> int:
    """The SMS for each of these ZNS messages, queued to go at once — or when the quiet hours end, if ZNS
    retries or waiting for its delivery event took the notice into the night; those that have one already
    are left alone. Runs inside the caller's transaction: the ZNS outcome and its SMS are stored together
    or not at all."""
    not_before = quiet_end(now) or now
    rows = Message.objects.filter(id__in=zns_ids, channel=Channel.ZNS).only(
        "id", "kind", "cause", "dossier_id", "event_id", "agency_id", "to", "text", "encoding", "parts",
        "preferred_connection",
    )
    price = settings.MOTCUA["PRICE_PER_PART"]
    fresh = [
        Message(
            kind=m.kind, cause=f"{m.cause}{FALLBACK_SUFFIX}", dossier_id=m.dossier_id, event_id=m.event_id,
            agency_id=m.agency_id, to=m.to, text=m.text, encoding=m.encoding, parts=m.parts,
            cost=estimate_cost(m.parts, price), not_before=not_before, created_at=now,
            channel=Channel.SMS, fallback_of_id=m.pk,
        )
        for m in rows
    ]
    if not fresh:
        return 0
    Message.objects.bulk_create(fresh, ignore_conflicts=True)
    message_status_changed.send(sender=Message, causes=[m.cause for m in fresh], status=None, at=None)
    return len(fresh)


def fall_back_unanswered(now: datetime, limit: int = 1000) -> int:
    """ZNS messages Zalo accepted but whose ``user_received_message`` did not come in time: their SMS is
    queued (after the quiet hours). They stay ``sent``: a later delivery is recorded, and does not count."""
    before = now - timedelta(seconds=settings.MOTCUA["ZNS_FALLBACK_AFTER"])
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=Status.SENT, channel=Channel.ZNS, sent_at__lt=before, fallback__isnull=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            queue_fallbacks(ids, now)
    return len(ids)
