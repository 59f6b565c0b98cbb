"""Kannel gateway: MT through smsbox's ``/cgi-bin/sendsms``; reports and MO come back over HTTP.

Kannel holds the telco links; we only talk HTTP to its smsbox. Delivery reports and MO messages do not
flow through this object: Kannel calls our ``/sms/dlr`` and ``/sms/mo`` views
(:mod:`motcua.messaging.gateway_views`), which write to the database directly.

URL (``MOTCUA_SMS_URL``)::

    kannel://USER:PASS@127.0.0.1:13013?from=8083&dlr_url=http://127.0.0.1:8000/sms/dlr&name=kannel

- ``USER``/``PASS``: a Kannel ``sendsms-user`` (``username``/``password``). Wrong ones get ``403``, which
  we record as a permanent failure of each message (retrying cannot fix a configuration error).
- host/port: smsbox's ``sendsms-port``. ``kannels://`` talks HTTPS to it (``sendsms-port-ssl``).
- ``name`` (default ``kannel``): the connection's name; it is also the ``conn`` Kannel echoes back in
  the dlr-url, so it must be unique among the configured connections.
- ``from``: sender (short code or brandname) when a message has no source of its own. Empty: Kannel's
  ``default-sender``.
- ``smsc``: a Kannel ``smsc-id`` to route through (sendsms ``smsc``); empty: Kannel's own routing.
- ``dlr_url``: our ``/sms/dlr`` as reachable *from Kannel* (default ``<MOTCUA_PUBLIC_URL>/sms/dlr``).
- ``dlr_mask`` (default 19 = 1 delivered + 2 failed + 16 SMSC reject): the report types Kannel calls us
  for. 4 (buffered) and 8 (SMSC ack) are accepted but only cost a request each.
- ``token``: the shared secret of the web side, added to the dlr-url; default ``MOTCUA_GATEWAY_TOKEN``.
- ``timeout`` (seconds, default 10): per request. A timeout is a *temporary* failure: Kannel may have
  accepted the message, so at most that message can be sent twice, never lost.
- ``concurrency`` (default 10, like Kannel's own default window): requests in flight per batch.
- ``down_after`` (default 3): consecutive connection failures (refused, reset, timeout) after which the
  connection reports itself down, so the router fails over; ``probe_interval`` (seconds, default 5):
  how often a down connection tries a TCP connect to come back up.

Kannel's ``202`` answer carries no message id, so the remote id is ours: ``k<message id>-<32 hex>``,
sent inside the dlr-url (``?id=...&status=%d&conn=...``) so that Kannel's report names it. A long
message split by Kannel gets one report per part, all with that id; the first final one decides.
"""

from __future__ import annotations

import http.client
import logging
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from motcua.messaging.transports.base import OutgoingSMS, SendResult, Transport, gather

log = logging.getLogger(__name__)

# Kannel's sendsms "coding": 0 = 7-bit GSM, 2 = UCS-2. The text is always sent as UTF-8 and Kannel converts.
CODING = {"gsm": "0", "ucs2": "2"}
DEFAULT_DLR_MASK = 1 | 2 | 16


def make_remote_id(message_id: int) -> str:
    """Our correlation id for one submission, which Kannel's report names: unique per attempt, so a late
    report of a previous attempt cannot be confused with this one; 128 random bits, so nobody who can
    reach ``/sms/dlr`` can guess the id of somebody's message and report it undelivered; and the message
    id in front, for the logs."""
    return f"k{message_id}-{secrets.token_hex(16)}"


def dlr_callback_url(base: str, remote_id: str, connection: str, token: str = "") -> str:
    """The dlr-url Kannel calls back. ``%d`` (report type) and ``%A`` (SMSC answer) stay literal:
    Kannel substitutes them. Our own values are URL-safe, so only ``token`` needs quoting."""
    query = f"id={remote_id}&status=%d&conn={connection}&answer=%A"
    if token:
        query += "&" + urlencode({"token": token})
    return f"{base}{'&' if '?' in base else '?'}{query}"


def sendsms_query(
    sms: OutgoingSMS,
    *,
    username: str,
    password: str,
    sender: str,
    dlr_url: str,
    dlr_mask: int,
    smsc: str = "",
) -> str:
    """The URL-encoded query of one ``/cgi-bin/sendsms`` request."""
    params = {
        "username": username,
        "password": password,
        "to": sms.to,
        "text": sms.text,
        "coding": CODING[sms.encoding],
        "charset": "UTF-8",
        "dlr-mask": str(dlr_mask),
        "dlr-url": dlr_url,
    }
    source = sms.source or sender
    if source:
        params["from"] = source
    if smsc:
        params["smsc"] = smsc
    return urlencode(params)


def classify(status: int, body: str) -> tuple[bool, bool, str]:
    """(ok, temporary, error) for a sendsms HTTP answer. 2xx: accepted; 5xx (Kannel's "503 Temporal
    failure", queue full): try again later; 4xx (bad auth, bad number, missing field): permanent."""
    if 200 <= status < 300:
        return True, False, ""
    error = f"kannel HTTP {status}: {body.strip()[:200]}"
    return False, status >= 500, error


class KannelTransport(Transport):
    scheme = "kannel"
    reports_over_http = True
    mo_over_http = True

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        password: str,
        *,
        name: str = "kannel",
        sender: str = "",
        smsc: str = "",
        dlr_url: str = "http://127.0.0.1:8000/sms/dlr",
        dlr_mask: int = DEFAULT_DLR_MASK,
        token: str = "",
        timeout: float = 10.0,
        concurrency: int = 10,
        down_after: int = 3,
        probe_interval: float = 5.0,
        https: bool = False,
    ) -> None:
        self.name = name
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.sender, self.smsc = sender, smsc
        self.dlr_url, self.dlr_mask, self.token = dlr_url, dlr_mask, token
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.batch_size = self.concurrency
        self.down_after = max(1, down_after)
        self.probe_interval = probe_interval
        self.https = https
        self._local = threading.local()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._conn_failures = 0
        self._last_probe = 0.0
        self.last_error = ""
        self.counters = {"accepted": 0, "failed": 0, "temporary": 0}

    @classmethod
    def from_url(cls, url: str) -> KannelTransport:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not parts.hostname:
            raise ValueError("kannel:// URL without a host (kannel://user:password@host:13013?…)")
        dlr_url = query.get("dlr_url") or _default_dlr_url()
        return cls(
            host=parts.hostname,
            port=parts.port or 13013,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            name=query.get("name", "kannel"),
            sender=query.get("from", ""),
            smsc=query.get("smsc", ""),
            dlr_url=dlr_url,
            dlr_mask=int(query.get("dlr_mask", DEFAULT_DLR_MASK)),
            token=query.get("token") or _default_token(),
            timeout=float(query.get("timeout", 10)),
            concurrency=int(query.get("concurrency", 10)),
            down_after=int(query.get("down_after", 3)),
            probe_interval=float(query.get("probe_interval", 5)),
            https=parts.scheme == "kannels",
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"kannel-{self.name}")
            return self._pool

    # --- sending -----------------------------------------------------------------------------

    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        pool = self._executor()
        return gather([pool.submit(self._send_one, sms) for sms in batch])

    def _send_one(self, sms: OutgoingSMS) -> SendResult:
        remote_id = make_remote_id(sms.message_id)
        query = sendsms_query(
            sms,
            username=self.username,
            password=self.password,
            sender=self.sender,
            dlr_url=dlr_callback_url(self.dlr_url, remote_id, self.name, self.token),
            dlr_mask=self.dlr_mask,
            smsc=self.smsc,
        )
        try:
            status, body = self._get(f"/cgi-bin/sendsms?{query}")
        except (OSError, http.client.HTTPException) as e:
            error = f"kannel unreachable: {type(e).__name__}: {e}"[:255]
            self._connection_failed(error)
            self.counters["temporary"] += 1
            return SendResult(sms.message_id, False, temporary=True, error=error)
        self._connection_ok()
        ok, temporary, error = classify(status, body)
        if ok:
            self.counters["accepted"] += 1
            return SendResult(sms.message_id, True, (remote_id,))
        self.last_error = error
        self.counters["temporary" if temporary else "failed"] += 1
        return SendResult(sms.message_id, False, temporary=temporary, error=error)

    def _new_connection(self) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _get(self, path: str) -> tuple[int, str]:
        """One GET on this thread's keep-alive connection. A reused connection that the server had
        already closed (idle keep-alive) fails before anything was read: that one case is retried on a
        fresh connection; any other failure is reported, never silently repeated."""
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        reused = conn is not None
        if conn is None:
            conn = self._local.conn = self._new_connection()
        try:
            return self._request(conn, path)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conn.close()
            self._local.conn = None
            if not reused:
                raise
        conn = self._local.conn = self._new_connection()
        return self._request(conn, path)

    def _request(self, conn: http.client.HTTPConnection, path: str) -> tuple[int, str]:
        try:
            conn.request("GET", path, headers={"Connection": "keep-alive"})
            response = conn.getresponse()
            body = response.read().decode("utf-8", "replace")
        except BaseException:
            conn.close()
            self._local.conn = None
            raise
        if response.will_close:
            conn.close()
            self._local.conn = None
        return response.status, body

    # --- health ------------------------------------------------------------------------------

    def _connection_failed(self, error: str) -> None:
        with self._lock:
            self._conn_failures += 1
            self.last_error = error
            if self._conn_failures == self.down_after:
                log.warning("kannel connection %s down after %d failures: %s", self.name, self._conn_failures, error)

    def _connection_ok(self) -> None:
        with self._lock:
            if self._conn_failures >= self.down_after:
                log.info("kannel connection %s is back up", self.name)
            self._conn_failures = 0

    def is_up(self) -> bool:
        """Up unless the last ``down_after`` attempts could not reach Kannel. A down connection probes
        with a bare TCP connect at most every ``probe_interval`` seconds (cheap, sends nothing)."""
        with self._lock:
            if self._conn_failures < self.down_after:
                return True
            now = time.monotonic()
            if now - self._last_probe < self.probe_interval:
                return False
            self._last_probe = now
        try:
            with socket.create_connection((self.host, self.port), timeout=min(self.timeout, 2.0)):
                pass
        except OSError as e:
            with self._lock:
                self.last_error = f"kannel unreachable: {type(e).__name__}: {e}"[:255]
            return False
        self._connection_ok()
        return True

    def state(self) -> dict:
        return {
            **super().state(),
            "bound": self._conn_failures < self.down_after,
            "last_error": self.last_error,
            **self.counters,
        }


def _default_token() -> str:
    """``MOTCUA_GATEWAY_TOKEN`` when Django is configured: the dlr-url must carry what /sms/dlr expects."""
    try:
        from django.conf import settings

        return settings.MOTCUA.get("GATEWAY_TOKEN", "")
    except Exception:  # used outside Django (scripts)
        return ""


def _default_dlr_url() -> str:
    """``<MOTCUA_PUBLIC_URL>/sms/dlr`` when Django is configured (the usual case), else localhost."""
    try:
        from django.conf import settings

        base = settings.MOTCUA["PUBLIC_URL"]
    except Exception:  # used outside Django (scripts): fall back to the dev server
        base = "http://127.0.0.1:8000"
    return base.rstrip("/") + "/sms/dlr"
