"""The production web server for ``motcua serve`` and ``motcua demo``: Granian, over WSGI.

Django's development server is not meant for real traffic (and says so on every start); Granian is a
dependency already and serves the same WSGI application (``motcua.wsgi:application``). Static files
come through WhiteNoise inside the application, so no separate static route is needed.
"""

from __future__ import annotations

import os

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
