"""Fault harness shared by ``tests/faults`` and ``bench/faults_kill9.py``: real ``motcua worker`` processes.

A ``WorkerProcess`` is the production command (``python -m motcua.cli worker``) pointed by environment
variables at a PostgreSQL database and an SMPP peer, so ``kill -9`` hits exactly what a province runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FINAL = {"delivered", "undelivered", "expired", "failed", "skipped"}


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is using now (the test database during tests)."""
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


class WorkerProcess:
    """``motcua worker`` as a child process; ``kill9()`` is SIGKILL, no chance to clean up."""

    def __init__(self, db_url: str, sms_url: str, name: str = "w", **env: str) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "motcua.settings",
            "DATABASE_URL": db_url,
            "MOTCUA_SMS_URL": sms_url,
            "MOTCUA_STUCK_AFTER": "3",
            "MOTCUA_LOG_LEVEL": "WARNING",
            "MOTCUA_QUIET_HOURS": "",
            # what the worker's start-up checks require of a production configuration
            "MOTCUA_SECRET_KEY": "fault-tests-" + "k" * 40,
            "MOTCUA_PUBLIC_URL": "https://motcua.example.gov.vn",
            **env,
        }
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix=f"motcua-worker-{name}-", suffix=".log")[1])

    def start(self) -> WorkerProcess:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "motcua.cli", "worker", "--name", self.name],
                cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )
        return self

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill9()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:]


def queue_messages(n: int, prefix: str = "fault", to: Callable[[int], str] | None = None) -> None:
    """``n`` one-part messages to distinct numbers (none ending 13/14/15: the peer fails those by rule)."""
    from django.utils import timezone

    from motcua.messaging.models import Kind, Message

    now = timezone.now()
    to = to or (lambda i: f"849{i:07d}0")
    Message.objects.bulk_create(
        [Message(kind=Kind.LOOKUP_REPLY, cause=f"{prefix}:{i}", to=to(i), text="Ho so da co ket qua",
                 encoding="gsm", parts=1, not_before=now, created_at=now) for i in range(n)],
        batch_size=2000,
    )


def statuses() -> Counter:
    from motcua.messaging.models import Message

    return Counter(Message.objects.values_list("status", flat=True))


def wait_all_final(n: int, timeout: float, on_poll: Callable[[], None] | None = None) -> Counter:
    """Poll until ``n`` messages are final (or ``timeout``); returns the status counts."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    while True:
        try:
            counts = statuses()
        except Exception:  # the database may be restarting under us
            connection.close()
            counts = Counter()
        if sum(counts[s] for s in FINAL) >= n or time.monotonic() > deadline:
            return counts
        if on_poll:
            on_poll()
        time.sleep(0.2)


def duplicates(submits: list[dict]) -> tuple[int, Counter]:
    """(extra accepted submits, accepted submits per destination) from the peer's record."""
    per_destination = Counter(s["destination_addr"] for s in submits if s["status"] == 0)
    return sum(c - 1 for c in per_destination.values()), per_destination
