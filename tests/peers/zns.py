"""A stand-in for Zalo's ZNS and OAuth endpoints, for the tests: an HTTP server on 127.0.0.1.

It is built from Zalo's public documentation (docs/INTEGRATION.md lists the pages), not from motcua's
code, and is not Zalo: only what those pages describe, and what the tests need to provoke.

- ``POST /v4/oa/access_token`` (form ``app_id``, ``grant_type=refresh_token``, ``refresh_token``; header
  ``secret_key``): answers ``access_token``, ``refresh_token``, ``expires_in`` (seconds, as a string). A
  refresh token is valid once: using it spends it, and a spent or unknown one gets an error body.
- ``POST /message/template`` (header ``access_token``; JSON ``phone``, ``template_id``, ``template_data``,
  ``tracking_id``): ``{"error": 0, "message": "Success", "data": {"msg_id", "sent_time", "quota"}}``, or
  ``{"error": <code>, "message": ...}``: -124 for an access token that is unknown or expired, the code
  set with ``refuse(phone, code)`` for that phone, and -144 (the OA's daily limit) once ``quota`` sends
  are used up.
- After a send is accepted it posts the OA webhook event ``user_received_message`` to ``webhook_url`` (or
  keeps it in ``pending`` when there is none, for a test to post through Django's test client),
  signed as Zalo signs it (``X-ZEvent-Signature: mac=sha256(app_id + body + timestamp + OA secret key)``):
  at once by default, after ``delay(phone, seconds)``, or never (``never_deliver(phone)``).
- ``slow(seconds)``: answer sends that late; ``fail_5xx(times)``: answer the next sends with 502.

    with ZnsPeer(app_id="app", app_secret="s", oa_secret_key="oa", refresh_token="r0") as peer:
        ... peer.url ... peer.sends ... peer.wait_for(lambda: len(peer.sends) == 2)
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

# The documented codes this peer answers with (zalo.cloud, "Cách xử lý mã lỗi").
PHONE_INVALID = -108
USER_INACTIVE_OR_REFUSES = -114
INSUFFICIENT_BALANCE = -115
OUT_OF_QUOTA = -144  # the OA's daily limit
TEMPLATE_NOT_ALLOWED = -117
NO_ZALO_ACCOUNT = -118
INVALID_ACCESS_TOKEN = -124
UNKNOWN_ERROR = -100
MESSAGES = {
    PHONE_INVALID: "Phone number invalid",
    USER_INACTIVE_OR_REFUSES: "User is inactive, or reject the message, or using an outdated Zalo version",
    INSUFFICIENT_BALANCE: "Tài khoản ZNS không đủ số dư",
    OUT_OF_QUOTA: "OA đã vượt giới hạn gửi ZNS trong ngày",
    TEMPLATE_NOT_ALLOWED: "OA or App does not have permission to access this template",
    NO_ZALO_ACCOUNT: "Zalo account not existed",
    INVALID_ACCESS_TOKEN: "Access token invalid",
    UNKNOWN_ERROR: "Unknown error",
}


def sign(app_id: str, body: str, timestamp: str, oa_secret_key: str) -> str:
    return "mac=" + hashlib.sha256(f"{app_id}{body}{timestamp}{oa_secret_key}".encode()).hexdigest()


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up on a slow answer


class ZnsPeer:
    def __init__(self, app_id: str = "app-1", app_secret: str = "app-secret", oa_secret_key: str = "oa-secret",
                 refresh_token: str = "refresh-0", expires_in: int = 90000, quota: int | None = None) -> None:
        self.app_id, self.app_secret, self.oa_secret_key = app_id, app_secret, oa_secret_key
        self.expires_in = expires_in
        self.quota = quota
        self.webhook_url = ""
        self.lock = threading.Condition()
        self.refresh_tokens = {refresh_token}  # valid, not yet spent
        self.spent: set[str] = set()
        self.access_tokens: dict[str, float] = {}  # token -> monotonic expiry
        self.refreshes: list[str] = []  # refresh tokens spent, in order
        self.refused_refreshes = 0
        self.sends: list[dict] = []  # every send request, with the answer's error and msg_id
        self.webhooks: list[tuple[str, int]] = []  # (msg_id, HTTP status our service answered)
        self.pending: list[tuple[str, dict[str, str]]] = []  # signed events kept when there is no webhook_url
        self.refusals: dict[str, int] = {}
        self.delays: dict[str, float] = {}
        self.undelivered: set[str] = set()
        self.answer_delay = 0.0
        self.token_delay = 0.0  # seconds the token endpoint takes: widens the window of a refresh race
        self.fail_next = 0
        self._timers: list[threading.Timer] = []
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- test controls ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def zns_url(self, **extra: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"api": self.url, "oauth": self.url, "timeout": "5", **extra}.items())
        return f"zns://?{query}"

    def refuse(self, phone: str, code: int) -> None:
        self.refusals[phone] = code

    def delay(self, phone: str, seconds: float) -> None:
        self.delays[phone] = seconds

    def never_deliver(self, phone: str) -> None:
        self.undelivered.add(phone)

    def slow(self, seconds: float) -> None:
        self.answer_delay = seconds

    def fail_5xx(self, times: int) -> None:
        self.fail_next = times

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    def rotate(self) -> str:
        """Refresh as another party would (a worker this test does not see): the current refresh token is
        spent and a new one returned."""
        with self.lock:
            current = next(iter(self.refresh_tokens))
        return self._refresh(current)["refresh_token"]

    def take_pending(self) -> list[tuple[str, dict[str, str]]]:
        with self.lock:
            taken, self.pending = self.pending, []
        return taken

    def accepted(self, phone: str | None = None) -> list[dict]:
        return [s for s in self.sends if s["error"] == 0 and (phone is None or s["phone"] == phone)]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(min(left, 0.1))
        return True

    # --- behaviour ---------------------------------------------------------------------------------

    def _refresh(self, refresh_token: str) -> dict:
        with self.lock:
            if refresh_token not in self.refresh_tokens:
                self.refused_refreshes += 1
                self.lock.notify_all()
                return {"error": -14014 if refresh_token in self.spent else -14002,
                        "error_name": "Invalid refresh token", "error_description": "refresh token is invalid"}
            self.refresh_tokens.discard(refresh_token)
            self.spent.add(refresh_token)
            self.refreshes.append(refresh_token)
            access, new_refresh = "at-" + secrets.token_hex(8), "rt-" + secrets.token_hex(8)
            self.access_tokens[access] = time.monotonic() + self.expires_in
            self.refresh_tokens.add(new_refresh)
            self.lock.notify_all()
            return {"access_token": access, "refresh_token": new_refresh, "expires_in": str(self.expires_in)}

    def _send(self, access_token: str, request: dict) -> dict:
        phone = str(request.get("phone", ""))
        with self.lock:
            record = {"phone": phone, "template_id": request.get("template_id"),
                      "template_data": request.get("template_data"), "tracking_id": request.get("tracking_id"),
                      "error": 0, "msg_id": ""}
            if self.access_tokens.get(access_token, 0) < time.monotonic():
                record["error"] = INVALID_ACCESS_TOKEN
            elif phone in self.refusals:
                record["error"] = self.refusals[phone]
            elif self.quota is not None and self.quota <= 0:
                record["error"] = OUT_OF_QUOTA
            else:
                if self.quota is not None:
                    self.quota -= 1
                record["msg_id"] = secrets.token_hex(16)
            self.sends.append(record)
            self.lock.notify_all()
        if record["error"]:
            return {"error": record["error"], "message": MESSAGES.get(record["error"], "Error")}
        if phone not in self.undelivered:
            self._schedule_webhook(record, self.delays.get(phone, 0.0))
        quota = {} if self.quota is None else {"dailyQuota": "1000", "remainingQuota": str(self.quota)}
        return {"error": 0, "message": "Success",
                "data": {"msg_id": record["msg_id"], "sent_time": str(int(time.time() * 1000)), "quota": quota}}

    def _schedule_webhook(self, record: dict, delay: float) -> None:
        timer = threading.Timer(max(delay, 0.05), self._post_webhook, args=(record,))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def event_body(self, msg_id: str, tracking_id: str = "", timestamp: str | None = None) -> tuple[str, str]:
        timestamp = timestamp or str(int(time.time() * 1000))
        body = json.dumps({
            "event_name": "user_received_message", "app_id": self.app_id, "sender": {"id": "oa-1"},
            "recipient": {"id": "user-" + msg_id[:6]}, "timestamp": timestamp,
            "message": {"msg_id": msg_id, "delivery_time": timestamp, "tracking_id": tracking_id},
        }, separators=(",", ":"))
        return body, timestamp

    def signed_event(self, msg_id: str, tracking_id: str = "") -> tuple[str, dict[str, str]]:
        body, timestamp = self.event_body(msg_id, tracking_id)
        return body, {"X-ZEvent-Signature": sign(self.app_id, body, timestamp, self.oa_secret_key),
                      "Content-Type": "application/json"}

    def _post_webhook(self, record: dict) -> None:
        body, headers = self.signed_event(record["msg_id"], str(record["tracking_id"] or ""))
        if not self.webhook_url:  # the test posts them itself (``take_pending``)
            with self.lock:
                self.pending.append((body, headers))
                self.lock.notify_all()
            return
        status = 0
        try:
            request = urllib.request.Request(self.webhook_url, data=body.encode(), headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=5) as response:
                status = response.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError:
            status = -1
        with self.lock:
            self.webhooks.append((record["msg_id"], status))
            self.lock.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict | None = None) -> None:
                raw = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/v4/oa/access_token":
                    time.sleep(peer.token_delay)
                    form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
                    if self.headers.get("secret_key") != peer.app_secret or form.get("app_id") != peer.app_id:
                        return self._answer(200, {"error": -14001, "error_name": "Invalid app secret key"})
                    if form.get("grant_type") != "refresh_token":
                        return self._answer(200, {"error": -14003, "error_name": "Invalid grant type"})
                    return self._answer(200, peer._refresh(form.get("refresh_token", "")))
                if self.path == "/message/template":
                    if peer.answer_delay:
                        time.sleep(peer.answer_delay)
                    with peer.lock:
                        fail, peer.fail_next = peer.fail_next > 0, max(peer.fail_next - 1, 0)
                    if fail:
                        return self._answer(502, {"error": "bad gateway"})
                    try:
                        request = json.loads(raw)
                    except ValueError:
                        return self._answer(200, {"error": -122, "message": "Body format invalid"})
                    return self._answer(200, peer._send(self.headers.get("access_token", ""), request))
                self._answer(404)

        return Handler

    def __enter__(self) -> ZnsPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for timer in self._timers:
            timer.cancel()
        self._server.shutdown()
        self._server.server_close()
