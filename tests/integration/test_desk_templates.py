# ruff: noqa: F811  (pytest fixtures shared with test_desk are imported by name)
"""Template history (who, when, diff, revert), preview for a real dossier, and "send yourself a test"
through the real worker, left out of every figure."""

from __future__ import annotations

from motcua.desk.models import AuditEntry, StaffProfile, TemplateVersion
from motcua.domain.smstext import DEFAULT_TEMPLATES
from motcua.messaging.connections import Router
from motcua.messaging.models import Message, Template
from motcua.messaging.transports.sim import SimTransport
from motcua.messaging.worker import Worker
from tests.integration.test_desk import _fast_passwords, client_for, users  # noqa: F401

V2 = "TB: Ho so {Mã số biên nhận} da co ket qua. Moi den {Tên cơ quan} nhan."
V3 = "TB: Ho so {Mã số biên nhận} co ket qua, hen {Ngày hẹn trả}. Moi den {Tên cơ quan}."


def save(c, text):
    return c.post("/desk/mau-tin-nhan", {"kind": "result", "text": text}, follow=True)


def test_every_change_is_a_version_with_author_and_diff_and_can_be_reverted(users, province):
    c = client_for(users["admin016"])
    assert DEFAULT_TEMPLATES["result"] not in (V2, V3)
    save(c, V2)
    save(c, V3)
    versions = list(TemplateVersion.objects.filter(agency=province["016"], kind="result").order_by("number"))
    assert [(v.number, v.text, v.author) for v in versions] == [
        (1, "", ""), (2, V2, "hung"), (3, V3, "hung")]
    page = c.get("/desk/mau-tin-nhan", {"kind": "result"})
    rows = page.context["versions"]
    assert rows[0]["v"].number == 3 and f"+ {V3}" in rows[0]["diff"] and f"- {V2}" in rows[0]["diff"]
    c.post("/desk/mau-tin-nhan", {"kind": "result", "revert": "2"})
    assert Template.objects.get(agency=province["016"], kind="result").text == V2
    latest = TemplateVersion.objects.filter(agency=province["016"], kind="result").order_by("-number").first()
    assert (latest.number, latest.reverted_from, latest.text) == (4, 2, V2)
    c.post("/desk/mau-tin-nhan", {"kind": "result", "revert": "1"})  # back to the default
    assert not Template.objects.filter(agency=province["016"], kind="result").exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["template_saved", "template_saved", "template_reverted", "template_reverted"]
    # Another agency's version cannot be reverted from here.
    assert client_for(users["staff016"]).post("/desk/mau-tin-nhan", {"kind": "result", "revert": "2"}).status_code == 403


def test_preview_for_a_real_dossier_is_the_exact_text(users, province, make_dossier):
    from motcua.messaging import outbox

    d = make_dossier()
    other = make_dossier("press")
    c = client_for(users["admin016"])
    save(c, V3)
    page = c.get("/desk/mau-tin-nhan", {"kind": "result", "ma": d.code})
    expected = outbox.prepare_text(outbox.render_for(d, "result"), outbox.encoding_policy(d.agency))[0]
    assert page.context["preview"]["text"] == expected and d.code in expected
    live = c.post("/desk/mau-tin-nhan/xem-truoc", {"kind": "result", "text": V2, "ma": d.code}).json()
    assert live["ok"] and d.code in live["text"]
    refused = c.post("/desk/mau-tin-nhan/xem-truoc", {"kind": "result", "text": V2, "ma": other.code}).json()
    assert not refused["ok"] and other.code in refused["errors"][0]


def test_estimated_cost_is_labelled(users, province):
    html = client_for(users["admin016"]).get("/desk/mau-tin-nhan").content.decode()
    assert "ước tính" in html


def test_send_yourself_a_test_goes_through_the_worker_and_no_figure_counts_it(users, province, settings):
    settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": ""}
    c = client_for(users["admin016"])
    no_phone = c.post("/desk/mau-tin-nhan", {"kind": "result", "send_test": "1"}, follow=True)
    assert "Chưa có số điện thoại của bạn" in no_phone.content.decode() and not Message.objects.exists()
    assert c.post("/desk/ca-nhan", {"phone": "+84 912 000 111"}).status_code == 302
    assert StaffProfile.objects.get(user=users["admin016"]).phone == "0912000111"
    r = c.post("/desk/mau-tin-nhan", {"kind": "result", "send_test": "1"})
    assert r.status_code == 302 and "0912000111" not in r["Location"]
    msg = Message.objects.get()
    assert (msg.status, msg.to, msg.agency) == ("queued", "84912000111", province["016"])
    worker = Worker(router=Router([SimTransport()]), name="t", run_batch=False)
    worker.start()
    worker.send(worker.claim())
    worker.process_reports()
    msg.refresh_from_db()
    assert msg.status == "delivered"
    listed = c.get("/desk/tin-nhan").content.decode()
    assert "gửi thử" in listed and "0912000111" in listed
    report = c.get("/desk/bao-cao").context["r"]
    assert report.totals["messages"] == 0
    assert AuditEntry.objects.filter(action="test_sent").count() == 1


def test_test_sends_are_bounded_per_user_and_day(users, province, settings):
    settings.MOTCUA_LIMITS = {**settings.MOTCUA_LIMITS, "TEST_SENDS_PER_DAY": 3}
    c = client_for(users["admin016"])
    c.post("/desk/ca-nhan", {"phone": "0912000111"})
    for _ in range(3):
        assert c.post("/desk/mau-tin-nhan", {"kind": "result", "send_test": "1"}).status_code == 302
    refused = c.post("/desk/mau-tin-nhan", {"kind": "result", "send_test": "1"}, follow=True)
    assert "Bạn đã gửi thử 3 tin trong 24 giờ" in refused.content.decode()
    assert Message.objects.count() == 3
    assert AuditEntry.objects.filter(action="test_sent").count() == 3
