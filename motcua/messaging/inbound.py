"""Incoming messages (MO) from every connection, and delivery reports arriving over HTTP.

One code path for MO from SMPP, Kannel, ``/sms/mo`` and the simulator: record once (a redelivered MO
with the same telco id is neither recorded nor answered twice), answer, and queue the reply back
through the connection it came from.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.domain.freetext import for_log
from motcua.domain.phones import try_normalise_phone
from motcua.dossiers.models import Agency
from motcua.messaging import outbox, signals
from motcua.messaging.models import IncomingMessage, Kind, Message, Status
from motcua.messaging.transports.base import IncomingSMS

log = logging.getLogger(__name__)
CAUSE_LENGTH = Message._meta.get_field("cause").max_length


class MOReply(Protocol):
    """What the MO handler answers to a text."""

    @property
    def outcome(self) -> str:
        """For the monthly reconciliation report (``answered``, ``unknown_code``, ...)."""

    @property
    def text(self) -> str:
        """The reply to the sender; never empty: every MO is paid for."""

    @property
    def agency(self) -> Agency | None:
        """The agency whose encoding policy the reply follows, if the reply is about one."""


MOHandler = Callable[[str], MOReply]
_mo_handler: MOHandler | None = None


def set_mo_handler(handler: MOHandler) -> None:
    """Make ``handler`` the answer to every MO text, from any connection. ``motcua.lookup`` registers
    itself here (in its ``AppConfig.ready``), so messaging, which sits below it, never imports it."""
    global _mo_handler
    _mo_handler = handler


def mo_handler() -> MOHandler:
    if _mo_handler is None:
        raise ImproperlyConfigured(
            "No MO handler is registered: an installed app must call "
            "motcua.messaging.inbound.set_mo_handler() in its AppConfig.ready ('motcua.lookup' does)."
        )
    return _mo_handler


@dataclass(frozen=True)
class Answer:
    incoming: IncomingMessage
    reply: Message | None
    duplicate: bool


def handle_incoming(sms: IncomingSMS, queue_reply: bool = True) -> Answer:
    """Record and answer an MO. ``queue_reply=False`` when the gateway takes the reply in its HTTP response
    (Kannel get-url); the reply row is then recorded as handed to that connection (``to_gateway``, final:
    no delivery report will come for it).

    The answer is computed first (reads only), then the reply and the MO are inserted in one short
    transaction.
    """
    text = storable(sms.text, 2000)
    remote_id = storable(sms.remote_id, 80)
    sender = try_normalise_phone(sms.sender)
    to = sender.gateway if sender else storable(sms.sender, 16)
    answer = mo_handler()(text)
    now = timezone.now()
    reply = outbox.build_message(
        kind=Kind.LOOKUP_REPLY,
        cause=reply_cause(sms.connection, remote_id),
        agency=answer.agency,  # its encoding policy applies
        to=to,
        text=answer.text,
        preferred_connection=sms.connection,
    )
    if not queue_reply:
        reply.status, reply.connection, reply.sent_at, reply.final_at = Status.TO_GATEWAY, sms.connection, now, now
    incoming = IncomingMessage(
        connection=sms.connection,
        remote_id=remote_id,
        sender=to,
        recipient=storable(sms.recipient, 16),
        text=text,
        received_at=sms.received_at or now,
        price=settings.MOTCUA["MO_PRICE"] if sms.recipient.strip() == settings.MOTCUA["SHORT_CODE"] else 0,
        outcome=answer.outcome,
    )
    if not save_pair(reply, incoming):
        existing = IncomingMessage.objects.select_related("reply").get(connection=sms.connection, remote_id=remote_id)
        log.info("MO %s on %s redelivered: already answered", for_log(remote_id, 80), for_log(sms.connection))
        return Answer(existing, existing.reply, True)
    log.info("MO id=%s on %s outcome=%s", incoming.pk, for_log(sms.connection), for_log(answer.outcome))
    return Answer(incoming, reply, False)


def reply_cause(connection: str, remote_id: str) -> str:
    """The reply's ``cause``, unique per MO: the same for a redelivery of the MO (same connection and
    telco id), which is how a redelivery is told from a new MO. Readable where it fits the column; a
    connection name and an id at their longest (64 + 80 characters) do not, and are then digested."""
    if not remote_id:
        return f"reply:{uuid.uuid4().hex}"
    cause = f"reply:{connection}:{remote_id}"
    if len(cause) <= CAUSE_LENGTH:
        return cause
    return "reply:sha256:" + hashlib.sha256(f"{connection}\n{remote_id}".encode()).hexdigest()


def storable(value: str, limit: int) -> str:
    """``value`` as both databases can store it, cut to ``limit``: no NUL (PostgreSQL's text refuses it;
    a naive GSM decoder makes one of every '@') and no lone surrogate, which has no UTF-8 form (it
    becomes '?'). No gateway path decodes to one (SMPP's UCS-2 decoding replaces, Kannel's text is
    refused with a 400), but this handler takes any text and every MO must be recorded and answered."""
    value = value.replace("\x00", "")[:limit]
    return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")


def save_pair(reply: Message, incoming: IncomingMessage) -> bool:
    """Insert the reply and the MO pointing at it, both or neither; False if the MO was already
    recorded (a redelivery: the reply's unique cause is taken), and then nothing is kept.

    ``transaction.atomic()`` is a savepoint inside a caller's transaction, so a redelivery leaves that
    transaction usable. An MO that collides without its reply's cause (nothing here makes one) is an
    IntegrityError, raised, and the reply goes with it.
    """
    try:
        with transaction.atomic(using=Message.objects.db):
            reply.save()
            incoming.reply = reply
            incoming.save()
            signals.mo_answered.send(sender=IncomingMessage, incoming=incoming, reply=reply)
    except IntegrityError:
        if Message.objects.filter(cause=reply.cause).exists():
            return False
        raise
    return True
