"""The worker's hot-path writes, as plain SQL that runs unchanged on SQLite and PostgreSQL.

Why not the ORM here: sending 20,000 messages through ``Model.__init__``, ``bulk_create`` and
``filter(pk__in=[…])`` cost about 0.3 ms of Python per message (half of it building model instances,
a fifth parsing a thousand ``%s`` placeholders per IN list), which capped the worker at ~1,300 msg/s
against an SMSC that takes 5,000. Each statement below binds a whole list as *one* parameter (an
array on PostgreSQL, a JSON array read with ``json_each`` on SQLite), so its cost does not grow
with the number of ids, and claimed rows come back as plain tuples.

Every UPDATE here is conditional on the row still being where we left it (``status``, ``claim``),
which is what lets several workers, and a worker that was presumed dead, share the tables safely.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from motcua.messaging.models import Message, MessagePart, Status

MESSAGES = Message._meta.db_table
PARTS = MessagePart._meta.db_table
# Statements that name their rows by id compare the status as an expression, so that PostgreSQL
# finds the rows by primary key and never through a status index: those hold dead entries for every
# row that has passed through 'sending' since the last vacuum, and ANDing one in cost ~2 ms a
# statement in bench/mt_throughput.py, against ~0.1 ms by id.
ROW_STATUS = "(status || '')"


@dataclass(slots=True)
class Claimed:
    """A message this worker holds (``status='sending'`` with our ``claim`` token) and must send."""

    pk: int
    to: str
    text: str
    encoding: str
    attempts: int
    preferred_connection: str
    agency_id: int | None
    claim: str


def among(column: str, values: Iterable, sql_type: str = "bigint") -> tuple[str, list]:
    """``column`` is one of ``values``, with the list bound as a single parameter."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{sql_type}[])", [values]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(values)]


def _at(moment: datetime) -> object:
    return connection.ops.adapt_datetimefield_value(moment)


def claim(token: str, now: datetime, limit: int) -> list[Claimed]:
    """Take up to ``limit`` due messages in one statement: a conditional UPDATE whose candidates are
    picked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serialises writers anyway).

    Earliest due first, in the order of the ``msg_queued`` index (not_before, id): a retry whose
    backoff is over goes before notices queued after it, and with table statistics PostgreSQL reads
    the index in order and stops after ``limit`` rows instead of sorting every due row (ordered by id
    alone, each claim of 500 sorted all 20,000 queued). The status is written into the SQL, not bound: a
    partial index whose predicate is ``status = 'queued'`` is only usable when the planner can see
    the value. And it is planned each time (``planned_each_run``): it runs once per ``limit``
    messages, and a plan cached while the queue was empty would stay the plan for a full queue."""
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    at = _at(now)
    queued = _literal(Status.QUEUED)
    with transaction.atomic(), connection.cursor() as cur:
        # The candidates go in a MATERIALIZED CTE: as a plain "IN (subquery LIMIT n)" PostgreSQL may
        # run the subquery more than once and claim more than n rows.
        cur.execute(
            f"WITH picked AS MATERIALIZED (SELECT id FROM {MESSAGES} WHERE status = {queued} AND not_before <= %s "
            f"ORDER BY not_before, id LIMIT %s{lock}) "
            f"UPDATE {MESSAGES} SET status = %s, claim = %s, claimed_at = %s, attempts = attempts + 1 "
            f"WHERE status = {queued} AND id IN (SELECT id FROM picked) "
            'RETURNING id, "to", text, encoding, attempts, preferred_connection, agency_id',
            [at, limit, Status.SENDING, token, at],
            **planned_each_run(),
        )
        rows = cur.fetchall()
    return [Claimed(*row, token) for row in sorted(rows)]


def release(claimed: Sequence[Claimed]) -> int:
    """Put claimed messages that were never handed to a connection back in the queue, with the
    attempt their claim counted given back."""
    if not claimed:
        return 0
    which, params = among("id", [m.pk for m in claimed])
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {MESSAGES} SET status = %s, claim = '', attempts = attempts - 1 "
            f"WHERE {ROW_STATUS} = %s AND claim = %s AND {which}",
            [Status.QUEUED, Status.SENDING, claimed[0].claim, *params],
        )
        return cur.rowcount


def _literal(status: str) -> str:
    """A status as an SQL literal; only our own constants, never input, go through here."""
    if status not in Status.values:
        raise ValueError(status)
    return f"'{status}'"


def planned_each_run() -> dict:
    """``execute`` keywords for a statement PostgreSQL should plan with the values of each run (an
    unnamed statement) instead of once per connection: for the few whose best plan depends on how many
    rows they touch, which here grows from a handful to thousands within a minute, faster than
    autovacuum's ANALYZE would invalidate a cached plan."""
    return {}  # Django's cursors bind client-side: every statement is planned with its own values


@dataclass
class Outcomes:
    """What one send produced, grouped so that each kind of outcome is one statement."""

    sent: list[int]
    parts: list[tuple[int, str]]  # (message id, normalised remote id)
    retry: dict[tuple[datetime, str], list[int]]  # (not before, error) -> ids; uses up an attempt
    retry_free: dict[tuple[datetime, str], list[int]]  # the same, but the link was down: no attempt used
    failed: dict[str, list[int]]  # error -> ids


def record(connection_name: str, claims: set[str], outcomes: Outcomes, now: datetime) -> None:
    """Store the outcomes of one send atomically. Only rows still held by one of our ``claims``
    change: if housekeeping judged us dead and another worker took a message over, its outcome is
    that worker's to record, not ours.

    On PostgreSQL the usual case (all sent) is a single statement, the parts' INSERT riding along as
    a data-modifying CTE: one round trip and one commit, which matters because over SMPP the next
    window of messages waits for this (see ``SmppTransport.send_stream``)."""
    mine, mine_params = among("claim", claims, "text")
    at = _at(now)
    statements: list[tuple[str, list]] = []

    def update(assignments: str, params: list, ids: list[int]) -> None:
        which, which_params = among("id", ids)
        statements.append((
            f"UPDATE {MESSAGES} SET {assignments} WHERE {ROW_STATUS} = %s AND {mine} AND {which}",
            [*params, Status.SENDING, *mine_params, *which_params],
        ))

    if outcomes.sent:
        update("status = %s, sent_at = %s, connection = %s, error = ''",
               [Status.SENT, at, connection_name], outcomes.sent)
    for (not_before, error), ids in outcomes.retry.items():
        update("status = %s, not_before = %s, error = %s, claim = ''",
               [Status.QUEUED, _at(not_before), error], ids)
    for (not_before, error), ids in outcomes.retry_free.items():
        update("status = %s, not_before = %s, error = %s, claim = '', attempts = attempts - 1",
               [Status.QUEUED, _at(not_before), error], ids)
    for error, ids in outcomes.failed.items():
        update("status = %s, error = %s, final_at = %s, connection = %s",
               [Status.FAILED, error, at, connection_name], ids)
    if outcomes.parts:
        sql, params = insert_parts(connection_name, outcomes.parts)
        if connection.vendor == "postgresql" and statements:
            first, first_params = statements[0]
            statements[0] = (f"WITH new_parts AS ({sql}) {first}", [*params, *first_params])
        else:
            statements.insert(0, (sql, params))
    with transaction.atomic() if len(statements) > 1 else nullcontext(), connection.cursor() as cur:
        for sql, params in statements:
            cur.execute(sql, params)


def insert_parts(connection_name: str, parts: list[tuple[int, str]]) -> tuple[str, list]:
    """One statement for any number of parts (``executemany`` cost ~0.15 ms a row on PostgreSQL)."""
    columns = f"INSERT INTO {PARTS} (message_id, connection, remote_id, status, error) "
    if connection.vendor == "postgresql":
        return (
            f"{columns} SELECT unnest(%s::bigint[]), %s, unnest(%s::text[]), %s, '' ON CONFLICT DO NOTHING",
            [[pk for pk, _ in parts], connection_name, [rid for _, rid in parts], Status.SENT],
        )
    return (
        f"{columns} SELECT json_extract(value, '$[0]'), %s, json_extract(value, '$[1]'), %s, '' "
        "FROM json_each(%s) WHERE true ON CONFLICT DO NOTHING",  # WHERE: SQLite's upsert parsing rule
        [connection_name, Status.SENT, json.dumps(parts)],
    )


def apply_receipts(
    connection_name: str, by_status: dict[str, list[str]], now: datetime
) -> tuple[set[str], set[str]]:
    """Move parts still ``sent`` to the status their receipt gives, and settle their messages.

    Returns (applied ids, ids known but already final — duplicate receipts). An id in neither is
    not (yet) ours: its message may still be in another worker's hands."""
    at = _at(now)
    applied: set[str] = set()
    touched: set[int] = set()
    with transaction.atomic(), connection.cursor() as cur:
        for status, remote_ids in by_status.items():
            which, params = among("remote_id", remote_ids, "text")
            cur.execute(
                f"UPDATE {PARTS} SET status = %s, reported_at = %s "
                f"WHERE connection = %s AND status = %s AND {which} RETURNING remote_id, message_id",
                [status, at, connection_name, Status.SENT, *params],
                **planned_each_run(),
            )
            for remote_id, message_id in cur.fetchall():
                applied.add(remote_id)
                touched.add(message_id)
        rest = [rid for ids in by_status.values() for rid in ids if rid not in applied]
        known: set[str] = set()
        if rest:  # duplicates, or ids we have not stored yet: tell them apart
            # "Already final", not merely "exists": a part stored by another transaction since the
            # UPDATE above is still waiting for this very receipt, which must then be tried again.
            which, params = among("remote_id", rest, "text")
            cur.execute(f"SELECT remote_id FROM {PARTS} WHERE connection = %s AND status <> %s AND {which}",
                        [connection_name, Status.SENT, *params], **planned_each_run())
            known = {row[0] for row in cur.fetchall()}
        settle(touched, now)
    return applied, known


def settle(message_ids: Sequence[int] | set[int], now: datetime) -> None:
    """A message is delivered when all its parts are; undelivered as soon as one part is, once no
    part is still waiting for its receipt; otherwise expired. One statement for any number.

    Planned at each run: a plan cached while the parts table was nearly empty (the first receipts
    of a run) read it whole for every message once it had filled, ~1.3 s a statement at 20,000
    parts, and receipts fell minutes behind in about half the runs of bench/mt_throughput.py."""
    if not message_ids:
        return
    which, params = among("id", message_ids)

    def parts_that(condition: str) -> str:
        return f"EXISTS (SELECT 1 FROM {PARTS} p WHERE p.message_id = {MESSAGES}.id AND p.status {condition})"

    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {MESSAGES} SET final_at = %s, status = CASE "
            f"WHEN NOT {parts_that('<> %s')} THEN %s WHEN {parts_that('= %s')} THEN %s ELSE %s END "
            f"WHERE {which} AND {ROW_STATUS} IN (%s, %s) AND NOT {parts_that('= %s')}",
            [_at(now), Status.DELIVERED, Status.DELIVERED, Status.UNDELIVERED, Status.UNDELIVERED,
             Status.EXPIRED, *params, Status.SENT, Status.SENDING, Status.SENT],
            **planned_each_run(),
        )
