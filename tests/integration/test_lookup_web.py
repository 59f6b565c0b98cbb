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


def test_receipt_qr_encodes_the_lookup_url(dossier, settings):
    from motcua.lookup.public import lookup_url

    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_URL": "https://motcua.khanhhoa.gov.vn/"}
    assert (
        lookup_url(dossier.code, dossier.access_code)
        == f"https://motcua.khanhhoa.gov.vn/tra-cuu?code={CODE}&access_code={dossier.access_code}"
    )


def test_receipt_line_follows_settings(admin_client, dossier, settings):
    settings.MOTCUA = {**settings.MOTCUA, "KEYWORD": "TCHS", "SHORT_CODE": "8183", "MO_PRICE": 1500}
    page = admin_client.get(f"/tra-cuu/bien-nhan/{CODE}").content.decode()
    assert "Tra cứu: soạn TCHS 0161701234 gửi 8183 (1.500 đ/tin)" in page


def test_receipt_for_national_code_and_unknown(admin_client, make_dossier):
    make_dossier(code="G09.20-20260609-0092637")
    assert admin_client.get("/tra-cuu/bien-nhan/G09.20-20260609-0092637").status_code == 200
    assert admin_client.get("/tra-cuu/bien-nhan/0169999999").status_code == 404
