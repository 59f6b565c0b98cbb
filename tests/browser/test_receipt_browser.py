"""The printed receipt (Mẫu số 01) in Chromium: on a desk PC, on a phone, and as A4 and A5 print.

Fails on sideways scrolling, a missing field of the form, or a request leaving 127.0.0.1. The screenshot goes to
docs/screenshots/ with MOTCUA_SCREENSHOTS=1."""

from __future__ import annotations

import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.desk_fixtures import *  # noqa: F403 - fixtures
from tests.browser.desk_fixtures import login, shot
from tests.browser.public_checks import assert_page_ok, checked_page

pytestmark = pytest.mark.django_db(transaction=True)

FORM_FIELDS = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "Mã số biên nhận", "Mã tra cứu", "Thành phần hồ sơ nộp gồm", "Đơn đề nghị cấp thẻ hướng dẫn viên",
    "Số lượng hồ sơ: 01 bộ", "Thời gian trả kết quả giải quyết hồ sơ", "Nơi trả kết quả", "01 Trần Phú",
    "0258 3822 753", "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", "Ký và ghi rõ họ tên", "Khánh Hòa, ngày",
    "Tra cứu: soạn MCKH",
]


@pytest.fixture
def dossier(make_dossier, province):
    from motcua.dossiers.models import Agency, Dossier

    Agency.objects.filter(code="016").update(
        address="Trung tâm Phục vụ hành chính công tỉnh, 01 Trần Phú, Nha Trang", hotline="0258 3822 753",
        opening_hours="Sáng 7h00–11h30, chiều 13h30–17h00, thứ Hai đến thứ Sáu")
    now = timezone.now()
    d = make_dossier(code="0162600001", received=now - timedelta(hours=1), appointment=now + timedelta(days=7))
    Dossier.objects.filter(pk=d.pk).update(documents=[
        {"name": "Đơn đề nghị cấp thẻ hướng dẫn viên du lịch (Mẫu số 01)", "copies": 1},
        {"name": "Bản sao có chứng thực văn bằng, chứng chỉ", "copies": 1},
        {"name": "Giấy chứng nhận sức khỏe", "copies": 1},
        {"name": "Ảnh chân dung 3cm x 4cm", "copies": 2},
    ])
    return d


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_receipt_on_screen(live_server, browser, desk_users, dossier, size):
    with checked_page(browser, size) as (page, _outside):
        login(page, live_server.url, "lan")
        page.goto(f"{live_server.url}/tra-cuu/bien-nhan/{dossier.code}")
        assert_page_ok(page, FORM_FIELDS)
        # its links come from the address the page was opened at (the demo's own port)
        assert page.locator("#public-lookup").inner_text() == f"{live_server.url}/tra-cuu"
        qr_link = page.locator(".qr-code").get_attribute("title")
        assert qr_link.startswith(f"{live_server.url}/tra-cuu/qr/{dossier.code}:")
        if size == "desktop":
            shot(page, "receipt.png")
        # the QR code's link opens the answer for anyone holding the receipt
        page.goto(qr_link)
        assert_page_ok(page, ["Hồ sơ 0162600001", "Hồ sơ đã được tiếp nhận và đang chờ xử lý"])


@pytest.mark.parametrize("paper", ["A4", "A5"])
def test_receipt_prints_on_one_sheet(live_server, browser, desk_users, dossier, paper):
    with checked_page(browser, "desktop") as (page, _outside):
        login(page, live_server.url, "lan")
        page.goto(f"{live_server.url}/tra-cuu/bien-nhan/{dossier.code}?kho={paper}")
        page.emulate_media(media="print")
        assert not page.locator("#print-button").is_visible()  # the buttons do not print
        assert not page.locator("header").is_visible()
        pdf = page.pdf(prefer_css_page_size=True)
        Path(tempfile.gettempdir(), f"motcua-receipt-{paper}.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
        assert pages == 1, f"the receipt takes {pages} {paper} sheets"
