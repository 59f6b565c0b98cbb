"""``motcua retention [--days N] [--dry-run]``: blank personal data older than the retention period."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from motcua.ops.retention import BATCH, DEFAULT_DAYS, purge_personal_data


class Command(BaseCommand):
    help = (
        "Xóa dữ liệu cá nhân (tên, số điện thoại, nội dung tin nhắn) cũ hơn N ngày; giữ số liệu thống kê. "
        "Blank names, phones and SMS texts older than N days (default MOTCUA RETENTION_DAYS); statistics stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="retention in days (default: RETENTION_DAYS)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be blanked, change nothing")
        parser.add_argument("--batch-size", type=int, default=BATCH, help="rows per UPDATE (default %(default)s)")

    def handle(self, *args, days=None, dry_run=False, batch_size=BATCH, **options):
        days = days if days is not None else int(settings.MOTCUA.get("RETENTION_DAYS", DEFAULT_DAYS))
        if days < 0 or batch_size < 1:
            raise CommandError("--days must be >= 0 and --batch-size >= 1")
        report = purge_personal_data(days=days, dry_run=dry_run, batch=batch_size)
        verb = "would blank" if dry_run else "blanked"
        self.stdout.write(
            f"retention {days} days (before {report.cutoff:%Y-%m-%d %H:%M}): {verb} "
            f"dossiers={report.dossiers} messages={report.messages} incoming={report.incoming}"
        )
        if dry_run:
            self.stdout.write("dry run: nothing changed")
