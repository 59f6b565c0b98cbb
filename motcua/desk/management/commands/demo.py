import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.http import urlencode

from motcua.desk.demo import demo_dossier, seed_demo, seed_demo_accounts
from motcua.desk.models import Role, StaffProfile
from motcua.desk.server import serve, start_jobs
from motcua.dossiers.models import Agency, ApiKey
from motcua.messaging.connections import redact_url, split_urls


class Command(BaseCommand):
    help = "Migrate, seed a demo province and serve on http://127.0.0.1:8000 with the worker and phone simulator."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="seed and print credentials only")

    def execute(self, *args, **options):
        self.mark_demo()
        return super().execute(*args, **options)

    @staticmethod
    def mark_demo() -> None:
        """The laptop demo may use the demo secret key, localhost and the simulator (motcua.ops.checks),
        and gets a fresh gateway token unless MOTCUA_GATEWAY_TOKEN is set."""
        settings.MOTCUA = {
            **settings.MOTCUA,
            # The built-in phone simulator for SMS and for Zalo ZNS, unless a connection was configured.
            "SMS_URL": os.environ.get("MOTCUA_SMS_URL") or "sim:// znssim://",
            "DEMO": True,
            "GATEWAY_TOKEN": settings.MOTCUA.get("GATEWAY_TOKEN") or secrets.token_urlsafe(24),
        }

    def handle(self, *args, **o):
        quiet = self.demo_quiet_hours()
        call_command("migrate", interactive=False, verbosity=0)
        seed_demo(zns="znssim" in settings.MOTCUA["SMS_URL"])
        User = get_user_model()
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username="admin", defaults={"is_staff": True, "is_superuser": True})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        du_lich = Agency.objects.get(code="016")
        staff, _ = User.objects.get_or_create(username="canbo016")
        staff.set_password(password)
        staff.save()
        StaffProfile.objects.get_or_create(user=staff, defaults={"agency": du_lich, "role": Role.AGENCY_ADMIN})
        accounts = seed_demo_accounts(password)  # replaces canbo016's role: front-desk staff
        _, key = ApiKey.issue("demo key for 016", du_lich)
        base = f"http://{o['addrport']}"
        example = demo_dossier()
        example_lines = ""
        if example is not None:
            query = urlencode({"code": example.code, "access_code": example.access_code})
            example_lines = (
                f"  Demo dossier:  code {example.code}   access code {example.access_code}\n"
                f"                 {base}/tra-cuu?{query}\n"
                f"                 or text \"{settings.MOTCUA['KEYWORD']} {example.code}\" to "
                f"{settings.MOTCUA['SHORT_CODE']} in the simulator\n"
            )
        self.stdout.write(
            "\nmotcua demo\n"
            f"  Front page:    {base}/\n"
            f"  Public lookup: {base}/tra-cuu\n"
            f"{example_lines}"
            f"  Staff desk:    {base}/desk/   user canbo016 (Sở Du lịch) or admin (whole province)"
            f"   password {password}\n"
            + f"  Desk accounts (password {password}):\n" + "".join(accounts)
            + f"  Simulator:     {base}/desk/gia-lap   user admin   (SMS connection: {' '.join(map(redact_url, split_urls(settings.MOTCUA['SMS_URL'])))})\n"
            f"  Django admin:  {base}/admin/   user admin\n"
            f"  Gateway token: {settings.MOTCUA['GATEWAY_TOKEN']}   (Kannel's /sms/mo and /sms/dlr: &token=...)\n"
            f"  API docs:      {base}/api/docs\n"
            f"  API key (016): {key}\n"
            f"  Quiet hours:   {quiet}\n"
            f"  Try: curl -s -X POST {base}/api/v1/dossiers/{example.code if example else '<code>'}/events "
            f"-H 'Authorization: Bearer {key}' "
            "-H 'Content-Type: application/json' -d '{\"type\": \"result_ready\"}'\n"
        )
        if o["no_serve"]:
            return
        if not settings.MOTCUA["QUIET_HOURS"]:
            # The web server's processes read settings afresh: they inherit the choice from the environment.
            os.environ.setdefault("MOTCUA_QUIET_HOURS", "")
        start_jobs("demo")
        # The same production server as `motcua serve` (no development server, no warning about it).
        serve(o["addrport"])

    @staticmethod
    def demo_quiet_hours() -> str:
        """Quiet hours are off in the demo unless ``MOTCUA_QUIET_HOURS`` is set: a demo is tried at any
        hour, and with the production default (21:00-07:00 in Viet Nam, 14:00-24:00 UTC) a notice made
        in the evening waits in the queue until morning and the simulator shows nothing. Returns the line the banner prints."""
        quiet = settings.MOTCUA["QUIET_HOURS"]
        if "MOTCUA_QUIET_HOURS" not in os.environ and quiet:
            settings.MOTCUA = {**settings.MOTCUA, "QUIET_HOURS": ""}
            return f"off in the demo (MOTCUA_QUIET_HOURS={quiet} turns them on)"
        return f"{quiet} (notices made then wait until they end)" if quiet else "off"
