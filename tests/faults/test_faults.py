"""Fault suite: kill -9, a misbehaving SMSC, PostgreSQL restarted under load, redelivered MOs, three workers.

Every test ends with the same question a province asks: is every message in a final state, none lost,
and how many went out twice? Figures are printed (``pytest -s`` shows them). PostgreSQL only: worker
processes share the committed test database. The heavier kill -9 run is ``bench/faults_kill9.py``.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from motcua.messaging import worker as worker_module
from motcua.messaging.connections import Router
from motcua.messaging.models import IncomingMessage, Kind, Message
from motcua.messaging.worker import Worker
from tests.faults import FINAL, WorkerProcess, duplicates, queue_messages, wait_all_final

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

def progress() -> int:
    return Message.objects.exclude(status__in=["queued", "sending"]).count()


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_worker_killed_9_three_times_while_sending_2000_loses_nothing(db_url, smsc):
    n, window, kills = 2000, 10, 3
    queue_messages(n)
    url = smsc.url(name="smsc", window=window, tps=800)
    env = {"MOTCUA_RECEIPT_TIMEOUT": "4"}  # receipts sent while no worker was bound are lost: expired
    rng = random.Random(7)
    started = time.monotonic()
    for k in range(kills):
        w = WorkerProcess(db_url, url, name=f"kill{k}", **env).start()
        before = progress()
        assert wait_for(lambda: progress() > before + 50, 30), w.log_tail()  # noqa: B023
        time.sleep(rng.uniform(0.0, 0.4))
        w.kill9()
    last = WorkerProcess(db_url, url, name="last", **env).start()
    try:
        counts = wait_all_final(n, 60)
    finally:
        last.stop()
    extra, per_destination = duplicates(smsc.submits())
    print(f"\nkill -9 x{kills}, {n} messages: {dict(counts)} in {time.monotonic() - started:.1f}s; "
          f"duplicates at the SMSC: {extra} (bound: {kills} kills x window {window})")
    assert sum(counts[s] for s in FINAL) == n and counts["failed"] == 0, (counts, last.log_tail())
    assert len(per_destination) == n  # every message reached the SMSC: none lost
    assert extra <= kills * window  # a worker holds one window of unrecorded outcomes at most


def test_smsc_dropping_throttling_and_lying_still_ends_every_message_final(settings, smsc, monkeypatch):
    n = 400
    settings.MOTCUA = {**settings.MOTCUA, "RECEIPT_TIMEOUT": 3}
    monkeypatch.setattr(worker_module, "backoff", lambda attempts: timedelta(seconds=0.3))  # retry fast
    monkeypatch.setattr(worker_module, "LINK_RETRY", timedelta(seconds=0.3))
    smsc.configure(drop_every_ms=2000, throttle_share=0.2, no_receipt_share=0.05,
                   duplicate_receipts=True, unknown_receipts=True)
    queue_messages(n)
    worker = Worker(router=Router.from_setting(smsc.url(name="smsc", tps=300, reconnect_max=1, throttle_pause=0.5)),
                    name="flaky", run_batch=False)
    stop = threading.Event()
    thread = threading.Thread(target=lambda: (worker.run_forever(stop, poll=0.1), connection.close()))
    thread.start()
    try:
        counts = wait_all_final(n, 60)
    finally:
        stop.set()
        thread.join(30)
    stats = smsc.stats()
    extra, per_destination = duplicates(smsc.submits())
    print(f"\nflaky SMSC: {dict(counts)}; drops {stats['drops']}, throttled {stats['throttled']}, "
          f"binds {stats['binds']}, duplicates at the SMSC {extra}, worker {dict(worker.stats)}")
    assert sum(counts[s] for s in FINAL) == n, counts
    assert counts["expired"] >= n * 0.05 * 0.9  # the no-receipt ones did not stay "sent"
    assert counts["failed"] <= n * 0.05  # only messages throttled or cut off MAX_ATTEMPTS times in a row
    for error in Message.objects.filter(status="failed").values_list("error", flat=True):
        assert error.startswith(("ESME_RTHROTTLED", "link down", "no submit_sm_resp")), error
    assert stats["drops"] >= 3 and stats["throttled"] >= n * 0.2
    assert len(per_destination) >= n - counts["failed"]


def pg_restart() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True, timeout=60)


def pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False).returncode == 0


def test_postgres_restarted_under_load_worker_recovers_by_itself(db_url, smsc):
    n = 3000
    queue_messages(n)
    w = WorkerProcess(db_url, smsc.url(name="smsc", tps=400), name="pg").start()
    try:
        assert wait_for(lambda: progress() > 200, 30), w.log_tail()
        connection.close()
        pg_restart()
        assert wait_for(pg_ready, 60)
        counts = wait_all_final(n, 90)
        assert w.alive(), w.log_tail()  # recovered without a restart of the worker
    finally:
        w.stop()
    extra, per_destination = duplicates(smsc.submits())
    failed_ticks = w.log.read_text(errors="replace").count("worker tick failed")
    print(f"\nPostgreSQL restart under load: {dict(counts)}; duplicates at the SMSC {extra}; "
          f"failed ticks {failed_ticks}")
    # Each connection of the worker (sending loop, receipts, claiming ahead) fails once or twice while
    # PostgreSQL is down, then reconnects: 1-2 measured. A connection that stayed broken would fail a
    # tick in every other one of the 15 batches left.
    assert failed_ticks <= 5, w.log_tail()
    assert counts == Counter({"delivered": n}), w.log_tail()  # no receipt lost either
    assert len(per_destination) == n


def http_get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def test_postgres_restarted_web_processes_answer_again_by_themselves(db_url, make_dossier):
    from bench.lookup import CONNECTION, GATEWAY_TOKEN, free_port, start_server, stop_server

    make_dossier(code="0161701234")
    port = free_port()
    web = start_server(port, workers=2, threads=2, db_url=db_url)
    lookup = f"/sms/mo?from=84912345678&to=8083&text=MCKH+0161701234&conn={CONNECTION}&token={GATEWAY_TOKEN}&id=mo-{{}}"
    try:
        assert http_get(port, "/healthz")[0] == 200
        assert "0161701234" in http_get(port, lookup.format(1))[1]
        connection.close()
        pg_restart()
        assert wait_for(pg_ready, 60)
        # Every web server thread holds a persistent connection that the restart broke: each must
        # notice (CONN_HEALTH_CHECKS) and reconnect, so ask more times than there are threads.
        answers = [http_get(port, lookup.format(i)) for i in range(2, 12)]
        health = http_get(port, "/healthz")
    finally:
        stop_server(web)
    assert health[0] == 200, health
    assert all(status == 200 and "0161701234" in body for status, body in answers), answers
    assert IncomingMessage.objects.filter(outcome="answered").count() == 11  # each recorded once


def test_public_lookup_rate_limit_holds_across_three_web_processes(db_url, settings):
    """Each web server worker is its own process: the count must be one for the client, not one per
    process, or three workers would let an enumerating client try three times as often."""
    from bench.lookup import free_port, start_server, stop_server

    port = free_port()
    web = start_server(port, workers=3, threads=1, db_url=db_url)
    try:
        statuses = [http_get(port, f"/tra-cuu?code=01617{i:05d}&access_code=ABC123")[0] for i in range(30)]
    finally:
        stop_server(web)
    limit = settings.MOTCUA.get("LOOKUP_RATE_LIMIT") or 10
    assert statuses[:limit] == [404] * limit  # "not found", said the same way as for a wrong access code
    assert set(statuses[limit:]) == {429}


def test_kannel_redelivering_an_mo_at_once_is_charged_and_answered_once(make_dossier, settings):
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": "t", "SMS_URL": "kannel://u:p@127.0.0.1:9?name=kannel"}
    dossier = make_dossier()
    query = {"from": "84912345678", "to": "8083", "text": f"MCKH {dossier.code}", "id": "kannel-mo-7", "conn": "kannel",
             "token": "t"}
    answers: list = []

    def deliver() -> None:
        try:
            answers.append(Client().get("/sms/mo", query))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.content for a in answers}) == 1
    assert answers[0].content.decode().startswith(f"Hồ sơ của quý Ông/Bà ({dossier.code})")
    [incoming] = IncomingMessage.objects.all()
    assert incoming.price == 1000
    assert Message.objects.filter(kind=Kind.LOOKUP_REPLY).count() == 1


def test_smpp_mo_redelivered_after_a_drop_is_answered_once_by_the_worker_process(db_url, smsc, make_dossier):
    dossier = make_dossier()
    w = WorkerProcess(db_url, smsc.url(name="smsc", tps=0), name="mo", MOTCUA_LOG_LEVEL="INFO").start()
    try:
        smsc.wait_bound(30)
        smsc._call("POST", "/mo", {"text": f"MCKH {dossier.code}", "sender": "84987654321", "recipient": "8083",
                                   "data_coding": 8, "redeliver_on_bind": True})
        assert wait_for(lambda: Message.objects.filter(kind=Kind.LOOKUP_REPLY, status="delivered").exists(), 30)
        smsc.drop()
        assert wait_for(lambda: smsc.stats().get("mo_redelivered") == 1, 30), w.log_tail()
        assert wait_for(lambda: "redelivered: already answered" in w.log_tail(), 30), w.log_tail()
    finally:
        w.stop()
    assert IncomingMessage.objects.count() == 1, w.log_tail()
    reply = Message.objects.get(kind=Kind.LOOKUP_REPLY)
    assert sum(1 for s in smsc.submits() if s["destination_addr"] == "84987654321") == reply.parts


def test_three_worker_processes_share_3000_messages_each_sent_once(db_url, smsc):
    n = 3000
    workers = [
        WorkerProcess(db_url, smsc.url(name=f"conn{i}", tps=500), name=f"w{i}").start()
        for i in range(3)
    ]
    try:
        smsc.wait_bound(30, sessions=3)
        queue_messages(n)
        counts = wait_all_final(n, 60)
    finally:
        for w in workers:
            w.stop()
    extra, per_destination = duplicates(smsc.submits())
    spread = Counter(Message.objects.values_list("connection", flat=True))
    print(f"\nthree workers, {n} messages: {dict(counts)}; sent by {dict(spread)}; duplicates {extra}")
    assert counts == Counter({"delivered": n})
    assert extra == 0 and len(per_destination) == n  # each exactly once
    assert len(spread) == 3 and min(spread.values()) >= n * 0.1  # every worker took a real share
