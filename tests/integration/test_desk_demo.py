"""The demo seeds, for each agency in force, a front-desk account and an agency administrator, and the
banner names them; each logs in to the desk with the printed password and gets its role's menu."""

from __future__ import annotations

import io
import re

from django.core.management import call_command
from django.test import Client

from motcua.desk.models import Role, StaffProfile


def test_demo_seeds_and_prints_staff_and_admin_per_agency(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    printed = out.getvalue()
    password = re.search(r"Desk accounts \(password (\S+)\)", printed).group(1)
    for code in ("010", "016", "051"):  # 050 was merged into 051: no accounts of its own
        assert f"canbo{code} (cán bộ một cửa)" in printed and f"quantri{code} (quản trị cơ quan)" in printed
        assert StaffProfile.objects.get(user__username=f"canbo{code}").role == Role.STAFF
        assert StaffProfile.objects.get(user__username=f"quantri{code}").role == Role.AGENCY_ADMIN
    assert "canbo050" not in printed
    staff, admin = Client(), Client()
    assert staff.login(username="canbo016", password=password)
    assert admin.login(username="quantri016", password=password)
    assert "Cán bộ" not in staff.get("/desk/").content.decode().split("</nav>")[0].split("desk-nav")[-1]
    assert "Khóa API" in admin.get("/desk/").content.decode()
    assert staff.get("/desk/can-bo").status_code == 403 and admin.get("/desk/can-bo").status_code == 200
