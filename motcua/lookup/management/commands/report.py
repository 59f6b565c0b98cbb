"""``motcua report mo --month 2026-11 [--format table|csv]``: the monthly MO reconciliation."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from motcua.lookup import reports


class Command(BaseCommand):
    help = "Báo cáo đối soát tin nhắn tra cứu (MO) theo tháng, theo đầu số và kết nối."

    def add_arguments(self, parser):
        parser.add_argument("report", choices=["mo"], help="loại báo cáo (mo: tin nhắn tra cứu)")
        parser.add_argument("--month", default="", help="tháng, dạng 2026-11 (mặc định: tháng này)")
        parser.add_argument("--format", choices=["table", "csv"], default="table")

    def handle(self, *args, **options):
        try:
            month = reports.parse_month(options["month"]) if options["month"] else timezone.localdate().replace(day=1)
        except ValueError as e:
            raise CommandError(str(e)) from None
        report = reports.mo_report(month)
        if options["format"] == "csv":
            self.stdout.write(reports.to_csv(report).lstrip("\ufeff"), ending="")
        else:
            self.stdout.write(reports.to_table(report))
