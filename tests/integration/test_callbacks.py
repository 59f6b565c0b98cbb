"""Callbacks to the one-stop software: every status change of an SMS and every answered SMS lookup is
POSTed, signed, to the callback address of each API key that may see it, at least once, in order per
message, retried for 24 hours; the same data can be polled; the desk shows what failed.

The receiving end is ``tests/peers/callback_receiver.py``, which checks signatures as the integration
guide tells a vendor to. Clocks are moved, never slept on.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.callbacks import payload, recorder, signing
from motcua.callbacks.models import Event, EventState, Subscription, check_url
from motcua.callbacks.sender import Sender, backoff
from motcua.desk.models import Role, StaffProfile
from motcua.dossiers import services
from motcua.dossiers.models import ApiKey
from motcua.messaging.batch import run_apology_batch
from motcua.messaging.connections import Router
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import Message
from motcua.messaging.transports.base import IncomingSMS, OutgoingSMS, SendResult, Transport, done
from motcua.messaging.transports.sim import SimTransport
from motcua.messaging.worker import Worker
from tests.conftest import local
from tests.peers.callback_receiver import CallbackReceiver, check_signature

pytestmark = pytest.mark.django_db

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "INTEGRATION.md"
SECRET = "bí-mật-không-bao-giờ-ghi-log-2026".encode().hex()  # ASCII, as a vendor would paste it
NEVER_RECEIVES = "84987654321"


class Clock:
    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class Silent(Transport):
    """Accepts every message and never sends a receipt (its messages expire); or refuses them for good."""

    def __init__(self, name: str = "silent", refuse: str = "") -> None:
        self.name, self.refuse, self.n = name, refuse, 0

    def start(self, sink) -> None:
        pass

    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        self.n += len(batch)
        if self.refuse:
            return done([SendResult(s.message_id, False, error=self.refuse) for s in batch])
        return done([SendResult(s.message_id, True, (f"{self.name}-{s.message_id}",)) for s in batch])


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "", "CALLBACK_TIMEOUT": 2.0}


@pytest.fixture(autouse=True)
def _fresh_audience():
    """Who listens is cached per process for a few seconds: no test inherits another's listeners."""
    recorder.forget()
    yield
    recorder.forget()


@pytest.fixture
def peer():
    with CallbackReceiver(SECRET) as receiver:
        yield receiver


@pytest.fixture
def subscribe(province):
    def make(agency: str | None, url: str, secret: str = SECRET) -> Subscription:
        key, _ = ApiKey.issue(f"phần mềm {agency or 'tỉnh'}", province[agency] if agency else None)
        return Subscription.objects.create(api_key=key, url=url, secret=secret)

    return make


def sim_worker(clock: Clock, *transports: Transport) -> Worker:
    """A worker on ``clock``, which is first brought up to now: the messages just written are due."""
    clock.now = max(clock.now, timezone.now())
    w = Worker(router=Router(list(transports) or [SimTransport(fail_numbers=[NEVER_RECEIVES])]), name="w",
               clock=clock, run_batch=False)
    w.start()
    return w


def result_ready(make_dossier, **kw):
    dossier = make_dossier(**kw)
    services.apply_event(dossier, "result_ready", actor="test")
    return dossier


def statuses_by_message(bodies: list[dict]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for body in bodies:
        out.setdefault(body["message_id"], []).append(body["type"] if body["type"] == "lookup" else body["status"])
    return out


def message_of(dossier) -> Message:
    return Message.objects.get(dossier=dossier)


# --- the signature --------------------------------------------------------------------------------


def test_signature_is_an_hmac_of_time_and_body_that_a_receiver_checks_from_the_documented_scheme():
    body = payload.dumps({"event_id": "1:queued", "dossier_code": "0161701234", "status": "queued"}).encode()
    now = 1_790_000_000
    header = signing.header(SECRET, now, body)
    assert header.startswith(f"t={now},v1=") and len(header.split("v1=")[1]) == 64
    assert check_signature(SECRET, header, body, now + 10, tolerance=300)  # the peer, written from the docs
    assert signing.verify(SECRET, header, body, now + 10)
    assert not check_signature(SECRET, header, body.replace(b"queued", b"sent"), now, 300)  # body changed
    assert not check_signature("another-secret-of-another-key", header, body, now, 300)
    assert not check_signature(SECRET, header, body, now + 301, 300)  # replayed six minutes later
    assert not signing.verify(SECRET, header, body, now + 301)


def test_the_integration_guide_checks_our_signatures_and_shows_our_fields():
    """The Python check printed in docs/INTEGRATION.md accepts what we send and refuses a changed body; its
    test vector is ours; its example body has exactly the fields we send."""
    guide = GUIDE.read_text()
    section = guide[guide.index("## Callbacks"):]
    namespace: dict = {}
    exec(re.search(r"```python\n(.*?)```", section, re.S).group(1), namespace)
    check = namespace["motcua_signature_ok"]
    body = payload.dumps({"event_id": "7:sent", "dossier_code": "0162600001", "status": "sent"}).encode()
    header = signing.header(SECRET, int(time.time()), body)
    assert check(SECRET, header, body) and not check(SECRET, header, body.replace(b"sent", b"delivered"))
    assert not check(SECRET, signing.header(SECRET, int(time.time()) - 600, body), body)
    vector = re.search(r"X-Motcua-Signature: (t=\S+)", section).group(1)
    assert signing.header("whsec-test-0123456789", 1790000000, b'{"event_id":"42:delivered","status":"delivered"}') == vector
    example = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    now = timezone.now()
    message = Message(pk=42, kind="result", status="delivered", to="84912345678", created_at=now, sent_at=now,
                      final_at=now, parts=1)
    assert list(example) == list(payload.status_event(message))


# --- what is told, and to whom ----------------------------------------------------------------------


def test_every_status_change_through_the_worker_reaches_each_key_that_sees_it_in_order(make_dossier, subscribe, peer):
    with CallbackReceiver(SECRET) as agency_peer:
        province_sub = subscribe(None, peer.url)
        agency_sub = subscribe("016", agency_peer.url)
        other_sub = subscribe("010", peer.url)  # sees none of 016's messages
        clock = Clock()
        delivered = result_ready(make_dossier, phone="0912345678")
        undelivered = result_ready(make_dossier, phone="0987654321")
        skipped = result_ready(make_dossier, phone="")
        worker = sim_worker(clock)
        worker.tick()
        worker.tick()  # the receipts the simulator sent back
        failed = result_ready(make_dossier, phone="0912000111")
        sim_worker(clock, Silent(refuse="ESME_RINVDSTADR (0x0B)")).tick()
        expired = result_ready(make_dossier, phone="0912000222")
        silent = sim_worker(clock, Silent())
        silent.tick()
        clock.advance(hours=49)  # past the receipt timeout
        silent.housekeeping()

        assert Sender(clock=Clock(clock.now + timedelta(seconds=1))).drain() == Event.objects.count() == 24
        expected = {
            message_of(delivered).pk: ["queued", "sent", "delivered"],
            message_of(undelivered).pk: ["queued", "sent", "undelivered"],
            message_of(skipped).pk: ["skipped"],
            message_of(failed).pk: ["queued", "failed"],
            message_of(expired).pk: ["queued", "sent", "expired"],
        }
        for receiver in (peer, agency_peer):  # in the order of the changes, per message
            assert all(r.valid and r.answered == 204 for r in receiver.received)
            assert statuses_by_message(receiver.bodies()) == expected
        assert {s: Event.objects.filter(subscription=s).count() for s in (province_sub, agency_sub, other_sub)} == {
            province_sub: 12, agency_sub: 12, other_sub: 0
        }
        assert sorted(peer.bodies(), key=lambda b: b["event_id"]) == sorted(
            agency_peer.bodies(), key=lambda b: b["event_id"]
        )
    by_id = {b["event_id"]: b for b in peer.bodies()}
    told = by_id[f"{message_of(skipped).pk}:skipped"]
    assert told["reason"] and told["parts"] == 0 and told["to"] == "" and told["dossier_code"] == skipped.code
    assert by_id[f"{message_of(failed).pk}:failed"]["error"] == "ESME_RINVDSTADR (0x0B)"
    assert by_id[f"{message_of(expired).pk}:expired"]["error"] == "no delivery receipt"
    final = by_id[f"{message_of(delivered).pk}:delivered"]
    assert final["to"] == "8491****678" and final["dossier_code"] == delivered.code and final["kind"] == "result"
    assert final["sent_at"] and final["final_at"] and final["parts"] == message_of(delivered).parts >= 1
    assert final["error"] == ""
    raw = b"".join(r.body for r in peer.received).decode()
    assert "84912345678" not in raw and "0912345678" not in raw and "Nguyễn Văn An" not in raw


def test_events_of_one_message_arrive_in_the_order_of_its_changes(make_dossier, subscribe, peer):
    subscribe("016", peer.url)
    clock = Clock()
    dossiers = [result_ready(make_dossier, phone=f"09120003{i:02d}") for i in range(5)]
    worker = sim_worker(clock)
    worker.tick()
    worker.tick()
    Sender(clock=Clock(clock.now + timedelta(seconds=1))).drain()
    arrived = statuses_by_message(peer.bodies())
    assert arrived == {message_of(d).pk: ["queued", "sent", "delivered"] for d in dossiers}


def test_an_answered_sms_lookup_is_told_with_the_codes_outcome_and_price(make_dossier, subscribe, peer, settings):
    subscribe("016", peer.url)
    dossier = make_dossier(code="0162600077")
    answer = handle_incoming(IncomingSMS("0912345678", settings.MOTCUA["SHORT_CODE"], "MCKH 0162600077", "sim", "mo-1"))
    clock = Clock()
    worker = sim_worker(clock)
    worker.tick()
    worker.tick()
    Sender(clock=Clock(clock.now + timedelta(seconds=1))).drain()
    lookup, sent, delivered = peer.bodies()
    assert (lookup["type"], lookup["event_id"], lookup["message_id"]) == ("lookup", f"{answer.reply.pk}:lookup", answer.reply.pk)
    assert lookup["codes"] == [dossier.code] and lookup["outcome"] == "answered"
    assert lookup["price"] == settings.MOTCUA["MO_PRICE"] and lookup["to"] == "8491****678"
    assert (lookup["kind"], lookup["status"]) == ("lookup_reply", "queued")
    assert [sent["status"], delivered["status"]] == ["sent", "delivered"]
    assert {sent["message_id"], delivered["message_id"]} == {answer.reply.pk}


def test_a_lookup_about_another_agencys_dossier_is_not_told_to_this_agency(make_dossier, subscribe, peer, settings):
    subscribe("010", peer.url)
    make_dossier(code="0162600078")
    handle_incoming(IncomingSMS("0912345678", settings.MOTCUA["SHORT_CODE"], "MCKH 0162600078", "sim", "mo-2"))
    assert not Event.objects.exists()


def test_the_apology_batch_tells_its_queued_and_skipped_notices(make_dossier, subscribe, peer):
    subscribe("016", peer.url)
    due = local(2026, 11, 24, 16, 0)
    with_phone = make_dossier(received=local(2026, 11, 20, 9, 0), appointment=due)
    without = make_dossier(received=local(2026, 11, 20, 9, 0), appointment=due, phone="")
    run_apology_batch(local(2026, 11, 23, 17, 30))
    Sender(clock=Clock(timezone.now() + timedelta(seconds=1))).drain()
    told = {b["dossier_code"]: (b["kind"], b["status"]) for b in peer.bodies()}
    assert told == {with_phone.code: ("apology", "queued"), without.code: ("apology", "skipped")}


def test_with_no_callback_address_the_sms_path_reads_no_callback_table(make_dossier, province):
    clock = Clock()
    result_ready(make_dossier)
    worker = sim_worker(clock)
    recorder.audience()  # the cache is warm, as in a running worker
    with CaptureQueriesContext(connection) as queries:
        worker.tick()
        worker.tick()
        result_ready(make_dossier, phone="0912000333")
    assert Message.objects.filter(status="delivered").count() == 1
    assert not [q["sql"] for q in queries.captured_queries if "callbacks_" in q["sql"]]
    assert not Event.objects.exists()


def test_a_failing_event_writer_never_undoes_an_sms_outcome(make_dossier, subscribe, peer, monkeypatch, caplog):
    subscribe("016", peer.url)
    dossier = result_ready(make_dossier)

    def broken(message):
        raise RuntimeError("bug in the payload")

    monkeypatch.setattr(payload, "status_event", broken)
    worker = sim_worker(Clock())
    with caplog.at_level(logging.ERROR):
        worker.tick()
        worker.tick()
    assert message_of(dossier).status == "delivered"  # recorded: never sent twice because of a callback
    assert "callback events for status sent not recorded" in caplog.text


# --- delivery: retries, order, giving up, slow and vanished endpoints ---------------------------------


def test_a_refused_event_is_retried_with_backoff_and_the_next_one_waits_for_it(make_dossier, subscribe, peer):
    subscribe("016", peer.url)
    clock = Clock()
    dossier = result_ready(make_dossier)
    worker = sim_worker(clock)
    worker.tick()
    worker.tick()
    peer.fail(500, times=1)
    sender_clock = Clock(clock.now + timedelta(seconds=1))
    sender = Sender(clock=sender_clock)
    sender.drain()
    queued = Event.objects.get(status="queued")
    assert (queued.state, queued.attempts, queued.last_error) == ("pending", 1, "HTTP 500")
    assert queued.next_at == sender_clock.now + backoff(1) == sender_clock.now + timedelta(seconds=10)
    assert [r.answered for r in peer.received] == [500]  # "sent" and "delivered" wait behind "queued"
    sender_clock.advance(seconds=9)
    sender.drain()
    assert len(peer.received) == 1  # still backing off
    sender_clock.advance(seconds=1)
    sender.drain()
    assert [b["status"] for b in peer.bodies()] == ["queued", "queued", "sent", "delivered"]
    assert [r.answered for r in peer.received] == [500, 204, 204, 204]
    assert set(Event.objects.values_list("state", flat=True)) == {"done"}
    assert message_of(dossier).status == "delivered"


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4, 9, 10, 30)] == [10, 20, 40, 80, 2560, 3600, 3600]


def give_up(sender: Sender, clock: Clock, event: Event) -> int:
    """Move the clock to each next try until the event is given up; returns the number of tries."""
    for _ in range(200):
        event.refresh_from_db()
        if event.state != EventState.PENDING:
            return event.attempts
        clock.now = max(clock.now, event.next_at)
        sender.drain()
    raise AssertionError("never given up")


@pytest.fixture
def desk_admin(province, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(agency: str | None) -> Client:
        user = django_user_model.objects.filter(username=f"qt{agency or 'tinh'}").first()
        if user is None and agency is None:
            user = django_user_model.objects.create_superuser("qttinh", "tinh@example.vn", "x")
        elif user is None:
            user = django_user_model.objects.create_user(f"qt{agency}", password="x")
            StaffProfile.objects.create(user=user, agency=province[agency], role=Role.AGENCY_ADMIN)
        client = Client()
        client.force_login(user)
        return client

    return make


def test_an_event_refused_for_24_hours_is_given_up_shown_in_the_desk_and_retried_on_demand(
    make_dossier, subscribe, peer, desk_admin
):
    sub = subscribe("016", peer.url)
    dossier = result_ready(make_dossier)
    peer.fail(503)
    clock = Clock(timezone.now() + timedelta(seconds=1))
    sender = Sender(clock=clock)
    event = Event.objects.get()
    tries = give_up(sender, clock, event)
    event.refresh_from_db()
    assert event.state == "failed" and event.last_error == "HTTP 503"
    assert clock.now >= event.give_up_at == event.created_at + timedelta(hours=24) > clock.now - timedelta(hours=1)
    assert len(peer.received) == tries > 20

    page = desk_admin("016").get("/desk/callback")
    html = page.content.decode()
    assert page.status_code == 200 and sub.url in html
    assert "Đã bỏ cuộc" in html and "HTTP 503" in html and f"#{message_of(dossier).pk}" in html
    assert f'<td class="num">{tries}</td>' in html
    assert SECRET not in html

    peer.ok()
    answer = desk_admin(None).post("/desk/callback", {"key": sub.api_key.pk, "action": "retry"})
    assert answer.status_code == 302
    sender.drain()
    event.refresh_from_db()
    assert event.state == "done" and peer.received[-1].answered == 204
    assert "Không có sự kiện nào đang lỗi" in desk_admin(None).get("/desk/callback").content.decode()


def test_a_slow_endpoint_is_cut_off_by_the_senders_own_time_out(make_dossier, subscribe, peer, settings):
    settings.MOTCUA = {**settings.MOTCUA, "CALLBACK_TIMEOUT": 0.5}
    subscribe("016", peer.url)
    result_ready(make_dossier)
    peer.hold()  # answers nothing until released
    sender = Sender(clock=Clock(timezone.now() + timedelta(seconds=1)))
    try:
        sender.drain()
        event = Event.objects.get()
        assert peer.holding == 1  # the request is still unanswered: the sender gave up on its own
        assert (event.state, event.attempts, event.last_error) == ("pending", 1, "không trả lời trong 0.5 giây")
    finally:
        peer.release()


def test_sms_go_out_while_the_callback_endpoint_is_gone_and_the_events_wait_for_it(make_dossier, subscribe, peer):
    """The SMS worker never waits for a callback: it has no callback code in its loop at all. With the
    endpoint gone and no callback sender running, every SMS of a batch is delivered and the events queue
    up; the sender, when it runs, is refused at once and tries again later; nothing is lost."""
    subscribe("016", peer.url)
    peer.vanish()
    clock = Clock()
    dossiers = [result_ready(make_dossier, phone=f"09120004{i:02d}") for i in range(20)]
    worker = sim_worker(clock)
    worker.tick()
    worker.tick()
    assert Message.objects.filter(status="delivered").count() == 20
    assert Event.objects.filter(state="pending").count() == 60 and peer.received == []

    sender_clock = Clock(clock.now + timedelta(seconds=1))
    sender = Sender(clock=sender_clock)
    sender.drain()
    refused = Event.objects.filter(attempts=1)
    assert refused.count() == 20  # the first event of each message; the others wait behind it
    assert set(refused.values_list("last_error", flat=True)) == {"từ chối kết nối"}

    peer.reappear()
    sender_clock.advance(seconds=10)
    sender.drain()
    assert statuses_by_message(peer.bodies()) == {message_of(d).pk: ["queued", "sent", "delivered"] for d in dossiers}


def test_a_slow_address_holds_only_its_share_and_another_keys_events_still_go(make_dossier, subscribe, peer, settings):
    settings.MOTCUA = {**settings.MOTCUA, "CALLBACK_IN_FLIGHT": 4, "CALLBACK_IN_FLIGHT_PER_URL": 2, "CALLBACK_TIMEOUT": 60}
    with CallbackReceiver(SECRET) as healthy:
        subscribe("016", peer.url)
        subscribe(None, healthy.url)
        for i in range(10):
            result_ready(make_dossier, phone=f"09120006{i:02d}")
        peer.hold()  # the 016 software stops answering
        sender = Sender(clock=Clock(timezone.now() + timedelta(seconds=1)))
        try:
            for _ in range(500):
                if len(healthy.received) >= 10:
                    break
                sender.tick()
                if sender.in_flight:
                    wait(list(sender.in_flight), timeout=0.1, return_when=FIRST_COMPLETED)
            assert len(healthy.received) == 10  # the province's software got every event meanwhile
            assert peer.holding == 2 and len(peer.received) == 0  # the slow one holds two requests, no more
        finally:
            peer.release()
            sender.close()


# --- polling -------------------------------------------------------------------------------------


def test_polling_gives_the_same_fields_and_values_as_the_callbacks(make_dossier, subscribe, peer, api_key):
    subscribe("016", peer.url)
    clock = Clock()
    dossier = result_ready(make_dossier, phone="0987654321")
    worker = sim_worker(clock)
    worker.tick()
    worker.tick()
    Sender(clock=Clock(clock.now + timedelta(seconds=1))).drain()
    callbacks = peer.bodies()

    answer = Client().get(f"/api/v1/dossiers/{dossier.code}/messages", HTTP_AUTHORIZATION=f"Bearer {api_key('016')}")
    assert answer.status_code == 200
    [polled] = answer.json()["messages"]
    final = callbacks[-1]
    assert {k: polled[k] for k in final if k in polled} == {k: final[k] for k in polled if k in final}
    assert polled["status"] == "undelivered" and polled["to"] == "8498****321"
    assert [e["event_id"] for e in polled["events"]] == [c["event_id"] for c in callbacks]
    for event, body in zip(polled["events"], callbacks, strict=True):
        assert event == {k: body[k] for k in ("event_id", "type", "occurred_at", "status", "reason", "error")}


def test_polling_is_scoped_like_the_rest_of_the_api(make_dossier, api_key):
    dossier = result_ready(make_dossier)
    other = Client().get(f"/api/v1/dossiers/{dossier.code}/messages", HTTP_AUTHORIZATION=f"Bearer {api_key('010')}")
    assert other.status_code == 404
    assert other.json() == {"errors": [{"field": "code", "message": f"Không tìm thấy hồ sơ {dossier.code!r}"}]}
    assert Client().get(f"/api/v1/dossiers/{dossier.code}/messages").status_code == 401
    province_wide = Client().get(
        f"/api/v1/dossiers/{dossier.code}/messages", HTTP_AUTHORIZATION=f"Bearer {api_key(None)}"
    )
    assert [m["status"] for m in province_wide.json()["messages"]] == ["queued"]


# --- the callback address and its secret ---------------------------------------------------------


def test_a_callback_address_must_be_https_except_to_this_machine_or_when_allowed(settings):
    assert check_url(" https://motcua.khanhhoa.gov.vn/sms/callback ") == "https://motcua.khanhhoa.gov.vn/sms/callback"
    assert check_url("http://127.0.0.1:9000/cb") and check_url("http://localhost/cb") and check_url("http://[::1]/cb")
    for bad in ("http://motcua.khanhhoa.gov.vn/cb", "ftp://x.vn/cb", "https://user:pw@x.vn/cb", "https:///cb",
                "https://x.vn/cb#a", "https://x.vn:port/cb", "https://x.vn/a b", "javascript:alert(1)"):
        with pytest.raises(ValidationError):
            check_url(bad)
    settings.MOTCUA = {**settings.MOTCUA, "CALLBACK_ALLOW_HTTP": True}
    assert check_url("http://10.0.0.5/cb") == "http://10.0.0.5/cb"


def test_the_secret_is_shown_once_and_never_logged(make_dossier, province, peer, desk_admin, caplog):
    key, _ = ApiKey.issue("phần mềm 016", province["016"])
    admin = desk_admin("016")
    with caplog.at_level(logging.DEBUG):
        made = admin.post("/desk/callback", {"key": key.pk, "action": "set", "url": peer.url})
        secret = Subscription.objects.get(api_key=key).secret
        assert made.status_code == 200 and secret in made.content.decode()
        peer.secret = secret
        result_ready(make_dossier)
        peer.fail(500, times=1)
        sender = Sender(clock=Clock(timezone.now() + timedelta(seconds=1)))
        sender.drain()
        sender.clock.advance(seconds=10)
        sender.drain()
    assert [r.valid for r in peer.received] == [True, True]
    assert secret not in caplog.text and secret not in admin.get("/desk/callback").content.decode()
    assert secret not in repr(Subscription.objects.get(api_key=key)) and secret not in str(Subscription.objects.get())


def test_the_desk_page_shows_an_agency_administrator_only_their_agencys_keys(
    subscribe, peer, desk_admin, province, django_user_model
):
    mine = subscribe("016", peer.url)
    theirs = subscribe("010", "https://tttt.example.vn/cb")
    province_key = subscribe(None, "https://tinh.example.vn/cb")
    html = desk_admin("016").get("/desk/callback").content.decode()
    assert mine.api_key.prefix in html
    assert theirs.api_key.prefix not in html and province_key.api_key.prefix not in html
    assert desk_admin("016").post("/desk/callback", {"key": theirs.api_key.pk, "action": "retry"}).status_code == 404
    for junk in ("abc", "", "9" * 40, "１"):
        assert desk_admin("016").post("/desk/callback", {"key": junk, "action": "retry"}).status_code == 404
    whole = desk_admin(None).get("/desk/callback").content.decode()
    assert all(s.api_key.prefix in whole for s in (mine, theirs, province_key))

    staff = django_user_model.objects.create_user("canbo", password="x")
    StaffProfile.objects.create(user=staff, agency=province["016"], role=Role.STAFF)
    client = Client()
    client.force_login(staff)
    assert client.get("/desk/callback").status_code == 403
    assert Client().get("/desk/callback").status_code == 302  # to the login page


def test_a_wrong_address_in_the_desk_is_refused_in_vietnamese(province, desk_admin):
    key, _ = ApiKey.issue("phần mềm 016", province["016"])
    answer = desk_admin("016").post("/desk/callback", {"key": key.pk, "action": "set", "url": "http://motcua.example.vn/cb"})
    assert answer.status_code == 422
    assert "Callback phải dùng https://" in answer.content.decode()
    assert not Subscription.objects.exists()
