"""The lean SQL behind every lookup (the dossier read and the reply + MO insert) giving the same rows as
the ORM. These tests commit (``transaction=True``): on PostgreSQL the reply and the MO are then inserted by
one statement, the path production takes, not the savepoint used inside a caller's transaction.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from motcua.lookup.replies import find_dossier, find_dossiers
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import IncomingMessage, Template
from motcua.messaging.transports.base import IncomingSMS

CODE, LATE = "0161701234", "0101701234"

pytestmark = pytest.mark.django_db(transaction=True)


def mo(remote_id: str) -> IncomingSMS:
    return IncomingSMS(sender="84912345678", recipient="8083", text=f"MCKH {CODE}", connection="kannel",
                       remote_id=remote_id)


@pytest.fixture
def dossiers(make_dossier):
    now = timezone.now()
    ago = now - timedelta(days=30)
    return {
        CODE: make_dossier(code=CODE, received=now - timedelta(days=1), appointment=now + timedelta(days=10)),
        LATE: make_dossier("press", code=LATE, received=ago, appointment=ago + timedelta(days=7)),
    }


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


def test_lean_read_gives_what_the_orm_gives(dossiers, province):
    agency = dossiers[CODE].agency
    own = "{Tên cơ quan}: hồ sơ {Mã số biên nhận} ở bước {Tên bước giải quyết hiện tại}, {Đúng hạn/Trễ hạn}."
    Template.objects.create(agency=agency, kind="lookup_reply", text=own)
    dossiers[LATE].waits = [{"from": "2026-01-02T00:00:00+07:00", "to": None}]
    dossiers[LATE].save()

    found = find_dossiers([CODE, f" {LATE} "])
    assert set(found) == {CODE, LATE}
    for code, dossier in found.items():
        orm = type(dossier).objects.select_related("agency", "procedure").get(code=code)
        fields = [f.attname for f in type(dossier)._meta.concrete_fields]
        assert [getattr(dossier, f) for f in fields] == [getattr(orm, f) for f in fields]
        assert dossier.agency == orm.agency and dossier.agency.sms_name == orm.agency.sms_name
        assert dossier.procedure.name == orm.procedure.name
    assert found[CODE].lookup_template == own
    assert found[LATE].lookup_template is None
    assert found[LATE].waits == [{"from": "2026-01-02T00:00:00+07:00", "to": None}]
    assert find_dossier("0169999999") is None
