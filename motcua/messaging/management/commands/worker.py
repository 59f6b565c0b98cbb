import gc
import signal
import threading

from django.core.management.base import BaseCommand

from motcua.messaging.worker import Worker


class Command(BaseCommand):
    help = "Send queued SMS, apply delivery reports, answer MO and run the daily apology batch (runs until stopped)."

    def add_arguments(self, parser):
        parser.add_argument("--name", help="worker name in logs and claims (default host:pid)")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        worker = Worker(name=options["name"], batch_size=options["batch_size"])
        freeze_startup_objects()
        worker.run_forever(stop)


def freeze_startup_objects() -> None:
    """Leave what start-up loaded (Django, the apps, the connections' settings) out of garbage collection.

    Sending keeps making objects that live a little while (claimed batches, results, receipts), so at
    5,000 msg/s CPython ran a full collection every ~1.6 s, and each walked the whole heap of imported
    modules: 50–75 ms in which no thread of the worker ran, the SMPP window emptied and receipts piled
    up (bench/mt_throughput.py: ~7 % of the end-to-end rate). Frozen, a full collection walks only
    what was made since: 1–4 ms. Frozen objects are still freed by reference counting; only a cycle
    among them would stay, and start-up objects live as long as the process anyway. Here and not in
    ``run_forever``, which tests call many times in one process."""
    gc.collect()
    gc.freeze()
