"""The JSON one-stop software receives about a message: in a callback, and from the polling endpoint.

Both are built here from the message row, so their field names and values are the same. They carry no
personal data: the phone number is masked (``8491****678``), the applicant's name and the SMS text are
left out (the software that sent the dossier has them).

A callback body (``type`` ``message_status``)::

    event_id      "<message_id>:<status>" — the same for a repeated delivery of the same change
    type          "message_status", or "lookup" for an answered SMS lookup
    occurred_at   when the change happened (ISO 8601, UTC)
    message_id    our id of the SMS
    dossier_code  the dossier's receipt code (null for a lookup reply)
    kind          result / supplement / apology / lookup_reply
    status        queued / skipped / sent / delivered / undelivered / expired / failed / to_gateway
    reason        why it was not sent (status skipped), else ""
    error         the telco's or the connection's error (failed; expired: "no delivery receipt"), else ""
    parts         SMS parts (what the telco charges); 0 when skipped
    to            the phone number, masked
    created_at, sent_at, final_at   the message's times (null until they happen)
    channel       sms, or zns (Zalo ZNS); a notice ZNS could not deliver has a second message, the SMS,
    fallback_of   whose fallback_of is the ZNS message's id (null otherwise)

A ``lookup`` body has the same fields about the reply (``message_id`` is the reply's, ``status`` the
reply's at the time: queued, or to_gateway when a Kannel gateway took it) and also ``codes`` (the receipt
codes asked about, as read from the SMS), ``outcome`` (answered / unknown_code / bad_syntax / no_code) and
``price`` (what the citizen paid for the SMS, VND).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from motcua.domain.mo_parser import parse_mo
from motcua.messaging.models import FINAL_STATUSES, IncomingMessage, Message, Status

MESSAGE_STATUS = "message_status"
LOOKUP = "lookup"
# The fields of a Message these payloads read (``only()`` loads no more).
MESSAGE_FIELDS = (
    "id", "kind", "status", "skip_reason", "error", "parts", "to", "created_at", "sent_at", "final_at",
    "agency", "dossier__code", "dossier__agency", "channel", "fallback_of",
)


def mask_phone(number: str) -> str:
    """``84912345678`` → ``8491****678``: enough for a person to tell two numbers apart, not to dial one."""
    number = number or ""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 7) + number[-3:]


def iso(value: datetime | None) -> str | None:
    """UTC, ``Z``, milliseconds when there are some: what the API's own datetimes look like."""
    if value is None:
        return None
    return DjangoJSONEncoder().default(value.astimezone(UTC))


def occurred_at(message: Message) -> datetime:
    """When the message got its present status."""
    if message.status == Status.SENT:
        return message.sent_at or message.created_at
    if message.status in FINAL_STATUSES:
        return message.final_at or message.created_at
    return message.created_at


def event_id(message_id: int, what: str) -> str:
    return f"{message_id}:{what}"


def message_fields(message: Message) -> dict[str, Any]:
    final = message.status in FINAL_STATUSES
    return {
        "message_id": message.pk,
        "dossier_code": message.dossier.code if message.dossier_id else None,
        "kind": message.kind,
        "status": message.status,
        "reason": message.skip_reason if message.status == Status.SKIPPED else "",
        "error": message.error if final else "",
        "parts": message.parts,
        "to": mask_phone(message.to),
        "created_at": iso(message.created_at),
        "sent_at": iso(message.sent_at),
        "final_at": iso(message.final_at),
        "channel": message.channel,
        "fallback_of": message.fallback_of_id,
    }


def status_event(message: Message) -> dict[str, Any]:
    """The callback body for the status the message has now."""
    return {
        "event_id": event_id(message.pk, message.status),
        "type": MESSAGE_STATUS,
        "occurred_at": iso(occurred_at(message)),
        **message_fields(message),
    }


def lookup_event(incoming: IncomingMessage, reply: Message) -> dict[str, Any]:
    """The callback body for an answered lookup: the reply's fields, what was asked and what it cost."""
    return {
        "event_id": event_id(reply.pk, LOOKUP),
        "type": LOOKUP,
        "occurred_at": iso(incoming.received_at),
        **message_fields(reply),
        "codes": list(parse_mo(incoming.text, keyword=settings.MOTCUA["KEYWORD"]).codes),
        "outcome": incoming.outcome,
        "price": incoming.price,
    }


def history(message: Message) -> list[dict[str, Any]]:
    """The status events a message has had, rebuilt from its row, for the polling endpoint: the same
    ``event_id``, ``occurred_at``, ``status``, ``reason`` and ``error`` its callbacks carried."""
    events: list[tuple[str, datetime]] = []
    if message.status not in (Status.SKIPPED, Status.TO_GATEWAY):  # those were never in our queue
        events.append((Status.QUEUED, message.created_at))
    if message.sent_at is not None and message.status != Status.TO_GATEWAY:
        events.append((Status.SENT, message.sent_at))
    if message.status in FINAL_STATUSES:
        events.append((message.status, message.final_at or message.created_at))
    last = len(events) - 1
    return [
        {
            "event_id": event_id(message.pk, status),
            "type": MESSAGE_STATUS,
            "occurred_at": iso(at),
            "status": status,
            "reason": message.skip_reason if status == Status.SKIPPED else "",
            "error": message.error if i == last and message.status in FINAL_STATUSES else "",
        }
        for i, (status, at) in enumerate(events)
    ]


def dumps(body: dict[str, Any]) -> str:
    """The exact text that is signed and sent: UTF-8 JSON, Vietnamese as it is, no spaces."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
