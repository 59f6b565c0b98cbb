"""Threat: charged lookups recorded under connection names the telco never bills, and gateway
parameters carrying control characters (forged log lines, broken records)."""

from __future__ import annotations

import logging

import pytest

from motcua.messaging.models import GatewayReport, IncomingMessage
from tests.security.conftest import TOKEN

MO = {"from": "84912345678", "to": "8083", "text": "MCKH 0162600001", "id": "mo-1", "conn": "kannel", "token": TOKEN}
DLR = {"id": "k1-" + "0" * 32, "status": "2", "conn": "kannel", "token": TOKEN}
INJECTED = "\nts=2026-01-01 level=INFO msg=forged"


@pytest.mark.django_db
@pytest.mark.parametrize("conn", ["other", "kannel2", "KANNEL", "sim"])
def test_only_configured_gateway_connections_are_accepted(client, gateway, province, conn):
    mo = client.get("/sms/mo", {**MO, "conn": conn})
    dlr = client.get("/sms/dlr", {**DLR, "conn": conn})
    smsc = client.get("/sms/mo", {**{k: v for k, v in MO.items() if k != "conn"}, "smsc": conn})
    assert mo.status_code == dlr.status_code == smsc.status_code == 400
    assert "not a configured gateway connection" in mo.content.decode()
    assert not IncomingMessage.objects.exists() and not GatewayReport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["conn", "id", "from", "to", "coding", "charset"])
@pytest.mark.parametrize("bad", [INJECTED, "x\rts=forged", "x\x00y", "x\x1by", "x\x85y"])
def test_control_characters_in_metadata_get_400_never_echoed_nor_logged(client, gateway, province, caplog, name, bad):
    caplog.set_level(logging.DEBUG)
    for path, query in (("/sms/mo", MO), ("/sms/dlr", DLR)):
        response = client.get(path, {**query, name: bad})
        if path == "/sms/dlr" and name not in ("conn", "id"):
            continue  # the dlr takes no such parameter
        assert response.status_code == 400, (path, name)
        assert "control characters" in response.content.decode()
        assert bad not in response.content.decode()
    assert not IncomingMessage.objects.exists()
    assert not GatewayReport.objects.exists() or name not in ("conn", "id")
    for record in caplog.records:
        assert bad not in record.getMessage()
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage()


@pytest.mark.django_db
def test_a_line_break_in_the_sms_text_itself_is_a_genuine_message_and_answered(client, gateway, make_dossier):
    dossier = make_dossier()
    response = client.get("/sms/mo", {**MO, "text": f"MCKH\n{dossier.code}"})
    assert response.status_code == 200 and dossier.code in response.content.decode()


@pytest.mark.django_db
def test_a_line_break_in_the_smsc_answer_does_not_lose_the_report(client, gateway, province):
    response = client.get("/sms/dlr", {**DLR, "answer": "id:1 stat:UNDELIV\nerr:001"})
    assert response.status_code == 200
    assert GatewayReport.objects.get().error == "id:1 stat:UNDELIV err:001"
