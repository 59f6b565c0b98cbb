"""``kill -9`` of ``motcua callbacks`` in the middle of deliveries loses no event.

The production command runs as a child process on the committed test database (SQLite file or
PostgreSQL); the receiver holds its requests unanswered, so the child is killed with requests in flight
and their events claimed (``sending``). A new sender puts them back after ``CALLBACK_STUCK_AFTER`` and
every event reaches the receiver: at least once, some twice, none never.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from motcua.callbacks import recorder
from motcua.callbacks.models import Event, Subscription
from motcua.dossiers import services
from motcua.dossiers.models import ApiKey
from tests.faults import ROOT, database_url
from tests.peers.callback_receiver import CallbackReceiver

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "kill9-callback-secret-0123456789abcdef"
IN_FLIGHT = 4


def child_database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return database_url(settings)


class SenderProcess:
    """``motcua callbacks`` as a child process."""

    def __init__(self, name: str) -> None:
        self.log = Path(tempfile.mkstemp(prefix=f"motcua-callbacks-{name}-", suffix=".log")[1])
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "motcua.settings",
            "DATABASE_URL": child_database_url(),
            "MOTCUA_CALLBACK_STUCK_AFTER": "1",
            "MOTCUA_CALLBACK_IN_FLIGHT": str(IN_FLIGHT),
            "MOTCUA_CALLBACK_IN_FLIGHT_PER_URL": str(IN_FLIGHT),
            "MOTCUA_LOG_LEVEL": "WARNING",
        }
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "motcua.cli", "callbacks", "--name", name],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_callback_sender_killed_9_with_requests_in_flight_loses_no_event(make_dossier, province, settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": ""}
    recorder.forget()
    with CallbackReceiver(SECRET) as peer:
        key, _ = ApiKey.issue("phần mềm 016", province["016"])
        Subscription.objects.create(api_key=key, url=peer.url, secret=SECRET)
        for i in range(12):
            services.apply_event(make_dossier(phone=f"09120005{i:02d}"), "result_ready", actor="test")
        all_ids = {f"{e.message_id}:{e.status}" for e in Event.objects.all()}
        assert len(all_ids) == 12

        peer.hold()
        first = SenderProcess("first")
        try:
            assert peer.wait_holding(IN_FLIGHT, timeout=30), first.log_tail()
            assert Event.objects.filter(state="sending").count() == IN_FLIGHT
        finally:
            first.kill9()
        in_flight = {f"{e.message_id}:{e.status}" for e in Event.objects.filter(state="sending")}
        assert len(in_flight) == IN_FLIGHT  # claimed by a sender that is gone

        peer.release()  # the dead sender's requests arrive, answered to nobody
        second = SenderProcess("second")
        try:
            assert wait_for(lambda: Event.objects.filter(state="done").count() == 12), second.log_tail()
        finally:
            second.stop()
        received = [r for r in peer.received if r.valid]
    recorder.forget()
    ids = [r.json["event_id"] for r in received]
    assert set(ids) == all_ids  # every event arrived
    assert all(ids.count(i) >= 2 for i in in_flight)  # those in flight at the kill were sent again
    assert all(r.valid for r in peer.received)
