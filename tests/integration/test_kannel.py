"""The Kannel path against the real thing: bearerbox + smsbox + fakesmsc (Debian kannel 1.4.5).

MT: Worker -> KannelTransport -> /cgi-bin/sendsms -> fake SMSC ("the phone") -> DLR -> our /sms/dlr.
MO: the phone texts 8083 -> smsbox calls our /sms/mo (get-url) -> the reply body goes back to the phone.
Kannel reaches our views through pytest-django's ``live_server``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote, urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from motcua.messaging import outbox
from motcua.messaging.connections import Router
from motcua.messaging.models import GatewayReport, IncomingMessage, Kind, Message, MessagePart
from motcua.messaging.transports.base import OutgoingSMS
from motcua.messaging.transports.kannel import KannelTransport
from motcua.messaging.worker import Worker
from tests.integration.conftest import wait_until
from tests.integration.test_worker import Clock
from tests.peers.kannel import KannelPeer, free_port

CITIZEN = "84912345678"
ACCENTED = "TB: Hồ sơ của quý ông/bà (MS: 0162600001) đã được giải quyết xong. Mời ông/bà đến nhận kết quả"
UNACCENTED = "TB: Ho so cua quy ong/ba (MS: 0162600002) da duoc giai quyet xong @ 5"


GATEWAY_TOKEN = "test-gateway-token"
# The gateway connections /sms/* accepts (only configured ones are); the simulator stays the default.
GATEWAY_SMS_URL = "sim:// kannel://u:p@127.0.0.1:9?name=kannel kannel://u:p@127.0.0.1:9?name=kannel2"


def base_url(live_server) -> str:
    return live_server.url.replace("localhost", "127.0.0.1")


@pytest.fixture(autouse=True)
def gateway(settings) -> None:
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": GATEWAY_TOKEN, "SMS_URL": GATEWAY_SMS_URL}


class GatewayClient(Client):
    """The test client as Kannel calls us: with the gateway token."""

    def get(self, path, data=None, **extra):
        if path.startswith("/sms/"):
            if data:
                data = {**data, "token": GATEWAY_TOKEN}
            else:
                path += ("&" if "?" in path else "?") + f"token={GATEWAY_TOKEN}"
        return super().get(path, data, **extra)

    def post(self, path, data=None, **extra):
        if path.startswith("/sms/") and isinstance(data, dict):
            data = {**data, "token": GATEWAY_TOKEN}
        return super().post(path, data, **extra)


@pytest.fixture
def client() -> GatewayClient:
    return GatewayClient()


@pytest.fixture(scope="module")
def kannel(live_server) -> Iterator[KannelPeer]:
    with KannelPeer(mo_url=f"{base_url(live_server)}/sms/mo?token={GATEWAY_TOKEN}", phone=CITIZEN) as peer:
        yield peer


@pytest.fixture
def transport(kannel: KannelPeer, live_server) -> Iterator[KannelTransport]:
    t = KannelTransport.from_url(
        kannel.kannel_url(name="kannel", dlr_url=f"{base_url(live_server)}/sms/dlr", dlr_mask=31, timeout=5)
        + "&from=8083"
    )
    yield t
    t.stop()


def queue(cause: str, text: str, agency=None) -> Message:
    message = outbox.build_message(kind=Kind.RESULT, cause=cause, agency=agency, to=CITIZEN, text=text)
    message.save()
    return message


def status_of(message: Message) -> str:
    return Message.objects.values_list("status", flat=True).get(pk=message.pk)


# --- MT through sendsms, DLR back to /sms/dlr ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_worker_sends_through_kannel_exact_texts_and_dlr_marks_delivered(kannel, transport, province):
    accented = queue("kannel-mt-1", ACCENTED, province["016"])
    plain = queue("kannel-mt-2", UNACCENTED, province["016"])
    assert (accented.encoding, plain.encoding) == ("ucs2", "gsm")

    worker = Worker(router=Router([transport]), run_batch=False)
    assert worker.tick() >= 2

    got_accented = kannel.wait_for(lambda m: m.text == ACCENTED)
    got_plain = kannel.wait_for(lambda m: m.text == UNACCENTED)
    assert got_accented is not None, kannel.phone_log()
    assert got_plain is not None, kannel.phone_log()
    assert (got_accented.kind, got_accented.sender, got_accented.receiver) == ("ucs-2", "8083", CITIZEN)
    assert got_accented.parts == accented.parts == 2  # Kannel splits (with UDH) as we counted and priced
    assert got_plain.kind == "text"  # GSM 7-bit, not UCS-2 (half the price per character)

    # Kannel calls our /sms/dlr with the id we put in the dlr-url; the web view stores the report and the
    # worker applies it.
    def delivered() -> bool:
        worker.tick()
        return status_of(accented) == "delivered" and status_of(plain) == "delivered"

    assert wait_until(delivered, 15), (
        status_of(accented),
        status_of(plain),
        kannel.log_tail("smsbox"),
    )
    part = MessagePart.objects.get(message=accented)
    assert part.connection == "kannel" and part.remote_id.startswith(f"k{accented.pk}-")
    assert part.status == "delivered"


@pytest.mark.django_db(transaction=True)
def test_wrong_sendsms_password_is_a_permanent_failure(kannel):
    t = KannelTransport.from_url(f"kannel://motcua:wrong@127.0.0.1:{kannel.sendsms_port}?from=8083")
    [result] = t.send([OutgoingSMS(1, CITIZEN, "Ho so", "gsm")])
    assert not result.ok and not result.temporary
    assert "403" in result.error
    assert t.is_up()  # Kannel answered: the link itself is fine


# --- MO through the sms-service get-url ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_mo_lookup_through_kannel_gets_the_vietnamese_reply_intact(kannel, make_dossier):
    now = timezone.now()  # open and due in the future whatever day the suite runs: "Đúng hạn"
    dossier = make_dossier(applicant="Trần Thị Bình", received=now - timedelta(hours=1), appointment=now + timedelta(days=5))
    kannel.send_mo(f"MCKH {dossier.code}")

    prefix = f"Hồ sơ của quý Ông/Bà ({dossier.code})"
    reply = kannel.wait_for(lambda m: m.text.startswith(prefix), 20)
    assert reply is not None, kannel.phone_log() + kannel.log_tail("smsbox")
    assert reply.text == (
        f"Hồ sơ của quý Ông/Bà ({dossier.code}) hiện đang ở bước {dossier.current_step}, "
        "trạng thái hồ sơ: Đúng hạn."
    )
    assert "?" not in reply.text
    assert (reply.kind, reply.sender, reply.receiver) == ("ucs-2", "8083", CITIZEN)

    [incoming] = IncomingMessage.objects.all()
    assert (incoming.sender, incoming.recipient, incoming.text) == (CITIZEN, "8083", f"MCKH {dossier.code}")
    assert incoming.price == 1000 and incoming.outcome == "answered"
    assert incoming.connection == "kannel" and incoming.remote_id  # Kannel's MO id, for redeliveries
    assert incoming.reply.status == "to_gateway" and incoming.reply.text == reply.text


@pytest.mark.django_db(transaction=True)
def test_vietnamese_mo_sent_as_ucs2_arrives_intact(kannel, province):
    text = "Xin chào, tôi muốn tra cứu hồ sơ"
    kannel.send_mo(text)
    assert wait_until(lambda: IncomingMessage.objects.exists(), 20), kannel.log_tail("smsbox")
    [incoming] = IncomingMessage.objects.all()
    assert incoming.text == text
    assert incoming.outcome == "bad_syntax"
    hint = incoming.reply.text  # how to write a lookup: whatever wording the province configured
    help_reply = kannel.wait_for(lambda m: m.text == hint, 15)
    assert help_reply is not None, kannel.phone_log()
    assert help_reply.kind == ("ucs-2" if incoming.reply.encoding == "ucs2" else "text")


# --- /sms/mo and /sms/dlr called directly ---------------------------------------------------------


@pytest.mark.django_db
def test_redelivered_mo_is_recorded_once_and_answered_the_same(client, make_dossier):
    dossier = make_dossier()
    query = {"from": CITIZEN, "to": "8083", "text": f"mckh {dossier.code}", "id": "mo-42", "conn": "kannel"}
    first = client.get("/sms/mo", query)
    second = client.post("/sms/mo", query)
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "text/plain; charset=utf-8"
    assert first.content == second.content
    body = first.content.decode("utf-8")
    assert body.startswith(f"Hồ sơ của quý Ông/Bà ({dossier.code}) hiện đang ở bước")
    assert first["X-Kannel-Coding"] == second["X-Kannel-Coding"] == "2"
    assert first["X-Kannel-From"] == "8083"
    [incoming] = IncomingMessage.objects.all()
    assert incoming.price == 1000
    assert Message.objects.filter(kind=Kind.LOOKUP_REPLY).count() == 1
    # The same Kannel id on another connection is another MO.
    other = client.get("/sms/mo", {**query, "conn": "kannel2"})
    assert other.content == first.content
    assert IncomingMessage.objects.filter(remote_id="mo-42").count() == 2


@pytest.mark.django_db
def test_the_longest_connection_name_and_id_are_answered_and_recognised_when_redelivered(
    client, make_dossier, settings
):
    # 64 + 80 characters, the most /sms/mo accepts: "reply:<conn>:<id>" does not fit the reply's cause
    # (120 characters), and an MO refused with a 503 would be retried by Kannel for ever.
    settings.MOTCUA = {**settings.MOTCUA, "SMS_URL": f"kannel://u:p@127.0.0.1:9?name={'c' * 64}"}
    dossier = make_dossier()
    query = {"from": CITIZEN, "to": "8083", "text": f"MCKH {dossier.code}", "id": "i" * 80, "conn": "c" * 64}
    first, again = client.get("/sms/mo", query), client.get("/sms/mo", query)
    other_id = client.get("/sms/mo", {**query, "id": "i" * 79 + "j"})
    assert first.status_code == again.status_code == other_id.status_code == 200
    assert first.content == again.content == other_id.content
    assert first.content.decode().startswith(f"Hồ sơ của quý Ông/Bà ({dossier.code})")
    assert IncomingMessage.objects.count() == 2 and Message.objects.count() == 2


@pytest.mark.django_db
def test_a_reply_kannel_took_is_final_and_is_not_expired_later(client, make_dossier, settings):
    # Kannel sends the reply and no report is asked for: staff see it as handed to the gateway, and the
    # worker's receipt timeout does not rewrite it as a missed report ("expired") a minute later.
    from motcua.messaging.transports.sim import SimTransport
    from tests.integration.test_worker import Clock, worker

    dossier = make_dossier()
    client.get("/sms/mo", {"from": CITIZEN, "to": "8083", "text": f"MCKH {dossier.code}", "id": "g-1"})
    reply = Message.objects.get(kind=Kind.LOOKUP_REPLY)
    assert reply.status == "to_gateway" and reply.final_at == reply.sent_at is not None
    assert (reply.connection, reply.encoding, reply.to) == ("kannel", "ucs2", CITIZEN)
    clock = Clock(timezone.now())
    clock.advance(seconds=settings.MOTCUA["RECEIPT_TIMEOUT"] + 60)
    worker(SimTransport(), clock).housekeeping()
    reply.refresh_from_db()
    assert reply.status == "to_gateway" and reply.error == ""


@pytest.mark.django_db
def test_a_database_error_is_a_503_kannel_retries_and_nothing_is_recorded(client, make_dossier, monkeypatch):
    dossier = make_dossier()

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("motcua.messaging.inbound.save_pair", database_down)
    response = client.get("/sms/mo", {"from": CITIZEN, "to": "8083", "text": f"MCKH {dossier.code}", "id": "d-1"})
    assert response.status_code == 503
    assert "connection refused" not in response.content.decode()
    assert not IncomingMessage.objects.exists() and not Message.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_mo_after_the_server_closed_the_connection_is_answered(make_dossier):
    # A PostgreSQL restart or an idle timeout between two MOs: the web process keeps its connection
    # (CONN_MAX_AGE), so the next request must find it dead and reconnect (CONN_HEALTH_CHECKS) rather
    # than fail with a 503. Through the production WSGI entry, which sends Django's request signals
    # (the test client leaves the connection checks out).
    dossier = make_dossier()
    query = {"from": CITIZEN, "to": "8083", "text": f"MCKH {dossier.code}", "conn": "kannel"}
    first = wsgi_get("/sms/mo", {**query, "id": "c-1"})
    _server_closes_our_connection()
    second = wsgi_get("/sms/mo", {**query, "id": "c-2"})
    assert first[0] == second[0] == 200, (first, second)
    assert first[1] == second[1] and first[1].startswith(f"Hồ sơ của quý Ông/Bà ({dossier.code})")
    assert IncomingMessage.objects.filter(remote_id__in=["c-1", "c-2"]).count() == 2


def wsgi_get(path: str, params: dict[str, str]) -> tuple[int, str]:
    """One GET through ``motcua.wsgi.application`` as the web server makes it."""
    from motcua.wsgi import application

    query = urlencode({**params, "token": GATEWAY_TOKEN})
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1"}
    setup_testing_defaults(environ)
    seen: list[str] = []
    result = application(environ, lambda status, headers, exc_info=None: seen.append(status))
    try:
        body = b"".join(result).decode()
    finally:
        result.close()  # request_finished
    return int(seen[0].split()[0]), body


def _server_closes_our_connection() -> None:
    import psycopg
    from django.db import connection

    pid = connection.connection.info.backend_pid
    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
        dbname=settings_dict["NAME"], autocommit=True,
    ) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]


@pytest.mark.django_db
def test_mo_in_ucs2_bytes_is_decoded_with_kannels_charset(client, make_dossier):
    dossier = make_dossier()
    raw = quote(f"MCKH {dossier.code} ạ".encode("utf-16-be"), safe="")
    response = client.get(f"/sms/mo?from={CITIZEN}&to=8083&text={raw}&id=u1&coding=2&charset=UTF-16BE")
    assert response.status_code == 200
    assert IncomingMessage.objects.get().text == f"MCKH {dossier.code} ạ"


@pytest.mark.django_db
def test_unaccented_reply_has_no_ucs2_header(client, province, settings):
    hint = "Sai cu phap. Soan: {keyword} <Ma so bien nhan> gui {short_code}"
    settings.MOTCUA = {**settings.MOTCUA, "MO_HELP_SYNTAX": hint}
    response = client.get("/sms/mo", {"from": CITIZEN, "to": "8083", "text": "hello", "id": "h1"})
    assert response.status_code == 200
    assert response.content.decode() == "Sai cu phap. Soan: MCKH <Ma so bien nhan> gui 8083"
    assert "X-Kannel-Coding" not in response  # GSM: Kannel's default coding
    assert response["X-Kannel-From"] == "8083"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/sms/mo", "to=8083&text=MCKH+1", "missing parameter 'from'"),
        ("/sms/mo", f"from={CITIZEN}&text=MCKH+1", "missing parameter 'to'"),
        ("/sms/mo", f"from={CITIZEN}&to=8083", "missing parameter 'text'"),
        ("/sms/mo", f"from={CITIZEN}&to=8083&text=%FF%FE%FD", "text is not valid utf-8"),
        ("/sms/mo", f"from={CITIZEN}&to=8083&text=x&charset=KLINGON", "unknown charset"),
        ("/sms/dlr", "status=1", "missing parameter 'id'"),
        ("/sms/dlr", "id=k1-abc", "missing parameter 'status'"),
        ("/sms/dlr", "id=k1-abc&status=%25d", "must be a Kannel DLR type"),
        ("/sms/dlr", "id=k1-abc&status=32", "must be a Kannel DLR type"),
    ],
)
def test_bad_gateway_requests_get_400_with_a_clear_reason(client, path, query, expected):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not IncomingMessage.objects.exists()


@pytest.mark.django_db
def test_dlr_types_map_to_final_statuses_and_unknown_ids_are_acknowledged(client, province):
    """The web view only checks and stores a report, answering at once whatever it names; the worker
    applies it. A report for an id nobody knows changes nothing and is forgotten after the grace."""
    clock = Clock(timezone.now())
    worker = Worker(router=Router([KannelTransport.from_url("kannel://u:p@127.0.0.1:9")]), run_batch=False,
                    clock=clock)
    sent = []
    for i in range(2):
        m = queue(f"dlr-{i}", UNACCENTED)
        Message.objects.filter(pk=m.pk).update(status="sent", connection="kannel")
        MessagePart.objects.create(message=m, connection="kannel", remote_id=f"k{m.pk}-abcdef{i:02d}")
        sent.append(m)
    # 8 = SMSC ack, 4 = buffered: not final, not even stored
    assert client.get("/sms/dlr", {"id": f"k{sent[0].pk}-abcdef00", "status": "8", "conn": "kannel"}).status_code == 200
    assert not GatewayReport.objects.exists()
    response = client.post("/sms/dlr", {"id": f"K{sent[0].pk}-ABCDEF00", "status": "16", "conn": "kannel"})
    assert response.status_code == 200 and response.content == b"ok: undelivered"
    assert status_of(sent[0]) == "sent"  # not yet: the worker applies it
    worker.process_reports()
    assert status_of(sent[0]) == "undelivered"
    client.get("/sms/dlr", {"id": f"k{sent[1].pk}-abcdef01", "status": "1", "conn": "kannel"})
    worker.process_reports()
    assert status_of(sent[1]) == "delivered"
    # a late "failed" after "delivered" does not move the status back
    client.get("/sms/dlr", {"id": f"k{sent[1].pk}-abcdef01", "status": "2", "conn": "kannel"})
    worker.process_reports()
    assert status_of(sent[1]) == "delivered"
    assert not GatewayReport.objects.exists()  # applied or duplicate: forgotten
    # unknown id: acknowledged so Kannel does not retry, nothing changes; a connection that is not
    # configured: refused, nothing stored
    unknown = client.get("/sms/dlr", {"id": "k999999-00000000", "status": "1", "conn": "kannel"})
    other = client.get("/sms/dlr", {"id": f"k{sent[1].pk}-abcdef01", "status": "2", "conn": "other"})
    assert unknown.status_code == 200 and other.status_code == 400
    worker.process_reports()
    assert GatewayReport.objects.count() == 1  # kept: its message may still be being sent
    clock.advance(minutes=11)
    worker.process_reports()
    assert not GatewayReport.objects.exists()
    assert [status_of(m) for m in sent] == ["undelivered", "delivered"]


@pytest.mark.django_db
def test_gateway_token_is_required_when_configured(monkeypatch, province, settings):
    client = Client()
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": "s3cret"}
    query = {"from": CITIZEN, "to": "8083", "text": "MCKH 1", "id": "t1"}
    assert client.get("/sms/mo", query).status_code == 403
    assert client.get("/sms/mo", {**query, "token": "nope"}).status_code == 403
    assert client.get("/sms/dlr", {"id": "k1-ab", "status": "1"}).status_code == 403
    assert not IncomingMessage.objects.exists()
    assert client.get("/sms/mo", {**query, "token": "s3cret"}).status_code == 200
    assert IncomingMessage.objects.count() == 1


# --- Kannel down -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_kannel_down_is_a_temporary_failure_and_the_connection_reports_down(province):
    port = free_port()  # nothing listens there
    t = KannelTransport.from_url(f"kannel://u:p@127.0.0.1:{port}?down_after=2&timeout=1&probe_interval=0&name=k")
    [first] = t.send([OutgoingSMS(1, CITIZEN, "Ho so", "gsm")])
    assert not first.ok and first.temporary and "unreachable" in first.error
    assert t.is_up()  # one failure is not an outage
    message = queue("down-1", UNACCENTED)
    Worker(router=Router([t]), run_batch=False).tick()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)  # back in the queue, with backoff
    assert "unreachable" in message.error
    assert not t.is_up()
    assert t.state()["up"] is False and "unreachable" in t.state()["last_error"]

    with socket.socket() as listener:  # Kannel is back: the probe brings the connection up again
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert t.is_up()
