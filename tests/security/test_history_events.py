"""Threat: history rewritten silently — a DVCQG resend that changes the applicant's name or phone with no
trace, or an event backdated far into the past to change the on-time figure without anyone seeing it."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from motcua.dossiers.models import Dossier
from motcua.messaging.models import Message
from tests.dossiers.conftest import payload, post, replay

pytestmark = pytest.mark.django_db
CODE = "000.00.16.H35-261005-0001"


def timeline(client: Client, key: str, code: str) -> list[dict]:
    return client.get(f"/api/v1/dossiers/{code}", HTTP_AUTHORIZATION=f"Bearer {key}").json()["timeline"]


def test_a_resend_changing_name_and_phone_leaves_an_event_without_the_values_in_logs(client, api_key, caplog):
    key = api_key("016")
    caplog.set_level(logging.DEBUG)
    answers = replay(client, key, "resend_changes_name_and_phone")
    assert answers[1]["results"][0]["status"] == "updated"
    d = Dossier.objects.get(code=CODE)
    assert (d.applicant, d.phone) == ("Nguyễn Văn Ân", "0987654321")
    changed = [e for e in timeline(client, key, CODE) if e["type"] == "details_changed"]
    assert len(changed) == 1
    assert changed[0]["data"]["fields"] == ["applicant", "phone"]
    assert changed[0]["actor"].startswith("dvcqg:")
    assert changed[0]["recorded_at"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in ("Nguyễn Văn Ân", "0987654321", "987654321", "Nguyễn Văn An", "0912345678"):
        assert value not in logged
    # The same resend again is not a change.
    post(client, key, payload("resend_changes_name_and_phone")["sends"][1])
    assert sum(e["type"] == "details_changed" for e in timeline(client, key, CODE)) == 1
    # The next SMS goes to the corrected number.
    result = payload("resend_changes_name_and_phone")["sends"][1]
    result["data"][0] |= {"TrangThaiHoSo": "9", "NgayKetThucXuLy": "20261008100000"}
    post(client, key, result)
    assert Message.objects.get(dossier=d).to == "84987654321"


def test_an_older_record_does_not_bring_back_the_old_name(client, api_key):
    key = api_key("016")
    newer = payload("resend_changes_name_and_phone")["sends"][1]
    newer["data"][0]["QuaTrinhXuLy"].append({"ThoiDiemXuLy": "20261007090000", "NoiDungXuLy": "Thẩm định hồ sơ"})
    post(client, key, payload("resend_changes_name_and_phone")["sends"][0])
    post(client, key, newer)
    post(client, key, payload("resend_changes_name_and_phone")["sends"][0])  # stale: only the 5/10 step
    d = Dossier.objects.get(code=CODE)
    assert (d.applicant, d.phone) == ("Nguyễn Văn Ân", "0987654321")


def event(client, key, code, **body):
    return client.post(f"/api/v1/dossiers/{code}/events", data=json.dumps(body), content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {key}")


def test_backdating_beyond_the_bound_is_refused(client, api_key, make_dossier, settings):
    key = api_key("016")
    now = timezone.now()
    d = make_dossier(received=now - timedelta(days=30), appointment=now + timedelta(days=3))
    r = event(client, key, d.code, type="result_ready", at=(now - timedelta(days=8)).isoformat())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "at"
    assert "7 ngày" in r.json()["errors"][0]["message"]
    assert Dossier.objects.get(pk=d.pk).state == "received" and not Message.objects.exists()
    settings.MOTCUA_LIMITS = settings.MOTCUA_LIMITS | {"EVENT_BACKDATE_DAYS": 10}
    assert event(client, key, d.code, type="result_ready", at=(now - timedelta(days=8)).isoformat()).status_code == 201


def test_a_backdated_event_shows_both_times_on_the_desk_timeline(client, api_key, make_dossier, django_user_model):
    from motcua.desk.models import Role, StaffProfile

    key = api_key("016")
    now = timezone.now()
    d = make_dossier(received=now - timedelta(days=10), appointment=now + timedelta(days=3))
    at = now - timedelta(days=6)
    assert event(client, key, d.code, type="step_changed", step="Thẩm định hồ sơ", at=at.isoformat()).status_code == 201
    last = timeline(client, key, d.code)[-1]
    assert last["occurred_at"] != last["recorded_at"]
    staff = django_user_model.objects.create_user("lan", password="x")
    StaffProfile.objects.create(user=staff, agency=d.agency, role=Role.STAFF)
    desk = Client()
    desk.force_login(staff)
    page = desk.get(f"/desk/ho-so/{d.pk}").content.decode()
    shown = timezone.localtime(at).strftime("%H:%M %d/%m/%Y")
    recorded = timezone.localtime(now).strftime("%d/%m/%Y")
    assert shown in page and "Ghi nhận lúc" in page and recorded in page
