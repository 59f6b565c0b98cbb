"""Browser tests: headless Debian Chromium driven by Playwright against pytest-django's live_server.

Playwright's sync API runs an event loop in the test thread, which trips Django's async-unsafe guard
on every ORM call the test makes; the calls are in fact synchronous, so the guard is switched off here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The tests ran in Playwright's greenlet, whose context variables are its own: Django's connection
        # there is another object than the one the session opened before. Close it while it is in reach;
        # the test database's teardown closes only the first, and could not drop the database the second
        # still held ("being accessed by other users").
        from django.db import connections

        connections.close_all()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A phone-sized page (the lookup is mostly used from a phone)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
