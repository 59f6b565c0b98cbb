"""Incoming messages (MO) from every connection, and delivery reports arriving over HTTP.

One code path for MO from SMPP, Kannel, ``/sms/mo`` and the simulator: record once (a redelivered MO
with the same telco id is neither recorded nor answered twice), answer, and queue the reply back
through the connection it came from.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.domain.phones import try_normalise_phone
from motcua.messaging import outbox
from motcua.messaging.models import IncomingMessage, Kind, Message, Status
from motcua.messaging.transports.base import IncomingSMS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    incoming: IncomingMessage
    reply: Message | None
    duplicate: bool


def handle_incoming(sms: IncomingSMS, queue_reply: bool = True) -> Answer:
    """Record and answer an MO. ``queue_reply=False`` when the gateway takes the reply in its HTTP response
    (Kannel get-url); the reply row is then recorded as already sent through that connection.

    The answer is computed first (reads only), then the reply and the MO are inserted in one short
    transaction: two inserts, no update, because this is the path every paid lookup takes.
    """
    from motcua.lookup.replies import answer_text

    text = sms.text.replace("\x00", "")[:2000]  # PostgreSQL text cannot hold NUL (a naive GSM '@')
    remote_id = sms.remote_id[:80]
    sender = try_normalise_phone(sms.sender)
    to = sender.gateway if sender else sms.sender[:16]
    answer = answer_text(text)
    now = timezone.now()
    reply = outbox.build_message(
        kind=Kind.LOOKUP_REPLY,
        cause=f"reply:{sms.connection}:{remote_id}" if remote_id else f"reply:{uuid.uuid4().hex}",
        agency=answer.dossiers[0].agency if answer.dossiers else None,  # its encoding policy applies
        to=to,
        text=answer.text,
        preferred_connection=sms.connection,
    )
    if not queue_reply:
        reply.status, reply.connection, reply.sent_at = Status.SENT, sms.connection, now
    incoming = IncomingMessage(
        connection=sms.connection,
        remote_id=remote_id,
        sender=to,
        recipient=sms.recipient[:16],
        text=text,
        received_at=sms.received_at or now,
        price=settings.MOTCUA["MO_PRICE"] if sms.recipient.strip() == settings.MOTCUA["SHORT_CODE"] else 0,
        outcome=answer.outcome,
    )
    try:
        with transaction.atomic():
            reply.save()
            incoming.reply = reply
            incoming.save()
    except IntegrityError:
        existing = IncomingMessage.objects.select_related("reply").get(connection=sms.connection, remote_id=remote_id)
        log.info("MO %s on %s redelivered: already answered", remote_id, sms.connection)
        return Answer(existing, existing.reply, True)
    outcome = answer.outcome
    log.info("MO id=%s on %s outcome=%s", incoming.pk, sms.connection, outcome)
    return Answer(incoming, reply, False)
