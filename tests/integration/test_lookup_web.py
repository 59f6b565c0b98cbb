"""The public lookup ``/tra-cuu`` and its JSON twin, and the staff's printable receipt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from motcua.lookup.public import NOT_FOUND_MESSAGE

CODE = "0161701234"


@pytest.fixture
def dossier(make_dossier):
    from motcua.dossiers import services

    now = timezone.now()
    d = make_dossier(code=CODE, received=now - timedelta(days=2), appointment=now + timedelta(days=5))
    services.apply_event(d, "step_changed", actor="Trần Thị Bình (chuyên viên)", step="Thẩm định hồ sơ")
    d.refresh_from_db()
    return d


@pytest.fixture
def late(make_dossier):
    ago = timezone.now() - timedelta(days=40)
    return make_dossier("press", code="0101701234", received=ago, appointment=ago + timedelta(days=7))


def test_lookup_shows_status_without_personal_data(client, dossier):
    response = client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Cấp thẻ hướng dẫn viên" in page
    assert "Sở Du lịch tỉnh Khánh Hòa" in page
    assert "Thẩm định hồ sơ" in page
    assert "Đúng hạn" in page
    assert dossier.appointment_at.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y") in page
    assert "Tiếp nhận hồ sơ" in page and "Chuyển bước" in page  # the history
    assert "Nguyễn Văn An" not in page and "0912345678" not in page
    assert "Trần Thị Bình" not in page  # no actor
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


def test_codes_are_accepted_as_people_type_them(client, dossier):
    typed_access = " ".join(dossier.access_code.lower())
    response = client.get("/tra-cuu", {"code": " 016.17.01234 ", "access_code": typed_access})
    assert response.status_code == 200
    assert "Thẩm định hồ sơ" in response.content.decode()


def test_late_dossier_is_shown_late(client, late):
    response = client.get("/tra-cuu", {"code": late.code, "access_code": late.access_code})
    assert "Trễ hạn" in response.content.decode()


def test_retired_agency_shows_its_successor(client, make_dossier):
    d = make_dossier("old", code="0502600001")
    page = client.get("/tra-cuu", {"code": d.code, "access_code": d.access_code}).content.decode()
    assert "UBND TP Nha Trang" in page and "nay là UBND phường Nha Trang" in page


def test_unknown_code_and_wrong_access_code_get_the_same_answer(client, dossier):
    wrong = "ZZZZZZ" if dossier.access_code != "ZZZZZZ" else "YYYYYY"
    bad_access = client.get("/tra-cuu", {"code": CODE, "access_code": wrong})
    unknown = client.get("/tra-cuu", {"code": "0169999999", "access_code": wrong})

    assert bad_access.status_code == unknown.status_code == 404
    assert NOT_FOUND_MESSAGE in bad_access.content.decode()
    assert bad_access.content.decode().replace(CODE, "X") == unknown.content.decode().replace("0169999999", "X")
    assert "Thẩm định" not in bad_access.content.decode()


def test_blank_form_is_shown_without_counting_a_try(client, settings):
    settings.MOTCUA = {**settings.MOTCUA, "LOOKUP_RATE_LIMIT": 1}
    for _ in range(3):
        response = client.get("/tra-cuu")
        assert response.status_code == 200
        assert "Mã tra cứu" in response.content.decode()


def test_rate_limited_per_client_address(client, dossier):
    for _ in range(10):
        assert client.get("/tra-cuu", {"code": CODE, "access_code": "WRONG2"}).status_code == 404

    blocked = client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code})
    assert blocked.status_code == 429
    assert "tra cứu quá nhiều lần" in blocked.content.decode()
    assert int(blocked["Retry-After"]) >= 1
    # another address is not blocked
    other = client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_behind_a_trusted_proxy_the_client_it_names_is_counted_not_the_proxy(client, dossier, settings):
    settings.MOTCUA = {**settings.MOTCUA, "TRUSTED_PROXIES": frozenset({"127.0.0.1"})}
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for _ in range(10):  # one client behind the proxy, who also forges an earlier X-Forwarded-For entry
        response = client.get("/tra-cuu", {"code": CODE, "access_code": "WRONG2"},
                              HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", **via_proxy)
        assert response.status_code == 404
    assert client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code},
                      HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7", **via_proxy).status_code == 429
    # another client through the same proxy is not blocked
    assert client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code},
                      HTTP_X_FORWARDED_FOR="198.51.100.2", **via_proxy).status_code == 200
    # a client reaching us directly cannot pick its address with the header
    for _ in range(10):
        client.get("/tra-cuu", {"code": CODE, "access_code": "WRONG2"}, REMOTE_ADDR="10.0.0.8",
                   HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code}, REMOTE_ADDR="10.0.0.8",
                      HTTP_X_FORWARDED_FOR="198.51.100.78").status_code == 429


def test_rate_limit_window_passes(client, dossier, settings):
    import time_machine

    settings.MOTCUA = {**settings.MOTCUA, "LOOKUP_RATE_LIMIT": 2}
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(2):
            client.get("/tra-cuu", {"code": CODE, "access_code": "WRONG2"})
        assert client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code}).status_code == 429
        traveller.shift(61)
        assert client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code}).status_code == 200


def test_api_returns_the_same_as_json(client, dossier):
    response = client.get("/api/v1/lookup", {"code": CODE, "access_code": dossier.access_code})

    body = response.json()
    assert response.status_code == 200
    assert body["code"] == CODE
    assert body["current_step"] == "Thẩm định hồ sơ"
    assert (body["on_time"], body["on_time_label"]) == ("on_time", "Đúng hạn")
    assert body["procedure"] == "Cấp thẻ hướng dẫn viên"
    assert body["appointment_date"] == dossier.appointment_at.astimezone(
        timezone.get_current_timezone()
    ).strftime("%d/%m/%Y")
    assert [h["label"] for h in body["history"]] == ["Tiếp nhận hồ sơ", "Chuyển bước"]
    assert set(body["history"][0]) == {"label", "date", "step"}
    assert "Nguyễn" not in response.content.decode()


def test_api_unknown_and_wrong_are_one_404_and_rate_limited(client, dossier):
    wrong = client.get("/api/v1/lookup", {"code": CODE, "access_code": "WRONG2"})
    unknown = client.get("/api/v1/lookup", {"code": "0169999999", "access_code": dossier.access_code})

    assert wrong.status_code == unknown.status_code == 404
    assert wrong.content == unknown.content
    assert wrong.json() == {"errors": [{"field": "code", "message": NOT_FOUND_MESSAGE}]}
    for _ in range(8):
        client.get("/api/v1/lookup", {"code": CODE, "access_code": "WRONG2"})
    limited = client.get("/api/v1/lookup", {"code": CODE, "access_code": dossier.access_code})
    assert limited.status_code == 429


# --- the printable receipt (staff) ----------------------------------------------------------------


def test_receipt_needs_a_login_then_staff_of_the_dossiers_agency(client, dossier, province, django_user_model):
    from motcua.desk.models import Role, StaffProfile

    response = client.get(f"/tra-cuu/bien-nhan/{CODE}")
    assert response.status_code == 302 and "/desk/login" in response["Location"]
    for code, expected in (("010", 404), ("016", 200)):
        user = django_user_model.objects.create_user(f"canbo{code}", password="x")  # no Django staff flag
        StaffProfile.objects.create(user=user, agency=province[code], role=Role.STAFF)
        client.force_login(user)
        assert client.get(f"/tra-cuu/bien-nhan/{CODE}").status_code == expected, code


def test_receipt_renders_with_its_qr_code(admin_client, dossier):
    response = admin_client.get(f"/tra-cuu/bien-nhan/{CODE}")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in page
    assert "Sở Du lịch tỉnh Khánh Hòa" in page and "Cấp thẻ hướng dẫn viên" in page
    assert CODE in page and dossier.access_code in page
    assert dossier.appointment_at.astimezone(timezone.get_current_timezone()).strftime("%d/%m/%Y") in page
    assert "Tra cứu: soạn MCKH 0161701234 gửi 8083 (1.000 đ/tin)" in page
    assert "<svg" in page and "<path" in page
    assert "@media print" in page


def test_receipt_qr_opens_the_answer_without_the_access_code_in_the_url(client, dossier, settings):
    from motcua.lookup.public import lookup_url

    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_URL": "https://motcua.khanhhoa.gov.vn/"}
    url = lookup_url(dossier.code, dossier.access_code)
    assert url.startswith(f"https://motcua.khanhhoa.gov.vn/tra-cuu/qr/{CODE}:")
    assert "access_code" not in url  # proxies and scanner apps log URLs

    response = client.get(url.removeprefix("https://motcua.khanhhoa.gov.vn"))
    assert response.status_code == 200
    assert "Thẩm định hồ sơ" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    # a forged or altered token is "not found", like a wrong access code
    forged = client.get(url.removeprefix("https://motcua.khanhhoa.gov.vn")[:-2] + "xx")
    assert forged.status_code == 404 and NOT_FOUND_MESSAGE in forged.content.decode()
    other = client.get(f"/tra-cuu/qr/0169999999:{url.rsplit(':', 1)[1]}")
    assert other.status_code == 404


def test_receipt_line_follows_settings(admin_client, dossier, settings):
    settings.MOTCUA = {**settings.MOTCUA, "KEYWORD": "TCHS", "SHORT_CODE": "8183", "MO_PRICE": 1500}
    page = admin_client.get(f"/tra-cuu/bien-nhan/{CODE}").content.decode()
    assert "Tra cứu: soạn TCHS 0161701234 gửi 8183 (1.500 đ/tin)" in page


def test_receipt_for_national_code_and_unknown(admin_client, make_dossier):
    make_dossier(code="G09.20-20260609-0092637")
    assert admin_client.get("/tra-cuu/bien-nhan/G09.20-20260609-0092637").status_code == 200
    assert admin_client.get("/tra-cuu/bien-nhan/0169999999").status_code == 404


# --- the front page and what the answer says ---------------------------------------------------------


def test_front_page_says_what_the_service_is_with_the_form_sms_and_desks(client, province, settings):
    from motcua.dossiers.models import Agency

    Agency.objects.filter(code="016").update(
        address="01 Trần Phú, Nha Trang", opening_hours="Sáng 7h00–11h30", hotline="0258 3822 753")
    settings.MOTCUA = {**settings.MOTCUA, "PROVINCE_NAME": "tỉnh Phú Yên", "PROVINCE_HOTLINE": "0257 1022"}
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Tra cứu hồ sơ thủ tục hành chính tỉnh Phú Yên" in page
    assert "gửi tin nhắn SMS miễn phí" in page
    assert 'action="/tra-cuu"' in page and 'name="access_code"' in page
    assert "MCKH &lt;Mã số biên nhận&gt;</strong> gửi <strong>8083</strong>" in page
    assert "1.000 đồng" in page
    assert "01 Trần Phú, Nha Trang" in page and "Sáng 7h00–11h30" in page and "0258 3822 753" in page
    assert "0257 1022" in page
    assert 'href="/desk/"' in page
    assert 'rel="icon"' in page


def test_front_page_in_english_by_link(client, db):
    page = client.get("/", {"lang": "en"}).content.decode()
    assert "Look up by SMS" in page and "Each lookup message costs 1.000 VND" in page
    assert 'href="/?lang=vi"' in page


def test_answer_says_in_one_sentence_where_to_collect_the_result(client, dossier):
    from motcua.dossiers import services
    from motcua.dossiers.models import Agency

    Agency.objects.filter(code="016").update(address="01 Trần Phú, Nha Trang", hotline="0258 3822 753")
    services.apply_event(dossier, "result_ready", actor="test")
    page = client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code}).content.decode()
    assert "Hồ sơ đã có kết quả, mời ông/bà đến Bộ phận Một cửa Sở Du lịch tỉnh Khánh Hòa để nhận." in page
    assert "01 Trần Phú, Nha Trang" in page and "0258 3822 753" in page
    appointment = timezone.localtime(dossier.appointment_at)
    assert f"{appointment:%H:%M} {appointment:%d/%m/%Y}" in page  # the hour, not only the date


def test_answer_while_processing_names_the_step_and_the_appointment(client, dossier):
    page = client.get("/tra-cuu", {"code": CODE, "access_code": dossier.access_code}).content.decode()
    assert "Hồ sơ đang được xử lý ở bước “Thẩm định hồ sơ”. Hẹn trả kết quả lúc" in page


def test_late_answer_says_so_and_gives_the_hotline(client, late):
    from motcua.dossiers.models import Agency

    Agency.objects.filter(code="010").update(hotline="0258 3560 229")
    page = client.get("/tra-cuu", {"code": late.code, "access_code": late.access_code}).content.decode()
    assert "Hồ sơ đã quá ngày hẹn trả." in page and "0258 3560 229" in page


def test_not_found_says_what_to_do_and_the_page_explains_the_access_code(client, dossier):
    page = client.get("/tra-cuu", {"code": CODE, "access_code": "ZZZZZZ"}).content.decode()
    assert "mời ông/bà gọi điện thoại cho Bộ phận Một cửa nơi đã nộp hồ sơ" in page
    assert "ngay dưới dòng “Mã số biên nhận”" in page


def test_favicon_is_served(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)


# --- the receipt follows Mẫu số 01 ------------------------------------------------------------------


def test_receipt_has_the_official_form_fields(admin_client, dossier, settings):
    from motcua.dossiers.models import Agency, Dossier

    settings.MOTCUA = {**settings.MOTCUA, "PLACE_NAME": "Khánh Hòa"}
    Agency.objects.filter(code="016").update(address="01 Trần Phú, Nha Trang", hotline="0258 3822 753",
                                             opening_hours="Sáng 7h00–11h30")
    Dossier.objects.filter(pk=dossier.pk).update(
        documents=[{"name": "Đơn đề nghị", "copies": 1}, {"name": "Bản sao CCCD", "copies": 2}])
    page = admin_client.get(f"/tra-cuu/bien-nhan/{CODE}").content.decode()
    assert "01 Trần Phú, Nha Trang" in page and "0258 3822 753" in page
    assert "<td>Đơn đề nghị</td><td class=\"n\">1</td>" in page and "<td>Bản sao CCCD</td><td class=\"n\">2</td>" in page
    assert "Số lượng hồ sơ: 01 bộ (2 loại giấy tờ, 3 bản)" in page
    appointment = timezone.localtime(dossier.appointment_at)
    assert f"{appointment:%H} giờ {appointment:%M} phút, ngày {appointment:%d/%m/%Y}" in page
    assert "Nơi trả kết quả: <strong id=\"return-place\">Bộ phận Một cửa Sở Du lịch tỉnh Khánh Hòa, 01 Trần Phú" in page
    assert "NGƯỜI NỘP HỒ SƠ" in page and "NGƯỜI TIẾP NHẬN HỒ SƠ" in page and "(Ký và ghi rõ họ tên)" in page
    received = timezone.localtime(dossier.received_at)
    assert f"Khánh Hòa, ngày {received:%d} tháng {received:%m} năm {received:%Y}" in page
    assert "@page { size: A4;" in page
    assert "@page { size: A5;" in admin_client.get(f"/tra-cuu/bien-nhan/{CODE}?kho=a5").content.decode()


def test_receipt_links_come_from_the_request_in_the_demo(admin_client, dossier, settings):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_URL": "http://127.0.0.1:8000"}
    page = admin_client.get(f"/tra-cuu/bien-nhan/{CODE}", SERVER_PORT="8765",
                            HTTP_HOST="127.0.0.1:8765").content.decode()
    assert "http://127.0.0.1:8765/tra-cuu" in page and "127.0.0.1:8000" not in page
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_URL": "https://motcua.khanhhoa.gov.vn"}
    page = admin_client.get(f"/tra-cuu/bien-nhan/{CODE}", HTTP_HOST="127.0.0.1:8765").content.decode()
    assert "https://motcua.khanhhoa.gov.vn/tra-cuu" in page and "127.0.0.1:8765" not in page


def test_documents_typed_at_the_desk_are_printed_on_the_receipt(client, province, django_user_model):
    from motcua.desk.models import Role, StaffProfile
    from motcua.dossiers.models import Dossier, Procedure

    user = django_user_model.objects.create_user("canbo016", password="x")
    StaffProfile.objects.create(user=user, agency=province["016"], role=Role.STAFF)
    client.force_login(user)
    procedure = Procedure.objects.filter(agency=province["016"]).first()
    response = client.post("/desk/tiep-nhan", {
        "procedure": procedure.pk, "applicant": "Nguyễn Văn An", "phone": "",
        "documents": "Đơn đề nghị\nBản sao CCCD | 2\n\n"})
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.documents == [{"name": "Đơn đề nghị", "copies": 1}, {"name": "Bản sao CCCD", "copies": 2}]
    page = client.get(f"/tra-cuu/bien-nhan/{dossier.code}").content.decode()
    assert "<td>Bản sao CCCD</td>" in page
    assert "<p>canbo016</p>" in page  # the receiver's signature block names who received it


# --- API docs from the package, with a quick start ---------------------------------------------------


def test_api_docs_load_nothing_from_outside(client, db):
    import re

    page = client.get("/api/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
    assert "/api/huong-dan" in client.get("/api/openapi.json").json()["info"]["description"]


def test_vendor_quick_start(client, db):
    page = client.get("/api/huong-dan").content.decode()
    assert "API — hướng dẫn nhanh cho nhà cung cấp phần mềm" in page
    assert "/api/v1/dossiers/0162600001/events" in page and 'href="/api/docs"' in page


# --- error pages and the favicon -----------------------------------------------------------------------


def test_not_found_page_is_vietnamese_in_the_sites_style(client, db):
    response = client.get("/khong-co-trang-nay")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang" in page and 'href="/tra-cuu"' in page and 'href="/desk/"' in page
    assert "Not Found" not in page and 'rel="icon"' in page
    english = client.get("/khong-co-trang-nay", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Page not found" in english


def test_forbidden_and_server_error_pages(rf, db):
    from django.core.exceptions import PermissionDenied
    from django.utils import translation
    from django.views import defaults

    request = rf.get("/desk/")
    with translation.override("vi"):
        forbidden = defaults.permission_denied(request, PermissionDenied())
        error = defaults.server_error(request)
    assert forbidden.status_code == 403 and "Không có quyền truy cập" in forbidden.content.decode()
    assert error.status_code == 500 and "Hệ thống đang gặp sự cố" in error.content.decode()


def test_favicon_logs_no_warning(client, db, caplog):
    with caplog.at_level("INFO"):
        assert client.get("/favicon.ico").status_code == 200
        assert client.get("/static/motcua/favicon.svg").status_code == 200
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_api_json_shows_vietnamese_as_it_is(client, dossier):
    response = client.get("/api/v1/lookup", {"code": CODE, "access_code": dossier.access_code})
    assert response["Content-Type"].startswith("application/json")
    assert "Thẩm định hồ sơ".encode() in response.content and b"\\u" not in response.content


def test_front_page_lists_only_the_agencies_serving_today(client, province):
    from datetime import date

    from motcua.dossiers.models import Agency

    Agency.objects.filter(code="010").update(valid_to=date(2025, 6, 30))
    page = client.get("/").content.decode()
    assert "Sở Du lịch tỉnh Khánh Hòa" in page and "UBND phường Nha Trang" in page
    assert "UBND TP Nha Trang" not in page  # merged into the ward
    assert "Sở Thông tin và Truyền thông" not in page  # no longer valid
