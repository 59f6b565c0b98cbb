"""Zalo ZNS (Zalo Notification Service): the agency's approved templates, sent from its Official Account.

URL (in ``MOTCUA_SMS_URL``, beside the SMS connections)::

    zns://?name=zns&batch=20&concurrency=4&timeout=10
    zns://?api=http://127.0.0.1:9000&oauth=http://127.0.0.1:9000     (a test peer)

The secrets are settings, never part of the URL (which the status page shows): ``MOTCUA_ZNS_APP_ID``,
``MOTCUA_ZNS_APP_SECRET`` (the app's secret key, for the token endpoint), ``MOTCUA_ZNS_OA_SECRET_KEY``
(checks the webhook's signature) and ``MOTCUA_ZNS_REFRESH_TOKEN`` (seeds the token row, see ``tokens``).

The worker thread does everything that touches the database (the token) in ``submit``; the sends, plain
HTTP, run on a small thread pool. What an answer means for the notice (``domain.zns.classify``):

* accepted (``error`` 0): a result with Zalo's ``msg_id`` as the remote id; the ``user_received_message``
  webhook (``/zalo/webhook``) later marks it delivered;
* the person cannot get it, or the OA cannot send it (no Zalo, refuses ZNS, quota, template): a permanent
  failure: the worker sends the SMS at once;
* no readable answer (timeout, refused, 5xx), ``-100``, or a refused access token: temporary; ZNS is tried
  again with backoff, and the SMS goes when the tries are used up. After a timeout or a 5xx Zalo may have
  accepted the message: that is the only way a citizen can get a notice on both channels.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

from motcua.domain.zns import Outcome, classify
from motcua.messaging.transports.base import OutgoingSMS, SendResult, Transport, done, gather
from motcua.messaging.transports.zns.client import (
    DEFAULT_API,
    DEFAULT_OAUTH,
    SendAnswer,
    TokenRefused,
    ZnsClient,
    ZnsUnavailable,
)
from motcua.messaging.transports.zns.tokens import TokenStore

log = logging.getLogger(__name__)


class ZnsTransport(Transport):
    scheme = "zns"
    channel = "zns"
    # Delivery events come to /zalo/webhook, signed by Zalo: not through the SMS gateway (/sms/dlr), so
    # neither the gateway token nor the gateway connection names concern this transport.

    def __init__(self, name: str = "zns", client: ZnsClient | None = None, batch_size: int = 20,
                 concurrency: int = 4, seed_refresh_token: str | None = None) -> None:
        self.name = name
        self.batch_size = batch_size
        zns = settings.MOTCUA
        self.client = client or ZnsClient(zns["ZNS_APP_ID"], zns["ZNS_APP_SECRET"])
        seed = zns["ZNS_REFRESH_TOKEN"] if seed_refresh_token is None else seed_refresh_token
        self.tokens = TokenStore(name, self.client, seed)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"zns-{name}")
        self._lock = threading.Lock()
        self._stale = ""  # an access token Zalo refused: the next submit refreshes it
        self.counters = {"accepted": 0, "refused": 0, "unknown": 0}
        self.remaining_quota: int | None = None
        self.last_error = ""

    @classmethod
    def from_url(cls, url: str) -> ZnsTransport:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        zns = settings.MOTCUA
        client = ZnsClient(
            zns["ZNS_APP_ID"], zns["ZNS_APP_SECRET"],
            api=query.get("api", DEFAULT_API), oauth=query.get("oauth", DEFAULT_OAUTH),
            timeout=float(query.get("timeout", "10")),
        )
        return cls(name=query.get("name", parts.netloc or "zns"), client=client,
                   batch_size=int(query.get("batch", "20")), concurrency=int(query.get("concurrency", "4")))

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def submit(self, batch: Sequence[OutgoingSMS]) -> Future[list[SendResult]]:
        with self._lock:
            stale, self._stale = self._stale, ""
        try:
            token = self.tokens.access_token(stale=stale)
        except ZnsUnavailable as e:
            self.last_error = f"token endpoint: {e}"
            return done([SendResult(m.message_id, False, temporary=True, error=f"ZNS token: {e}") for m in batch])
        except TokenRefused as e:
            # Every send would be refused: the notices go by SMS now rather than after the retries.
            self.last_error = f"refresh token refused: {e}"
            log.error("ZNS %s: the refresh token was refused (%s); notices go by SMS until a new one is set",
                      self.name, e)
            return done([SendResult(m.message_id, False, error=f"ZNS token refused: {e}"[:255]) for m in batch])
        return gather([self._pool.submit(self._send_one, sms, token) for sms in batch])

    def _send_one(self, sms: OutgoingSMS, token: str) -> SendResult:
        try:
            answer = self.client.send(token, sms.to, sms.template_id, sms.template_data or {}, str(sms.message_id))
        except ZnsUnavailable as e:
            self.counters["unknown"] += 1
            self.last_error = str(e)
            return SendResult(sms.message_id, False, temporary=True, error=f"ZNS outcome unknown: {e}")
        except Exception as e:  # the future must never fail: an unexpected error is retried
            log.exception("ZNS send of message %s failed", sms.message_id)
            return SendResult(sms.message_id, False, temporary=True, error=f"ZNS outcome unknown: {type(e).__name__}")
        return self._result(sms, token, answer)

    def _result(self, sms: OutgoingSMS, token: str, answer: SendAnswer) -> SendResult:
        if answer.remaining_quota is not None:
            self.remaining_quota = answer.remaining_quota
        error = f"ZNS {answer.error} {answer.message}".strip()[:255]
        if answer.error == 0:
            if not answer.msg_id:
                self.counters["unknown"] += 1
                return SendResult(sms.message_id, False, temporary=True, error="ZNS outcome unknown: no msg_id")
            self.counters["accepted"] += 1
            return SendResult(sms.message_id, True, (answer.msg_id,))
        self.counters["refused"] += 1
        self.last_error = error
        outcome = classify(answer.error)
        if outcome is Outcome.TOKEN:
            with self._lock:
                self._stale = token
            return SendResult(sms.message_id, False, temporary=True, error=error)
        if outcome is Outcome.ACCOUNT:
            log.error("ZNS %s cannot send until the OA or app is seen to: %s", self.name, error)
        return SendResult(sms.message_id, False, temporary=outcome is Outcome.TEMPORARY, error=error)

    def state(self) -> dict:
        return {**super().state(), "sent": self.counters["accepted"], "failed": self.counters["refused"],
                "unknown": self.counters["unknown"], "remaining_quota": self.remaining_quota,
                "last_error": self.last_error}
