"""The staff desk through Django's test client: who sees what, login throttling, CSRF and every action."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from io import BytesIO

import pytest
from django.test import Client
from django.utils import timezone

from motcua.desk.models import Role, StaffProfile
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.messaging.models import IncomingMessage, Message, Status, Template
from tests.conftest import local

PASSWORD = "mật-khẩu-đủ-dài-2026"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users(province, django_user_model):
    def make(username: str, agency: str | None, role: str = Role.STAFF):
        if agency is None:
            return django_user_model.objects.create_superuser(username, f"{username}@example.vn", PASSWORD)
        user = django_user_model.objects.create_user(username, password=PASSWORD)
        StaffProfile.objects.create(user=user, agency=province[agency], role=role)
        return user

    return {
        "staff016": make("lan", "016"),
        "admin016": make("hung", "016", Role.AGENCY_ADMIN),
        "staff010": make("minh", "010"),
        "staff051": make("thu", "051"),
        "province": make("tinh", None),
        "nobody": django_user_model.objects.create_user("khach", password=PASSWORD),
    }


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def tomorrow_at(hour: int) -> datetime:
    return datetime.combine(timezone.localdate() + timedelta(days=1), time(hour), tzinfo=timezone.get_current_timezone())


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_desk_login(db):
    response = Client().get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/desk/login?next=/desk/")


def test_account_without_agency_sees_nothing(users, make_dossier):
    make_dossier()
    response = client_for(users["nobody"]).get("/desk/")
    assert response.status_code == 403
    assert "chưa được gán cho cơ quan" in response.content.decode()


def test_staff_of_one_agency_cannot_open_or_change_another_agencys_dossier(users, make_dossier):
    other = make_dossier("guide")  # agency 016
    c = client_for(users["staff010"])
    assert c.get(f"/desk/ho-so/{other.pk}").status_code == 404
    assert c.post(f"/desk/ho-so/{other.pk}/cap-nhat", {"action": "result_ready"}).status_code == 404
    other.refresh_from_db()
    assert other.state == "received"
    assert other.code not in c.get("/desk/").content.decode()
    assert c.post("/desk/", {"q": other.code}).context["rows"] == []
    assert c.post("/desk/", {"q": "0912345678"}).context["rows"] == []


def test_staff_sees_own_agency_and_province_admin_sees_all(users, make_dossier):
    own = make_dossier("guide")
    press = make_dossier("press")
    page = client_for(users["staff016"]).get("/desk/").content.decode()
    assert own.code in page and press.code not in page
    everything = client_for(users["province"]).get("/desk/").content.decode()
    assert own.code in everything and press.code in everything
    assert client_for(users["province"]).get(f"/desk/ho-so/{press.pk}").status_code == 200


def test_successor_agency_staff_handle_the_retired_agencys_dossiers(users, make_dossier):
    old = make_dossier("old")  # agency 050, merged into 051
    response = client_for(users["staff051"]).get(f"/desk/ho-so/{old.pk}")
    assert response.status_code == 200
    assert old.code in response.content.decode()


def test_the_printable_receipt_is_for_staff_of_the_dossiers_agency(users, make_dossier):
    d = make_dossier("guide")
    url = f"/tra-cuu/bien-nhan/{d.code}"
    assert client_for(users["staff016"]).get(url).status_code == 200
    assert client_for(users["province"]).get(url).status_code == 200
    assert client_for(users["staff010"]).get(url).status_code == 404
    assert client_for(users["nobody"]).get(url).status_code == 403


def test_admin_pages_are_refused_to_staff(users):
    c = client_for(users["staff016"])
    for url in ("/desk/mau-tin-nhan", "/desk/bao-cao", "/desk/bao-cao.xlsx", "/desk/ket-noi"):
        assert c.get(url).status_code == 403, url


# --- login ------------------------------------------------------------------------------------


def test_login_and_logout(users):
    c = Client()
    response = c.post("/desk/login", {"username": "lan", "password": PASSWORD, "next": "/desk/tiep-nhan"})
    assert response.status_code == 302 and response["Location"] == "/desk/tiep-nhan"
    assert c.get("/desk/").status_code == 200
    assert c.post("/desk/logout").status_code == 302
    assert c.get("/desk/").status_code == 302


def test_login_refuses_offsite_next(users):
    response = Client().post("/desk/login", {"username": "lan", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/desk/"


def test_wrong_password_is_explained_in_vietnamese(users):
    response = Client().post("/desk/login", {"username": "lan", "password": "sai"})
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()


def test_five_failures_lock_that_username_from_that_address(users):
    c = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(5):
        c.post("/desk/login", {"username": "lan", "password": "sai"})
    locked = c.post("/desk/login", {"username": "lan", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in locked.content.decode()
    assert c.get("/desk/").status_code == 302  # still not logged in, even with the right password
    # A colleague at another desk is not locked out, and another user at this desk is not either.
    assert Client(REMOTE_ADDR="10.0.0.6").post("/desk/login", {"username": "lan", "password": PASSWORD}).status_code == 302
    assert Client(REMOTE_ADDR="10.0.0.5").post("/desk/login", {"username": "hung", "password": PASSWORD}).status_code == 302


def test_a_successful_login_resets_the_failure_count(users):
    c = Client(REMOTE_ADDR="10.0.0.7")
    for _ in range(4):
        c.post("/desk/login", {"username": "lan", "password": "sai"})
    assert c.post("/desk/login", {"username": "lan", "password": PASSWORD}).status_code == 302
    c.post("/desk/logout")
    for _ in range(4):
        c.post("/desk/login", {"username": "lan", "password": "sai"})
    assert c.post("/desk/login", {"username": "lan", "password": PASSWORD}).status_code == 302


# --- CSRF -------------------------------------------------------------------------------------


def test_forms_need_the_csrf_token(users, make_dossier):
    dossier = make_dossier()
    c = Client(enforce_csrf_checks=True)
    c.force_login(users["staff016"])
    assert c.post(f"/desk/ho-so/{dossier.pk}/cap-nhat", {"action": "result_ready"}).status_code == 403
    dossier.refresh_from_db()
    assert dossier.state == "received"
    page = c.get(f"/desk/ho-so/{dossier.pk}")
    token = page.context["csrf_token"]
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    ok = c.post(f"/desk/ho-so/{dossier.pk}/cap-nhat", {"action": "result_ready", "csrfmiddlewaretoken": str(token)})
    assert ok.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "result_ready"


def test_login_form_needs_the_csrf_token(users):
    c = Client(enforce_csrf_checks=True)
    assert c.post("/desk/login", {"username": "lan", "password": PASSWORD}).status_code == 403


# --- receiving --------------------------------------------------------------------------------


def test_receive_refuses_a_bad_phone_with_the_reason(users, province):
    c = client_for(users["staff016"])
    response = c.post("/desk/tiep-nhan", {"procedure": province["guide"].pk, "applicant": "Trần Thị Bích",
                                          "phone": "0212345"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert response.context["form"].errors["phone"][0] in response.content.decode()
    assert not Dossier.objects.exists()


def test_phone_check_endpoint_gives_the_same_answer(users):
    c = client_for(users["staff016"])
    assert c.post("/desk/kiem-tra-so", {"phone": "+84 912 345 678"}).json() == {"ok": True, "national": "0912345678"}
    bad = c.post("/desk/kiem-tra-so", {"phone": "12"}).json()
    assert bad["ok"] is False and bad["error"]


def test_receive_issues_a_code_and_appointment_and_links_the_receipt(users, province):
    c = client_for(users["staff016"])
    response = c.post("/desk/tiep-nhan", {"procedure": province["guide"].pk, "applicant": "Trần Thị Bích",
                                          "phone": "+84 912 345 678"}, follow=True)
    dossier = Dossier.objects.get()
    assert dossier.agency.code == "016" and dossier.phone == "0912345678" and dossier.source == "desk"
    assert dossier.appointment_at > dossier.received_at
    page = response.content.decode()
    assert dossier.code in page
    assert f'href="/tra-cuu/bien-nhan/{dossier.code}"' in page
    assert timezone.localtime(dossier.appointment_at).strftime("%d/%m/%Y") in page
    assert dossier.events.get().actor == "user:lan"


def test_staff_cannot_receive_for_another_agencys_procedure(users, province):
    c = client_for(users["staff010"])
    response = c.post("/desk/tiep-nhan", {"procedure": province["guide"].pk, "applicant": "A", "phone": ""})
    assert response.status_code == 200 and "procedure" in response.context["form"].errors
    assert not Dossier.objects.exists()


# --- lists ------------------------------------------------------------------------------------


def test_daily_lists(users, make_dossier):
    now = timezone.now()
    due = make_dossier(received=now - timedelta(days=3), appointment=tomorrow_at(10), code="016-MAI")
    done_due = make_dossier(received=now - timedelta(days=3), appointment=tomorrow_at(11), code="016-XONG")
    late = make_dossier(received=now - timedelta(days=10), appointment=now - timedelta(days=1), code="016-TRE")
    waiting = make_dossier(received=now - timedelta(days=2), appointment=now + timedelta(days=5), code="016-BS")
    from motcua.dossiers import services

    services.apply_event(done_due, DossierEvent.RESULT_READY, "test")
    services.apply_event(waiting, DossierEvent.SUPPLEMENT_REQUESTED, "test")
    c = client_for(users["staff016"])

    def codes(loc: str) -> set[str]:
        rows = c.get("/desk/", {"loc": loc}).context["rows"]
        return {r["d"].code for r in rows}

    assert codes("mai-den-han") == {due.code}
    assert codes("tre-han") == {late.code}
    assert codes("cho-bo-sung") == {waiting.code}
    assert codes("cho-tra") == {done_due.code}
    batch_page = c.get("/desk/", {"loc": "mai-den-han"}).content.decode()
    assert "sẽ gửi" in batch_page


def test_search_by_phone_in_any_form_or_by_code(users, make_dossier):
    a = make_dossier(phone="0912345678", code="016ABC1")
    b = make_dossier(phone="0987654321", code="016XYZ2")
    c = client_for(users["staff016"])
    found = {r["d"].code for r in c.post("/desk/", {"q": "+84912345678"}).context["rows"]}
    assert found == {a.code}
    found = {r["d"].code for r in c.post("/desk/", {"q": "xyz2"}).context["rows"]}
    assert found == {b.code}


def test_a_searched_phone_number_never_travels_in_a_url(users, make_dossier):
    """Proxies log URLs and browsers keep them: the search posts, and so do its tabs and pages."""
    from motcua.desk.views import PAGE_SIZE

    for n in range(PAGE_SIZE + 1):
        make_dossier(phone="0912345678", code=f"016P{n:04d}")
    make_dossier(phone="0987654321", code="016OTHER")
    c = client_for(users["staff016"])
    page = c.post("/desk/", {"q": "0912 345 678"})
    html = page.content.decode()
    assert len(page.context["rows"]) == PAGE_SIZE
    links = re.findall(r'(?:href|action|src)="([^"]*)"', html)
    assert 'method="post"' in html and links
    assert [u for u in links if "q=" in u or "912" in u.replace("%20", "").replace("+", "")] == []
    second = c.post("/desk/", {"q": "0912 345 678", "trang": "2"})
    assert [r["d"].code for r in second.context["rows"]] != [] and all(
        r["d"].phone == "0912345678" for r in second.context["rows"])
    overdue_tab = c.post("/desk/", {"q": "0912 345 678", "loc": "tre-han"})
    assert overdue_tab.context["current"] == "tre-han" and overdue_tab.context["q"] == "0912 345 678"
    # A phone in a link filters nothing: whoever follows it sees the plain list.
    linked = c.get("/desk/", {"q": "0912345678"})
    assert "016OTHER" in {r["d"].code for r in linked.context["rows"]} or linked.context["page"].has_next()
    assert linked.context["q"] == ""


# --- actions ----------------------------------------------------------------------------------


def act(c: Client, dossier: Dossier, **data):
    response = c.post(f"/desk/ho-so/{dossier.pk}/cap-nhat", data, follow=True)
    dossier.refresh_from_db()
    return response.content.decode()


def test_every_action_goes_through_the_event_log(users, make_dossier, settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": ""}
    d = make_dossier(received=timezone.now() - timedelta(hours=1))
    c = client_for(users["staff016"])

    act(c, d, action="step", step="Thẩm định hồ sơ")
    assert d.current_step == "Thẩm định hồ sơ" and d.state == "processing"

    page = act(c, d, action="supplement_requested", reason="Thiếu ảnh 4x6")
    assert d.state == "supplement_requested"
    sms = Message.objects.get(dossier=d, kind="supplement")
    assert sms.status == Status.QUEUED and d.code in sms.text
    assert sms.text in page and "Chờ gửi" in page

    new_date = (timezone.localtime() + timedelta(days=9)).replace(hour=15, minute=0, second=0, microsecond=0)
    act(c, d, action="supplement_received", appointment_at=new_date.strftime("%Y-%m-%dT%H:%M"))
    assert d.state == "processing" and d.appointment_at == new_date and d.current_step == "Thẩm định hồ sơ"

    refused = act(c, d, action="rescheduled", appointment_at=(new_date + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    assert "Cần ghi lý do hẹn lại" in refused and d.appointment_at == new_date
    act(c, d, action="rescheduled", appointment_at=(new_date + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        reason="Chờ ý kiến Sở Xây dựng")
    assert d.appointment_at == new_date + timedelta(days=2)
    assert d.events.get(type="rescheduled").data["reason"] == "Chờ ý kiến Sở Xây dựng"

    page = act(c, d, action="result_ready")
    assert d.state == "result_ready"
    result = Message.objects.get(dossier=d, kind="result")
    assert result.text in page

    act(c, d, action="returned")
    assert d.state == "returned" and d.returned_at is not None
    types = list(d.events.values_list("type", "actor"))
    assert [t for t, _ in types] == ["created", "step_changed", "supplement_requested", "supplement_received",
                                     "rescheduled", "result_ready", "returned"]
    assert all(actor == "user:lan" for _, actor in types[1:])

    refused = act(c, d, action="stopped")
    assert "Hồ sơ đã kết thúc" in refused and d.state == "returned"


def test_unreadable_date_is_refused_in_vietnamese(users, make_dossier):
    d = make_dossier()
    page = act(client_for(users["staff016"]), d, action="rescheduled", appointment_at="ngày mai", reason="x")
    assert "Ngày giờ không hợp lệ" in page and not d.events.filter(type="rescheduled").exists()


def test_supplement_received_without_a_date_restarts_the_processing_time(users, make_dossier):
    # Received on a past working day, not "yesterday": before opening on a Monday, yesterday's (Sunday's)
    # processing time also started this morning, and the restart gave the same appointment.
    d = make_dossier(received=local(2026, 11, 23, 9, 0))
    c = client_for(users["staff016"])
    act(c, d, action="supplement_requested")
    old = d.appointment_at
    act(c, d, action="supplement_received")
    assert d.state == "processing" and d.appointment_at != old and d.appointment_at > timezone.now()


@pytest.mark.parametrize("action,state", [("withdrawn", "withdrawn"), ("stopped", "stopped")])
def test_withdraw_and_stop(users, make_dossier, action, state):
    d = make_dossier()
    act(client_for(users["staff016"]), d, action=action, reason="Công dân đề nghị")
    assert d.state == state and d.events.last().data["reason"] == "Công dân đề nghị"


def test_step_must_belong_to_the_procedure(users, make_dossier):
    d = make_dossier()
    page = act(client_for(users["staff016"]), d, action="step", step="Bước bịa ra")
    assert "Bước không thuộc quy trình" in page and d.current_step == "Tiếp nhận hồ sơ"


def test_timeline_shows_why_an_sms_was_not_sent_and_delivery_reports(users, make_dossier):
    from motcua.messaging.models import MessagePart

    silent = make_dossier(phone="")
    c = client_for(users["staff016"])
    page = act(c, silent, action="result_ready")
    skipped = Message.objects.get(dossier=silent)
    assert skipped.status == Status.SKIPPED and skipped.skip_reason
    assert skipped.skip_reason in page and "Không gửi" in page

    d = make_dossier()
    act(c, d, action="result_ready")
    m = Message.objects.get(dossier=d)
    reported = timezone.now().replace(microsecond=0)
    MessagePart.objects.create(message=m, connection="sim", remote_id="abc-1", status=Status.DELIVERED,
                               reported_at=reported)
    Message.objects.filter(pk=m.pk).update(status=Status.DELIVERED, connection="sim", sent_at=reported,
                                           final_at=reported)
    page = c.get(f"/desk/ho-so/{d.pk}").content.decode()
    assert "abc-1" in page and "Đã đến máy" in page
    assert timezone.localtime(reported).strftime("%H:%M:%S %d/%m/%Y") in page
    assert f"{m.parts} phần · 1.600 đ (ước tính)" in page and m.cost == 1600


# --- templates --------------------------------------------------------------------------------


def test_template_editor_refuses_bad_placeholders(users, province):
    c = client_for(users["admin016"])
    response = c.post("/desk/mau-tin-nhan", {"kind": "result", "text": "Hồ sơ {Mã hồ sơ} đã xong"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "{Mã hồ sơ}" in page and "không dùng được" in page
    assert "Mẫu tin nhắn phải có trường {Mã số biên nhận}" in page
    assert not Template.objects.exists()


def test_template_editor_saves_for_own_agency_only(users, province):
    c = client_for(users["admin016"])
    text = "So Du lich: ho so {Mã số biên nhận} da co ket qua."
    response = c.post("/desk/mau-tin-nhan", {"kind": "result", "text": text, "agency": province["010"].pk})
    assert response.status_code == 302
    saved = Template.objects.get()
    assert saved.agency == province["016"] and saved.text == text
    reset = c.post("/desk/mau-tin-nhan", {"kind": "result", "reset": "1"})
    assert reset.status_code == 302 and not Template.objects.exists()


def test_province_admin_edits_any_agency(users, province):
    c = client_for(users["province"])
    c.post("/desk/mau-tin-nhan", {"kind": "supplement", "agency": province["010"].pk,
                                  "text": "{Tên cơ quan}: hồ sơ {Mã số biên nhận} cần bổ sung"})
    assert Template.objects.get().agency == province["010"]


def test_preview_shows_text_encoding_parts_and_cost(users, province, settings):
    settings.MOTCUA = {**settings.MOTCUA, "PRICE_PER_PART": 800, "ENCODING_POLICY": "accented"}
    c = client_for(users["admin016"])
    data = c.post("/desk/mau-tin-nhan/xem-truoc", {"kind": "result",
                                                  "text": "Hồ sơ {Mã số biên nhận} của {Tên cơ quan} đã xong"}).json()
    assert data["ok"] and "Sở Du lịch" in data["text"] and data["text"].startswith("Hồ sơ 016")
    assert data["encoding"].startswith("UCS-2") and data["parts"] == 1 and data["cost"] == 800
    long = c.post("/desk/mau-tin-nhan/xem-truoc", {"kind": "result", "text": "Hồ sơ {Mã số biên nhận} " + "ạ" * 80}).json()
    assert long["parts"] == 2 and long["cost"] == 1600
    bad = c.post("/desk/mau-tin-nhan/xem-truoc", {"kind": "result", "text": "{Tên cán bộ}"}).json()
    assert bad["ok"] is False and any("{Tên cán bộ}" in e for e in bad["errors"])


# --- connections and reports ------------------------------------------------------------------


def test_connections_page_shows_connections_and_counts_without_secrets(users, province, make_dossier, settings):
    settings.MOTCUA = {**settings.MOTCUA, "SMS_URL": "sim://demo smpp://user:bi-mat@smsc.example:2775?name=viettel"}
    d = make_dossier()
    from motcua.dossiers import services

    services.apply_event(d, DossierEvent.RESULT_READY, "test")
    Message.objects.filter(dossier=d).update(connection="viettel", status=Status.DELIVERED)
    page = client_for(users["admin016"]).get("/desk/ket-noi").content.decode()
    assert "viettel" in page and "smsc.example" in page and "bi-mat" not in page
    assert "MOTCUA_QUIET_HOURS" in page
    province_page = client_for(users["province"]).get("/desk/ket-noi").content.decode()
    assert "/admin/desk/staffprofile/" in province_page and "/admin/dossiers/agency/" in province_page


@pytest.fixture
def traffic(make_dossier, province):
    """One delivered result SMS for 016, one undelivered for 010, one lookup about the 016 dossier."""
    from motcua.dossiers import services

    d16 = make_dossier("guide", received=timezone.now() - timedelta(days=2), appointment=timezone.now() + timedelta(days=1))
    d10 = make_dossier("press", received=timezone.now() - timedelta(days=2), appointment=timezone.now() - timedelta(hours=1))
    services.apply_event(d16, DossierEvent.RESULT_READY, "test")
    services.apply_event(d10, DossierEvent.RESULT_READY, "test")
    Message.objects.filter(dossier=d16).update(status=Status.DELIVERED)
    Message.objects.filter(dossier=d10).update(status=Status.UNDELIVERED)
    reply = Message.objects.create(kind="lookup_reply", cause="lookup:1", dossier=d16, to="84912345678",
                                   text="x", parts=1, cost=800, status=Status.DELIVERED)
    IncomingMessage.objects.create(connection="sim", sender="84912345678", recipient="8083", text=f"MCKH {d16.code}",
                                   price=1000, outcome="answered", reply=reply)
    return d16, d10


def test_reports_are_per_agency_for_agency_admins(users, traffic):
    r = client_for(users["admin016"]).get("/desk/bao-cao").context["r"]
    assert r.totals["messages"] == 2 and r.totals["delivery_rate"] == 100.0  # result + lookup reply
    assert r.lookups == {"count": 1, "revenue": 1000, "charged": 1, "outcomes": {"answered": 1}}
    assert [(o["agency"], o["on_time"], o["late"]) for o in r.on_time] == [("016", 1, 0)]


def test_province_report_and_agency_filter(users, traffic, province):
    c = client_for(users["province"])
    r = c.get("/desk/bao-cao", {"theo": "thang"}).context["r"]
    assert r.totals["handed"] == 3 and r.totals["delivery_rate"] == 66.7
    assert {(o["agency"], o["on_time"], o["late"]) for o in r.on_time} == {("016", 1, 0), ("010", 0, 1)}
    assert len(r.periods) == 1 and r.periods[0]["lookups"] == 1
    r10 = c.get("/desk/bao-cao", {"co_quan": province["010"].pk}).context["r"]
    assert r10.totals["delivered"] == 0 and r10.lookups["count"] == 0


def test_excel_download(users, traffic):
    from openpyxl import load_workbook

    response = client_for(users["province"]).get("/desk/bao-cao.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    wb = load_workbook(BytesIO(response.content))
    assert wb.sheetnames == ["Tin nhắn", "Theo thời gian", "Tra cứu", "Đúng hạn"]
    rows = list(wb["Đúng hạn"].iter_rows(values_only=True))
    assert ("016", "Sở Du lịch", "1.004628", "Cấp thẻ hướng dẫn viên", 1, 0, 1, 100.0) in rows
    assert list(wb["Tra cứu"].iter_rows(values_only=True))[:2] == [("Lượt tra cứu", 1), ("Doanh thu (đồng)", 1000)]


def test_report_dates_outside_the_range_are_left_out(users, traffic):
    old = local(2020, 1, 1)
    r = client_for(users["province"]).get("/desk/bao-cao", {"tu": old.date().isoformat(), "den": "2020-01-31"}).context["r"]
    assert r.totals["messages"] == 0 and r.lookups["count"] == 0 and r.on_time == []
