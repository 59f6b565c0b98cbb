from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from motcua.messaging.batch import run_apology_batch


class Command(BaseCommand):
    help = 'Run the apology batch as of a local time: --at "2026-11-23 17:30" [--dry-run].'

    def add_arguments(self, parser):
        parser.add_argument("--at", help="local time (Asia/Ho_Chi_Minh), default now")
        parser.add_argument("--dry-run", action="store_true", help="print what would be sent; change nothing")

    def handle(self, *args, **options):
        if options["at"]:
            try:
                at = timezone.make_aware(datetime.strptime(options["at"].strip(), "%Y-%m-%d %H:%M"))
            except ValueError:
                raise CommandError('--at must look like "2026-11-23 17:30"') from None
        else:
            at = timezone.localtime()
        report = run_apology_batch(at, dry_run=options["dry_run"], worker="cli")
        out = self.stdout
        if report.status == "already":
            out.write(f"The batch for {report.day:%d/%m/%Y} has already run; nothing sent.")
            return
        if report.status == "missed":
            out.write(f"{at:%H:%M} is after the cut-off: the batch for {report.day:%d/%m/%Y} is recorded as missed.")
            return
        verb = "would send" if options["dry_run"] else "queued"
        out.write(f"Apology batch {report.day:%d/%m/%Y}: {verb} {report.queued_count}, skipped {report.skipped_count}")
        for code, text in report.queued:
            out.write(f"  {verb.upper()} {code}: {text}")
        for code, reason in report.skipped:
            out.write(f"  SKIPPED {code}: {reason}")
