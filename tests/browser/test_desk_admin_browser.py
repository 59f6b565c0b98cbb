"""An agency administrator's own desk in headless Chromium: staff, API keys, the audit log, every message
findable and exported, template history and test sends, monthly usage and the telco statement, and the
language choice. Screenshots go to docs/screenshots/ with MOTCUA_SCREENSHOTS=1."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from motcua.desk.models import AuditEntry, StaffProfile
from motcua.dossiers import services
from motcua.dossiers.models import ApiKey, DossierEvent
from motcua.messaging.models import IncomingMessage, Message, MessagePart, Status
from tests.browser.desk_fixtures import *  # noqa: F403 - fixtures
from tests.browser.desk_fixtures import login, shot, tick_worker

pytestmark = pytest.mark.django_db(transaction=True)

VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


@pytest.fixture(autouse=True)
def _desk_settings(settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": "", "SMS_URL": "sim://", "PRICE_PER_PART": 800,
                       "SHORT_CODE": "8083"}
    settings.AUTH_PASSWORD_VALIDATORS = VALIDATORS
    cache.clear()
    yield
    cache.clear()


def test_agency_admin_manages_staff_and_keys_and_sees_the_log(live_server, desk_page, desk_users):
    page = desk_page
    login(page, live_server.url, "hung")
    page.get_by_role("link", name="Cán bộ", exact=True).click()
    expect(page.get_by_role("heading", name="Cán bộ", exact=True)).to_be_visible()
    page.get_by_label("Tên đăng nhập").fill("thao")
    page.get_by_label("Họ và tên").fill("Phạm Thị Thảo")
    page.get_by_label("Vai trò").select_option("staff")
    page.get_by_label("Mật khẩu ban đầu").fill("123")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator("#password-error")).not_to_be_empty()
    page.get_by_label("Tên đăng nhập").fill("thao")
    page.get_by_label("Họ và tên").fill("Phạm Thị Thảo")
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.locator("#shown-password")).to_contain_text("thao")
    expect(page.locator('tr[data-username="thao"]')).to_contain_text("Phạm Thị Thảo")
    expect(page.locator('tr[data-username="minh"]')).to_have_count(0)  # another agency's staff
    shot(page, "desk-staff.png")
    page.locator('tr[data-username="lan"]').get_by_role("button", name="Khóa").click()
    expect(page.locator('tr[data-username="lan"]')).to_contain_text("Đã khóa")

    page.get_by_role("link", name="Khóa API").click()
    page.get_by_label("Tên khóa").fill("Phần mềm một cửa của Sở")
    page.get_by_role("button", name="Tạo khóa").click()
    secret = page.locator("#secret").inner_text()
    assert ApiKey.authenticate(secret).name == "Phần mềm một cửa của Sở"
    shot(page, "desk-keys.png")
    page.goto(f"{live_server.url}/desk/khoa-api")
    expect(page.locator("body")).not_to_contain_text(secret)
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Thu hồi").click()
    expect(page.locator("table#keys")).to_contain_text("Đã thu hồi")
    assert ApiKey.authenticate(secret) is None

    page.get_by_role("link", name="Nhật ký").click()
    log = page.locator("table#audit")
    for text in ("Tạo tài khoản cán bộ", "Khóa tài khoản cán bộ", "Tạo khóa API", "Thu hồi khóa API"):
        expect(log).to_contain_text(text)
    expect(log).to_contain_text("hung")
    shot(page, "desk-audit.png")
    assert AuditEntry.objects.count() == 4


def test_every_message_is_findable_and_exported(live_server, desk_page, desk_users, make_dossier):
    page = desk_page
    d = make_dossier(phone="0912345678")
    make_dossier(proc="press", phone="0912345678")  # another agency's message to the same citizen
    services.apply_event(d, DossierEvent.RESULT_READY, "user:lan")
    tick_worker()
    tick_worker()
    reply = Message.objects.create(kind="lookup_reply", cause="reply:sim:9", agency=d.agency, to="84912345678",
                                   text=f"Hồ sơ {d.code} đã có kết quả.", parts=1, cost=800, status=Status.TO_GATEWAY)
    IncomingMessage.objects.create(connection="sim", remote_id="9", sender="84912345678", recipient="8083",
                                   text=f"MCKH {d.code}", price=1000, outcome="answered", reply=reply)
    login(page, live_server.url, "lan")
    page.get_by_role("link", name="Tin nhắn", exact=True).click()
    page.get_by_label("Số điện thoại").fill("+84 912 345 678")
    page.get_by_role("button", name="Tìm").click()
    outgoing = page.locator("table#outgoing tr.message")
    expect(outgoing).to_have_count(2)  # the result notice and the lookup reply of this agency
    result = page.locator('tr.message[data-kind="result"]')
    expect(result).to_contain_text(d.code)
    expect(result).to_contain_text("Đã đến máy")
    assert MessagePart.objects.filter(message__dossier=d).exists()
    expect(result.locator(".part")).to_have_count(MessagePart.objects.filter(message__dossier=d).count())
    expect(page.locator("table#incoming")).to_contain_text("1.000 đ")
    expect(page.locator("table#incoming")).to_contain_text(f"Hồ sơ {d.code} đã có kết quả.")
    shot(page, "desk-messages.png")
    with page.expect_download() as info:
        page.locator("#export-csv").click()
    rows = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert any(d.code in row for row in rows)
    with page.expect_download() as info:
        page.locator("#export-xlsx").click()
    assert info.value.suggested_filename.endswith(".xlsx")


def test_template_history_preview_and_a_test_send(live_server, desk_page, desk_users, make_dossier):
    page = desk_page
    d = make_dossier()
    login(page, live_server.url, "hung")
    page.get_by_role("link", name="Mẫu tin nhắn").click()
    text = page.locator("#text")
    text.fill("TB: Ho so {Mã số biên nhận} da co ket qua. Moi den {Tên cơ quan}.")
    page.get_by_role("button", name="Lưu mẫu").click()
    text.fill("TB: Ho so {Mã số biên nhận} co ket qua, moi den {Tên cơ quan} nhan.")
    page.get_by_role("button", name="Lưu mẫu").click()
    versions = page.locator("table#versions tbody tr")
    expect(versions).to_have_count(3)
    expect(versions.first).to_contain_text("hung")
    expect(versions.first.locator(".diff .add")).to_contain_text("moi den {Tên cơ quan} nhan.")
    page.locator("#preview-code").fill(d.code)
    page.locator("#preview-dossier").get_by_role("button", name="Xem").click()
    expect(page.locator("#preview-text")).to_contain_text(f"Ho so {d.code} co ket qua")
    expect(page.locator("#preview-meta")).to_contain_text("ước tính")
    shot(page, "desk-template-history.png")
    page.locator('tr[data-version="2"]').get_by_role("button", name="Khôi phục").click()
    expect(page.locator("#text")).to_have_value("TB: Ho so {Mã số biên nhận} da co ket qua. Moi den {Tên cơ quan}.")

    page.locator("#my-profile").click()
    page.get_by_label("Số điện thoại di động của tôi").fill("0912 000 111")
    page.get_by_role("button", name="Lưu").click()
    assert StaffProfile.objects.get(user__username="hung").phone == "0912000111"
    page.get_by_role("link", name="Mẫu tin nhắn").click()
    page.get_by_role("button", name="Gửi thử").click()
    expect(page.get_by_role("heading", name="Tin nhắn", exact=True)).to_be_visible()
    tick_worker()
    tick_worker()
    page.reload()
    test_row = page.locator("tr.message", has_text="gửi thử")
    expect(test_row).to_contain_text("Đã đến máy")
    expect(test_row).to_contain_text("0912000111")


def test_monthly_usage_and_the_telco_statement(live_server, desk_page, desk_users, tmp_path, province):
    page = desk_page
    for i in range(3):
        Message.objects.create(kind="result", cause=f"c{i}", agency=province["016"], to="84912345678", text="x",
                               parts=2, cost=1600, status=Status.DELIVERED)
    month = f"{timezone.localdate():%Y-%m}"
    statement = tmp_path / "bang-ke.csv"
    statement.write_text(f"co_quan,thang,so_phan_tin,so_tra_cuu\n016,{month},8,0\n016,2020-01,x,1\n", encoding="utf-8")
    login(page, live_server.url, "hung")
    page.get_by_role("link", name="Sử dụng & đối soát").click()
    row = page.locator(f'table#usage tr[data-agency="016"][data-month="{month}"]')
    expect(row).to_contain_text("4.800 đ")
    page.get_by_label("Tệp CSV của nhà mạng").set_input_files(str(statement))
    page.get_by_role("button", name="Đối soát").click()
    diff = page.locator(f'table#reconcile tr[data-agency="016"][data-month="{month}"]')
    expect(diff).to_have_class("mismatch")
    expect(diff).to_contain_text("6")
    expect(diff).to_contain_text("8")
    expect(page.locator("#upload-problems")).to_contain_text("Dòng 3")
    shot(page, "desk-usage.png")


def test_language_is_the_users_choice_not_the_browsers(live_server, browser, desk_users):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        login(page, live_server.url, "lan")
        expect(page.get_by_role("link", name="Tin nhắn", exact=True)).to_be_visible()  # an English browser: still Vietnamese
        page.locator("#language-select").select_option("en")
        expect(page.get_by_role("link", name="Messages", exact=True)).to_be_visible()
        page.goto(f"{live_server.url}/desk/tin-nhan")
        expect(page.get_by_role("heading", name="Messages", exact=True)).to_be_visible()
        shot(page, "desk-messages-en.png")
    finally:
        context.close()
