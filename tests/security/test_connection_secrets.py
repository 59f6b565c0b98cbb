"""Threat: the telco's password or Zalo's secrets read by someone who only sees the desk or the logs, through
a connection URL quoted in an error (a mistyped URL) or in a banner."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from motcua.messaging.connections import redact_text, redact_url
from tests.integration.test_desk import _fast_passwords, client_for, users  # noqa: F401

SECRETS = ("kpass", "pw-123", "s3cr3t", "rt-xyz")


@pytest.mark.parametrize(("url", "shown"), [
    ("kannel://kuser:kpass@:13013?name=kannel", "kannel://kuser:***@:13013?name=kannel"),
    ("smpp://sys:pw-123@10.0.0.1:2775?tps=150&name=vtl", "smpp://sys:***@10.0.0.1:2775?tps=150&name=vtl"),
    ("zns://app@business.openapi.zalo.me?secret_key=s3cr3t&refresh_token=rt-xyz&name=zns",
     "zns://app@business.openapi.zalo.me?secret_key=***&refresh_token=***&name=zns"),
    ("sim://", "sim://"),
    ("smpp://10.0.0.1:2775", "smpp://10.0.0.1:2775"),
])
def test_a_connection_url_is_shown_without_its_secrets(url, shown):
    assert redact_url(url) == shown
    assert not any(s in redact_text(f"cannot use {url} (password kpass, pw-123)", url)
                   for s in SECRETS if s in url)


@pytest.mark.django_db
def test_a_mistyped_url_is_refused_at_start_up_without_its_password(settings):
    settings.MOTCUA = {**settings.MOTCUA, "SMS_URL": "kannel://kuser:kpass@:13013?name=kannel"}
    with pytest.raises(SystemCheckError) as refused:
        call_command("check", "--tag", "motcua")
    assert "motcua.E013" in str(refused.value) and "kpass" not in str(refused.value)
    assert "kannel://kuser:***@:13013" in str(refused.value)


@pytest.mark.django_db
def test_the_connections_page_shows_the_error_but_not_the_password(users, settings):  # noqa: F811
    settings.MOTCUA = {**settings.MOTCUA, "SMS_URL": "sim:// kannel://kuser:kpass@:13013?name=kannel"}
    page = client_for(users["admin016"]).get("/desk/ket-noi").content.decode()
    assert "kannel:// URL without a host" in page and "kpass" not in page


@pytest.mark.django_db
def test_the_demo_banner_names_the_connection_without_its_password(settings, capsys, monkeypatch):
    monkeypatch.setenv("MOTCUA_SMS_URL", "sim:// smpp://sys:pw-123@127.0.0.1:2775?name=vtl")
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "smpp://sys:***@127.0.0.1:2775?name=vtl" in out and "pw-123" not in out
