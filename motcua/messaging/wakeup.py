"""Waking the worker when there is work, so that the time from an event to its SMS does not depend on a poll.

On PostgreSQL, whoever queues work for the worker (the outbox, the daily batch, a delivery report posted to
``/sms/dlr``) calls :func:`notify_worker` inside its transaction: ``NOTIFY`` is delivered when that
transaction commits, and never if it rolls back, so the worker never wakes for work it cannot see yet. The
worker ``LISTEN``s on its own database connection. The transports' threads (receipts and MO arriving over
SMPP) wake it through a pipe. Both are waited for with one ``select``. On SQLite, which has no
notifications, the worker looks again after ``poll`` seconds.
"""

from __future__ import annotations

import contextlib
import os
import select

from django.db import connection, connections

CHANNEL = "motcua_work"


def notify_worker(using: str = "default") -> None:
    """Wake the workers once the current transaction commits (at once outside a transaction)."""
    db = connections[using]
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


class Wakeup:
    """What the worker waits on between passes: the pipe written by :meth:`set` (any thread) and, on
    PostgreSQL, notifications on the worker's own connection."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._listening_on: object | None = None

    def set(self) -> None:
        """Wake the worker; callable from any thread, never blocks."""
        with contextlib.suppress(BlockingIOError):  # the pipe is full: a wake-up is already pending
            os.write(self._write, b"!")

    def wait(self, timeout: float) -> None:
        """Return when woken, or after ``timeout`` seconds."""
        fds = [self._read]
        pg = self._listen()
        if pg is not None:
            if list(pg.notifies(timeout=0)):  # read while the worker ran other statements
                return
            fds.append(pg.fileno())
        ready, _, _ = select.select(fds, [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 512):
                pass
        if pg is not None and ready:
            list(pg.notifies(timeout=0))

    def _listen(self):  # a psycopg connection
        """The worker's psycopg connection, listening; ``LISTEN`` again after Django reconnected."""
        if connection.vendor != "postgresql":
            return None
        connection.ensure_connection()
        raw = connection.connection
        if raw is not self._listening_on:
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            self._listening_on = raw
        return raw

    def close(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)


def on_message_saved(sender: type, instance: object, created: bool, **kwargs: object) -> None:
    """Every new queued message (a notice, a lookup reply, a retry someone asked for) wakes the workers."""
    if created and getattr(instance, "status", None) == "queued":
        notify_worker(kwargs.get("using") or "default")  # type: ignore[arg-type]
