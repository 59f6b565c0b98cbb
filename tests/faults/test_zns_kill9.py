"""``kill -9`` of the worker in the middle of ZNS sends: nothing is lost, and no notice goes on both channels.

The production command runs as child processes on the committed test database (SQLite file or PostgreSQL),
with a zns:// connection to the ZNS peer (slow answers, so the kill lands with sends in flight) and the SMS
simulator. The peer posts its signed delivery events to the test's live server, the real ``/zalo/webhook``.

The bound: a send Zalo accepted but the dead worker did not record is sent through ZNS again (at most the
connection's ``batch`` per kill). The SMS goes only when ZNS refused the person, or never answered readably
(its outcome unknown), or no delivery event came in time: here none of the latter happens, so a citizen who
got the ZNS never gets the SMS.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from motcua.messaging.models import Channel, Kind, Message, Status
from tests.faults import WorkerProcess, database_url
from tests.peers import zns as codes
from tests.peers.zns import ZnsPeer

pytestmark = pytest.mark.django_db(transaction=True)

N = 40
BATCH = 8
ZNS_ENV = {"MOTCUA_ZNS_APP_ID": "app-1", "MOTCUA_ZNS_APP_SECRET": "app-secret",
           "MOTCUA_ZNS_OA_SECRET_KEY": "oa-secret", "MOTCUA_ZNS_REFRESH_TOKEN": "refresh-0"}


def child_database_url() -> str:
    if connection.vendor == "sqlite":
        return f"sqlite:///{connection.settings_dict['NAME']}"
    return database_url(connection.settings_dict)


def phone(i: int) -> str:
    return f"8491{i:07d}"


def queue_zns(n: int) -> None:
    now = timezone.now()
    Message.objects.bulk_create([
        Message(kind=Kind.RESULT, cause=f"zns-fault:{i}", to=phone(i), text="Ho so da co ket qua", encoding="gsm",
                parts=1, not_before=now, created_at=now, channel=Channel.ZNS, template_id="316",
                template_data={"ma_ho_so": f"C{i}"})
        for i in range(n)
    ])


def reached() -> tuple[int, dict[str, str]]:
    """(notices that reached the citizen, how each did): by ZNS (delivered, no SMS) or by its SMS."""
    how: dict[str, str] = {}
    for m in Message.objects.filter(channel=Channel.ZNS).select_related("fallback"):
        fallback = getattr(m, "fallback", None)
        if fallback is not None:
            if fallback.status == Status.DELIVERED:
                how[m.to] = "sms"
        elif m.status == Status.DELIVERED:
            how[m.to] = "zns"
    return len(how), how


def test_worker_killed_9_during_zns_sends_loses_nothing_and_never_sends_both(live_server, settings):
    settings.MOTCUA = {**settings.MOTCUA, "ZNS_APP_ID": "app-1", "ZNS_OA_SECRET_KEY": "oa-secret",
                       "SMS_URL": "zns:// sim://"}
    refused = {phone(i) for i in range(0, N, 5)}
    with ZnsPeer(app_id="app-1", app_secret="app-secret", oa_secret_key="oa-secret", refresh_token="refresh-0") as peer:
        for p in refused:
            peer.refuse(p, codes.NO_ZALO_ACCOUNT)
        peer.webhook_url = f"{live_server.url}/zalo/webhook"
        peer.slow(0.3)
        queue_zns(N)
        sms_url = f"{peer.zns_url(batch=str(BATCH), concurrency='4')} sim://"
        first = WorkerProcess(child_database_url(), sms_url, name="zns-a", **ZNS_ENV).start()
        try:
            assert peer.wait_for(lambda: len(peer.sends) >= BATCH + 2, timeout=60), first.log_tail()
        finally:
            first.kill9()
        killed_at = len(peer.sends)
        peer.slow(0.0)
        second = WorkerProcess(child_database_url(), sms_url, name="zns-b", **ZNS_ENV).start()
        try:
            deadline = time.monotonic() + 120
            while reached()[0] < N and time.monotonic() < deadline:
                time.sleep(0.3)
            count, how = reached()
            assert count == N, (count, second.log_tail())
        finally:
            second.stop()
        accepted = Counter(s["tracking_id"] for s in peer.accepted())

    assert killed_at < N  # the kill came while sends were still to be made
    assert {p for p, way in how.items() if way == "sms"} == refused  # SMS only where Zalo refused the person
    assert not any(peer.accepted(p) for p in refused)
    assert Message.objects.filter(channel=Channel.SMS).count() == len(refused)  # one SMS per refused notice
    assert sum(n - 1 for n in accepted.values()) <= BATCH  # ZNS doubles: at most one batch in flight
    assert Message.objects.exclude(status__in=[Status.DELIVERED, Status.FAILED]).filter(
        channel=Channel.SMS).count() == 0
