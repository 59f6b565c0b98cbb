"""The phone simulator in Chromium, as the province administrator uses it at 1366×900 and 390×844: one
conversation per number, the citizen's MO at once and the reply as soon as the worker sends it, with no
reload. Fails on sideways scrolling, a missing Vietnamese label, or a request leaving 127.0.0.1."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.browser.desk_fixtures import *  # noqa: F403 - fixtures
from tests.browser.desk_fixtures import login, shot, tick_worker
from tests.browser.public_checks import assert_page_ok, checked_page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sim_settings(settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "", "SMS_URL": "sim://"}
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_citizen_texts_and_the_reply_arrives_without_reloading(live_server, browser, desk_users, make_dossier,
                                                                 size):
    from motcua.dossiers import services

    dossier = make_dossier(code="0162600001")
    services.apply_event(dossier, "result_ready", actor="test")
    tick_worker()  # the result notice reaches the dossier's phone
    with checked_page(browser, size) as (page, _outside):
        login(page, live_server.url, "tinh")
        page.goto(live_server.url + "/desk/gia-lap")
        assert_page_ok(page, ["Điện thoại giả lập", "Về Bàn làm việc", "Số điện thoại gửi", "Nội dung", "Gửi tới 8083"])
        screen = page.locator("#conversation")
        page.locator("#threads a", has_text="0912345678").click()
        expect(screen.locator(".bubble.in")).to_contain_text("(MS: 0162600001) đã được giải quyết xong")

        page.get_by_label("Số điện thoại gửi").fill("0987 654 321")
        page.get_by_label("Nội dung").fill("MCKH 0162600001")
        page.get_by_role("button", name="Gửi tới 8083").click()
        expect(screen.locator(".bubble.out")).to_contain_text("MCKH 0162600001")  # the citizen's own MO, at once
        expect(screen.locator(".bubble.in")).to_have_count(0)
        tick_worker()  # the reply is sent while the page is open
        expect(screen.locator(".bubble.in")).to_contain_text(
            "Hồ sơ của quý Ông/Bà (0162600001) hiện đang ở bước Trả kết quả", timeout=20_000)
        expect(page.locator("#threads a")).to_have_count(2)
        assert_page_ok(page, ["0987654321", "0912345678"])
        # The open conversation is kept in the fragment, which the browser never sends: no number in a
        # request line, and a reload shows the same conversation.
        assert page.url.endswith("/desk/gia-lap#so=0987654321")
        page.reload()
        expect(screen.locator("h2")).to_have_text("0987654321")
        expect(page.get_by_label("Số điện thoại gửi")).to_have_value("0987654321")
        if size == "desktop":
            shot(page, "desk-simulator.png")
        page.get_by_role("link", name="Về Bàn làm việc").click()
        expect(page).to_have_url(live_server.url + "/desk/")


def test_agency_staff_cannot_open_it(live_server, browser, desk_users):
    with checked_page(browser, "desktop") as (page, _outside):
        login(page, live_server.url, "hung")
        response = page.goto(live_server.url + "/desk/gia-lap")
        assert response.status == 403
