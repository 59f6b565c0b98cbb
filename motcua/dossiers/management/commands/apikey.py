from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from motcua.dossiers.models import Agency, ApiKey


class Command(BaseCommand):
    help = "Manage API keys: `apikey create --agency 016 [--name ...]`, `apikey list`, `apikey revoke PREFIX`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("prefix", nargs="?")
        parser.add_argument("--agency", help="agency code; omit for a province-wide key")
        parser.add_argument("--name", default="")

    def handle(self, *args, **o):
        if o["action"] == "create":
            agency = None
            if o["agency"]:
                agency = Agency.objects.filter(code=o["agency"]).first()
                if agency is None:
                    raise CommandError(f"No agency with code {o['agency']}")
            _, key = ApiKey.issue(o["name"] or f"key for {agency.code if agency else 'province'}", agency)
            self.stdout.write(key)
        elif o["action"] == "list":
            for k in ApiKey.objects.select_related("agency").order_by("created_at"):
                state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
                self.stdout.write(f"{k.prefix}  {k.agency.code if k.agency else 'province'}  {state}  {k.name}")
        else:
            if not o["prefix"] or not ApiKey.objects.filter(prefix=o["prefix"]).update(revoked_at=timezone.now()):
                raise CommandError("Give the prefix of an existing key (see `motcua apikey list`)")
            self.stdout.write(f"revoked {o['prefix']}")
