from django.core.management.base import BaseCommand

from motcua.desk.server import serve, start_jobs


class Command(BaseCommand):
    help = "Serve the web app and API (and, with --with-worker, the worker and the callback sender in a child process)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--with-worker", action="store_true")

    def handle(self, *args, **o):
        if not o["skip_checks"]:
            # Refuse an unsafe configuration before listening (motcua.ops.checks: gateway token, secret
            # key, public URL, simulator); the general checks already ran before handle().
            self.check(tags=["motcua"], include_deployment_checks=True)
        if o["with_worker"]:
            start_jobs("embedded")
        serve(o["addrport"])
