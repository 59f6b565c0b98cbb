"""Incoming messages (MO) from every connection, and delivery reports arriving over HTTP.

One code path for MO from SMPP, Kannel, ``/sms/mo`` and the simulator: record once (a redelivered MO
with the same telco id is neither recorded nor answered twice), answer, and queue the reply back
through the connection it came from.
"""

from __future__ import annotations

import hashlib
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
CAUSE_LENGTH = Message._meta.get_field("cause").max_length


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
    transaction: two inserts, no update, because this is the path every paid lookup takes.
    """
    from motcua.lookup.replies import answer_text

    text = storable(sms.text, 2000)
    remote_id = storable(sms.remote_id, 80)
    sender = try_normalise_phone(sms.sender)
    to = sender.gateway if sender else storable(sms.sender, 16)
    answer = answer_text(text)
    now = timezone.now()
    reply = outbox.build_message(
        kind=Kind.LOOKUP_REPLY,
        cause=reply_cause(sms.connection, remote_id),
        agency=answer.dossiers[0].agency if answer.dossiers else None,  # its encoding policy applies
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
        log.info("MO %s on %s redelivered: already answered", remote_id, sms.connection)
        return Answer(existing, existing.reply, True)
    log.info("MO id=%s on %s outcome=%s", incoming.pk, sms.connection, answer.outcome)
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
    recorded (a redelivery: the reply's cause is taken), and then nothing is kept.

    On PostgreSQL outside a transaction this is one statement (a CTE inserting the reply, then the MO
    with the reply's id): atomic on its own, so one round trip instead of BEGIN, two INSERTs and
    COMMIT. A redelivery inserts no reply (``ON CONFLICT DO NOTHING``), hence no MO: no error, so no
    error round trip and no ERROR line in PostgreSQL's log for each MO a gateway sends again. Elsewhere,
    or inside a caller's transaction (a savepoint then keeps a duplicate from spoiling it), the two ORM
    inserts in ``transaction.atomic()``, the reply's in a savepoint of its own. Either way an MO that
    collides without its reply's cause (nothing here makes one) is an IntegrityError, and nothing is kept.
    """
    connection = connections[Message.objects.db]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic(using=connection.alias):
            try:
                with transaction.atomic(using=connection.alias):
                    reply.save()
            except IntegrityError:  # the cause is taken: a redelivery
                return False
            incoming.reply = reply
            incoming.save()  # an IntegrityError here takes the reply with it, as the statement does
        return True
    sql, reply_attnames, mo_attnames = _pair_insert(connection)
    with prepared_cursor(connection) as cursor:
        values = [getattr(reply, a) for a in reply_attnames] + [getattr(incoming, a) for a in mo_attnames]
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    for obj, pk in ((reply, row[1]), (incoming, row[0])):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, connection.alias
    incoming.reply = reply
    return True


_PAIR_SQL: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}


def _pair_insert(connection) -> tuple[str, tuple[str, ...], tuple[str, ...]]:  # noqa: ANN001
    """The CTE inserting a reply and its MO, and the attributes giving its parameters, built once per
    database. Values are the instances' attributes as they are: both models hold only text, numbers,
    datetimes and foreign key ids, which psycopg adapts itself, and neither has an ``auto_now`` field
    whose ``pre_save`` would change a value (checked here)."""
    if connection.alias in _PAIR_SQL:
        return _PAIR_SQL[connection.alias]
    qn = connection.ops.quote_name

    def columns(model: type, skip: tuple[str, ...] = ()) -> tuple[list[str], tuple[str, ...]]:
        fields = [f for f in model._meta.local_concrete_fields if not f.primary_key and f.name not in skip]
        if any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields):
            raise TypeError(f"{model.__name__} has an auto_now field: save_pair must call pre_save")
        return [qn(f.column) for f in fields], tuple(f.attname for f in fields)

    reply_cols, reply_attnames = columns(Message)
    mo_cols, mo_attnames = columns(IncomingMessage, skip=("reply",))
    reply_fk = qn(IncomingMessage._meta.get_field("reply").column)
    sql = (
        f"WITH r AS (INSERT INTO {qn(Message._meta.db_table)} ({', '.join(reply_cols)}) "
        f"VALUES ({', '.join(['%s'] * len(reply_cols))}) ON CONFLICT DO NOTHING "
        f"RETURNING {qn(Message._meta.pk.column)} AS id) "
        f"INSERT INTO {qn(IncomingMessage._meta.db_table)} ({', '.join(mo_cols)}, {reply_fk}) "
        f"SELECT {', '.join(['%s'] * len(mo_cols))}, r.id FROM r "
        f"RETURNING {qn(IncomingMessage._meta.pk.column)}, {reply_fk}"
    )
    _PAIR_SQL[connection.alias] = (sql, reply_attnames, mo_attnames)
    return _PAIR_SQL[connection.alias]
