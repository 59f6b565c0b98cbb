"""A one-stop software's callback endpoint, for the tests: an HTTP server on 127.0.0.1.

It checks each request the way docs/INTEGRATION.md ("Callbacks") tells a receiver to, written here from
that text and not from motcua's code: the header ``X-Motcua-Signature: t=<unix seconds>,v1=<hex>``, where
``v1`` is the HMAC-SHA256, keyed with the shared secret, of the bytes ``"<t>." + raw body``, compared in
constant time, and ``t`` no further than ``tolerance`` seconds from now (``None``: not checked).

What it received is kept in arrival order (``received``), valid or not. It can be told to

- ``fail(status, times)``: answer ``status`` (a 5xx by default) to the next ``times`` requests (``None``:
  until told otherwise with ``ok()``);
- ``hold()``: keep each request waiting, unanswered, until ``release()`` (a slow endpoint); ``holding``
  counts the requests it holds;
- ``vanish()``: close its port, so connections are refused, and ``reappear()`` on the same port.

    with CallbackReceiver(secret) as peer:
        ... peer.url ... peer.wait_for(3) ... peer.bodies()
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    body: bytes
    headers: dict[str, str]
    valid: bool
    answered: int

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def check_signature(secret: str, header: str, body: bytes, now: float, tolerance: float | None) -> bool:
    fields = dict(item.strip().split("=", 1) for item in header.split(",") if "=" in item)
    if "t" not in fields or "v1" not in fields or not fields["t"].isdigit():
        return False
    if tolerance is not None and abs(now - int(fields["t"])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up on a held request: nothing to tell


class CallbackReceiver:
    def __init__(self, secret: str, tolerance: float | None = 300, path: str = "/motcua/callback") -> None:
        self.secret = secret
        self.tolerance = tolerance
        self.path = path
        self.received: list[Received] = []
        self._cond = threading.Condition()
        self._fail_status = 500
        self._fail_left: int | None = 0
        self._hold = threading.Event()
        self._hold.set()  # set: answer at once
        self.holding = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = self._free_port()

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    # --- behaviour ---------------------------------------------------------------------------

    def ok(self) -> None:
        with self._cond:
            self._fail_left = 0

    def fail(self, status: int = 500, times: int | None = None) -> None:
        with self._cond:
            self._fail_status, self._fail_left = status, times

    def hold(self) -> None:
        self._hold.clear()

    def release(self) -> None:
        self._hold.set()

    def vanish(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reappear(self) -> None:
        if self._server is None:
            self._start()

    # --- what came -----------------------------------------------------------------------------

    def wait_for(self, n: int, timeout: float = 15.0) -> list[Received]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= n, timeout)
            return list(self.received)

    def wait_holding(self, n: int = 1, timeout: float = 15.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.holding >= n, timeout)

    def bodies(self) -> list[dict]:
        with self._cond:
            return [r.json for r in self.received]

    # --- the server ------------------------------------------------------------------------------

    def _answer(self, body: bytes, headers: dict[str, str]) -> int:
        valid = check_signature(self.secret, headers.get("x-motcua-signature", ""), body, time.time(), self.tolerance)
        with self._cond:
            if not valid:
                status = 401
            elif self._fail_left is None or self._fail_left > 0:
                status = self._fail_status
                if self._fail_left:
                    self._fail_left -= 1
            else:
                status = 204
            self.received.append(Received(body, headers, valid, status))
            self._cond.notify_all()
        return status

    def _start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if not peer._hold.is_set():
                    with peer._cond:
                        peer.holding += 1
                        peer._cond.notify_all()
                    peer._hold.wait()
                    with peer._cond:
                        peer.holding -= 1
                status = peer._answer(body, headers) if self.path == peer.path else 404
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> CallbackReceiver:
        self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.vanish()
