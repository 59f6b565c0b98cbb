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
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from motcua.domain.phones import try_normalise_phone
from motcua.messaging import outbox
from motcua.messaging.models import IncomingMessage, Kind, Message, Status
from motcua.messaging.transports.base import IncomingSMS
from motcua.prepared import prepared_cursor

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
        save_pair(reply, incoming)
    except IntegrityError:
        existing = IncomingMessage.objects.select_related("reply").get(connection=sms.connection, remote_id=remote_id)
        log.info("MO %s on %s redelivered: already answered", remote_id, sms.connection)
        return Answer(existing, existing.reply, True)
    log.info("MO id=%s on %s outcome=%s", incoming.pk, sms.connection, answer.outcome)
    return Answer(incoming, reply, False)


def save_pair(reply: Message, incoming: IncomingMessage) -> None:
    """Insert the reply and the MO pointing at it, both or neither.

    On PostgreSQL outside a transaction this is one statement (a CTE inserting the reply, then the MO
    with the reply's id): atomic on its own, so one round trip instead of BEGIN, two INSERTs and
    COMMIT. Elsewhere, or inside a caller's transaction (a savepoint then keeps a duplicate from
    spoiling it), the two ORM inserts in ``transaction.atomic()``. A duplicate raises IntegrityError
    either way, and nothing is kept.
    """
    connection = connections[Message.objects.db]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic(using=connection.alias):
            reply.save()
            incoming.reply = reply
            incoming.save()
        return
    reply_cols, reply_values = insert_values(reply, connection)
    mo_cols, mo_values = insert_values(incoming, connection, skip=("reply",))
    qn = connection.ops.quote_name
    reply_table, mo_table = qn(Message._meta.db_table), qn(IncomingMessage._meta.db_table)
    reply_fk = qn(IncomingMessage._meta.get_field("reply").column)
    sql = (
        f"WITH r AS (INSERT INTO {reply_table} ({', '.join(reply_cols)}) "
        f"VALUES ({', '.join(['%s'] * len(reply_cols))}) RETURNING {qn(Message._meta.pk.column)} AS id) "
        f"INSERT INTO {mo_table} ({', '.join(mo_cols)}, {reply_fk}) "
        f"VALUES ({', '.join(['%s'] * len(mo_cols))}, (SELECT id FROM r)) "
        f"RETURNING {qn(IncomingMessage._meta.pk.column)}, {reply_fk}"
    )
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [*reply_values, *mo_values])
        mo_id, reply_id = cursor.fetchone()
    for obj, pk in ((reply, reply_id), (incoming, mo_id)):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    incoming.reply = reply


def insert_values(obj: object, connection, skip: tuple[str, ...] = ()) -> tuple[list[str], list]:  # noqa: ANN001
    """Quoted columns and database values of an unsaved instance, prepared as ``Model.save`` would
    (``pre_save`` for defaults such as ``auto_now``, then ``get_db_prep_save``); the primary key is
    left to the database."""
    columns, values = [], []
    for field in obj._meta.local_concrete_fields:  # type: ignore[attr-defined]
        if field.primary_key or field.name in skip:
            continue
        columns.append(connection.ops.quote_name(field.column))
        values.append(field.get_db_prep_save(field.pre_save(obj, True), connection))
    return columns, values
