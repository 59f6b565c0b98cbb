"""Threat: anybody who reaches /sms/mo and /sms/dlr reads dossiers, records charged lookups and forges
delivery reports. Closed unless the gateway's shared token is configured and sent."""

from __future__ import annotations

import hmac

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from motcua.desk.management.commands.demo import Command as DemoCommand
from motcua.messaging import gateway_views
from motcua.messaging.models import GatewayReport, IncomingMessage
from tests.security.conftest import TOKEN, motcua, production_env

MO = {"from": "84912345678", "to": "8083", "text": "MCKH 0162600001", "id": "mo-1", "conn": "kannel"}
DLR = {"id": "k1-" + "0" * 32, "status": "2", "conn": "kannel"}


@pytest.mark.django_db
def test_without_a_configured_token_both_endpoints_are_closed(client, settings, province):
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": "", "SMS_URL": "kannel://u:p@127.0.0.1:9?name=kannel"}
    for path, query in (("/sms/mo", MO), ("/sms/dlr", DLR)):
        response = client.get(path, query)
        assert response.status_code == 403
        assert "MOTCUA_GATEWAY_TOKEN" in response.content.decode()
    assert not IncomingMessage.objects.exists() and not GatewayReport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN[:-1], TOKEN + "x", TOKEN.upper()])
def test_a_missing_or_wrong_token_is_refused_and_nothing_is_recorded(client, gateway, province, token):
    extra = {} if token is None else {"token": token}
    assert client.get("/sms/mo", {**MO, **extra}).status_code == 403
    assert client.post("/sms/dlr", {**DLR, **extra}).status_code == 403
    assert not IncomingMessage.objects.exists() and not GatewayReport.objects.exists()


@pytest.mark.django_db
def test_the_right_token_is_answered(client, gateway, province):
    assert client.get("/sms/mo", {**MO, "token": gateway}).status_code == 200
    assert client.get("/sms/dlr", {**DLR, "token": gateway}).status_code == 200
    assert IncomingMessage.objects.count() == 1 and GatewayReport.objects.count() == 1


@pytest.mark.django_db
def test_the_token_is_compared_in_constant_time_from_settings(client, gateway, province, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(gateway_views.hmac, "compare_digest", spy)
    monkeypatch.setenv("MOTCUA_GATEWAY_TOKEN", "from-the-environment-at-request-time")
    assert client.get("/sms/mo", {**MO, "token": gateway}).status_code == 200  # settings, read at start-up
    assert compared == [(gateway.encode(), gateway.encode())]


def test_a_kannel_connection_without_token_fails_the_system_check(settings):
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": "", "SMS_URL": "kannel://u:p@127.0.0.1:9?name=kannel"}
    with pytest.raises(SystemCheckError, match="MOTCUA_GATEWAY_TOKEN"):
        call_command("check")
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": TOKEN}
    call_command("check")


def test_a_kannel_url_with_another_token_fails_the_system_check(settings):
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": TOKEN,
                       "SMS_URL": "kannel://u:p@127.0.0.1:9?name=kannel&token=old"}
    with pytest.raises(SystemCheckError, match="motcua.E002"):
        call_command("check")


@pytest.mark.parametrize("command", [["worker"], ["serve", "127.0.0.1:1"]])
def test_serve_and_worker_refuse_to_start_with_kannel_and_no_token(command, tmp_path):
    env = production_env(MOTCUA_SMS_URL="kannel://u:p@127.0.0.1:9?name=kannel", MOTCUA_GATEWAY_TOKEN="",
                         DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    result = motcua(*command, env=env)
    assert result.returncode != 0
    assert "motcua.E001" in result.stderr and "Set MOTCUA_GATEWAY_TOKEN" in result.stderr


def test_demo_generates_a_gateway_token(settings):
    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": "", "SMS_URL": "sim:// kannel://u:p@127.0.0.1:9"}
    DemoCommand.mark_demo()
    token = settings.MOTCUA["GATEWAY_TOKEN"]
    assert len(token) >= 24
    call_command("check")  # the demo's own token satisfies the check


def test_the_dlr_url_given_to_kannel_carries_the_configured_token(settings):
    from motcua.messaging.transports.kannel import KannelTransport

    settings.MOTCUA = {**settings.MOTCUA, "GATEWAY_TOKEN": TOKEN}
    transport = KannelTransport.from_url("kannel://u:p@127.0.0.1:9?name=kannel")
    assert transport.token == TOKEN
