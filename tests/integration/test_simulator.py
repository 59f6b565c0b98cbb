"""The phone simulator the demo runs on: a desk page for the province administrator, one conversation per
phone number, the citizen's MO and our replies in order, refreshed from a JSON feed."""

from __future__ import annotations

import pytest

from motcua.messaging.connections import Router
from motcua.messaging.transports.sim import SimTransport
from motcua.messaging.worker import Worker
from tests.conftest import local

PAGE = "/desk/gia-lap"
FEED = "/desk/gia-lap/tin-nhan"


@pytest.fixture
def worker(settings):
    settings.MOTCUA = {**settings.MOTCUA, "SMS_URL": "sim://", "QUIET_HOURS": ""}
    return Worker(router=Router([SimTransport()]), run_batch=False)


def test_simulator_is_for_the_province_administrator_only(client, province, django_user_model):
    from motcua.desk.models import Role, StaffProfile

    response = client.get(PAGE)
    assert response.status_code == 302 and "/desk/login" in response["Location"]
    assert client.get("/simulator")["Location"] == PAGE  # the old address leads to the desk page
    user = django_user_model.objects.create_user("qt016", password="x", is_staff=True)
    StaffProfile.objects.create(user=user, agency=province["016"], role=Role.AGENCY_ADMIN)
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
    assert client.get(FEED).status_code == 403
    assert client.post(PAGE, {"sender": "0987654321", "text": "MCKH 1"}).status_code == 403


def thread(feed: dict, phone: str) -> list[dict]:
    return next(t["bubbles"] for t in feed["threads"] if t["phone"] == phone)


def test_result_sms_then_a_lookup_typed_in_the_simulator(admin_client, make_dossier, worker):
    from motcua.dossiers import services

    dossier = make_dossier()
    services.apply_event(dossier, "result_ready", actor="test", at=local(2026, 11, 24, 10, 0))  # before the due date
    worker.tick()
    feed = admin_client.get(FEED).json()
    [notice] = thread(feed, dossier.phone)
    assert notice["direction"] == "in"
    assert notice["text"].startswith(
        f"TB: Hồ sơ của quý ông/bà (MS: {dossier.code}) đã được giải quyết xong. "
        "Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận kết quả")
    page = admin_client.get(PAGE).content.decode()
    assert f"(MS: {dossier.code})" in page and 'href="/desk/"' in page  # drawn at once, no wait for a poll

    response = admin_client.post(PAGE, {"sender": "0987 654 321", "text": f"mckh {dossier.code}"})
    assert response.status_code == 302 and response["Location"].endswith("#so=0987654321")
    mo_only = thread(admin_client.get(FEED).json(), "0987654321")
    assert [(b["direction"], b["text"]) for b in mo_only] == [("out", f"mckh {dossier.code}")]  # shown at once
    worker.tick()
    feed = admin_client.get(FEED).json()
    conversation = thread(feed, "0987654321")
    assert [b["direction"] for b in conversation] == ["out", "in"]
    assert conversation[1]["text"] == (
        f"Hồ sơ của quý Ông/Bà ({dossier.code}) hiện đang ở bước Trả kết quả, trạng thái hồ sơ: Đúng hạn.")
    assert feed["threads"][0]["phone"] == "0987654321"  # the newest conversation first
    assert thread(feed, dossier.phone) == [notice]  # the other number's conversation is its own


def test_a_bad_sender_number_is_explained_and_nothing_recorded(admin_client, worker):
    from motcua.messaging.models import IncomingMessage

    response = admin_client.post(PAGE, {"sender": "12345", "text": "MCKH 0161701234"})
    assert response.status_code == 200
    assert "Số điện thoại" in response.content.decode()
    assert not IncomingMessage.objects.exists()


def test_what_became_of_an_mo_reads_in_the_desk_language(admin_client, make_dossier):
    from django.conf import settings as conf

    dossier = make_dossier()
    admin_client.post(PAGE, {"sender": "0987 654 321", "text": f"MCKH {dossier.code}"})
    admin_client.post(PAGE, {"sender": "0987 654 321", "text": "xin chao"})
    notes = [b["note"] for b in thread(admin_client.get(FEED).json(), "0987654321")]
    assert notes == ["Đã trả lời", "Sai cú pháp"]
    admin_client.cookies[conf.LANGUAGE_COOKIE_NAME] = "en"
    notes = [b["note"] for b in thread(admin_client.get(FEED).json(), "0987654321") if b["direction"] == "out"]
    assert notes == ["Answered", "Bad syntax"]
