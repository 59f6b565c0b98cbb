"""MO lookups (``MCKH <code>`` to 8083) through Kannel's get-url ``/sms/mo``: target ≥ 300/s at p99 ≤ 100 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/lookup.py \
        [--requests 6000] [--rate 300] [--connections 32] [--workers 2] [--threads 4] [--wrk SECONDS] [--fresh]

Works in its own database (``motcua_lookup_bench`` on the same server, created and migrated here), so the
test database is never touched. 100,000 dossiers are made with ``bulk_create`` (half on time, half late,
20 agencies, codes ``{agency}26{serial:05d}``) and reused by later runs unless ``--fresh``.

Each run empties the messaging tables and starts granian on 127.0.0.1 (``--workers`` processes ×
``--threads`` blocking threads) serving the production entry ``motcua.wsgi:application``, Django's own.

Two passes, each MO with a unique Kannel id and a random dossier code (10 % unknown):

1. the target: an open loop in this process, as Kannel sends MO: request ``i`` is due at ``i / --rate``
   seconds whatever the server is doing, taken in turn by ``--connections`` keep-alive connections, and
   its latency runs from when it was due. Every body is checked against the expected reply, then the
   database: one IncomingMessage per request, each with its outcome and its reply row;
2. the headroom: ``wrk`` (Debian package; ``--wrk`` seconds, default 15) as fast as the server answers,
   with a Lua script checking every body, then the database: each answered request recorded once.

Both load generators and PostgreSQL share the machine's cores with the web server: on 2 cores the
numbers are for the whole loop on one box, not the server alone. So the wrk pass also prints the CPU that
granian, this database's PostgreSQL processes and wrk each spent per request (``bench/_cpu.py``), which
tells a slower or busier machine from a costlier request where the rate alone cannot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._cpu import MachineTime, ProcessCpu  # noqa: E402
from bench._database import bench_url, ensure_database, production_like_env  # noqa: E402
from motcua.domain.smstext import fold_vietnamese  # noqa: E402

BENCH_DB = "motcua_lookup_bench"
TOTAL = 100_000
AGENCIES = 20
PER_AGENCY = TOTAL // AGENCIES
UNKNOWN_SHARE = 0.10
TARGET_RATE, TARGET_P99_MS = 300, 100.0
# A backend's command line names its database and client ("postgres: 15/main: user db 127.0.0.1(5432) idle");
# other databases' backends (other work on a shared server) are left out, the server's own processes kept.
_OTHER_BACKEND = re.compile(r"\(\d+\)|\[local\]")
CPU_GROUPS = {
    "granian": lambda command: "granian" in command,
    "PostgreSQL": lambda command: command.startswith("postgres")
    and (f" {BENCH_DB} " in command or not _OTHER_BACKEND.search(command)),
    "wrk": lambda command: command.startswith("wrk"),
}
CONNECTION = "bench"
# The gateway endpoints need the shared token and accept only configured gateway connections.
GATEWAY_TOKEN = "bench-gateway-token"
GATEWAY_SMS_URL = " ".join(f"kannel://u:p@127.0.0.1:9?name={n}" for n in ("warmup", CONNECTION, "wrk"))


# --- data ------------------------------------------------------------------------------------------


def code_of(agency: int, serial: int) -> str:
    return f"{100 + agency}26{serial:05d}"


def populate() -> float:
    """100,000 dossiers with bulk_create (half on time, half late); returns seconds (0 if already there)."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from motcua.dossiers.models import Agency, Dossier, Procedure

    if Dossier.objects.count() == TOTAL:
        return 0.0
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE dossiers_dossier, dossiers_dossierevent RESTART IDENTITY CASCADE")
    now = timezone.now()
    rows = []
    for a in range(AGENCIES):
        agency, _ = Agency.objects.get_or_create(
            code=f"{100 + a}", defaults={"name": f"Cơ quan số {a}", "sms_name": f"Sở Thử nghiệm {a}"}
        )
        procedure, _ = Procedure.objects.get_or_create(
            agency=agency, code=f"1.{a:06d}", defaults={"name": "Thủ tục thử", "processing_days": 5}
        )
        for serial in range(1, PER_AGENCY + 1):
            late = serial % 2 == 0
            received = now - timedelta(days=30 if late else 2)
            rows.append(
                Dossier(
                    code=code_of(a, serial), agency=agency, procedure=procedure, applicant="Nguyễn Văn A",
                    phone="0912345678", received_at=received,
                    appointment_at=received + timedelta(days=7 if late else 10),
                    current_step="Thẩm định hồ sơ", state="processing", access_code="ABCDEF", source="bench",
                )
            )
    Dossier.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE dossiers_dossier")
    return time.perf_counter() - started


def reset_messages() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE messaging_message, messaging_messagepart, messaging_incomingmessage RESTART IDENTITY CASCADE"
        )


def expected_reply(code: str, known: bool) -> str:
    if not known:
        return f"Không tìm thấy hồ sơ {code}."
    return f"Hồ sơ của quý Ông/Bà ({code}) hiện đang ở bước Thẩm định hồ sơ, trạng thái hồ sơ: "


def plan(n: int, seed: int = 7) -> list[tuple[str, bool]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        if rng.random() < UNKNOWN_SHARE:
            out.append((f"9{rng.randrange(10**9):09d}", False))
        else:
            out.append((code_of(rng.randrange(AGENCIES), rng.randrange(1, PER_AGENCY + 1)), True))
    return out


# --- the web server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int, db_url: str) -> subprocess.Popen:
    """granian (the production web server, see docs/DEPLOY.md) on 127.0.0.1: ``workers`` processes, each
    running the WSGI app on ``threads`` blocking threads; returns once /sms/mo answers."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "motcua.settings",
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_SMS_URL": GATEWAY_SMS_URL,
        "MOTCUA_GATEWAY_TOKEN": GATEWAY_TOKEN,
        "PYTHONPATH": str(ROOT),
    }
    granian = str(Path(sys.executable).with_name("granian"))
    proc = subprocess.Popen(
        [
            granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--blocking-threads", str(threads), "--backlog", "2048",
            "--log-level", "warning", "--no-access-log", "motcua.wsgi:application",
        ],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(
                    (
                        f"GET /sms/mo?from=84912345678&to=8083&text=MCKH&id=warm&conn=warmup&token={GATEWAY_TOKEN} "
                        "HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
                    ).encode()
                )
                if b" 200 " in s.recv(64):
                    return proc
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("granian did not start")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# --- load generator -------------------------------------------------------------------------------


def request_bytes(i: int, code: str, port: int) -> bytes:
    text = quote(f"MCKH {code}")
    return (
        f"GET /sms/mo?from=8491{i % 10_000_000:07d}&to=8083&text={text}&id=b{i}&conn={CONNECTION}&token={GATEWAY_TOKEN} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n\r\n"
    ).encode()


async def read_answer(reader: asyncio.StreamReader, code: str, known: bool, bad: list[str]) -> bytes:
    """Read one response; note it in ``bad`` unless it is a 200 with the expected reply. Returns its head."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = (await reader.readexactly(length)).decode()
    expected = expected_reply(code, known)
    # An agency that sends unaccented text (GSM) replies with the same words folded.
    if not head.startswith(b"HTTP/1.1 200") or not body.startswith((expected, fold_vietnamese(expected))):
        bad.append(f"{head.splitlines()[0]!r} {body[:120]!r}")
    return head


async def drive_at_rate(
    port: int, work: list[tuple[str, bool]], connections: int, rate: float
) -> tuple[float, list[float], list[str]]:
    """Open loop, as Kannel sends MO: request ``i`` is due at ``i / rate`` seconds whatever the server is
    doing, and its latency runs from that moment (so a stalled server is charged for the requests it
    held up, not only for the one in hand). ``connections`` keep-alive connections take due requests
    in turn; returns (seconds until the last answer, latencies, bad answers)."""
    latencies: list[float] = []
    bad: list[str] = []
    due: asyncio.Queue = asyncio.Queue()
    requests = [(request_bytes(i, code, port), code, known) for i, (code, known) in enumerate(work)]

    async def connection_loop() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (job := await due.get()) is not None:
                scheduled, (data, code, known) = job
                writer.write(data)
                await read_answer(reader, code, known, bad)
                latencies.append(time.perf_counter() - scheduled)
        finally:
            writer.close()

    loops = [asyncio.create_task(connection_loop()) for _ in range(connections)]
    await asyncio.sleep(0.2)  # connections open before the clock starts
    started = time.perf_counter()
    for i, request in enumerate(requests):
        scheduled = started + i / rate
        if (ahead := scheduled - time.perf_counter()) > 0:
            await asyncio.sleep(ahead)
        due.put_nowait((scheduled, request))
    for _ in loops:
        due.put_nowait(None)
    await asyncio.gather(*loops)
    return time.perf_counter() - started, latencies, bad


def pct(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000


def run_wrk(port: int, work: list[tuple[str, bool]], connections: int, seconds: int) -> str:
    """wrk with a Lua script cycling through the same codes; ids are unique per thread and request."""
    codes = ",".join(f'"{c}"' for c, _ in work[:5000])
    script = f"""
local codes = {{{codes}}}
local n = 0
local counter = 1
local threads = {{}}
bad = 0
-- setup runs in the main Lua state; "tid" becomes a global of each thread's own state.
function setup(thread) thread:set("tid", counter); counter = counter + 1; table.insert(threads, thread) end
function request()
  n = n + 1
  local code = codes[(n % #codes) + 1]
  return wrk.format("GET", "/sms/mo?from=84912345678&to=8083&text=MCKH%20" .. code .. "&id=w" .. tid .. "-" .. n .. "&conn=wrk&token={GATEWAY_TOKEN}")
end
function response(status, headers, body)
  if status ~= 200 or not (body:find("^Hồ sơ của quý Ông/Bà %(") or body:find("^Không tìm thấy hồ sơ ")) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("wrk bad replies: %d\\n", total))
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name, f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=False,
        )
        return out.stdout + out.stderr
    finally:
        os.unlink(f.name)


def check_database(n: int) -> dict:
    from django.db.models import Count

    from motcua.messaging.models import IncomingMessage, Message

    mo = IncomingMessage.objects.filter(connection=CONNECTION)
    return {
        "recorded": mo.count(),
        "answered": mo.exclude(reply=None).exclude(outcome="").count(),
        "outcomes": dict(mo.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")),
        "replies": Message.objects.filter(kind="lookup_reply", connection=CONNECTION).count(),
        "expected": n,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="MOs sent in the open loop")
    parser.add_argument(
        "--rate", type=float, default=TARGET_RATE, metavar="PER_SECOND",
        help=f"open loop: MOs due per second, latency timed from when each was due (default the target, {TARGET_RATE})",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--fresh", action="store_true", help="drop and regenerate the bench database")
    parser.add_argument("--wrk", type=int, default=15, metavar="SECONDS", help="then run wrk for this long (0: no)")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL=postgres://… is required (the bench uses its own database motcua_lookup_bench)")
        return 2
    ensure_database(base, BENCH_DB, args.fresh)
    db_url = bench_url(base, BENCH_DB)
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    production_like_env()
    os.environ["MOTCUA_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seconds = populate()
    made = f"made in {seconds:.1f} s" if seconds else "reused"
    print(f"dossiers: {TOTAL:,} ({made})")
    reset_messages()

    port = free_port()
    server = start_server(port, args.workers, args.threads, db_url)
    try:
        work = plan(args.requests)
        asyncio.run(drive_at_rate(port, work[:300], args.connections, args.rate))  # warm every worker and connection
        reset_messages()
        machine = MachineTime().start()
        elapsed, latencies, bad = asyncio.run(drive_at_rate(port, work, args.connections, args.rate))
        busy = machine.stop().busy
        wrk_out = ""
        if args.wrk and shutil.which("wrk"):
            machine = MachineTime().start()
            with ProcessCpu(CPU_GROUPS) as cpu:
                wrk_out = run_wrk(port, work, args.connections, args.wrk)
            machine.stop()
            wrk_out += (
                f"machine CPU busy during wrk: {machine.busy:.0f} % of {os.cpu_count()} cores, "
                f"of which steal (time given to other guests) {machine.steal:.0f} %\n"
            )
            wrk_out += f"CPU per request during wrk, ms: {cpu.per(wrk_completed(wrk_out))}\n"
    finally:
        stop_server(server)

    latencies.sort()
    db = check_database(len(work))
    print(
        f"granian {args.workers} workers x {args.threads} threads, {args.connections} keep-alive connections, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"open loop: {len(latencies):,} lookups due at {args.rate:,.0f}/s, the last answered after {elapsed:.2f} s "
        f"(machine CPU busy {busy:.0f} %)"
    )
    print(
        f"latency ms: p50 {pct(latencies, 0.50):.1f}  p90 {pct(latencies, 0.90):.1f}  "
        f"p99 {pct(latencies, 0.99):.1f}  max {latencies[-1] * 1000:.1f}  mean {statistics.fmean(latencies) * 1000:.1f}"
    )
    print(f"bad replies: {len(bad)}" + (f" e.g. {bad[0]}" if bad else ""))
    print(f"database: {db}")
    ok_db = db["recorded"] == db["answered"] == db["replies"] == len(work)
    print(f"every MO recorded and answered once: {'yes' if ok_db and not bad else 'NO'}")
    # Latency runs from when each request was due, so a server that falls behind the rate shows in the p99.
    met = args.rate >= TARGET_RATE and pct(latencies, 0.99) <= TARGET_P99_MS and ok_db and not bad
    print(f"target ({TARGET_RATE}/s, p99 <= {TARGET_P99_MS:.0f} ms): {'met' if met else 'not met'}")
    wrk_ok = True
    if wrk_out:
        print(f"\n--- wrk, {args.connections} connections, as fast as answered (codes cycled; every body checked) ---")
        print(wrk_out.rstrip())
        wrk_ok = report_wrk(wrk_out)
    return 0 if ok_db and not bad and wrk_ok else 1


def wrk_completed(out: str) -> int:
    """The requests wrk counts as completed ("N requests in …"), 0 if it printed none."""
    found = re.search(r"(\d+) requests in", out)
    return int(found.group(1)) if found else 0


def report_wrk(out: str) -> bool:
    """wrk's figures, and its requests against the database: each answered request recorded once (a request still in flight when wrk stops may be recorded without being counted)."""
    from motcua.messaging.models import IncomingMessage

    def number(pattern: str) -> float:
        found = re.search(pattern, out)
        return float(found.group(1)) if found else float("nan")

    def ms(pattern: str) -> float:
        found = re.search(pattern + r"\s+([\d.]+)(us|ms|s)\b", out)
        if not found:
            return float("nan")
        return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]

    rate, p99 = number(r"Requests/sec:\s+([\d.]+)"), ms(r"99%")
    completed, bad = wrk_completed(out), int(number(r"wrk bad replies: (\d+)"))
    recorded = IncomingMessage.objects.filter(connection="wrk")
    answered = recorded.exclude(reply=None).exclude(outcome="").count()
    recorded_n = recorded.count()
    in_flight_ok = completed <= recorded_n == answered <= completed + 64
    print(f"wrk: {rate:,.0f}/s, p99 {p99:.1f} ms; {completed:,} answered, {recorded_n:,} recorded, "
          f"{answered:,} with their reply; bad replies {bad}")
    return in_flight_ok and bad == 0


if __name__ == "__main__":
    sys.exit(main())
