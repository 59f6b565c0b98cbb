"""The public lookup as a citizen uses it on a phone: headless Chromium against the live server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

CODE = "0161701234"


@pytest.fixture
def dossier(make_dossier):
    now = timezone.now()
    return make_dossier(code=CODE, received=now - timedelta(days=1), appointment=now + timedelta(days=6))


def fill_and_submit(page, code: str, access_code: str) -> None:
    page.get_by_label("Mã số biên nhận").fill(code)
    page.get_by_label("Mã tra cứu").fill(access_code)
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_load_state()


def test_lookup_form_wrong_code_and_rate_limit(live_server, page, dossier):
    page.goto(f"{live_server.url}/tra-cuu")
    assert page.get_by_role("heading", name="Tra cứu hồ sơ").is_visible()

    # The citizen types the code in groups and the access code in lower case.
    fill_and_submit(page, "016 17 01234", dossier.access_code.lower())
    result = page.locator("#lookup-result")
    assert result.is_visible()
    assert page.locator("#current-step").inner_text() == "Tiếp nhận hồ sơ"
    assert page.locator("#on-time").inner_text() == "Đúng hạn"
    assert "Cấp thẻ hướng dẫn viên" in result.inner_text()
    appointment = timezone.localtime(dossier.appointment_at).strftime("%d/%m/%Y")
    assert appointment in result.inner_text()
    assert "Nguyễn Văn An" not in page.content()
    # fits a phone screen: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # A wrong access code: the same answer as an unknown code, and no dossier data.
    fill_and_submit(page, CODE, "ABCDEF" if dossier.access_code != "ABCDEF" else "GHJKMN")
    error = page.locator("#lookup-error")
    assert "Không tìm thấy hồ sơ với mã số biên nhận và mã tra cứu đã nhập" in error.inner_text()
    assert page.locator("#lookup-result").count() == 0
    fill_and_submit(page, "0169999999", "ABCDEF")
    assert "Không tìm thấy hồ sơ với mã số biên nhận và mã tra cứu đã nhập" in error.inner_text()

    # 3 tries so far; the limit is 10 a minute, so the 11th is refused even with the right code.
    for _ in range(7):
        fill_and_submit(page, CODE, "WRONG2")
    response = page.goto(
        f"{live_server.url}/tra-cuu?code={CODE}&access_code={dossier.access_code}"
    )
    assert response.status == 429
    assert "Quý Ông/Bà đã tra cứu quá nhiều lần" in page.locator("#lookup-error").inner_text()
    assert page.locator("#lookup-result").count() == 0
