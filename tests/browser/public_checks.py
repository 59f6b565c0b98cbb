"""What every page test checks in Chromium, at a desktop and a phone size.

* nothing scrolls sideways (``scrollWidth`` of the document against the window's width);
* the page's Vietnamese labels are there (the test names them; every form field and button also has a name);
* no request leaves 127.0.0.1: every request is intercepted, those to another host are aborted and fail the test
  (a provincial intranet is often offline — a CDN font or script would leave the page blank or slow).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from playwright.sync_api import expect

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop in the test thread

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class Outside(list):
    """URLs the page tried to load from another host."""


@contextmanager
def checked_page(browser, size: str) -> Iterator[tuple[object, Outside]]:
    viewport = SIZES[size]
    context = browser.new_context(viewport=viewport, locale="vi-VN", is_mobile=size == "phone",
                                  has_touch=size == "phone")
    outside = Outside()

    def route(route, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page, outside
    finally:
        context.close()
    assert not outside, f"requests left 127.0.0.1: {outside}"


def assert_page_ok(page, labels: list[str]) -> None:
    """No sideways scrolling, each Vietnamese label visible, every field and button named."""
    page.wait_for_load_state("load")
    for label in labels:
        expect(page.get_by_text(label, exact=False).first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"
    unnamed = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
        .filter(el => el.offsetParent !== null)
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
        .map(el => el.outerHTML.slice(0, 80))""")
    assert not unnamed, f"fields without a label: {unnamed}"
