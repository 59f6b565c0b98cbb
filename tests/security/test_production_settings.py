"""Threat: a production start with the demo secret key (forgeable sessions), receipts printing a
localhost address, the simulator as the only SMS connection, cookies over plain HTTP, and /healthz
telling anybody which telco links exist. Refused at start-up, or closed."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import OperationalError, connections

from tests.security.conftest import motcua, production_env

PRODUCTION = {"PUBLIC_URL": "https://motcua.example.gov.vn", "SMS_URL": "smpp://u:p@127.0.0.1:9?name=vtl"}


def deploy_check() -> None:
    call_command("check", "--deploy", "--tag", "motcua")


@pytest.fixture
def production(settings):
    settings.SECRET_KEY = "a-real-secret-" + "x" * 40
    settings.MOTCUA = {**settings.MOTCUA, **PRODUCTION, "DEMO": False, "ALLOW_SIMULATOR": False}
    return settings


def test_the_production_settings_pass(production):
    deploy_check()


@pytest.mark.parametrize(
    ("change", "code", "what_to_set"),
    [
        ({"SECRET_KEY": None}, "motcua.E010", "MOTCUA_SECRET_KEY"),
        ({"PUBLIC_URL": "http://127.0.0.1:8000"}, "motcua.E011", "MOTCUA_PUBLIC_URL"),
        ({"PUBLIC_URL": "http://localhost"}, "motcua.E011", "MOTCUA_PUBLIC_URL"),
        ({"SMS_URL": "sim://"}, "motcua.E012", "MOTCUA_ALLOW_SIMULATOR=1"),
    ],
)
def test_each_demo_setting_is_refused_with_what_to_set(production, change, code, what_to_set):
    if "SECRET_KEY" in change:
        production.SECRET_KEY = production.DEMO_SECRET_KEY
    else:
        production.MOTCUA = {**production.MOTCUA, **change}
    with pytest.raises(SystemCheckError) as refused:
        deploy_check()
    assert code in str(refused.value) and what_to_set in str(refused.value)


def test_the_simulator_alone_is_allowed_only_explicitly_and_the_demo_allows_all(production):
    production.MOTCUA = {**production.MOTCUA, "SMS_URL": "sim://", "ALLOW_SIMULATOR": True}
    deploy_check()
    production.SECRET_KEY = production.DEMO_SECRET_KEY
    production.MOTCUA = {**production.MOTCUA, "PUBLIC_URL": "http://127.0.0.1:8000", "ALLOW_SIMULATOR": False,
                         "DEMO": True}
    deploy_check()


def test_worker_refuses_to_start_with_the_demo_secret_key(tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'w.sqlite3'}")
    del env["MOTCUA_SECRET_KEY"]
    result = motcua("worker", env=env)
    assert result.returncode != 0 and "motcua.E010" in result.stderr and "MOTCUA_SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    """The environment docs/DEPLOY.md gives (see production_env): not one warning."""
    result = motcua("check", "--deploy", "--fail-level", "WARNING",
                    env=production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'c.sqlite3'}"))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_documented_environment_is_the_one_tested():
    deploy = (__import__("pathlib").Path(__file__).parents[2] / "docs" / "DEPLOY.md").read_text()
    for name in production_env():
        if name.startswith("MOTCUA_") and name not in ("MOTCUA_LOG_FORMAT",):
            assert name in deploy, name


@pytest.mark.django_db
def test_healthz_is_up_or_down_only_without_the_metrics_token(client, settings):
    settings.MOTCUA = {**settings.MOTCUA, "METRICS_TOKEN": "m-token"}
    assert client.get("/healthz").json() == {"status": "up"}
    assert client.get("/healthz", headers={"Authorization": "Bearer wrong"}).json() == {"status": "up"}
    detailed = client.get("/healthz", headers={"Authorization": "Bearer m-token"}).json()
    assert detailed["status"] == "up" and detailed["database"] == "ok" and "connections" in detailed
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError("down")):
        down = client.get("/healthz")
    assert down.status_code == 503 and down.json() == {"status": "down"}


@pytest.mark.django_db
def test_healthz_details_are_never_open_when_no_metrics_token_is_configured(client, settings):
    settings.MOTCUA = {**settings.MOTCUA, "METRICS_TOKEN": ""}
    assert client.get("/healthz", headers={"Authorization": "Bearer "}).json() == {"status": "up"}
