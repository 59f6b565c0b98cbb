import sys
from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from motcua.messaging.batch import LateRunRefused, run_apology_batch, run_late_batch


class Command(BaseCommand):
    help = (
        'Run the apology batch as of a local time: --at "2026-11-23 17:30" [--dry-run]. '
        "Send a missed day on purpose: --date 2026-11-23 --force [--yes]."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--at", help="local time (Asia/Ho_Chi_Minh), default now")
        parser.add_argument("--dry-run", action="store_true", help="print what would be sent; change nothing")
        parser.add_argument("--date", help="the batch day (yyyy-mm-dd) to send late; needs --force")
        parser.add_argument("--force", action="store_true",
                            help="send the apologies of a day whose batch was missed (recorded as a late run)")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation (scripts)")

    def handle(self, *args, **options):
        if options["date"] or options["force"]:
            return self.late(options)
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
            out.write(f"{at:%H:%M} is after the cut-off: the batch for {report.day:%d/%m/%Y} is recorded as missed. "
                      f"To send it anyway: motcua apology-batch --date {report.day:%Y-%m-%d} --force")
            return
        verb = "would send" if options["dry_run"] else "queued"
        out.write(f"Apology batch {report.day:%d/%m/%Y}: {verb} {report.queued_count}, skipped {report.skipped_count}")
        for code, text in report.queued:
            out.write(f"  {verb.upper()} {code}: {text}")
        for code, reason in report.skipped:
            out.write(f"  SKIPPED {code}: {reason}")

    def late(self, options):
        """A missed day sent on purpose: say how many citizens get the apology, then ask (or --yes)."""
        if not (options["date"] and options["force"]):
            raise CommandError("Sending a day late needs both --date yyyy-mm-dd and --force")
        try:
            day = date.fromisoformat(options["date"].strip())
        except ValueError:
            raise CommandError("--date must look like 2026-11-23") from None
        try:
            preview = run_late_batch(day, dry_run=True)
        except LateRunRefused as e:
            raise CommandError(str(e)) from None
        out = self.stdout
        out.write(
            f"Late apology batch for {day:%d/%m/%Y} (dossiers due {day + timedelta(days=1):%d/%m/%Y}): "
            f"{preview.queued_count} citizen(s) will receive the apology, "
            f"{preview.skipped_count} skipped. The run is recorded as late; messages wait for the end of quiet hours."
        )
        if options["dry_run"]:
            return
        if preview.queued_count == 0:
            out.write("Nobody to send to; nothing recorded.")
            return
        if not options["yes"]:
            stdin = options.get("stdin") or sys.stdin
            if not stdin.isatty() and options.get("stdin") is None:
                raise CommandError("No terminal to confirm on: add --yes to send")
            out.write("Send? [y/N] ", ending="")
            out.flush()
            if stdin.readline().strip().lower() not in ("y", "yes", "c", "có", "co"):
                out.write("Not sent.")
                return
        try:
            report = run_late_batch(day, worker="cli:late")
        except LateRunRefused as e:
            raise CommandError(str(e)) from None
        out.write(f"Late apology batch {day:%d/%m/%Y}: queued {report.queued_count}, skipped {report.skipped_count}")
