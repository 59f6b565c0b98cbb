"""Forged Zalo webhooks over real HTTP change nothing; genuine ones, even repeated, deliver once.

The ZNS peer signs its ``user_received_message`` events as Zalo does and posts them to the live server.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.utils import timezone

from motcua.messaging.connections import Router
from motcua.messaging.models import Channel, GatewayReport, Kind, Message, MessagePart, Status
from motcua.messaging.worker import Worker
from tests.peers.zns import ZnsPeer, sign

pytestmark = pytest.mark.django_db(transaction=True)


def post(url: str, body: str, signature: str) -> int:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-ZEvent-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_forged_webhooks_change_nothing_and_a_genuine_one_delivers(live_server, settings):
    settings.MOTCUA = {**settings.MOTCUA, "ZNS_APP_ID": "app-1", "ZNS_OA_SECRET_KEY": "oa-secret",
                       "SMS_URL": "zns:// sim://"}
    now = timezone.now()
    message = Message.objects.create(kind=Kind.RESULT, cause="hook:1", to="84912345678", text="x", encoding="gsm",
                                     parts=1, channel=Channel.ZNS, status=Status.SENT, sent_at=now, connection="zns")
    MessagePart.objects.create(message=message, connection="zns", remote_id="7001")
    url = f"{live_server.url}/zalo/webhook"
    with ZnsPeer(app_id="app-1", oa_secret_key="oa-secret") as peer:
        body, headers = peer.signed_event("7001", str(message.pk))
        timestamp = json.loads(body)["timestamp"]
        assert post(url, body, sign("app-1", body, timestamp, "wrong-key")) == 403
        assert post(url, body.replace("7001", "7002"), headers["X-ZEvent-Signature"]) == 403  # body changed
        assert post(url, body, "") == 403
        assert not GatewayReport.objects.exists()
        unknown, unknown_headers = peer.signed_event("9999")
        assert post(url, unknown, unknown_headers["X-ZEvent-Signature"]) == 200  # genuine, but not ours
        worker = Worker(router=Router.from_setting("sim://"), name="t", run_batch=False)
        worker.tick()
        message.refresh_from_db()
        assert message.status == Status.SENT  # nothing changed
        for _ in range(2):  # Zalo repeats an event it thinks we missed
            assert post(url, body, headers["X-ZEvent-Signature"]) == 200
        worker.tick()
        worker.stop()
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert Message.objects.count() == 1
