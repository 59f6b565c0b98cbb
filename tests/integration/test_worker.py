"""The send worker with the simulator and small fake connections, on a clock the test moves.

Status machine queued → sending → sent → delivered / undelivered / expired / failed; retries with
backoff; late and duplicate receipts; multi-part messages; receipts for unknown ids; recovery of
messages a dead worker left in "sending"; quiet hours and the 17:30 batch run by the worker itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings

from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent
from motcua.messaging import outbox
from motcua.messaging.connections import Router
from motcua.messaging.models import Message, MessagePart
from motcua.messaging.transports.base import DeliveryReport, OutgoingSMS, SendResult, Transport, done
from motcua.messaging.transports.sim import SimTransport
from motcua.messaging.worker import UNMATCHED_GRACE, Worker
from tests.conftest import local

pytestmark = pytest.mark.django_db

T0 = local(2026, 11, 24, 10, 0)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


class RecordingSim(SimTransport):
    """The simulator, counting how often each message id was handed to it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sends: Counter[int] = Counter()

    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        self.sends.update(sms.message_id for sms in batch)
        return super().submit(batch)


class ScriptedTransport(Transport):
    """Answers each send with a result built by ``answer(sms)``; emits no receipts by itself."""

    def __init__(self, answer, name: str = "fake") -> None:
        self.name = name
        self.answer = answer
        self.calls: list[int] = []
        self.sink = None

    def start(self, sink) -> None:
        self.sink = sink

    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        self.calls.extend(sms.message_id for sms in batch)
        return done([self.answer(sms) for sms in batch])

    def report(self, remote_id: str, status: str) -> None:
        self.sink.delivery_report(DeliveryReport(remote_id, status, self.name))


def queue_message(n: int = 1, to: str = "84912345678", not_before: datetime = T0) -> list[Message]:
    made = []
    for _ in range(n):
        msg = outbox.build_message(
            kind="lookup_reply", cause=f"test:{Message.objects.count()}", agency=None, to=to, text="Xin chao",
            not_before=not_before,
        )
        msg.save()
        made.append(msg)
    return made


def worker(transport: Transport, clock: Clock | None = None, **kw) -> Worker:
    kw.setdefault("run_batch", False)
    w = Worker(router=Router([transport]), name=kw.pop("name", "w"), clock=clock or Clock(), **kw)
    w.start()
    return w


def status(msg: Message) -> str:
    msg.refresh_from_db()
    return msg.status


def test_status_machine_with_the_simulator():
    [msg] = queue_message()
    w = worker(SimTransport())
    [claimed] = w.claim()
    assert (status(msg), msg.attempts, msg.claimed_at) == ("sending", 1, T0)
    w.send([claimed])
    assert (status(msg), msg.connection, msg.sent_at) == ("sent", "sim", T0)
    assert list(msg.remote_parts.values_list("status", flat=True)) == ["sent"]
    w.process_reports()
    assert (status(msg), msg.final_at) == ("delivered", T0)
    assert list(msg.remote_parts.values_list("status", flat=True)) == ["delivered"]


def test_number_that_never_receives_is_undelivered():
    ok, lost = queue_message()[0], queue_message(to="84987654321")[0]
    w = worker(SimTransport(fail_numbers=["84987654321"]))
    assert w.tick() >= 2
    assert (status(ok), status(lost)) == ("delivered", "undelivered")


def test_not_sent_before_not_before():
    [msg] = queue_message(not_before=T0 + timedelta(minutes=5))
    clock = Clock()
    w = worker(SimTransport(), clock)
    assert w.claim() == []
    clock.advance(minutes=5)
    w.tick()
    assert status(msg) == "delivered"


def test_a_pass_claims_what_the_connections_take_at_once_and_no_more():
    """The bound on doubles after a kill -9: a worker holds at most the connections' batch sizes of
    messages whose outcome it has not recorded (here 3 + 4), and a connection that is down takes none."""
    queue_message(20)
    a, b, down = SimTransport("a"), SimTransport("b"), SimTransport("down")
    a.batch_size, b.batch_size, down.batch_size = 3, 4, 50
    down.is_up = lambda: False
    w = Worker(router=Router([a, b, down]), name="w", clock=Clock(), run_batch=False)
    w.start()
    w.tick()
    assert Counter(Message.objects.values_list("status", "connection")) == Counter(
        {("delivered", "a"): 3, ("delivered", "b"): 4, ("queued", ""): 13}
    )


def test_the_message_due_longest_goes_first_when_the_queue_is_longer_than_a_claim():
    """A retry that fell due ten minutes ago does not wait behind notices queued after it that fell
    due five minutes ago: claims take the queue earliest due first, whatever the row order."""
    newer = queue_message(2, not_before=T0 - timedelta(minutes=5))
    [retried] = queue_message(not_before=T0 - timedelta(minutes=10))
    w = worker(SimTransport())
    assert [m.pk for m in w.claim(limit=2)] == sorted([retried.pk, newer[0].pk])
    assert [m.pk for m in w.claim(limit=2)] == [newer[1].pk]


def test_temporary_failures_back_off_then_fail_after_max_attempts(settings):
    settings.MOTCUA = {**settings.MOTCUA, "MAX_ATTEMPTS": 3}
    [msg] = queue_message()
    fake = ScriptedTransport(lambda sms: SendResult(sms.message_id, False, temporary=True, error="ESME_RTHROTTLED"))
    clock = Clock()
    w = worker(fake, clock)
    w.tick()
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.error, msg.not_before) == ("queued", 1, "ESME_RTHROTTLED", T0 + timedelta(seconds=5))
    clock.advance(seconds=4)
    w.tick()
    assert len(fake.calls) == 1  # still backing off
    clock.advance(seconds=1)
    w.tick()
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.not_before) == ("queued", 2, clock.now + timedelta(seconds=10))
    clock.advance(seconds=10)
    w.tick()
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.error, msg.final_at) == ("failed", 3, "ESME_RTHROTTLED", clock.now)
    clock.advance(hours=1)
    w.tick()
    assert fake.calls == [msg.pk] * 3


def test_temporary_failure_then_success():
    [msg] = queue_message()
    answers = iter([False, True])
    fake = ScriptedTransport(
        lambda sms: SendResult(sms.message_id, True, ("ab1",)) if next(answers) else SendResult(
            sms.message_id, False, temporary=True, error="link down"
        )
    )
    clock = Clock()
    w = worker(fake, clock)
    w.tick()
    clock.advance(seconds=5)
    w.tick()
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.error) == ("sent", 2, "")


def test_permanent_failure_is_recorded_and_not_retried():
    [msg] = queue_message()
    fake = ScriptedTransport(lambda sms: SendResult(sms.message_id, False, error="ESME_RINVDSTADR (0x0B)"))
    clock = Clock()
    w = worker(fake, clock)
    w.tick()
    msg.refresh_from_db()
    assert (msg.status, msg.error, msg.connection, msg.final_at) == ("failed", "ESME_RINVDSTADR (0x0B)", "fake", T0)
    clock.advance(days=1)
    w.tick()
    assert fake.calls == [msg.pk]


def test_transport_that_forgets_a_message_or_raises_loses_nothing():
    a, b = queue_message(2)
    fake = ScriptedTransport(lambda sms: SendResult(sms.message_id, True, (f"x{sms.message_id}",)))
    fake.submit = lambda batch: done([SendResult(batch[0].message_id, True, ("x1",))])  # b gets no answer
    w = worker(fake)
    w.tick()
    assert (status(a), status(b)) == ("sent", "queued")
    assert b.error == "no result from connection"

    [c] = queue_message()
    broken = ScriptedTransport(None)
    broken.submit = mock.Mock(side_effect=ConnectionResetError)
    worker(broken).tick()
    c.refresh_from_db()
    assert (c.status, c.error) == ("queued", "ConnectionResetError")


def test_late_and_duplicate_receipts_change_nothing():
    [msg] = queue_message()
    fake = ScriptedTransport(lambda sms: SendResult(sms.message_id, True, ("ab1",)))
    clock = Clock()
    w = worker(fake, clock)
    w.tick()
    fake.report("AB1", "delivered")  # same id, as the receipt writes it
    w.process_reports()
    assert status(msg) == "delivered"
    clock.advance(minutes=30)
    for late in ("delivered", "undelivered", "expired"):
        fake.report("ab1", late)
        w.process_reports()
    msg.refresh_from_db()
    assert (msg.status, msg.final_at) == ("delivered", T0)
    part = MessagePart.objects.get(message=msg)
    assert (part.status, part.reported_at) == ("delivered", T0)


def test_undelivered_stays_undelivered():
    [msg] = queue_message()
    fake = ScriptedTransport(lambda sms: SendResult(sms.message_id, True, ("ab1",)))
    w = worker(fake)
    w.tick()
    fake.report("ab1", "undelivered")
    fake.report("ab1", "delivered")  # in the same drain: the first one counts
    w.process_reports()
    fake.report("ab1", "delivered")
    w.process_reports()
    assert status(msg) == "undelivered"


def two_parts(sms: OutgoingSMS) -> SendResult:
    return SendResult(sms.message_id, True, (f"m{sms.message_id}-p1", f"m{sms.message_id}-p2"))


def test_multipart_message_is_delivered_only_when_every_part_is():
    good, bad = queue_message(2)
    fake = ScriptedTransport(two_parts)
    w = worker(fake)
    w.tick()
    assert MessagePart.objects.filter(message=good).count() == 2
    fake.report(f"m{good.pk}-p1", "delivered")
    fake.report(f"m{bad.pk}-p1", "delivered")
    w.process_reports()
    assert (status(good), status(bad)) == ("sent", "sent")
    fake.report(f"m{good.pk}-p2", "delivered")
    fake.report(f"m{bad.pk}-p2", "undelivered")
    w.process_reports()
    assert (status(good), status(bad)) == ("delivered", "undelivered")


def test_receipt_for_an_unknown_id_is_kept_for_a_grace_period_then_ignored():
    [msg] = queue_message()
    fake = ScriptedTransport(lambda sms: SendResult(sms.message_id, True, ("ab1",)))
    w = worker(fake)
    w.tick()
    fake.report("ffff99", "undelivered")
    w.process_reports()
    assert len(w.unmatched) == 1 and w.stats["unknown_receipts"] == 0
    w.unmatched = [(first_seen - UNMATCHED_GRACE, report) for first_seen, report in w.unmatched]
    w.process_reports()
    assert w.unmatched == [] and w.stats["unknown_receipts"] == 1
    assert status(msg) == "sent"


def test_receipt_arriving_before_its_id_is_stored_is_applied_afterwards():
    """The SMSC may deliver the receipt before the worker has written the submit answer."""
    [msg] = queue_message()
    holder: dict[str, Worker] = {}

    def answer(sms: OutgoingSMS) -> SendResult:
        fake.report("ab1", "delivered")
        holder["w"].process_reports()  # the receipt is handled while our id is not yet stored
        return SendResult(sms.message_id, True, ("ab1",))

    fake = ScriptedTransport(answer)
    holder["w"] = w = worker(fake)
    w.send(w.claim())
    assert status(msg) == "sent" and len(w.unmatched) == 1
    w.process_reports()
    assert status(msg) == "delivered" and w.unmatched == []


def test_stuck_sending_is_requeued_after_stuck_after_and_sent_once():
    msgs = queue_message(3)
    dead = worker(RecordingSim(name="sim"), Clock())
    assert len(dead.claim()) == 3  # then the process is killed: no send, no result
    del dead
    clock = Clock(T0 + timedelta(seconds=settings.MOTCUA["STUCK_AFTER"] - 1))
    sim = RecordingSim(name="sim")
    w = worker(sim, clock)
    w.tick()
    assert [status(m) for m in msgs] == ["sending"] * 3 and sim.sends == Counter()
    clock.advance(seconds=2)
    w.housekeeping()
    w.tick()
    assert [status(m) for m in msgs] == ["delivered"] * 3
    assert sim.sends == Counter({m.pk: 1 for m in msgs})
    assert [m.attempts for m in Message.objects.order_by("id")] == [2, 2, 2]


def test_worker_killed_mid_batch_loses_nothing():
    msgs = queue_message(120)
    dead = worker(RecordingSim(), Clock())
    assert len(dead.claim(limit=50)) == 50
    del dead
    sim = RecordingSim()
    w = worker(sim, Clock(T0 + timedelta(seconds=settings.MOTCUA["STUCK_AFTER"] + 1)))
    w.housekeeping()
    while w.tick():
        pass
    assert Counter(Message.objects.values_list("status", flat=True)) == Counter({"delivered": 120})
    assert sim.sends == Counter({m.pk: 1 for m in msgs})


def test_a_worker_presumed_dead_does_not_overwrite_the_new_owner():
    [msg] = queue_message()
    slow = worker(SimTransport(name="sim-a"), Clock())
    claimed = slow.claim()
    later = Clock(T0 + timedelta(seconds=settings.MOTCUA["STUCK_AFTER"] + 1))
    w = worker(ScriptedTransport(lambda sms: SendResult(sms.message_id, True, ("ab1",)), name="sim-b"), later)
    w.housekeeping()
    taken_over = w.claim()
    slow.send(claimed)  # the slow worker wakes up and tries to record its own (late) outcome
    assert status(msg) == "sending"  # still the new owner's
    w.send(taken_over)
    msg.refresh_from_db()
    assert (msg.status, msg.connection) == ("sent", "sim-b")


def test_sent_without_receipt_expires_after_receipt_timeout():
    [msg] = queue_message()
    clock = Clock()
    w = worker(ScriptedTransport(lambda sms: SendResult(sms.message_id, True, ("ab1",))), clock)
    w.tick()
    clock.advance(seconds=settings.MOTCUA["RECEIPT_TIMEOUT"] - 1)
    w.housekeeping()
    assert status(msg) == "sent"
    clock.advance(seconds=2)
    w.housekeeping()
    msg.refresh_from_db()
    assert (msg.status, msg.error, msg.final_at) == ("expired", "no delivery receipt", clock.now)
    assert MessagePart.objects.get(message=msg).status == "expired"


def test_no_connection_up_keeps_the_message_queued():
    [msg] = queue_message()
    down = SimTransport()
    down.is_up = lambda: False
    worker(down).tick()
    msg.refresh_from_db()
    assert (msg.status, msg.error) == ("queued", "no connection up")


# --- with dossiers: quiet hours and the worker's own 17:30 batch -----------------------------


def test_result_at_22h_is_not_sent_before_07h(make_dossier):
    dossier = make_dossier()
    with mock.patch("django.utils.timezone.now", return_value=local(2026, 11, 24, 22, 0)):
        services.apply_event(dossier, DossierEvent.RESULT_READY, actor="desk", at=local(2026, 11, 24, 22, 0))
    [msg] = Message.objects.filter(dossier=dossier)
    clock = Clock(local(2026, 11, 24, 22, 0))
    sim = RecordingSim()
    w = worker(sim, clock)
    for hours in range(9):  # 22:00, 23:00, ... 06:00
        clock.now = local(2026, 11, 24, 22, 0) + timedelta(hours=hours)
        w.tick()
    clock.now = local(2026, 11, 25, 6, 59)
    w.tick()
    assert sim.sends == Counter() and status(msg) == "queued"
    clock.now = local(2026, 11, 25, 7, 0)
    w.tick()
    assert status(msg) == "delivered" and sim.sends == Counter({msg.pk: 1})


def test_worker_runs_the_1730_batch_and_sends_the_apology(make_dossier):
    dossier = make_dossier(appointment=local(2026, 11, 25, 9, 0))
    clock = Clock(local(2026, 11, 24, 17, 30))
    sim = RecordingSim()
    with mock.patch("django.utils.timezone.now", return_value=clock.now):
        w = worker(sim, clock, run_batch=True)
        w.tick()
    [apology] = Message.objects.filter(dossier=dossier, kind="apology")
    assert status(apology) == "delivered"
    assert "chưa có kết quả vào ngày 25/11/2026" in apology.text
