"""Fixtures for the desk's browser tests (kept apart from the lookup pages' conftest on purpose).

Import them into a test module with ``from tests.browser.desk_fixtures import *``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in the test thread

# The committed screenshots are refreshed only on request (MOTCUA_SCREENSHOTS=1), so a test run leaves the tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("MOTCUA_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "motcua-screenshots"
)
PASSWORD = "mat-khau-cho-thu-nghiem-2026"

__all__ = ["PASSWORD", "SCREENSHOTS", "desk_page", "desk_users", "login", "shot", "tick_worker"]


@pytest.fixture
def desk_page(browser) -> Iterator[object]:
    """A desktop-sized page in Vietnamese (the desk runs on a PC or a tablet at the counter)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def desk_users(province, django_user_model, settings):
    from motcua.desk.models import Role, StaffProfile

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(username: str, agency: str | None, role: str = Role.STAFF):
        if agency is None:
            return django_user_model.objects.create_superuser(username, f"{username}@example.vn", PASSWORD)
        user = django_user_model.objects.create_user(username, password=PASSWORD)
        StaffProfile.objects.create(user=user, agency=province[agency], role=role)
        return user

    return {
        "lan": make("lan", "016"),
        "hung": make("hung", "016", Role.AGENCY_ADMIN),
        "minh": make("minh", "010"),
        "tinh": make("tinh", None),
    }


def login(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/desk/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def tick_worker() -> None:
    """One pass of the worker, as if it had woken up: what a user waits for after an action."""
    from motcua.messaging.worker import Worker

    worker = Worker(run_batch=False)
    try:
        worker.tick()
    finally:
        worker.stop()
