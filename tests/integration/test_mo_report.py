"""Monthly reconciliation of charged MO: totals per short code and connection, CSV, Excel and the command."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from motcua.lookup import reports
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import IncomingMessage
from motcua.messaging.transports.base import IncomingSMS
from tests.conftest import local

HEADER = [
    "Đầu số", "Kết nối", "Số tin", "Thành tiền (đ)",
    "Đã trả lời", "Không tìm thấy mã", "Sai cú pháp", "Thiếu mã số", "Khác",
]


@pytest.fixture
def november(make_dossier):
    """MO of November 2026 (Vietnam time) on two connections, plus neighbours outside the month."""
    make_dossier(code="0161701234")
    n = iter(range(1000))

    def mo(text, at, connection="smpp-viettel", recipient="8083"):
        handle_incoming(
            IncomingSMS(
                sender="0912345678", recipient=recipient, text=text, connection=connection,
                remote_id=f"id-{next(n)}", received_at=at,
            )
        )

    mo("MCKH 0161701234", local(2026, 11, 1, 0, 5))  # just after the month starts in Vietnam
    mo("MCKH 0161701234", local(2026, 11, 15, 9, 0))
    mo("MCKH 0169999999", local(2026, 11, 15, 9, 1))
    mo("hello", local(2026, 11, 20, 9, 0))
    mo("MCKH", local(2026, 11, 30, 23, 59))  # just before it ends
    mo("MCKH 0161701234", local(2026, 11, 10, 8, 0), connection="kannel")
    mo("MCKH 0161701234", local(2026, 11, 10, 8, 1), connection="kannel", recipient="8000")  # not charged
    mo("MCKH 0161701234", local(2026, 10, 31, 23, 59))  # October
    mo("MCKH 0161701234", local(2026, 12, 1, 0, 0))  # December
    # A redelivery is neither recorded nor charged twice.
    handle_incoming(
        IncomingSMS(sender="0912345678", recipient="8083", text="MCKH 0161701234", connection="kannel",
                    remote_id="id-5", received_at=local(2026, 11, 10, 8, 0))
    )


EXPECTED_ROWS = [
    ["8000", "kannel", 1, 0, 1, 0, 0, 0, 0],
    ["8083", "kannel", 1, 1000, 1, 0, 0, 0, 0],
    ["8083", "smpp-viettel", 5, 5000, 2, 1, 1, 1, 0],
]
EXPECTED_TOTAL = ["Tổng cộng", "", 7, 6000, 4, 1, 1, 1, 0]


def test_report_totals_per_short_code_and_connection(november):
    report = reports.mo_report(date(2026, 11, 1))

    assert [row.cells() for row in report.rows] == EXPECTED_ROWS
    assert report.total.cells() == EXPECTED_TOTAL
    assert IncomingMessage.objects.count() == 9


def test_empty_month(november):
    report = reports.mo_report(date(2026, 9, 1))
    assert report.rows == [] and report.total.count == 0 and report.total.amount == 0


def test_csv_download(admin_client, november):
    response = admin_client.get("/tra-cuu/bao-cao/mo", {"month": "2026-11", "format": "csv"})

    assert response.status_code == 200
    assert 'filename="doi-soat-mo-2026-11.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    assert rows[1:] == [[str(c) for c in r] for r in [*EXPECTED_ROWS, EXPECTED_TOTAL]]


def test_excel_download_read_back(admin_client, november):
    response = admin_client.get("/tra-cuu/bao-cao/mo", {"month": "2026-11", "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Đối soát tin nhắn tra cứu (MO) tháng 11/2026"
    assert values[1] == HEADER
    total = ["Tổng cộng", None, *EXPECTED_TOTAL[2:]]  # Excel keeps no empty strings
    assert values[2:] == [*EXPECTED_ROWS, total]  # numbers stay numbers


def test_report_page_and_staff_only(client, admin_client, november):
    assert client.get("/tra-cuu/bao-cao/mo", {"month": "2026-11", "format": "csv"}).status_code == 302
    page = admin_client.get("/tra-cuu/bao-cao/mo", {"month": "2026-11"}).content.decode()
    assert "smpp-viettel" in page and "6000" in page and "Tải Excel" in page


def test_command_table_and_csv(november, capsys):
    call_command("report", "mo", "--month", "2026-11")
    table = capsys.readouterr().out
    assert "Đối soát MO tháng 11/2026" in table
    assert "smpp-viettel" in table and "Tổng cộng" in table and "6000" in table

    call_command("report", "mo", "--month", "2026-11", "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == HEADER and rows[-1] == [str(c) for c in EXPECTED_TOTAL]


def test_command_rejects_a_bad_month(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Tháng không hợp lệ"):
        call_command("report", "mo", "--month", "2026-13")


@pytest.mark.parametrize(("raw", "expected"), [("2026-11", date(2026, 11, 1)), ("11/2026", date(2026, 11, 1))])
def test_parse_month(raw, expected):
    assert reports.parse_month(raw) == expected
