# ruff: noqa: F811  (pytest fixtures shared with test_desk are imported by name)
"""Monthly usage per agency and the telco statement's line-by-line reconciliation; garbage uploads get
reasons, never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from motcua.messaging.models import IncomingMessage, Message, Status
from tests.integration.test_desk import _fast_passwords, client_for, users  # noqa: F401


@pytest.fixture
def month_traffic(province):
    """This month, agency 016: 3 messages (1 + 2 + 3 parts = 6 parts, 4.800 đ), 2 charged lookups (2.000 đ),
    one free lookup; agency 010: 1 message of 2 parts; one test send from 016 (1 part: billed, so usage)."""
    def msg(agency, parts, cause):
        return Message.objects.create(kind="result", cause=cause, agency=agency, to="84912345678", text="x",
                                      parts=parts, cost=800 * parts, status=Status.DELIVERED)
    msg(province["016"], 1, "a")
    msg(province["016"], 2, "b")
    msg(province["016"], 3, "c")
    msg(province["010"], 2, "d")
    msg(province["016"], 1, "desk-test:1:x")
    for i, price in enumerate([1000, 1000, 0]):
        reply = msg(province["016"], 1, f"reply:sim:{i}")
        reply.kind = "lookup_reply"
        reply.save()
        IncomingMessage.objects.create(connection="sim", remote_id=str(i), sender="84912345678", recipient="8083",
                                       text="MCKH", price=price, outcome="answered", reply=reply)
    return f"{timezone.localdate():%Y-%m}"


def test_monthly_usage_per_agency(users, month_traffic):
    usage = client_for(users["admin016"]).get("/desk/su-dung").context["usage"]
    [u] = [u for u in usage if u.month == month_traffic]
    # 3 results + 3 lookup replies + 1 test send = 7 messages, 6 + 3 + 1 = 10 parts, 8.000 đ;
    # 2 charged lookups, 2.000 đ
    assert (u.agency, u.messages, u.parts, u.cost, u.lookups, u.revenue) == ("016", 7, 10, 8000, 2, 2000)
    assert {u.agency for u in usage} == {"016"}
    province_usage = client_for(users["province"]).get("/desk/su-dung").context["usage"]
    assert {u.agency for u in province_usage} == {"016", "010"}
    html = client_for(users["admin016"]).get("/desk/su-dung").content.decode()
    assert "8.000 đ" in html and "2.000 đ" in html and "ước tính" in html


def upload(c, body: bytes, name="bang-ke.csv"):
    return c.post("/desk/su-dung", {"tep": SimpleUploadedFile(name, body, content_type="text/csv")})


def test_statement_differences_line_by_line(users, month_traffic):
    month = month_traffic
    body = (f"co_quan;thang;so_phan_tin;so_tra_cuu\n016;{month[5:]}/{month[:4]};11;2\n"
            f"010;{month};2;0\n099;{month};5;1\n").encode()
    r = upload(client_for(users["province"]), body)
    assert r.status_code == 200
    diffs = {(d.agency, d.month): d for d in r.context["diffs"]}
    assert diffs["016", month].parts_delta == 1 and diffs["016", month].lookups_delta == 0
    assert diffs["010", month].matches
    assert diffs["099", month].ours_parts is None
    assert r.context["mismatches"] == 2


def test_agency_admin_reconciles_own_lines_only(users, month_traffic):
    body = f"co_quan,thang,so_phan_tin,so_tra_cuu\n016,{month_traffic},10,2\n010,{month_traffic},99,0\n".encode()
    r = upload(client_for(users["admin016"]), body)
    assert [(d.agency, d.matches) for d in r.context["diffs"]] == [("016", True)] and r.context["ignored"] == 1


@pytest.mark.parametrize("body", [
    b"",
    b"\x00\x01\x02\xff\xfe garbage",
    b"a,b,c\n1,2,3\n",
    b"co_quan,thang,so_phan_tin,so_tra_cuu\n016,13/2026,1,1\n016,2026-12,-1,x\n,2026-12,1,1\n016,2026-12\n",
    b'co_quan,thang,so_phan_tin,so_tra_cuu\n"016,2026-12,1,1\n',
    "co_quan,thang,so_phan_tin,so_tra_cuu\n\ud800".encode("utf-8", "surrogatepass"),
])
def test_garbage_uploads_are_explained_not_500(users, province, body):
    r = upload(client_for(users["admin016"]), body)
    assert r.status_code in (200, 422)
    assert r.context["error"] or r.context["problems"] or r.context["diffs"] == []


def test_oversized_upload_is_refused(users, province):
    r = upload(client_for(users["admin016"]), b"co_quan,thang,so_phan_tin,so_tra_cuu\n" + b"016,2026-12,1,1\n" * 200_000)
    assert r.status_code == 422 and "MB" in r.context["error"]


def test_usage_is_for_administrators(users, province):
    assert client_for(users["staff016"]).get("/desk/su-dung").status_code == 403
