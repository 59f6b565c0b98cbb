"""End to end over SMPP: dossier event → outbox → Worker → SmppTransport → node SMSC → receipts → database.

Everything here is real except the telco: the node SMSC (``tests/peers/smsc.js``, node-smpp) records
the exact bytes of every submit_sm and answers with receipts, throttling, drops and MOs on demand.
The worker runs in the test thread (``tick``), so the test database transaction is shared with it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from motcua.dossiers import services
from motcua.messaging import worker as worker_module
from motcua.messaging.connections import Router
from motcua.messaging.models import IncomingMessage, Kind, Message, MessagePart
from motcua.messaging.transports.smpp import SmppTransport, normalise_remote_id
from motcua.messaging.transports.smpp.mo import decode_text
from motcua.messaging.worker import Worker
from tests.integration.conftest import wait_until
from tests.peers.smsc import NodeSMSC

pytestmark = pytest.mark.django_db

CODE = "0162600001"
RESULT_TEXT = (
    f"TB: Hồ sơ của quý ông/bà (MS: {CODE}) đã được giải quyết xong. "
    "Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận kết quả"
)
RESULT_UNACCENTED = (
    f"TB: Ho so cua quy ong/ba (MS: {CODE}) da duoc giai quyet xong. "
    "Moi ong/ba den Bo phan Mot cua So Du lich de nhan ket qua"
)
CITIZEN = "84912345678"


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    """The suite may run at night: queued messages must not wait for 07:00."""
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": ""}


class SkewClock:
    """Real time plus a skew the test moves forward to skip retry backoffs without sleeping."""

    def __init__(self) -> None:
        self.skew = timedelta()

    def __call__(self):
        return timezone.now() + self.skew


@pytest.fixture
def make_worker() -> Iterator[Callable[..., Worker]]:
    made: list[Worker] = []

    def make(*transports: SmppTransport, router: Router | None = None, cls: type[Worker] = Worker) -> Worker:
        w = cls(router=router or Router(list(transports)), name="test", clock=SkewClock(), run_batch=False)
        w.start()
        made.append(w)
        for t in w.router.transports:
            assert wait_until(t.is_up), t.state()
        return w

    yield make
    for w in made:
        w.stop()


def transport(smsc: NodeSMSC, name: str = "smsc-a", **params: object) -> SmppTransport:
    params.setdefault("tps", 0)
    return SmppTransport.from_url(smsc.url(name=name, **params))


def run_until(worker: Worker, done: Callable[[], bool], timeout: float = 20.0, skip_backoff: bool = False) -> None:
    """Tick the worker until ``done()``; idle ticks may jump the clock past retry backoffs."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, Counter(Message.objects.values_list("status", flat=True))
        if not worker.tick():
            if skip_backoff:
                worker.clock.skew += timedelta(minutes=15)
            time.sleep(0.02)


def statuses() -> Counter:
    return Counter(Message.objects.values_list("status", flat=True))


def queue(n: int, to: Callable[[int], str] = lambda i: f"849{i:07d}0", text: str = "Xin chao") -> list[int]:
    now = timezone.now()
    Message.objects.bulk_create(
        [Message(kind=Kind.LOOKUP_REPLY, cause=f"load:{i}", to=to(i), text=text, encoding="gsm", parts=1,
                 not_before=now, created_at=now) for i in range(n)]
    )
    return list(Message.objects.values_list("id", flat=True))


def submitted_text(submit: dict) -> str:
    raw = bytes.fromhex(submit["short_message_hex"])
    if submit["esm_class"] & 0x40:
        raw = raw[1 + raw[0]:]
    return decode_text(raw, submit["data_coding"])


# --- MT: exact bytes and receipts ------------------------------------------------------------------


def test_result_notice_reaches_the_smsc_as_two_ucs2_parts_and_ends_delivered(make_dossier, smsc, make_worker):
    dossier = make_dossier(code=CODE)
    services.apply_event(dossier, "step_changed", actor="desk", step="Trả kết quả")
    message = Message.objects.get(dossier=dossier, kind=Kind.RESULT)
    assert (message.text, message.encoding, message.parts, message.to) == (RESULT_TEXT, "ucs2", 2, CITIZEN)

    w = make_worker(transport(smsc))
    run_until(w, lambda: Message.objects.get(pk=message.pk).status == "delivered")

    first, second = smsc.submits()
    udh1, udh2 = bytes.fromhex(first["short_message_hex"])[:6], bytes.fromhex(second["short_message_hex"])[:6]
    ref = udh1[3]
    assert udh1 == bytes((0x05, 0x00, 0x03, ref, 2, 1)) and udh2 == bytes((0x05, 0x00, 0x03, ref, 2, 2))
    assert bytes.fromhex(first["short_message_hex"])[6:] == RESULT_TEXT[:67].encode("utf-16-be")
    assert bytes.fromhex(second["short_message_hex"])[6:] == RESULT_TEXT[67:].encode("utf-16-be")
    for s in (first, second):
        assert (s["destination_addr"], s["dest_addr_ton"], s["dest_addr_npi"]) == (CITIZEN, 1, 1)
        assert (s["source_addr"], s["source_addr_ton"], s["data_coding"], s["esm_class"]) == ("8083", 3, 8, 0x40)
        assert s["registered_delivery"] == 1
    message.refresh_from_db()
    assert (message.connection, message.final_at is not None) == ("smsc-a", True)
    parts = list(message.remote_parts.order_by("id"))
    assert [p.remote_id for p in parts] == [normalise_remote_id(s["message_id"]) for s in (first, second)]
    assert all(p.status == "delivered" and p.reported_at is not None for p in parts)


def test_unaccented_agency_sends_gsm_bytes_with_data_coding_0(province, make_dossier, smsc, make_worker):
    province["016"].encoding_policy = "unaccented"
    province["016"].save()
    dossier = make_dossier(code=CODE)
    services.apply_event(dossier, "result_ready", actor="desk")
    w = make_worker(transport(smsc))
    run_until(w, lambda: statuses() == Counter({"delivered": 1}))
    [submit] = smsc.submits()
    assert (submit["data_coding"], submit["esm_class"]) == (0, 0)
    assert bytes.fromhex(submit["short_message_hex"]) == RESULT_UNACCENTED.encode("ascii")


def test_undelivered_receipt_marks_message_undelivered(make_dossier, smsc, make_worker):
    dossier = make_dossier(code=CODE, phone="0912345613")  # the peer reports ...13 as UNDELIV
    services.apply_event(dossier, "result_ready", actor="desk")
    w = make_worker(transport(smsc))
    run_until(w, lambda: statuses() == Counter({"undelivered": 1}))
    assert set(MessagePart.objects.values_list("status", flat=True)) == {"undelivered"}


def test_throttled_submits_are_retried_until_every_message_is_delivered_once(smsc, make_worker):
    smsc.configure(throttle_share=0.25)
    ids = queue(40)
    w = make_worker(transport(smsc, tps=500))
    run_until(w, lambda: statuses() == Counter({"delivered": 40}), timeout=60, skip_backoff=True)
    submits = smsc.submits()
    accepted = Counter(s["destination_addr"] for s in submits if s["status"] == 0)
    assert accepted == Counter({f"849{i:07d}0": 1 for i in range(40)})  # each reached the phone once
    assert sum(1 for s in submits if s["status"] == 0x58) >= 10
    assert Message.objects.filter(pk__in=ids, attempts__gt=1).count() >= 10


def test_no_receipt_within_the_timeout_ends_expired(settings, smsc, make_worker):
    settings.MOTCUA = {**settings.MOTCUA, "RECEIPT_TIMEOUT": 2}
    smsc.configure(no_receipt_share=1)
    queue(3)
    w = make_worker(transport(smsc))
    run_until(w, lambda: statuses() == Counter({"sent": 3}))
    w.clock.skew += timedelta(seconds=1)
    w.housekeeping()
    assert statuses() == Counter({"sent": 3})  # not yet: two seconds have not passed
    w.clock.skew += timedelta(seconds=1.5)
    w.housekeeping()
    assert statuses() == Counter({"expired": 3})
    assert set(Message.objects.values_list("error", flat=True)) == {"no delivery receipt"}
    assert set(MessagePart.objects.values_list("status", flat=True)) == {"expired"}


def test_duplicate_and_unknown_receipts_change_nothing(smsc, make_worker, monkeypatch):
    smsc.configure(duplicate_receipts=True, unknown_receipts=True)
    queue(5)
    w = make_worker(transport(smsc))
    run_until(w, lambda: statuses() == Counter({"delivered": 5}))
    assert wait_until(lambda: smsc.stats()["receipts_sent"] == 15)
    before = list(MessagePart.objects.order_by("id").values_list("remote_id", "status", "reported_at"))
    monkeypatch.setattr(worker_module, "UNMATCHED_GRACE", 0)  # give up on unknown ids at once
    deadline = time.monotonic() + 5
    while w.stats["unknown_receipts"] < 1 and time.monotonic() < deadline:
        w.tick()
        time.sleep(0.02)
    # The peer names the same made-up id after each of the 5 receipts: logged, acknowledged, dropped.
    assert w.stats["unknown_receipts"] >= 1 and w.unmatched == [] and w.sink.reports.empty()
    assert list(MessagePart.objects.order_by("id").values_list("remote_id", "status", "reported_at")) == before
    assert statuses() == Counter({"delivered": 5})


class StoresIdsLate(Worker):
    """Applies every receipt already received *before* storing the ids of the batch just sent."""

    early = None

    def record(self, connection_name, messages, results):
        if self.early is None:  # the first outcome to store: by then all three receipts are in
            wait_until(lambda: self.sink.reports.qsize() >= 3, 5)
            self.process_reports()
            self.early = len(self.unmatched)
        super().record(connection_name, messages, results)


def test_receipt_arriving_before_the_id_is_stored_is_still_applied(smsc, make_worker):
    smsc.configure(receipt_delay_ms=0)
    queue(3)
    w = make_worker(transport(smsc), cls=StoresIdsLate)
    run_until(w, lambda: statuses() == Counter({"delivered": 3}))
    assert w.early == 3  # all three receipts were ahead of their ids, none lost


class WatchesTheSmsc(Worker):
    """Before storing each outcome, counts what the SMSC has accepted that we have not stored yet:
    exactly what a kill -9 at that moment would send twice."""

    smsc: NodeSMSC
    most_unrecorded = 0

    def record(self, connection_name, messages, results):
        accepted = sum(1 for s in self.smsc.submits() if s["status"] == 0)
        stored = Message.objects.filter(status__in=["sent", "delivered"]).count()
        self.most_unrecorded = max(self.most_unrecorded, accepted - stored)
        super().record(connection_name, messages, results)


@pytest.mark.parametrize(("windows", "bound"), [([4], 4), ([3, 2], 5)])
def test_at_most_the_binds_windows_are_ever_accepted_by_the_smsc_but_not_stored(smsc, make_worker, windows, bound):
    queue(60)
    w = make_worker(*[transport(smsc, name=f"bind{i}", window=n) for i, n in enumerate(windows)], cls=WatchesTheSmsc)
    w.smsc = smsc
    run_until(w, lambda: statuses() == Counter({"delivered": 60}))
    assert w.most_unrecorded == bound
    assert len(smsc.submits()) == 60  # and each was sent once


# --- MO over SMPP ----------------------------------------------------------------------------------


def test_mo_lookup_is_answered_through_the_same_smpp_connection(make_dossier, smsc, make_worker):
    now = timezone.now()  # open and due in the future whatever day the suite runs: "Đúng hạn"
    dossier = make_dossier(code=CODE, received=now - timedelta(hours=1), appointment=now + timedelta(days=5))
    w = make_worker(transport(smsc, name="viettel-smpp"))
    smsc.inject_mo(f"MCKH {CODE}", sender="84987654321")
    run_until(w, lambda: Message.objects.filter(kind=Kind.LOOKUP_REPLY, status="delivered").exists())
    [incoming] = IncomingMessage.objects.all()
    assert (incoming.connection, incoming.sender, incoming.recipient) == ("viettel-smpp", "84987654321", "8083")
    assert (incoming.text, incoming.price, incoming.outcome) == (f"MCKH {CODE}", 1000, "answered")
    assert incoming.reply.preferred_connection == incoming.reply.connection == "viettel-smpp"
    to_sender = [s for s in smsc.submits() if s["destination_addr"] == "84987654321"]
    text = "".join(submitted_text(s) for s in to_sender)
    assert text == incoming.reply.text == (
        f"Hồ sơ của quý Ông/Bà ({dossier.code}) hiện đang ở bước Tiếp nhận hồ sơ, trạng thái hồ sơ: Đúng hạn."
    )


def test_concatenated_mo_is_reassembled_before_the_handler(smsc, make_worker):
    long_text = "MCKH 0162600001 " + "xin hỏi hồ sơ cấp thẻ hướng dẫn viên du lịch của tôi đã có kết quả chưa ạ " * 2
    w = make_worker(transport(smsc))
    smsc.inject_mo(long_text, parts=2, concat="udh16")
    run_until(w, lambda: IncomingMessage.objects.exists())
    [incoming] = IncomingMessage.objects.all()
    assert incoming.text == long_text
    assert incoming.reply is not None


def test_mo_redelivered_after_a_drop_is_recorded_and_answered_once(smsc, make_worker, make_dossier):
    make_dossier(code=CODE)
    t = transport(smsc)
    w = make_worker(t)
    mo = {"text": f"MCKH {CODE}", "sender": "84987654321", "recipient": "8083", "data_coding": 8,
          "redeliver_on_bind": True}
    smsc._call("POST", "/mo", mo)
    run_until(w, lambda: Message.objects.filter(kind=Kind.LOOKUP_REPLY, status="delivered").exists())
    smsc.drop()
    assert wait_until(lambda: t.state()["mo"] == 2, 15)  # the SMSC sent it again on the new bind
    run_until(w, lambda: w.sink.incoming_sms.empty() and not w.tick())
    assert IncomingMessage.objects.count() == 1 and Message.objects.filter(kind=Kind.LOOKUP_REPLY).count() == 1
    reply = Message.objects.get(kind=Kind.LOOKUP_REPLY)
    assert sum(1 for s in smsc.submits() if s["destination_addr"] == "84987654321") == reply.parts  # sent once
    # A different MO from the same citizen is a new one, charged and answered.
    smsc.inject_mo(f"MCKH {CODE} ", sender="84987654321")
    run_until(w, lambda: IncomingMessage.objects.count() == 2)


# --- several connections ---------------------------------------------------------------------------


def test_two_binds_share_the_load_and_one_takes_all_when_the_other_goes_away(smsc, make_worker):
    with NodeSMSC() as other:
        a, b = transport(smsc, name="a"), transport(other, name="b")
        w = make_worker(a, b)
        queue(4)
        run_until(w, lambda: statuses() == Counter({"delivered": 4}))
        assert Counter(Message.objects.values_list("connection", flat=True)) == Counter({"a": 2, "b": 2})
        smsc.stop()  # the SMSC process is gone: connection lost, reconnects refused
        assert wait_until(lambda: not a.is_up(), 10)
        now = timezone.now()
        Message.objects.bulk_create(
            [Message(kind=Kind.LOOKUP_REPLY, cause=f"after:{i}", to=f"8498000000{i}", text="Xin chao",
                     encoding="gsm", parts=1, not_before=now, created_at=now) for i in range(5)]
        )
        run_until(w, lambda: statuses() == Counter({"delivered": 9}))
        assert Counter(Message.objects.values_list("connection", flat=True)) == Counter({"a": 2, "b": 7})
        after = {f"8498000000{i}" for i in range(5)}
        assert after <= {s["destination_addr"] for s in other.submits()}
        assert not a.is_up()


def test_carrier_hint_sends_a_viettel_number_to_the_viettel_connection_first(smsc, make_worker):
    with NodeSMSC() as other:
        router = Router.from_setting(f"{smsc.url(name='vina', tps=0)} {other.url(name='viettel', carriers='viettel', tps=0)}")
        w = make_worker(router=router)
        queue(2, to=lambda i: ["84981234567", "84912345678"][i])
        run_until(w, lambda: statuses() == Counter({"delivered": 2}))
        assert dict(Message.objects.values_list("to", "connection")) == {"84981234567": "viettel", "84912345678": "vina"}
        assert [s["destination_addr"] for s in other.submits()] == ["84981234567"]
        assert [s["destination_addr"] for s in smsc.submits()] == ["84912345678"]
