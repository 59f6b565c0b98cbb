"""Heavy kill -9 run: N messages queued in PostgreSQL, ``motcua worker`` killed with SIGKILL K times at random
moments while it sends to the node SMSC, then restarted until every message is final.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/faults_kill9.py [-n 10000] [--kills 10]

Uses (and recreates) the database ``motcua_faults``. Prints lost messages (must be 0), duplicates at the
SMSC (accepted submits beyond one per destination; bound: kills × window, the worker handing the bind one
window of messages at a time), statuses and time.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench._database import production_like_env  # noqa: E402

DB = "motcua_faults"


def admin_url() -> str:
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--tps", type=int, default=1000, help="0 = no cap")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    db_url = admin_url().rsplit("/", 1)[0] + "/" + DB
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    production_like_env()
    import django

    django.setup()
    from django.core.management import call_command

    from motcua.messaging.models import Message
    from tests.faults import FINAL, WorkerProcess, duplicates, queue_messages, wait_all_final
    from tests.peers.smsc import NodeSMSC

    call_command("migrate", verbosity=0)
    queue_messages(args.n, prefix="kill9")
    rng = random.Random(args.seed)
    env = {"MOTCUA_RECEIPT_TIMEOUT": "5"}
    with NodeSMSC() as smsc:
        url = smsc.url(name="smsc", window=args.window, tps=args.tps)
        started = time.monotonic()
        for k in range(args.kills):
            w = WorkerProcess(db_url, url, name=f"kill{k}", **env).start()
            done_before = Message.objects.exclude(status__in=["queued", "sending"]).count()
            deadline = time.monotonic() + 30
            while Message.objects.exclude(status__in=["queued", "sending"]).count() <= done_before + 50:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.0))
            w.kill9()
            print(f"kill -9 #{k + 1} after {time.monotonic() - started:.1f}s", flush=True)
        last = WorkerProcess(db_url, url, name="last", **env).start()
        try:
            counts = wait_all_final(args.n, 300)
        finally:
            last.stop()
        elapsed = time.monotonic() - started
        extra, per_destination = duplicates(smsc.submits())
    final = sum(counts[s] for s in FINAL)
    lost = args.n - len(per_destination) + sum(counts[s] for s in ("failed",))
    print(f"messages {args.n}, kills {args.kills}, window {args.window}, tps cap {args.tps}")
    print(f"final {final}/{args.n}: {dict(counts)}")
    print(f"lost {lost} (messages never accepted by the SMSC or failed)")
    print(f"duplicates at the SMSC {extra} (bound {args.kills} x window = {args.kills * args.window})")
    print(f"time {elapsed:.1f}s")
    return 0 if final == args.n and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
