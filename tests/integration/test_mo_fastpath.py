"""The reply + MO insert behind every lookup. These tests commit (``transaction=True``): on PostgreSQL
the reply and the MO are then inserted by one statement, the path production takes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import IncomingMessage
from motcua.messaging.transports.base import IncomingSMS

CODE = "0161701234"

pytestmark = pytest.mark.django_db(transaction=True)


def mo(remote_id: str) -> IncomingSMS:
    return IncomingSMS(sender="84912345678", recipient="8083", text=f"MCKH {CODE}", connection="kannel",
                       remote_id=remote_id)


@pytest.fixture
def dossiers(make_dossier):
    now = timezone.now()
    return make_dossier(code=CODE, received=now - timedelta(days=1), appointment=now + timedelta(days=10))


@pytest.mark.postgres
def test_a_redelivery_costs_postgresql_no_failed_statement(dossiers):
    """Found by ``ON CONFLICT DO NOTHING``, not by a unique violation: a failed INSERT costs an error
    round trip and leaves an ERROR line in PostgreSQL's log for every MO a gateway sends again."""
    from django.db import connection

    def rolled_back() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")  # flushed as that statement ends
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]

    first = handle_incoming(mo("k-pg"), queue_reply=False)
    before = rolled_back()
    assert handle_incoming(mo("k-pg"), queue_reply=False).reply.text == first.reply.text
    assert rolled_back() == before
    assert IncomingMessage.objects.filter(remote_id="k-pg").count() == 1
