"""Threat: password guessing on the desk or the Django admin login, and one address spraying many
usernames. One throttle counts failures for both forms, per username+address, per address and per
username; Django's password rules apply to every account."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from tests.security.conftest import PASSWORD

DESK, ADMIN = "/desk/login", "/admin/login/"


def attempt(client: Client, form: str, username: str, password: str) -> int:
    return client.post(form, {"username": username, "password": password, "next": "/admin/"}).status_code


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("form", [DESK, ADMIN])
def test_after_five_failures_even_the_right_password_is_refused(people, form):
    c = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(5):
        attempt(c, form, "tinh", "sai")
    assert attempt(c, form, "tinh", PASSWORD) == 429
    assert not logged_in(c)


@pytest.mark.django_db
def test_the_admin_and_the_desk_share_one_count(people):
    c = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(3):
        attempt(c, DESK, "tinh", "sai")
    for _ in range(2):
        attempt(c, ADMIN, "tinh", "sai")
    assert attempt(c, ADMIN, "tinh", PASSWORD) == 429
    assert attempt(c, DESK, "tinh", PASSWORD) == 429
    assert not logged_in(c)


@pytest.mark.django_db
@pytest.mark.parametrize("form", [DESK, ADMIN])
def test_one_address_spraying_many_usernames_is_stopped(people, form):
    c = Client(REMOTE_ADDR="10.0.0.7")
    for i in range(20):
        attempt(c, form, f"user{i}", "123456")
    assert attempt(c, form, "lan", PASSWORD) == 429  # a real account, right password: still refused
    assert Client(REMOTE_ADDR="10.0.0.8").post(DESK, {"username": "lan", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_one_username_guessed_from_many_addresses_is_stopped(people, settings):
    settings.MOTCUA = {**settings.MOTCUA, "LOGIN_USER_FAILURE_LIMIT": 12}
    for i in range(12):
        attempt(Client(REMOTE_ADDR=f"10.1.0.{i}"), DESK, "lan", "sai")
    assert attempt(Client(REMOTE_ADDR="10.1.1.1"), ADMIN, "lan", PASSWORD) == 429


@pytest.mark.django_db
def test_a_province_admin_logs_into_the_admin_and_the_count_starts_again(people):
    c = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(4):
        attempt(c, ADMIN, "tinh", "sai")
    assert attempt(c, ADMIN, "tinh", PASSWORD) == 302 and logged_in(c)
    assert c.get("/admin/").status_code == 200


@pytest.mark.parametrize("weak", ["12345678", "password", "motcua", "0912345678", "abc"])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)
    validate_password("Khánh Hòa một cửa 2026!")
