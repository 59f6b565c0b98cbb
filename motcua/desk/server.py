"""The production web server for ``motcua serve`` and ``motcua demo``: Granian, over WSGI.

Django's development server is not meant for real traffic (and says so on every start); Granian is a
dependency already and serves the same WSGI application (``motcua.wsgi:application``). Static files
come through WhiteNoise inside the application, so no separate static route is needed.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

from django.db import connections
from granian import Granian
from granian.constants import Interfaces


def parse_addrport(addrport: str) -> tuple[str, int]:
    """``"127.0.0.1:8000"``, ``"8000"`` or ``"[::1]:8000"`` -> (address, port)."""
    host, sep, port = addrport.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", addrport
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit():
        raise ValueError(f"not an address:port: {addrport!r}")
    return host, int(port)


def serve(addrport: str, workers: int | None = None, threads: int | None = None) -> None:
    """Serve until interrupted: ``workers`` processes (``MOTCUA_WEB_WORKERS``, default 1), each running the
    application in ``threads`` threads (``MOTCUA_WEB_THREADS``, default 2 per CPU + 1, at most 8) — requests
    wait mostly on the database; more threads would only queue on the interpreter's lock.

    Workers are forked from this process, so what a command set up before (the demo's settings) holds in
    them too; the database connections opened so far are closed first, as a forked child must not share
    a connection's socket with its parent.
    """
    address, port = parse_addrport(addrport)
    count = workers or int(os.environ.get("MOTCUA_WEB_WORKERS", "1") or 1)
    per_worker = threads or int(os.environ.get("MOTCUA_WEB_THREADS") or min(8, (os.cpu_count() or 1) * 2 + 1))
    connections.close_all()
    Granian(
        "motcua.wsgi:application",
        address=address,
        port=port,
        interface=Interfaces.WSGI,
        workers=max(1, count),
        blocking_threads=max(1, per_worker),
        backpressure=max(1, per_worker),
        websockets=False,
        log_access=False,
    ).serve()


def start_jobs(name: str) -> multiprocessing.Process:
    """The worker and the callback sender beside the web server (``serve --with-worker``, the demo), in a
    child process forked now, before Granian forks its web workers.

    Why not threads here: Granian forks its web workers from this process, and a fork taken while another
    thread holds a lock (SQLite's allocator mutex, the import lock, a half-imported module) leaves the
    child with that lock held forever: on SQLite the web process then hung, failed every write with
    "database is locked", or raised on every request, in three starts out of eight. A process forked while
    this one has a single thread inherits no such lock, and this one keeps a single thread.
    """
    connections.close_all()
    process = multiprocessing.get_context("fork").Process(
        target=_run_jobs, args=(name, os.getpid()), name=f"motcua-jobs-{name}", daemon=True)
    process.start()
    return process


def _run_jobs(name: str, parent: int) -> None:
    """The child's life: the worker in its main thread, the sender beside it, both stopped by SIGINT or
    SIGTERM (Ctrl-C reaches the whole process group) or when the server process is gone."""
    from motcua.callbacks.sender import Sender
    from motcua.messaging.worker import Worker

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def watch_parent() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    threading.Thread(target=Sender(name=name).run_forever, args=(stop,), daemon=True).start()
    Worker(name=name).run_forever(stop)
