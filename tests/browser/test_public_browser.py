"""The citizens' pages in Chromium at 1366×900 and 390×844: the front page, the lookup form, an answer (typed
and from the receipt's QR code), a code not found, the API docs and quick start, and the 404 page. Each fails
on sideways scrolling, a missing Vietnamese label, or a request leaving 127.0.0.1. Screenshots go to
docs/screenshots/ with MOTCUA_SCREENSHOTS=1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.desk_fixtures import shot
from tests.browser.public_checks import assert_page_ok, checked_page

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = ["desktop", "phone"]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dossier(make_dossier, province):
    from motcua.dossiers import services
    from motcua.dossiers.models import Agency

    hours = "Sáng 7h00–11h30, chiều 13h30–17h00, thứ Hai đến thứ Sáu"
    Agency.objects.filter(code="016").update(
        address="Trung tâm Phục vụ hành chính công tỉnh, 01 Trần Phú, Nha Trang", opening_hours=hours,
        hotline="0258 3822 753")
    Agency.objects.filter(code="010").update(
        address="Trung tâm Phục vụ hành chính công tỉnh, 01 Trần Phú, Nha Trang", opening_hours=hours,
        hotline="0258 3560 229")
    now = timezone.now()
    d = make_dossier(code="0162600001", received=now - timedelta(days=3), appointment=now + timedelta(days=4))
    services.apply_event(d, "step_changed", actor="test", step="Thẩm định hồ sơ")
    services.apply_event(d, "result_ready", actor="test")
    d.refresh_from_db()
    return d


@pytest.mark.parametrize("size", SIZES)
def test_front_page(live_server, browser, dossier, size):
    with checked_page(browser, size) as (page, _outside):
        page.goto(live_server.url + "/")
        assert_page_ok(page, ["Tra cứu hồ sơ thủ tục hành chính", "Tra cứu bằng tin nhắn", "MCKH", "8083",
                              "1.000 đồng", "Nơi nộp và nhận hồ sơ", "01 Trần Phú", "0258 3822 753",
                              "Mã số biên nhận", "Mã tra cứu"])
        expect(page.locator("link[rel=icon]")).to_have_count(1)
        if size == "desktop":
            shot(page, "public-home.png")
        # the form on the front page answers on /tra-cuu
        page.get_by_label("Mã số biên nhận").first.fill(dossier.code)
        page.get_by_label("Mã tra cứu").first.fill(dossier.access_code.lower())
        page.get_by_role("button", name="Tra cứu").first.click()
        expect(page.locator("#status-sentence")).to_have_text(
            "Hồ sơ đã có kết quả, mời ông/bà đến Bộ phận Một cửa Sở Du lịch tỉnh Khánh Hòa để nhận.")
        # English by the switch, and back
        page.goto(live_server.url + "/")
        page.locator("#language-switch").get_by_text("English").click()
        expect(page.get_by_role("heading", name="Look up by SMS")).to_be_visible()
        assert_page_ok(page, ["Where to file and collect dossiers"])
        page.locator("#language-switch").get_by_text("Tiếng Việt").click()
        expect(page.get_by_role("heading", name="Tra cứu bằng tin nhắn")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_lookup_answer(live_server, browser, dossier, size):
    with checked_page(browser, size) as (page, _outside):
        page.goto(f"{live_server.url}/tra-cuu?code={dossier.code}&access_code={dossier.access_code}")
        appointment = timezone.localtime(dossier.appointment_at)
        assert_page_ok(page, ["Hồ sơ đã có kết quả, mời ông/bà đến Bộ phận Một cửa Sở Du lịch tỉnh Khánh Hòa",
                              f"{appointment:%H:%M} {appointment:%d/%m/%Y}", "Nơi nhận kết quả",
                              "01 Trần Phú", "Giờ làm việc", "0258 3822 753", "Quá trình xử lý",
                              "Thẩm định hồ sơ", "Đúng hạn", "MCKH 0162600001"])
        assert "Nguyễn Văn An" not in page.content() and "0912345678" not in page.content()
        if size == "phone":
            shot(page, "public-lookup-phone.png")


@pytest.mark.parametrize("size", SIZES)
def test_receipt_qr_link_opens_the_answer(live_server, browser, dossier, size):
    from django.urls import reverse

    from motcua.lookup.public import qr_token

    with checked_page(browser, size) as (page, _outside):
        page.goto(live_server.url + reverse("lookup-qr", kwargs={"token": qr_token(dossier.code, dossier.access_code)}))
        assert_page_ok(page, ["Hồ sơ 0162600001", "Hồ sơ đã có kết quả"])


@pytest.mark.parametrize("size", SIZES)
def test_lookup_form_not_found_and_access_code_help(live_server, browser, dossier, size):
    with checked_page(browser, size) as (page, _outside):
        page.goto(live_server.url + "/tra-cuu")
        assert_page_ok(page, ["Tra cứu hồ sơ", "Mã số biên nhận", "Mã tra cứu", "Mã tra cứu là gì, tìm ở đâu?"])
        page.get_by_text("Mã tra cứu là gì, tìm ở đâu?").click()
        expect(page.get_by_text("ngay dưới dòng “Mã số biên nhận”")).to_be_visible()
        page.get_by_label("Mã số biên nhận").fill("0169999999")
        page.get_by_label("Mã tra cứu").fill("ABCDEF")
        page.get_by_role("button", name="Tra cứu").click()
        assert_page_ok(page, ["Không tìm thấy hồ sơ", "gọi điện thoại cho Bộ phận Một cửa nơi đã nộp hồ sơ"])


@pytest.mark.parametrize("size", SIZES)
def test_api_docs_and_quick_start_work_offline(live_server, browser, db, size):
    with checked_page(browser, size) as (page, _outside):
        page.goto(live_server.url + "/api/docs")
        expect(page.get_by_text("motcua API").first).to_be_visible()  # drawn by the bundled Swagger UI
        link = page.get_by_role("link", name="Hướng dẫn nhanh cho nhà cung cấp phần mềm")
        expect(link).to_have_attribute("href", "/api/huong-dan")  # Swagger UI opens it in a new tab
        page.goto(live_server.url + "/api/huong-dan")
        assert_page_ok(page, ["API — hướng dẫn nhanh cho nhà cung cấp phần mềm", "Gửi hồ sơ mới",
                              "Báo thay đổi của hồ sơ"])


@pytest.mark.parametrize("size", SIZES)
def test_not_found_page(live_server, browser, db, size):
    with checked_page(browser, size) as (page, _outside):
        response = page.goto(live_server.url + "/khong-co-trang-nay")
        assert response.status == 404
        assert_page_ok(page, ["Không tìm thấy trang", "Về trang chủ", "Tra cứu hồ sơ"])
