"""End-to-end MT throughput: N messages queued in PostgreSQL → `motcua worker` → node SMSC → receipts →
every message "delivered" in the database. Also runs the bare transport loop (same SMSC, no database) as the
reference, in the same run: once before and once after it, compared with the mean of the two.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/mt_throughput.py [-n 20000] [--window 10]

A stress test, not a target: the worker runs with ``tps=0`` (no cap) on one bind and, as always, claims a
window's worth per pass and sends it whole before it stores the outcomes; the bare loop sends batches of the
same size.

Uses (and recreates) the database ``motcua_bench`` on that server. Prints messages/s, the worker process's CPU
seconds and peak RSS (VmHWM), the ratio to the bare loop, and the CPU per message of the worker, PostgreSQL and
the node SMSC against the bare loop's and its SMSC's (``bench/_cpu.py``): on two shared cores the ratio can
be no better than the ratio of those sums. And the share of each phase's time the hypervisor gave to other
guests (steal): with it high, neither the rates nor their ratio describe the code (``bench/_cpu.py``: ``MachineTime``).

Two durations for the end-to-end run: from starting the worker process (which includes ~1 s of Python and Django
start-up and the bind), and from the worker's first claim to the last final state, read from the messages'
own ``claimed_at`` and ``final_at``. The second is the one compared with the bare loop, which also starts its
clock once bound.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import _database as database  # noqa: E402
from bench._cpu import MachineTime, ProcessCpu, cpu_seconds  # noqa: E402

BENCH_DB = "motcua_bench"
CPU_GROUPS = {
    "worker": lambda command: "motcua.cli worker" in command,
    "PostgreSQL": lambda command: command.startswith("postgres"),
    "SMSC": lambda command: "smsc.js" in command,
}


BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def bench_url() -> str:
    return database.bench_url(BASE_URL, BENCH_DB)


def recreate_database() -> None:
    database.ensure_database(BASE_URL, BENCH_DB, fresh=True)


def setup_django() -> None:
    os.environ["DATABASE_URL"] = bench_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    database.production_like_env()
    import django

    django.setup()


def queue_messages(n: int, accented: bool = False) -> None:
    from django.core.management import call_command

    from motcua.messaging import outbox
    from motcua.messaging.models import Message

    call_command("migrate", verbosity=0)
    # The result notice's text, unaccented (GSM, one part) as in the bare loop; --accented sends it in UCS-2 (2 parts).
    text = (
        "TB: Hồ sơ của quý ông/bà (MS: 0161701234) đã được giải quyết xong. "
        "Mời ông/bà đến Bộ phận Một cửa Sở Du lịch để nhận kết quả"
    )
    if not accented:
        from motcua.domain.smstext import fold_vietnamese

        text = fold_vietnamese(text)
    batch = []
    for i in range(n):
        batch.append(
            outbox.build_message(kind="result", cause=f"bench:{i}", agency=None, to=f"8491{i:07d}", text=text)
        )
        if len(batch) == 5000:
            Message.objects.bulk_create(batch)
            batch = []
    Message.objects.bulk_create(batch)


def proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds, peak RSS in kB) of a live process, from /proc."""
    cpu = cpu_seconds(pid) or 0.0
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return cpu, hwm


def run_end_to_end(n: int, window: int) -> dict:
    from django.db.models import Count, Max, Min

    from motcua.messaging.models import Message, Status
    from tests.peers.smsc import NodeSMSC

    with NodeSMSC() as smsc:
        smsc.configure(record=False, receipt_delay_ms=5)
        env = {
            **os.environ,
            "DATABASE_URL": bench_url(),
            "MOTCUA_SMS_URL": smsc.url(name="bench", window=window, tps=0),
            "MOTCUA_LOG_LEVEL": "WARNING",
            "MOTCUA_QUIET_HOURS": "",
        }
        # Stopped once every message is final, before the worker is (its backends would exit unsampled).
        sampler = ProcessCpu(CPU_GROUPS).start()
        machine = MachineTime().start()
        worker = subprocess.Popen(
            [sys.executable, "-m", "motcua.cli", "worker"], env=env, cwd=ROOT
        )
        try:
            t0 = time.perf_counter()
            peak_cpu, peak_rss = 0.0, 0
            deadline = t0 + 600
            while time.perf_counter() < deadline:
                time.sleep(0.5)
                cpu, rss = proc_stats(worker.pid)
                peak_cpu, peak_rss = cpu, max(peak_rss, rss)
                # The node SMSC reports some numbers undelivered or expired on purpose: wait for every final
                # state. One cheap look per status still in progress, each on its partial index: counting the
                # final ones every 0.25 s on a new connection cost PostgreSQL ~6 % of a core, taken from the
                # worker it measures. The rate itself is read from the rows' timestamps below.
                if not any(Message.objects.filter(status=s).exists() for s in (Status.QUEUED, Status.SENDING, Status.SENT)):
                    break
            elapsed = time.perf_counter() - t0
            sampler.stop()
            machine.stop()
        finally:
            worker.terminate()
            worker.wait(timeout=15)
    counts = dict(Message.objects.values_list("status").annotate(n=Count("id")))
    done = sum(counts.get(s, 0) for s in (Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED, Status.FAILED))
    span = Message.objects.aggregate(first=Min("claimed_at"), last=Max("final_at"))
    active = (span["last"] - span["first"]).total_seconds()
    return {
        "messages": n,
        "final": done,
        "seconds": elapsed,
        "active_seconds": active,
        "msg_per_s": done / active,
        "worker_cpu_s": peak_cpu,
        "worker_peak_rss_mb": peak_rss / 1024,
        "statuses": counts,
        "cpu": sampler,
        "steal_percent": machine.steal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--accented", action="store_true", help="UCS-2 text (2 parts per message)")
    args = parser.parse_args()

    from bench.smpp_bare import run as run_bare

    # The bare loop runs before and after the end-to-end run and the ratio is to the mean of the two: on a
    # shared VM the machine's speed drifts within a minute (see MachineTime), and one bare run taken ~20 s before
    # the end-to-end one compared the two under different conditions.
    bare_runs = [run_bare(args.n, batch=args.window, window=args.window, tps=0)]
    recreate_database()
    setup_django()
    queue_messages(args.n, args.accented)
    e2e = run_end_to_end(args.n, args.window)
    bare_runs.append(run_bare(args.n, batch=args.window, window=args.window, tps=0))
    for when, bare in zip(("before", "after"), bare_runs, strict=True):
        # Peak RSS is the bench process's: only the first run's, before Django is loaded, is the bare loop's.
        rss = f", peak RSS {bare['peak_rss_mb']:.0f} MB" if when == "before" else ""
        print(
            f"bare loop, {when:6} : {bare['ok']}/{bare['n']} with receipts in {bare['all_receipts_s']:.2f} s = "
            f"{bare_rate(bare):.0f} msg/s; CPU {bare['cpu_s']:.1f} s{rss}; "
            f"CPU per message {bare['cpu_s'] * 1e6 / bare['n']:.0f} µs, its SMSC's "
            f"{bare['peer_cpu_s'] * 1e6 / bare['n']:.0f} µs (whole life); steal {bare['steal_percent']:.0f} %"
        )
    print(
        f"end to end        : {e2e['final']}/{e2e['messages']} in a final state {e2e['active_seconds']:.2f} s after "
        f"the first claim = {e2e['msg_per_s']:.0f} msg/s ({e2e['seconds']:.2f} s from starting the worker = "
        f"{e2e['final'] / e2e['seconds']:.0f} msg/s); worker CPU {e2e['worker_cpu_s']:.1f} s, "
        f"peak RSS {e2e['worker_peak_rss_mb']:.0f} MB; statuses {e2e['statuses']}"
    )
    print(
        f"                    CPU per message, µs: {e2e['cpu'].per(e2e['messages'], 1e6, 0)} (the worker's "
        f"start-up included); steal {e2e['steal_percent']:.0f} %"
    )
    reference = sum(bare_rate(bare) for bare in bare_runs) / len(bare_runs)
    if reference:
        print(f"ratio to bare loop: {e2e['msg_per_s'] / reference:.0%} (of the mean of the two, {reference:.0f} msg/s)")


def bare_rate(bare: dict) -> float:
    return bare["ok"] / bare["all_receipts_s"]


if __name__ == "__main__":
    main()
