import signal
import threading

from django.core.management.base import BaseCommand

from motcua.callbacks.sender import Sender


class Command(BaseCommand):
    help = "POST status events (callbacks) to the one-stop software's callback addresses (runs until stopped)."

    def add_arguments(self, parser):
        parser.add_argument("--name", default="callbacks", help="sender name in logs")

    def handle(self, *args, **options):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        Sender(name=options["name"]).run_forever(stop)
