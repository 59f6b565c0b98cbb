"""Threat: a one-stop desk's shared PC. The next person presses "Back" and reads the last one's API key,
generated password or a citizen's phone from the browser's cache, or finds yesterday's session still open."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from tests.integration.test_desk import PASSWORD, _fast_passwords, client_for, users  # noqa: F401

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_desk_pages_and_secrets_shown_once_are_never_cached(users, make_dossier):  # noqa: F811
    dossier = make_dossier()
    admin = client_for(users["admin016"])
    for path in ("/desk/", f"/desk/ho-so/{dossier.pk}", "/desk/tin-nhan", "/desk/can-bo", "/desk/khoa-api"):
        assert no_store(admin.get(path)), path
    new_key = admin.post("/desk/khoa-api", {"name": "Phần mềm một cửa"})
    assert no_store(new_key)
    assert no_store(admin.post("/desk/tin-nhan", {"so": "0912345678"}))


def test_api_answers_are_never_cached(api_key, make_dossier):
    dossier = make_dossier()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key('016')}"}
    assert no_store(Client().get(f"/api/v1/dossiers/{dossier.code}", **auth))
    assert no_store(Client().get("/api/v1/dossiers/nope", **auth))  # errors too
    answer = Client().get("/api/v1/lookup", {"code": dossier.code, "access_code": dossier.access_code})
    assert answer.status_code == 200 and no_store(answer)
    created = Client().post("/api/v1/dossiers", data=json.dumps({"procedure": "1.004628"}),
                            content_type="application/json", **auth)
    assert created.status_code == 201 and no_store(created)


def test_public_pages_may_still_be_cached_where_they_hold_nothing_private():
    assert not no_store(Client().get("/"))


def test_a_desk_session_ends_with_the_browser_and_lasts_a_working_day(users):  # noqa: F811
    c = Client()
    response = c.post("/desk/login", {"username": "lan", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert response.status_code == 302 and cookie.value
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    assert settings.SESSION_COOKIE_AGE == 10 * 3600
