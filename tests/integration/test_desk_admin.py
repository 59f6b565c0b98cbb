# ruff: noqa: F811  (pytest fixtures shared with test_desk are imported by name)
"""Roles, "Cán bộ", "Khóa API" and the audit log, through Django's test client."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from motcua.desk.access import is_province_admin
from motcua.desk.models import AuditEntry, Role, StaffProfile
from motcua.dossiers.models import ApiKey
from tests.integration.test_desk import PASSWORD, _fast_passwords, client_for, users  # noqa: F401

VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


@pytest.fixture(autouse=True)
def _validators(settings):
    settings.AUTH_PASSWORD_VALIDATORS = VALIDATORS


def test_three_roles_and_the_province_admin_helper(users, province, django_user_model):
    role_user = django_user_model.objects.create_user("tinh2", password=PASSWORD)
    StaffProfile.objects.create(user=role_user, agency=None, role=Role.PROVINCE_ADMIN)
    assert is_province_admin(users["province"]) and is_province_admin(role_user)
    assert not is_province_admin(users["admin016"]) and not is_province_admin(users["staff016"])
    assert not is_province_admin(users["nobody"])
    role_user.is_active = False
    role_user.save()
    assert not is_province_admin(role_user)


def test_django_admin_is_for_the_province_superuser_only(users, province, django_user_model):
    staffish = users["admin016"]
    staffish.is_staff = True
    staffish.save()
    assert client_for(staffish).get("/admin/").status_code == 302  # to the admin login: no access
    assert client_for(users["province"]).get("/admin/").status_code == 200


def test_province_wide_report_is_for_the_province_admin_only(users, province):
    admin016 = client_for(users["admin016"])
    page = admin016.get("/desk/bao-cao", {"co_quan": province["010"].pk})
    assert page.status_code == 200 and page.context["chosen"] == province["016"]
    assert client_for(users["staff016"]).get("/desk/can-bo").status_code == 403
    assert client_for(users["staff016"]).get("/desk/khoa-api").status_code == 403


def test_agency_admin_creates_staff_with_a_validated_password_and_it_is_audited(users, province):
    c = client_for(users["admin016"])
    weak = c.post("/desk/can-bo", {"username": "moi", "full_name": "Nguyễn Văn Mới", "role": "staff",
                                   "password": "12345"})
    assert weak.status_code == 422
    assert "moi" not in {u.username for u in get_user_model().objects.all()}
    ok = c.post("/desk/can-bo", {"username": "moi", "full_name": "Nguyễn Văn Mới", "role": "agency_admin",
                                 "password": "Hoa-sen-nở-2026"}, follow=True)
    assert ok.status_code == 200
    profile = StaffProfile.objects.get(user__username="moi")
    assert profile.agency == province["016"] and profile.role == Role.AGENCY_ADMIN
    assert (profile.user.last_name, profile.user.first_name) == ("Nguyễn Văn", "Mới")
    assert Client().login(username="moi", password="Hoa-sen-nở-2026")
    entry = AuditEntry.objects.get(action="staff_created")
    assert (entry.actor, entry.target, entry.agency) == ("hung", "moi", province["016"])
    assert "moi" in c.get("/desk/nhat-ky").content.decode()


def test_agency_admin_cannot_make_a_province_admin_or_staff_elsewhere(users, province):
    c = client_for(users["admin016"])
    r = c.post("/desk/can-bo", {"username": "x1", "full_name": "A B", "role": "province_admin", "password": ""})
    assert r.status_code == 422
    c.post("/desk/can-bo", {"username": "x2", "full_name": "A B", "role": "staff", "agency": province["010"].pk})
    assert StaffProfile.objects.get(user__username="x2").agency == province["016"]


def test_invite_without_password_shows_a_generated_one_once(users, province):
    c = client_for(users["admin016"])
    r = c.post("/desk/can-bo", {"username": "moi2", "full_name": "Lê Thị Hai", "role": "staff"})
    assert r.status_code == 200
    username, password = r.context["shown_password"]
    assert Client().login(username="moi2", password=password)
    assert password not in c.get("/desk/can-bo").content.decode()


def test_deactivate_reset_password_and_scope(users, province):
    c = client_for(users["admin016"])
    lan = StaffProfile.objects.get(user__username="lan")
    minh = StaffProfile.objects.get(user__username="minh")  # agency 010
    assert c.post(f"/desk/can-bo/{minh.pk}/trang-thai", {"active": "0"}).status_code == 404
    c.post(f"/desk/can-bo/{lan.pk}/trang-thai", {"active": "0"})
    lan.user.refresh_from_db()
    assert not lan.user.is_active
    assert not Client().login(username="lan", password=PASSWORD)
    r = c.post(f"/desk/can-bo/{lan.pk}/mat-khau", {"new_password1": "abc", "new_password2": "abc"})
    assert r.status_code == 422
    c.post(f"/desk/can-bo/{lan.pk}/mat-khau", {"new_password1": "Biển-xanh-2026!", "new_password2": "Biển-xanh-2026!"})
    c.post(f"/desk/can-bo/{lan.pk}/trang-thai", {"active": "1"})
    assert Client().login(username="lan", password="Biển-xanh-2026!")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["staff_deactivated", "password_reset", "staff_reactivated"]
    me = StaffProfile.objects.get(user__username="hung")
    c.post(f"/desk/can-bo/{me.pk}/trang-thai", {"active": "0"})
    me.user.refresh_from_db()
    assert me.user.is_active
    # The province administrator manages every agency's staff.
    client_for(users["province"]).post(f"/desk/can-bo/{minh.pk}/trang-thai", {"active": "0"})
    minh.user.refresh_from_db()
    assert not minh.user.is_active


def test_api_key_shown_once_listed_with_last_use_and_revoked(users, province):
    c = client_for(users["admin016"])
    r = c.post("/desk/khoa-api", {"name": "Phần mềm một cửa Sở"})
    key, secret = r.context["shown_key"]
    assert key.agency == province["016"] and ApiKey.authenticate(secret) == key
    assert c.get("/desk/khoa-api").context["keys"][0].last_used_at is None
    assert Client().get("/api/v1/dossiers", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    listing = c.get("/desk/khoa-api")
    assert secret not in listing.content.decode() and "Phần mềm một cửa Sở" in listing.content.decode()
    assert listing.context["keys"][0].last_used_at is not None
    c.post(f"/desk/khoa-api/{key.pk}/thu-hoi")
    assert ApiKey.authenticate(secret) is None
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == ["key_created", "key_revoked"]
    other = ApiKey.issue("khác", province["010"])[0]
    assert c.post(f"/desk/khoa-api/{other.pk}/thu-hoi").status_code == 404
    assert "khác" not in c.get("/desk/khoa-api").content.decode()


def test_key_needs_a_name(users, province):
    r = client_for(users["admin016"]).post("/desk/khoa-api", {"name": "  "})
    assert r.status_code == 422 and not ApiKey.objects.exists()
