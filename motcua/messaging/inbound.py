"""Incoming messages (MO) from every connection, and delivery reports arriving over HTTP.

One code path for MO from SMPP, Kannel, ``/sms/mo`` and the simulator: record once (a redelivered MO
with the same telco id is neither recorded nor answered twice), answer, and queue the reply back
through the connection it came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.domain.phones import try_normalise_phone
from motcua.messaging import outbox
from motcua.messaging.models import IncomingMessage, Kind, Message
from motcua.messaging.transports.base import IncomingSMS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    incoming: IncomingMessage
    reply: Message | None
    duplicate: bool


def reply_text(text: str) -> tuple[str, str]:
    """(outcome, reply text) for an MO text. The lookup issue fills this in with the real parser."""
    from motcua.lookup.replies import answer_mo

    return answer_mo(text)


def handle_incoming(sms: IncomingSMS, queue_reply: bool = True) -> Answer:
    """Record and answer an MO. ``queue_reply=False`` when the gateway takes the reply in its HTTP response
    (Kannel get-url); the reply row is then recorded as already sent through that connection."""
    sender = try_normalise_phone(sms.sender)
    to = sender.gateway if sender else sms.sender[:16]
    try:
        with transaction.atomic():
            incoming = IncomingMessage.objects.create(
                connection=sms.connection,
                remote_id=sms.remote_id[:80],
                sender=to,
                recipient=sms.recipient[:16],
                text=sms.text[:2000],
                received_at=sms.received_at or timezone.now(),
                price=settings.MOTCUA["MO_PRICE"] if sms.recipient.strip() == settings.MOTCUA["SHORT_CODE"] else 0,
            )
            outcome, text = reply_text(sms.text)
            reply = outbox.build_message(
                kind=Kind.LOOKUP_REPLY,
                cause=f"reply:{incoming.pk}",
                agency=None,
                to=to,
                text=text,
                preferred_connection=sms.connection,
            )
            if not queue_reply:
                reply.status = "sent"
                reply.connection = sms.connection
                reply.sent_at = timezone.now()
            reply.save()
            incoming.outcome = outcome
            incoming.reply = reply
            incoming.save(update_fields=["outcome", "reply"])
    except IntegrityError:
        existing = IncomingMessage.objects.select_related("reply").get(
            connection=sms.connection, remote_id=sms.remote_id[:80]
        )
        log.info("MO %s on %s redelivered: already answered", sms.remote_id, sms.connection)
        return Answer(existing, existing.reply, True)
    log.info("MO id=%s on %s outcome=%s", incoming.pk, sms.connection, outcome)
    return Answer(incoming, reply, False)
