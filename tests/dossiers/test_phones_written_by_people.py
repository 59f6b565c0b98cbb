"""Phone fields written by people ("0912 345 678 (Zalo)", "0258 3822 123, 0987 654 321"): the first valid
mobile gets the SMS, and the timeline says which number was used."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from motcua.domain.phones import first_mobile
from motcua.dossiers.models import Dossier
from motcua.messaging.models import Message, Status
from tests.dossiers.conftest import replay

pytestmark = pytest.mark.django_db
CODE = "000.00.16.H35-261005-0001"


@pytest.mark.parametrize("raw, national, place, count", [
    ("0912 345 678 (Zalo)", "0912345678", 1, 1),
    ("0258 3822 123, 0987.654.321, 0912345678", "0987654321", 2, 3),
    ("0912345678 hoặc 0987654321", "0912345678", 1, 2),
    ("0912345678 / 0987654321", "0912345678", 1, 2),
    ("0912345678 0987654321", "0912345678", 1, 2),
    ("ĐT: 0912-345-678 (gọi giờ hành chính)", "0912345678", 1, 1),
    ("(+84) 912 345 678; 0987654321", "0912345678", 1, 2),
])
def test_first_valid_mobile(raw, national, place, count):
    phone, got_place, got_count = first_mobile(raw)
    assert (phone.national, got_place, got_count) == (national, place, count)


@pytest.mark.parametrize("raw", ["không có", "0258 3822 123", "", "12345", "+1 415 555 0100"])
def test_no_mobile_at_all(raw):
    assert first_mobile(raw) is None


@pytest.mark.parametrize("variant, to", [("phone_with_note", "84912345678"),
                                         ("phone_several_numbers", "84987654321")])
def test_the_result_sms_goes_to_the_first_valid_mobile(client, api_key, variant, to):
    replay(client, api_key("016"), variant)
    message = Message.objects.get(dossier__code=CODE)
    assert (message.kind, message.status, message.to) == ("result", Status.QUEUED, to)
    d = Dossier.objects.get(code=CODE)
    assert d.phone == "0" + to[2:] and d.phone_raw  # the field as written is kept for staff


def test_the_timeline_says_which_number_was_used(client, api_key, django_user_model):
    from motcua.desk.models import Role, StaffProfile

    replay(client, api_key("016"), "phone_several_numbers")
    d = Dossier.objects.get(code=CODE)
    created = d.events.get(type="created")
    assert created.data["note"] == "Ô số điện thoại ghi 3 số: tin nhắn gửi tới số thứ 2 (0987***321)."
    staff = django_user_model.objects.create_user("lan", password="x")
    StaffProfile.objects.create(user=staff, agency=d.agency, role=Role.STAFF)
    desk = Client()
    desk.force_login(staff)
    page = desk.get(f"/desk/ho-so/{d.pk}").content.decode()
    assert "tin nhắn gửi tới số thứ 2 (0987***321)" in page


def test_api_and_desk_accept_a_number_with_a_note(client, api_key, province):
    r = client.post("/api/v1/dossiers", data=json.dumps({"procedure": "1.004628", "phone": "0912 345 678 (Zalo)"}),
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key('016')}")
    assert r.status_code == 201, r.content
    assert r.json()["phone"] == "0912345678"
    r = client.post("/api/v1/dossiers", data=json.dumps({"procedure": "1.004628", "phone": "0258 3822 123"}),
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key('016')}")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "phone"
