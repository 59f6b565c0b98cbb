# ruff: noqa: F811  (pytest fixtures shared with test_desk are imported by name)
"""The "Tin nhắn" page: search in any phone form, by code, status, kind and dates; reports per part or
why skipped; lookups with replies and charges; exports; scoped to the agency; no phone in the logs."""

from __future__ import annotations

import csv
import logging
from datetime import timedelta
from io import BytesIO, StringIO

import pytest
from django.test import Client
from django.utils import timezone

from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import Message, MessagePart, Status
from motcua.messaging.transports.base import IncomingSMS
from tests.integration.test_desk import _fast_passwords, client_for, users  # noqa: F401


@pytest.fixture
def sent(make_dossier, province, settings):
    settings.MOTCUA = {**settings.MOTCUA, "SHORT_CODE": "8083"}
    a = make_dossier("guide", phone="0912345678")
    b = make_dossier("guide", phone="0353000111")  # was 0165 3000111 before 2018 (old 11 digits)
    c = make_dossier("press", phone="0912345678")  # agency 010, same citizen
    for d in (a, b, c):
        services.apply_event(d, DossierEvent.RESULT_READY, "test")
    ma = Message.objects.get(dossier=a)
    ma.status = Status.DELIVERED
    ma.save()
    MessagePart.objects.create(message=ma, connection="sim", remote_id="part-1", status=Status.DELIVERED,
                               reported_at=timezone.now())
    MessagePart.objects.create(message=ma, connection="sim", remote_id="part-2", status=Status.UNDELIVERED,
                               reported_at=timezone.now(), error="err:001")
    nophone = make_dossier("guide", phone="")
    services.apply_event(nophone, DossierEvent.RESULT_READY, "test")
    handle_incoming(IncomingSMS(sender="+84912345678", recipient="8083", text=f"MCKH {a.code} {a.access_code}",
                                connection="sim", remote_id="mo-1"))
    return {"a": a, "b": b, "c": c, "nophone": nophone}


@pytest.mark.parametrize("typed", ["0912345678", "+84 912 345 678", "84912345678", "0912.345.678"])
def test_search_by_phone_in_any_form(users, sent, typed):
    r = client_for(users["staff016"]).post("/desk/tin-nhan", {"so": typed})
    found = {m.dossier_id for m in r.context["page"] if m.dossier_id}
    assert found == {sent["a"].pk}  # not agency 010's message to the same citizen
    assert [mo.sender for mo in r.context["mo_page"]] == ["84912345678"]


def test_search_by_old_eleven_digit_number(users, sent):
    r = client_for(users["staff016"]).post("/desk/tin-nhan", {"so": "01653000111"})
    assert {m.dossier_id for m in r.context["page"]} == {sent["b"].pk}


def test_bad_phone_says_why(users, sent):
    r = client_for(users["staff016"]).post("/desk/tin-nhan", {"so": "12345"})
    assert r.status_code == 200 and r.context["s"].error and len(r.context["page"]) == 0


def test_search_by_code_status_kind_and_dates(users, sent):
    c = client_for(users["staff016"])
    by_code = c.post("/desk/tin-nhan", {"ma": sent["b"].code.lower()}).context["page"]
    assert {m.dossier_id for m in by_code} == {sent["b"].pk}
    skipped = c.post("/desk/tin-nhan", {"trang_thai": "skipped"})
    assert [m.dossier_id for m in skipped.context["page"]] == [sent["nophone"].pk]
    assert "lý do không gửi:" in skipped.content.decode()
    lookups = c.post("/desk/tin-nhan", {"loai": "lookup_reply"}).context["page"]
    assert {m.kind for m in lookups} == {"lookup_reply"} and len(lookups) == 1
    today = timezone.localdate()
    assert len(c.post("/desk/tin-nhan", {"tu": (today - timedelta(days=3)).isoformat(),
                                        "den": (today - timedelta(days=1)).isoformat()}).context["page"]) == 0
    assert len(c.post("/desk/tin-nhan", {"tu": today.isoformat(), "den": today.isoformat()}).context["page"]) == 4
    assert c.post("/desk/tin-nhan", {"tu": "0001-01-01", "den": "9999-12-31", "trang_thai": "x"}).status_code == 200


def test_each_message_shows_its_part_reports_and_lookups_their_charge(users, sent):
    html = client_for(users["staff016"]).get("/desk/tin-nhan").content.decode()
    assert "part-1" in html and "part-2" in html and "err:001" in html
    assert "MCKH" in html and "1.000 đ" in html


def test_other_agencies_and_anonymous_see_no_phone(users, sent):
    r = client_for(users["staff010"]).post("/desk/tin-nhan", {"so": "0353000111"})
    assert len(r.context["page"]) == 0 and 'class="phone"' not in r.content.decode()
    whole = client_for(users["staff010"]).get("/desk/tin-nhan").content.decode()
    assert "0353000111" not in whole and sent["b"].code not in whole
    assert Client().get("/desk/tin-nhan").status_code == 302


def test_exports_csv_and_excel(users, sent):
    from openpyxl import load_workbook

    c = client_for(users["staff016"])
    body = c.post("/desk/tin-nhan", {"so": "0912345678", "xuat": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(StringIO(body)))
    assert rows[1][0] == "Thời điểm tạo" and any(sent["a"].code in r for r in rows)
    assert not any(sent["c"].code in r for r in rows)
    wb = load_workbook(BytesIO(c.post("/desk/tin-nhan", {"xuat": "xlsx"}).content))
    assert wb.sheetnames == ["Tin gửi đi", "Tin tra cứu"]
    assert len(list(wb["Tin gửi đi"].iter_rows())) == 5  # header + 4 messages of 016
    [header, lookup] = [[c.value for c in row] for row in wb["Tin tra cứu"].iter_rows()]
    assert lookup[header.index("Kết quả")] == "Đã trả lời"  # a label, not the stored value "answered"


def test_searching_by_phone_never_logs_it(users, sent, caplog):
    with caplog.at_level(logging.DEBUG):
        client_for(users["staff016"]).post("/desk/tin-nhan", {"so": "0912345678", "xuat": "csv"})
    assert "912345678" not in caplog.text


def test_a_phone_in_the_url_is_not_a_search(users, sent):
    """The form posts the number: a phone never travels in a URL (access logs, browser history)."""
    r = client_for(users["staff016"]).get("/desk/tin-nhan", {"so": "0353000111"})
    assert r.context["s"].phone == "" and len(r.context["page"]) == 4
    assert 'method="post"' in r.content.decode() and 'name="so"' in r.content.decode()


def test_the_province_administrator_narrows_to_one_agency(users, sent, province):
    c = client_for(users["province"])
    everything = c.post("/desk/tin-nhan", {"so": "0912345678"})
    assert {m.dossier_id for m in everything.context["page"] if m.kind == "result"} == {sent["a"].pk, sent["c"].pk}
    press = c.post("/desk/tin-nhan", {"so": "0912345678", "co_quan": province["010"].pk})
    assert [m.dossier_id for m in press.context["page"]] == [sent["c"].pk]
    assert list(press.context["mo_page"]) == []  # the lookup was about 016's dossier
    guide = c.post("/desk/tin-nhan", {"co_quan": province["016"].pk, "xuat": "csv"}).content.decode("utf-8-sig")
    assert sent["a"].code in guide and sent["c"].code not in guide and "MCKH" in guide
    assert f'<option value="{province["010"].pk}" selected>' in press.content.decode()
    for bad in ("999999", "abc", "1" * 30, "-1"):
        r = c.post("/desk/tin-nhan", {"co_quan": bad})
        assert r.status_code == 200 and r.context["s"].error == "Không có cơ quan này." and len(r.context["page"]) == 0


def test_agency_staff_cannot_widen_their_view_with_the_agency_filter(users, sent, province):
    r = client_for(users["staff010"]).post("/desk/tin-nhan", {"co_quan": province["016"].pk})
    assert {m.dossier.agency.code for m in r.context["page"]} == {"010"} and 'name="co_quan"' not in r.content.decode()
