"""``motcua demo``: what a new user gets from the README's first command, minus the server."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from motcua.messaging import outbox
from tests.conftest import local


@pytest.fixture
def demo(db, settings, monkeypatch):
    # As settings.py reads it when MOTCUA_QUIET_HOURS is unset; the command may replace the dict, and
    # the fixture restores it after the test.
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "21:00-07:00"}

    def run(**env: str) -> str:
        monkeypatch.delenv("MOTCUA_QUIET_HOURS", raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        out = io.StringIO()
        call_command("demo", "--no-serve", stdout=out)
        return out.getvalue()

    return run


def test_a_demo_tried_in_the_evening_still_delivers_its_notices(demo):
    """A notice made at 23:00 in Viet Nam (16:00 UTC) goes at once, not at 07:00 the next morning."""
    printed = demo()
    assert "Quiet hours:   off in the demo" in printed
    assert outbox.quiet_not_before(local(2026, 12, 1, 23, 0)) is None


def test_the_demo_keeps_quiet_hours_the_user_asked_for(demo):
    printed = demo(MOTCUA_QUIET_HOURS="21:00-07:00")
    assert "Quiet hours:   21:00-07:00" in printed
    assert outbox.quiet_not_before(local(2026, 12, 1, 23, 0)) == local(2026, 12, 2, 7, 0)


def test_the_demo_prints_where_everything_is(demo):
    printed = demo()
    for line in ("/desk/", "/tra-cuu", "/desk/gia-lap", "/api/docs", "API key (016):"):
        assert line in printed
    # the README's example dossier, with the access code the public lookup asks for
    assert "Demo dossier:  code 0162" in printed and "access code KHDV26" in printed


def test_the_demo_sends_one_agency_by_zalo_zns_and_the_simulator_shows_it_as_a_zalo_card(demo, client):
    from django.contrib.auth import get_user_model

    from motcua.messaging.models import Channel, Message
    from motcua.messaging.worker import Worker

    demo()
    worker = Worker(name="demo", run_batch=False)
    try:
        for _ in range(3):
            worker.tick()
    finally:
        worker.stop()
    [notice] = Message.objects.filter(dossier__code="0102600001", kind="supplement")  # seeded: needs a supplement
    assert notice.channel == Channel.ZNS and notice.status == "delivered"
    assert not Message.objects.filter(dossier__agency__code="016", channel=Channel.ZNS).exists()  # 016: SMS only
    client.force_login(get_user_model().objects.get(username="admin"))  # the province administrator the demo made
    feed = client.get("/desk/gia-lap/tin-nhan").json()
    cards = [b for thread in feed["threads"] for b in thread["bubbles"] if b["channel"] == "zns"]
    assert any("0102600001" in b["text"] and b["text"].startswith("Zalo · Sở Thông tin") for b in cards)
