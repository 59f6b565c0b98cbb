# ruff: noqa: F811  (pytest fixtures shared with test_desk are imported by name)
"""Issue-by-issue: the desk's figures on a dataset worked out by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone

from motcua.dossiers import services
from motcua.dossiers.models import ApiKey, DossierEvent
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import Message, Status
from motcua.messaging.transports.base import IncomingSMS
from tests.integration.test_desk import _fast_passwords, client_for, tomorrow_at, users  # noqa: F401


@pytest.fixture
def dataset(make_dossier, province, settings):
    """Agency 016, this month. Worked out by hand:
    - 4 dossiers finished: 2 returned on time, 1 returned late, 1 withdrawn → on time 2/3 = 66.7 %;
    - 3 charged lookups from three phones about 016's dossiers (real MO handler) → 3 · 3.000 đ;
    - result SMS: 3 (one per returned-with-result dossier; 2 parts each would be the long-text case,
      here one part each at 800 đ) → outgoing cost 3 × 800 + 3 lookup replies × 800 = 4.800 đ.
    """
    settings.MOTCUA = {**settings.MOTCUA, "PRICE_PER_PART": 800, "MO_PRICE": 1000, "SHORT_CODE": "8083"}
    now = timezone.now()
    on_time = [make_dossier("guide", phone=f"091234567{i}", received=now - timedelta(days=3),
                            appointment=now + timedelta(days=3)) for i in range(2)]
    late = make_dossier("guide", phone="0912345672", received=now - timedelta(days=10),
                        appointment=now - timedelta(days=1))
    withdrawn = make_dossier("guide", phone="0912345673", received=now - timedelta(days=10),
                             appointment=now - timedelta(days=1))
    for d in [*on_time, late]:
        services.apply_event(d, DossierEvent.RESULT_READY, "test")
        services.apply_event(d, DossierEvent.RETURNED, "test")
    services.apply_event(withdrawn, DossierEvent.WITHDRAWN, "test")
    for i, d in enumerate([*on_time, late]):
        handle_incoming(IncomingSMS(sender=f"090300011{i}", recipient="8083", text=f"MCKH {d.code} {d.access_code}",
                                    connection="sim", remote_id=f"mo-{i}"))
    Message.objects.filter(status=Status.QUEUED).update(status=Status.DELIVERED, parts=1, cost=800)
    return {"on_time": on_time, "late": late, "withdrawn": withdrawn}


def test_agency_report_counts_the_lookups_it_lists(users, dataset):
    page = client_for(users["admin016"]).get("/desk/bao-cao")
    r = page.context["r"]
    assert r.lookups["count"] == 3 and r.lookups["revenue"] == 3000
    kinds = {k["kind"]: k for k in r.kinds}
    assert kinds["lookup_reply"]["total"] == 3
    html = page.content.decode()
    assert "3 · 3.000 đ" in html
    assert "4.800 đ" in html and "8000" not in html


def test_withdrawn_is_not_counted_on_time(users, dataset):
    r = client_for(users["admin016"]).get("/desk/bao-cao").context["r"]
    assert [(o["on_time"], o["late"], o["rate"]) for o in r.on_time] == [(2, 1, 66.7)]
    assert (r.on_time_total.on_time, r.on_time_total.total) == (2, 3)


def test_due_tomorrow_list_leaves_withdrawn_out(users, make_dossier):
    open_one = make_dossier("guide", appointment=tomorrow_at(10))
    gone = make_dossier("guide", phone="0912000111", appointment=tomorrow_at(11))
    services.apply_event(gone, DossierEvent.WITHDRAWN, "test")
    rows = client_for(users["staff016"]).get("/desk/", {"loc": "mai-den-han"}).context["rows"]
    assert [row["d"].pk for row in rows] == [open_one.pk]


def test_excel_total_row_has_every_status_column(users, dataset):
    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(client_for(users["admin016"]).get("/desk/bao-cao.xlsx").content))
    rows = list(wb["Tin nhắn"].iter_rows(values_only=True))
    header, total = rows[1], rows[-1]
    assert total[0] == "Tổng cộng"
    delivered_col = header.index("Đã đến máy")
    assert total[delivered_col] == 6  # 3 result + 3 lookup replies
    assert None not in total[1:-1] and "" not in total[1:-1]
    assert "Chi phí ước tính (đồng)" in header


def test_default_encoding_is_shown_by_its_label(users, settings):
    settings.MOTCUA = {**settings.MOTCUA, "ENCODING_POLICY": "accented"}
    html = client_for(users["province"]).get("/desk/ket-noi").content.decode()
    assert "Có dấu (UCS-2)" in html and ">accented<" not in html


def test_same_day_procedure_option_says_it_once(users, province):
    province["sameday"].name = "Xác nhận thông tin (giải quyết trong ngày)"
    province["sameday"].save()
    html = client_for(users["staff016"]).get("/desk/tiep-nhan").content.decode()
    assert "(giải quyết trong ngày)" in html and "(giải quyết trong ngày) (trong ngày)" not in html


def test_search_placeholder_is_a_code_this_desk_issues(users, province):
    html = client_for(users["staff016"]).get("/desk/").content.decode()
    year = timezone.localdate().strftime("%y")
    assert f'placeholder="016{year}00123 hoặc 0912345678"' in html


def test_timeline_names_people_and_keys(users, make_dossier, province):
    users["staff016"].first_name, users["staff016"].last_name = "Lan", "Nguyễn Thị"
    users["staff016"].save()
    key, _secret = ApiKey.issue("Phần mềm một cửa", province["016"])
    d = make_dossier()
    services.apply_event(d, DossierEvent.STEP_CHANGED, key.actor, step="Thẩm định hồ sơ")
    client_for(users["staff016"]).post(f"/desk/ho-so/{d.pk}/cap-nhat", {"action": "supplement_requested"})
    html = client_for(users["staff016"]).get(f"/desk/ho-so/{d.pk}").content.decode()
    assert "Nguyễn Thị Lan (lan)" in html and "khóa API “Phần mềm một cửa”" in html
    assert ">user:lan<" not in html and f">key:{key.prefix}<" not in html


def test_supplement_received_prefills_the_recomputed_appointment(users, make_dossier):
    from motcua.desk.views import restarted_appointment

    d = make_dossier(received=timezone.now() - timedelta(days=20), appointment=timezone.now() - timedelta(days=2))
    c = client_for(users["staff016"])
    c.post(f"/desk/ho-so/{d.pk}/cap-nhat", {"action": "supplement_requested"})
    d.refresh_from_db()
    page = c.get(f"/desk/ho-so/{d.pk}")
    expected = timezone.localtime(restarted_appointment(d, timezone.now())).strftime("%Y-%m-%dT%H:%M")
    assert page.context["new_appointment"][:13] == expected[:13]
    assert page.context["new_appointment"] != page.context["appointment_input"]
    assert f'name="appointment_at" value="{page.context["new_appointment"]}"' in page.content.decode()
