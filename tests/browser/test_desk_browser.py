"""The desk in headless Chromium: a staff member's day with one dossier, an administrator editing a
template, reports, and isolation between agencies. Screenshots go to docs/screenshots/ with MOTCUA_SCREENSHOTS=1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.messaging.models import IncomingMessage, Message, Status
from tests.browser.desk_fixtures import *  # noqa: F403 - fixtures
from tests.browser.desk_fixtures import login, shot, tick_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _desk_settings(settings):
    """No quiet hours (the test must not depend on the time of day) and the built-in phone simulator."""
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "", "SMS_URL": "sim://", "PRICE_PER_PART": 800}
    cache.clear()
    yield
    cache.clear()


def some_other_dossiers(make_dossier) -> None:
    """A few dossiers so the list looks like a working day."""
    now = timezone.now()
    tomorrow = timezone.localtime(now).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    make_dossier(applicant="Lê Thị Hoa", phone="0987654321", received=now - timedelta(days=4), appointment=tomorrow)
    late = make_dossier(applicant="Phạm Văn Dũng", phone="0903123456", received=now - timedelta(days=9),
                        appointment=now - timedelta(days=1))
    services.apply_event(late, DossierEvent.STEP_CHANGED, "user:lan", step="Thẩm định hồ sơ")
    waiting = make_dossier(applicant="Võ Minh Tâm", phone="0356789012", received=now - timedelta(days=2))
    services.apply_event(waiting, DossierEvent.SUPPLEMENT_REQUESTED, "user:lan")
    make_dossier(proc="sameday", applicant="Đặng Thu Trang", phone="", received=now - timedelta(hours=2))


def test_staff_receives_a_dossier_and_sees_each_sms_on_the_timeline(live_server, desk_page, desk_users, make_dossier):
    page = desk_page
    some_other_dossiers(make_dossier)
    login(page, live_server.url, "lan")
    expect(page.get_by_role("heading", name="Hồ sơ")).to_be_visible()
    shot(page, "desk-list.png")

    # Receive: the phone is checked on the spot and again by the server.
    page.get_by_role("link", name="Tiếp nhận").first.click()
    page.get_by_label("Thủ tục hành chính").select_option(label="1.004628 — Cấp thẻ hướng dẫn viên (5 ngày làm việc)")
    page.get_by_label("Chủ hồ sơ").fill("Nguyễn Thị Mai")
    phone = page.get_by_label("Số điện thoại di động")
    phone.fill("0123")
    page.get_by_label("Chủ hồ sơ").focus()  # blur → on-the-spot check
    expect(page.locator("#phone-error")).not_to_be_empty()
    page.get_by_role("button", name="Tiếp nhận và cấp mã biên nhận").click()
    expect(page.locator("#phone-error")).not_to_be_empty()
    assert not Dossier.objects.filter(applicant="Nguyễn Thị Mai").exists()

    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    phone.fill("+84 912 345 678")
    page.get_by_label("Chủ hồ sơ").focus()
    expect(phone).to_have_value("0912345678")  # the on-the-spot check wrote it in national form
    expect(page.locator("#phone-error")).to_be_empty()
    assert urls and not [u for u in urls if "912" in u]  # the number went in a request body, not a URL
    page.get_by_role("button", name="Tiếp nhận và cấp mã biên nhận").click()
    dossier = Dossier.objects.get(applicant="Nguyễn Thị Mai")
    expect(page.locator("#code")).to_have_text(dossier.code)
    expect(page.locator(".flash.success")).to_contain_text(f"Đã tiếp nhận hồ sơ {dossier.code}")
    expect(page.locator("#appointment")).to_have_text(timezone.localtime(dossier.appointment_at).strftime("%H:%M %d/%m/%Y"))

    # The printable receipt opens in a new tab.
    with page.context.expect_page() as receipt_tab:
        page.get_by_role("link", name="In giấy tiếp nhận và hẹn trả kết quả").click()
    receipt = receipt_tab.value
    receipt.wait_for_load_state()
    expect(receipt.locator("body")).to_contain_text(dossier.code)
    receipt.close()

    # Supplement: the SMS appears queued, then delivered after one worker pass.
    page.get_by_role("button", name="Yêu cầu bổ sung").click()
    expect(page.locator("#state")).to_have_text("Chờ bổ sung")
    supplement = page.locator('.message[data-kind="supplement"]')
    expect(supplement).to_contain_text("Chờ gửi")
    expect(supplement.locator(".sms")).to_contain_text(f"(MS: {dossier.code}) cần bổ sung theo quy định")
    tick_worker()
    page.reload()
    expect(supplement).to_contain_text("Đã đến máy")
    expect(supplement).to_contain_text("UCS-2 (có dấu) · 2 phần · 1.600 đ (ước tính)")
    expect(supplement.locator("table")).to_contain_text("Đã đến máy")

    page.get_by_role("button", name="Đã nhận hồ sơ bổ sung").click()
    expect(page.locator("#state")).to_have_text("Đang xử lý")
    page.get_by_role("button", name="Có kết quả").click()
    expect(page.locator("#state")).to_have_text("Đã xử lý xong")
    result = page.locator('.message[data-kind="result"]')
    expect(result.locator(".sms")).to_contain_text(f"(MS: {dossier.code}) đã được giải quyết xong")
    tick_worker()
    page.get_by_role("button", name="Đã trả kết quả").click()
    expect(page.locator("#state")).to_have_text("Đã trả kết quả")
    expect(result).to_contain_text("Đã đến máy")
    events = page.locator("#timeline .event")
    expect(events).to_have_count(5)
    expect(events.nth(1)).to_contain_text("Yêu cầu bổ sung")
    expect(events.nth(1)).to_contain_text("bởi lan")
    shot(page, "desk-dossier-timeline.png")
    assert [m.status for m in Message.objects.filter(dossier=dossier).order_by("id")] == [Status.DELIVERED] * 2


def test_admin_edits_a_template_with_live_preview(live_server, desk_page, desk_users):
    page = desk_page
    login(page, live_server.url, "hung")
    page.get_by_role("link", name="Mẫu tin nhắn").click()
    text = page.locator("#text")

    text.fill("Hồ sơ {Mã hồ sơ} đã có kết quả")
    expect(page.locator("#preview-errors")).to_contain_text("Trường {Mã hồ sơ} không dùng được")
    page.get_by_role("button", name="Lưu mẫu").click()
    expect(page.locator("#errors")).to_contain_text("Mẫu tin nhắn phải có trường {Mã số biên nhận}")
    expect(page.locator("#errors")).to_contain_text("Chưa lưu được mẫu tin nhắn")

    text.fill("Sở Du lịch: hồ sơ {Mã số biên nhận} đã có kết quả. Mời ông/bà đến {Tên cơ quan} nhận kết quả.")
    expect(page.locator("#preview-errors")).to_be_empty()
    expect(page.locator("#preview-text")).to_contain_text("hồ sơ 016")
    expect(page.locator("#preview-meta")).to_contain_text("UCS-2 (Unicode)")
    expect(page.locator("#preview-meta")).to_contain_text("2 phần")
    expect(page.locator("#preview-meta")).to_contain_text("ước tính 1.600 đ")
    text.fill("So Du lich: ho so {Mã số biên nhận} da co ket qua.")
    expect(page.locator("#preview-meta")).to_contain_text("GSM 7-bit · ")
    expect(page.locator("#preview-meta")).to_contain_text("1 phần")
    expect(page.locator("#preview-meta")).to_contain_text("ước tính 800 đ")
    text.fill("Sở Du lịch: hồ sơ {Mã số biên nhận} đã có kết quả. Mời ông/bà đến {Tên cơ quan} nhận kết quả.")
    expect(page.locator("#preview-meta")).to_contain_text("2 phần")
    page.get_by_role("button", name="Lưu mẫu").click()
    expect(page.locator(".flash.success")).to_contain_text("Đã lưu mẫu")
    shot(page, "desk-template-editor.png")


def test_reports_page(live_server, desk_page, desk_users, make_dossier, province):
    now = timezone.now()
    for i, (proc, status) in enumerate([("guide", Status.DELIVERED), ("guide", Status.DELIVERED),
                                        ("press", Status.UNDELIVERED), ("press", Status.DELIVERED)]):
        d = make_dossier(proc, received=now - timedelta(days=6), appointment=now - timedelta(days=i - 1))
        services.apply_event(d, DossierEvent.RESULT_READY, "user:lan")
        Message.objects.filter(dossier=d).update(status=status)
    IncomingMessage.objects.create(connection="sim", sender="84912345678", recipient="8083", text="MCKH 1",
                                   price=1000, outcome="answered")
    page = desk_page
    login(page, live_server.url, "tinh")
    page.get_by_role("link", name="Báo cáo").click()
    expect(page.locator("#total-messages")).to_have_text("4")
    expect(page.locator("#ontime")).to_contain_text("Cấp thẻ hướng dẫn viên")
    expect(page.locator("body")).to_contain_text("75,0%")  # Vietnamese decimal comma
    shot(page, "desk-reports.png")
    page.get_by_label("Cơ quan").select_option(label="010 Sở Thông tin và Truyền thông")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#total-messages")).to_have_text("2")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải Excel").click()
    assert download.value.suggested_filename.startswith("bao-cao-010-")


def test_staff_of_another_agency_gets_404(live_server, desk_page, desk_users, make_dossier):
    dossier = make_dossier("guide")  # agency 016
    page = desk_page
    login(page, live_server.url, "minh")  # agency 010
    response = page.goto(f"{live_server.url}/desk/ho-so/{dossier.pk}")
    assert response.status == 404
    page.goto(f"{live_server.url}/desk/")
    expect(page.locator("body")).not_to_contain_text(dossier.code)


def test_searching_by_phone_keeps_the_number_out_of_the_address_bar(live_server, desk_page, desk_users, make_dossier):
    """The search box takes phone numbers; the address bar (and so history and proxies' logs) never does."""
    some_other_dossiers(make_dossier)
    page = desk_page
    login(page, live_server.url, "lan")
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.get_by_label("Tìm theo mã biên nhận hoặc số điện thoại").fill("+84 987 654 321")
    page.get_by_role("button", name="Tìm").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("Lê Thị Hoa")
    page.get_by_role("button", name="Trễ hạn").click()
    expect(page.locator("tbody")).to_contain_text("Không có hồ sơ nào.")
    expect(page.get_by_label("Tìm theo mã biên nhận hoặc số điện thoại")).to_have_value("+84 987 654 321")
    assert urls and not [u for u in urls if "987" in u or "q=" in u]
    assert page.url == f"{live_server.url}/desk/"
