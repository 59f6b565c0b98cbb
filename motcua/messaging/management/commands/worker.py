import signal
import threading

from django.core.management.base import BaseCommand

from motcua.messaging.worker import Worker


class Command(BaseCommand):
    help = "Send queued SMS, apply delivery reports, answer MO and run the daily apology batch (runs until stopped)."

    def add_arguments(self, parser):
        parser.add_argument("--name", help="worker name in logs and claims (default host:pid)")

    def handle(self, *args, **options):
        if not options["skip_checks"]:
            # Refuse an unsafe configuration before sending anything (checks registered by motcua.ops).
            self.check(tags=["motcua"], include_deployment_checks=True)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        Worker(name=options["name"]).run_forever(stop)
