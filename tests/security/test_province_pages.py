"""Threat: any agency's staff (``is_staff`` included) on province-wide pages: the phone simulator (it
shows phone numbers), the MO reconciliation report, the Django admin. Province administrator only."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.desk.access import is_province_admin

PAGES = ["/desk/gia-lap", "/desk/gia-lap/tin-nhan", "/tra-cuu/bao-cao/mo", "/tra-cuu/bao-cao/mo?month=2026-11&format=csv", "/admin/",
         "/admin/dossiers/dossier/"]


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agency_admin", "staff"])
@pytest.mark.parametrize("page", PAGES)
def test_agency_staff_are_refused(people, who, page):
    response = client_for(people[who]).get(page)
    assert response.status_code in (302, 403)
    if response.status_code == 302:  # the admin sends them back to its login page
        assert response["Location"].startswith("/admin/login/")
    assert b"doi-soat" not in response.content and b"8083" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_the_province_administrator_gets_in(people, page):
    assert client_for(people["province"]).get(page).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_a_login_page(page, db):
    response = Client().get(page)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_only_active_superusers_are_province_administrators(people):
    assert is_province_admin(people["province"])
    assert not is_province_admin(people["agency_admin"]) and not is_province_admin(people["staff"])
    people["province"].is_active = False
    assert not is_province_admin(people["province"])


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "abc", "99999-01"])
def test_a_month_out_of_range_is_a_400_not_a_500(people, month):
    response = client_for(people["province"]).get("/tra-cuu/bao-cao/mo", {"month": month})
    assert response.status_code == 400 and "2026-11" in response.content.decode()
