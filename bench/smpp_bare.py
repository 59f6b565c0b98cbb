"""Bare SMPP transport throughput: N messages to the node SMSC with receipts, no database.

This is the reference for the end-to-end benchmark: whatever the worker + database add on top
is measured against these numbers. The loop sends batches from a synchronous thread with ``send``,
the transport's plain batch call, as a sender that stores nothing would, and collects receipts
through the sink.

    python bench/smpp_bare.py [-n 20000] [--batch 200] [--window 10] [--tps 0]

Prints submit rate, time until every receipt arrived, CPU seconds of this process (the node
SMSC runs in its own process and is not counted) and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._cpu import MachineTime
from motcua.messaging.transports.base import DeliveryReport, IncomingSMS, OutgoingSMS
from motcua.messaging.transports.smpp import SmppTransport, normalise_remote_id
from tests.peers.smsc import NodeSMSC


class CountingSink:
    """Collects receipt ids (normalised, as the worker stores them); receipts may beat send()."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.count = 0
        self.lock = threading.Lock()

    def delivery_report(self, report: DeliveryReport) -> None:
        with self.lock:
            self.seen.add(normalise_remote_id(report.remote_id))
            self.count += 1

    def incoming(self, sms: IncomingSMS) -> None:
        pass


def run(n: int, batch: int, window: int, tps: float) -> dict:
    # Only this run's SMSC: RUSAGE_CHILDREN also holds every child reaped before (another bench phase's).
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with NodeSMSC() as smsc:
        smsc.configure(record=False, receipt_delay_ms=5)
        sink = CountingSink()
        expected: set[str] = set()
        transport = SmppTransport.from_url(smsc.url(name="bench", window=window, tps=tps))
        transport.start(sink)
        deadline = time.monotonic() + 10
        while not transport.is_up() and time.monotonic() < deadline:
            time.sleep(0.02)
        cpu0 = time.process_time()
        machine = MachineTime().start()
        t0 = time.perf_counter()
        ok = failed = 0
        for start in range(0, n, batch):
            msgs = [
                OutgoingSMS(i, f"849{i % 100_000_000:08d}", f"Ho so {i:010d} da co ket qua", "gsm")
                for i in range(start, min(n, start + batch))
            ]
            for r in transport.send(msgs):
                if r.ok:
                    ok += 1
                    expected.update(normalise_remote_id(x) for x in r.remote_ids)
                else:
                    failed += 1
        t_submit = time.perf_counter() - t0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sink.lock:
                if expected <= sink.seen:
                    break
            time.sleep(0.005)
        t_all = time.perf_counter() - t0
        machine.stop()
        cpu = time.process_time() - cpu0
        transport.stop()
        stats = smsc.stats()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the node SMSC, reaped on exit
    return {
        "n": n,
        "window": window,
        "ok": ok,
        "failed": failed,
        "receipts_matched": len(expected & sink.seen),
        "receipts_unmatched": sink.count - len(expected & sink.seen),
        "submit_s": t_submit,
        "submit_per_s": ok / t_submit,
        "all_receipts_s": t_all,
        "cpu_s": cpu,
        "peer_cpu_s": (children.ru_utime + children.ru_stime) - (children_before.ru_utime + children_before.ru_stime),
        "steal_percent": machine.steal,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peer_submits": stats["submits"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--tps", type=float, default=0, help="0 = no cap")
    args = parser.parse_args()
    r = run(args.n, args.batch, args.window, args.tps)
    print(
        f"smpp bare: {r['ok']}/{r['n']} accepted ({r['failed']} failed), window {r['window']}, "
        f"batch {args.batch}\n"
        f"  submit: {r['submit_s']:.2f}s = {r['submit_per_s']:.0f} msg/s\n"
        f"  all receipts matched: {r['receipts_matched']} (+{r['receipts_unmatched']} unmatched) "
        f"after {r['all_receipts_s']:.2f}s\n"
        f"  CPU: transport {r['cpu_s']:.2f}s = {r['cpu_s'] / r['all_receipts_s'] * 100:.0f}% of one core; "
        f"node SMSC {r['peer_cpu_s']:.2f}s (whole life)\n"
        f"  peak RSS: {r['peak_rss_mb']:.0f} MB; peer counted {r['peer_submits']} submit_sm\n"
        f"  steal (CPU time the hypervisor gave to other guests): {r['steal_percent']:.0f} %"
    )
    if r["receipts_matched"] != r["ok"] or r["failed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
