"""The phone simulator the demo runs on: staff only, shows what the phone received, takes an MO as a citizen would."""

from __future__ import annotations

import pytest

from motcua.messaging.connections import Router
from motcua.messaging.transports.sim import SimTransport
from motcua.messaging.worker import Worker
from tests.conftest import local


@pytest.fixture
def worker(settings):
    settings.MOTCUA = {**settings.MOTCUA, "SMS_URL": "sim://", "QUIET_HOURS": ""}
    return Worker(router=Router([SimTransport()]), run_batch=False)


def test_simulator_is_for_staff_only(client, db):
    response = client.get("/simulator")
    assert response.status_code == 302 and "login" in response["Location"]


def test_result_sms_then_a_lookup_typed_in_the_simulator(admin_client, make_dossier, worker):
    from motcua.dossiers import services

    dossier = make_dossier()
    services.apply_event(dossier, "result_ready", actor="test", at=local(2026, 11, 24, 10, 0))  # before the due date
    worker.tick()
    page = admin_client.get("/simulator").content.decode()
    assert (
        f"TB: Hồ sơ của quý ông/bà (MS: {dossier.code}) đã được giải quyết xong. "
        "Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận kết quả"
    ) in page

    response = admin_client.post("/simulator", {"sender": "0987 654 321", "text": f"mckh {dossier.code}"})
    assert response.status_code == 302
    worker.tick()
    page = admin_client.get("/simulator").content.decode()
    assert f"Hồ sơ của quý Ông/Bà ({dossier.code}) hiện đang ở bước Trả kết quả, trạng thái hồ sơ: Đúng hạn." in page
    assert "84987654321" in page


def test_a_bad_sender_number_is_explained_and_nothing_recorded(admin_client, worker):
    from motcua.messaging.models import IncomingMessage

    response = admin_client.post("/simulator", {"sender": "12345", "text": "MCKH 0161701234"})
    assert response.status_code == 200
    assert "Số điện thoại" in response.content.decode()
    assert not IncomingMessage.objects.exists()
