"""``/sms/mo`` through the production WSGI entry (``motcua.wsgi.application``), which sends it past the
middleware stack straight to the view; and the lean SQL behind every lookup (the dossier read and the
reply + MO insert) giving the same rows as the ORM.

These tests commit (``transaction=True``): on PostgreSQL the reply and the MO are then inserted by one
statement, the path production takes, not the savepoint used inside a caller's transaction.
"""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.lookup.replies import find_dossier, find_dossiers
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import IncomingMessage, Message, Status, Template
from motcua.messaging.transports.base import IncomingSMS
from motcua.wsgi import application

CODE, LATE = "0161701234", "0101701234"
ON_TIME_REPLY = f"Hồ sơ của quý Ông/Bà ({CODE}) hiện đang ở bước Tiếp nhận hồ sơ, trạng thái hồ sơ: Đúng hạn."
LATE_REPLY = f"Hồ sơ của quý Ông/Bà ({LATE}) hiện đang ở bước Tiếp nhận hồ sơ, trạng thái hồ sơ: Trễ hạn."

pytestmark = pytest.mark.django_db(transaction=True)


def wsgi_get(path: str, params: dict[str, str], host: str = "127.0.0.1") -> tuple[int, dict[str, str], str]:
    """One request through ``motcua.wsgi.application`` as the web server would make it."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": urlencode(params),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    seen: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):  # noqa: ANN001, ANN202
        seen["status"], seen["headers"] = status, dict(headers)

    result = application(environ, start_response)
    try:
        body = b"".join(result).decode()
    finally:
        result.close()
    return int(str(seen["status"]).split()[0]), seen["headers"], body  # type: ignore[return-value]


def mo(text: str, remote_id: str, **extra: str) -> dict[str, str]:
    return {"from": "84912345678", "to": "8083", "text": text, "id": remote_id, "conn": "kannel", **extra}


@pytest.fixture
def dossiers(make_dossier):
    now = timezone.now()
    ago = now - timedelta(days=30)
    return {
        CODE: make_dossier(code=CODE, received=now - timedelta(days=1), appointment=now + timedelta(days=10)),
        LATE: make_dossier("press", code=LATE, received=ago, appointment=ago + timedelta(days=7)),
    }


def test_lookup_through_the_wsgi_entry_is_answered_recorded_and_charged(dossiers):
    status, headers, body = wsgi_get("/sms/mo", mo(f"mckh {CODE}", "k-1"))

    assert status == 200
    assert body == ON_TIME_REPLY
    assert headers["Content-Length"] == str(len(ON_TIME_REPLY.encode()))  # not chunked, as Django sends it
    assert headers["X-Kannel-Coding"] == "2"  # accented: UCS-2, else Kannel sends "?" for every accent
    assert headers["X-Kannel-From"] == "8083"
    assert "X-Frame-Options" not in headers  # served past the middleware stack
    record = IncomingMessage.objects.select_related("reply").get(connection="kannel", remote_id="k-1")
    assert (record.sender, record.recipient, record.price, record.outcome) == ("84912345678", "8083", 1000, "answered")
    assert record.reply.text == ON_TIME_REPLY
    assert (record.reply.status, record.reply.connection, record.reply.encoding) == (Status.TO_GATEWAY, "kannel", "ucs2")
    assert record.reply.kind == "lookup_reply" and record.reply.to == "84912345678"


def test_a_reply_kannel_took_is_final_and_is_not_expired_later(dossiers):
    # Kannel sends the reply; no report is asked for. Staff see it as handed to the gateway, and the
    # worker's receipt timeout does not rewrite it as a missed report ("expired") a minute later.
    from motcua.messaging.transports.sim import SimTransport
    from tests.integration.test_worker import Clock, worker

    wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "g-1"))
    reply = Message.objects.get(kind="lookup_reply")
    assert reply.status == Status.TO_GATEWAY and reply.final_at == reply.sent_at is not None
    clock = Clock(timezone.now())
    clock.advance(seconds=settings.MOTCUA["RECEIPT_TIMEOUT"] + 60)
    worker(SimTransport(), clock).housekeeping()
    reply.refresh_from_db()
    assert reply.status == Status.TO_GATEWAY and reply.error == ""


def test_late_dossier_and_unknown_code_get_their_exact_texts(dossiers):
    assert wsgi_get("/sms/mo", mo(f"MCKH {LATE}", "k-2"))[2] == LATE_REPLY
    unknown = wsgi_get("/sms/mo", mo("MCKH 0169999999", "k-3"))[2]
    assert unknown == "Không tìm thấy hồ sơ 0169999999. Vui lòng kiểm tra lại mã số trên Giấy tiếp nhận hồ sơ."
    outcomes = dict(IncomingMessage.objects.values_list("remote_id", "outcome"))
    assert outcomes == {"k-2": "answered", "k-3": "unknown_code"}


def test_redelivered_mo_is_recorded_and_answered_once_with_the_same_body(dossiers):
    first = wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "k-again"))
    second = wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "k-again"))

    assert first == second
    assert IncomingMessage.objects.filter(remote_id="k-again").count() == 1
    assert Message.objects.filter(kind="lookup_reply").count() == 1
    # The same Kannel id on another connection is another MO.
    assert wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "k-again", conn="kannel2"))[2] == ON_TIME_REPLY
    assert IncomingMessage.objects.filter(remote_id="k-again").count() == 2


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

    first = wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "k-pg"))
    before = rolled_back()
    assert wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "k-pg")) == first
    assert rolled_back() == before
    assert IncomingMessage.objects.filter(remote_id="k-pg").count() == 1


def test_the_longest_connection_name_and_id_are_answered_and_recognised_when_redelivered(dossiers):
    # 64 + 80 characters, the most /sms/mo accepts: "reply:<conn>:<id>" would not fit the reply's cause
    # (120), and PostgreSQL refused the MO with a 503 that Kannel would retry for ever.
    params = mo(f"MCKH {CODE}", "i" * 80, conn="c" * 64)
    assert wsgi_get("/sms/mo", params)[::2] == (200, ON_TIME_REPLY)
    assert wsgi_get("/sms/mo", params)[::2] == (200, ON_TIME_REPLY)
    assert wsgi_get("/sms/mo", {**params, "id": "i" * 79 + "j"})[::2] == (200, ON_TIME_REPLY)
    assert IncomingMessage.objects.count() == 2 and Message.objects.count() == 2


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"to": "8083", "text": "MCKH 1", "id": "x"}, "missing parameter 'from'"),
        ({"from": "84912345678", "to": "8083", "id": "x"}, "missing parameter 'text'"),
        ({"from": "84912345678", "to": "8083", "text": "x", "charset": "no-such"}, "unknown charset"),
    ],
)
def test_bad_params_get_400_and_nothing_is_recorded(province, params, reason):
    status, _, body = wsgi_get("/sms/mo", params)
    assert status == 400 and reason in body
    assert not IncomingMessage.objects.exists() and not Message.objects.exists()


def test_gateway_token_is_checked_on_the_fast_path(dossiers, monkeypatch):
    monkeypatch.setenv("MOTCUA_GATEWAY_TOKEN", "s3cret")
    assert wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "t-1"))[0] == 403
    assert wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "t-2", token="wrong"))[0] == 403
    assert not IncomingMessage.objects.exists()
    assert wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "t-3", token="s3cret"))[2] == ON_TIME_REPLY


def test_unknown_host_is_refused_as_django_would(dossiers):
    status, _, _ = wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "h-1"), host="evil.example")
    assert status == 400
    assert not IncomingMessage.objects.exists()


def test_an_unexpected_error_is_a_logged_500_and_nothing_is_recorded(dossiers, monkeypatch, caplog):
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("boom")

    monkeypatch.setattr("motcua.messaging.inbound.handle_incoming", broken)
    status, _, body = wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "e-1"))
    assert status == 500 and "boom" not in body
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)
    assert not IncomingMessage.objects.exists()


def test_a_form_post_goes_through_django_and_is_answered_alike(dossiers):
    body = urlencode(mo(f"MCKH {CODE}", "post-1")).encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/sms/mo", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO(),
    }
    seen = {}
    result = application(environ, lambda status, headers, exc_info=None: seen.update(headers))
    assert b"".join(result).decode() == ON_TIME_REPLY
    result.close()
    assert seen["X-Frame-Options"] == "DENY"  # the middleware stack ran
    assert IncomingMessage.objects.get(remote_id="post-1").reply.text == ON_TIME_REPLY


@pytest.mark.postgres
def test_an_mo_after_the_server_closed_the_connection_is_answered(dossiers):
    # The fast path checks the connection between requests, as Django's request signals would;
    # without that check the second MO fails on the dead connection (503, not recorded).
    from tests.integration.test_pg_connection import _server_closes_our_connection

    assert wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "c-1"))[2] == ON_TIME_REPLY
    _server_closes_our_connection()  # a PostgreSQL restart or an idle timeout between two MOs
    assert wsgi_get("/sms/mo", mo(f"MCKH {CODE}", "c-2"))[::2] == (200, ON_TIME_REPLY)
    assert IncomingMessage.objects.filter(remote_id__in=["c-1", "c-2"]).count() == 2


def test_other_paths_still_go_through_django(province):
    status, headers, _ = wsgi_get("/", {})
    assert status == 302 and headers["Location"] == "/desk/"
    assert headers["X-Frame-Options"] == "DENY"  # the middleware stack ran


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


def test_reply_and_mo_are_both_kept_or_neither(dossiers):
    def sms(remote_id: str) -> IncomingSMS:
        return IncomingSMS(sender="0912345678", recipient="8083", text=f"MCKH {CODE}", connection="sim",
                           remote_id=remote_id)

    first = handle_incoming(sms("p-1"), queue_reply=False)
    assert first.incoming.pk and first.reply.pk and first.incoming.reply_id == first.reply.pk
    again = handle_incoming(sms("p-1"), queue_reply=False)
    assert again.duplicate and again.incoming.pk == first.incoming.pk and again.reply.text == first.reply.text
    assert (IncomingMessage.objects.count(), Message.objects.count()) == (1, 1)

    # Inside a caller's transaction a duplicate leaves that transaction usable.
    with transaction.atomic():
        assert handle_incoming(sms("p-1")).duplicate
        handle_incoming(sms("p-2"))
    assert (IncomingMessage.objects.count(), Message.objects.count()) == (2, 2)

    # The MO insert failing takes the reply with it (a reply row without its MO would be sent unpaid).
    with pytest.raises(IntegrityError):
        from motcua.messaging.inbound import save_pair

        reply = Message(kind="lookup_reply", cause="reply:orphan", to="84912345678", text="x")
        save_pair(reply, IncomingMessage(connection="sim", remote_id="p-1", sender="84912345678",
                                         recipient="8083", text="x"))
    assert not Message.objects.filter(cause="reply:orphan").exists()
