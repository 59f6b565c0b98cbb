"""``motcua callbacks``: the one long-running loop that POSTs events to the one-stop software.

It runs in its own process (or its own thread in ``motcua demo``), never in a web request and never in
the SMS worker's loop: an endpoint that is dead or slow costs this loop its time, and no SMS waits for it.

Each pass:

1. housekeeping every few seconds: put back events a killed sender left in ``sending`` (after
   ``CALLBACK_STUCK_AFTER``), delete old delivered and given-up events and those of deleted subscriptions;
2. record what the requests in flight gave: 2xx is delivered; anything else (an error status, a
   refused connection, a time-out, a TLS failure) is tried again with exponential backoff until
   ``give_up_at`` (24 h after the event), when the event is given up (``failed``);
3. claim due events with a conditional UPDATE (``pending`` → ``sending`` with our claim token), only the
   first open event of each (subscription, message), so one message's events arrive in the order of
   its changes; at most ``CALLBACK_IN_FLIGHT`` requests in all and ``CALLBACK_IN_FLIGHT_PER_URL`` to one
   subscription, so a dead endpoint holds few threads and the others' events still go.

Requests run on a thread pool and do nothing but HTTP; every database write is the loop's. Delivery is at
least once: a sender killed after the receiver accepted an event, before recording it, sends it again.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from motcua.callbacks import signing
from motcua.callbacks.models import OPEN_STATES, Event, EventState, Subscription, check_url

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY = 5.0  # seconds
CLEANUP_EVERY = 600.0  # seconds: deleting old events scans more than the rest of housekeeping
USER_AGENT = "motcua-callbacks/1"
FIRST_RETRY = 10  # seconds; doubled on each failure
LONGEST_RETRY = 3600


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … doubling up to an hour between tries."""
    return timedelta(seconds=min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY))


class DeliveryError(Exception):
    """Why a POST was not accepted, in words fit for the desk (no URL, no secret, no body)."""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST ``body``; returns if the answer is 2xx, else raises DeliveryError.

    ``timeout`` bounds the whole request, not each socket operation: a receiver that answers one byte
    at a time is cut off as surely as one that never answers. Redirects are not followed (a callback
    address that moved is for an administrator to change)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, cut_off)
    timer.daemon = True
    timer.start()
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        status = response.status
        response.read(4096)
    except TimeoutError as e:
        raise DeliveryError(f"không trả lời trong {timeout:g} giây") from e
    except ssl.SSLError as e:
        raise DeliveryError(f"lỗi TLS: {e.reason or type(e).__name__}") from e
    except ConnectionRefusedError as e:
        raise DeliveryError("từ chối kết nối") from e
    except (OSError, http.client.HTTPException) as e:
        if expired.is_set():
            raise DeliveryError(f"không trả lời trong {timeout:g} giây") from e
        raise DeliveryError(f"lỗi kết nối: {type(e).__name__}") from e
    finally:
        timer.cancel()
        conn.close()
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")


@dataclass(frozen=True)
class Claimed:
    event_id: int
    subscription_id: int
    claim: str


class Sender:
    def __init__(
        self,
        clock: Callable[[], datetime] = timezone.now,
        poster: Callable[[str, bytes, dict[str, str], float], None] = post,
        name: str = "callbacks",
    ) -> None:
        conf = settings.MOTCUA
        self.clock = clock
        self.poster = poster
        self.name = name
        self.timeout = float(conf["CALLBACK_TIMEOUT"])
        self.max_in_flight = max(1, int(conf["CALLBACK_IN_FLIGHT"]))
        self.per_subscription = max(1, int(conf["CALLBACK_IN_FLIGHT_PER_URL"]))
        self.pool = ThreadPoolExecutor(self.max_in_flight, thread_name_prefix="callback")
        self.in_flight: dict[Future[None], Claimed] = {}
        self.last_housekeeping = float("-inf")
        self.last_cleanup = float("-inf")
        self.stats: Counter[str] = Counter()

    # --- the loop ----------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, poll: float = 1.0) -> None:
        """Run passes until ``stop`` is set. A pass that fails (the database restarted) is retried
        after two seconds on a fresh connection; what it had claimed is sent again (at least once)."""
        log.info("callback sender %s started", self.name)
        try:
            while not stop.is_set():
                try:
                    busy = self.tick()
                except Exception:
                    log.exception("callback pass failed; retrying")
                    close_old_connections()
                    connection.close()
                    stop.wait(2)
                    continue
                if not busy and not stop.is_set():
                    if self.in_flight:
                        wait(list(self.in_flight), timeout=poll, return_when=FIRST_COMPLETED)
                    else:
                        stop.wait(poll)
        finally:
            self.close()

    def close(self) -> None:
        """Wait for the requests in flight (each is bounded by the time-out) and record them."""
        if self.in_flight:
            wait(list(self.in_flight))
            try:
                self.collect()
            except Exception:  # they are put back in the queue after CALLBACK_STUCK_AFTER
                log.exception("recording the last callbacks failed")
        self.pool.shutdown(wait=True)

    def tick(self) -> int:
        """One pass: returns how much was done (0: idle)."""
        now = self.clock()
        if time.monotonic() - self.last_housekeeping >= HOUSEKEEPING_EVERY:
            self.housekeeping(now)
            self.last_housekeeping = time.monotonic()
        done = self.collect()
        return done + self.claim_and_post(self.clock())

    def drain(self) -> int:
        """Claim, post and record until nothing is due (for tests and one-off runs): one pass at a time,
        waiting for each pass's requests."""
        total = 0
        while True:
            started = self.claim_and_post(self.clock())
            if self.in_flight:
                wait(list(self.in_flight))
            finished = self.collect()
            total += finished
            if not started and not finished:
                return total

    # --- claiming and posting ----------------------------------------------------------------

    def claim(self, now: datetime, limit: int) -> list[Event]:
        """Due events that are the first open one of their (subscription, message), within the per-
        subscription bound, marked ours by a conditional UPDATE.

        Subscriptions already at their bound are left out of the query itself, so a backlog at one dead
        address never fills the candidates and hides the other addresses' events."""
        busy = Counter(c.subscription_id for c in self.in_flight.values())
        full = {sid for sid, n in busy.items() if n >= self.per_subscription}
        earlier = Event.objects.filter(
            subscription_id=OuterRef("subscription_id"),
            message_id=OuterRef("message_id"),
            id__lt=OuterRef("id"),
            state__in=OPEN_STATES,
        )
        due = Event.objects.filter(state=EventState.PENDING, next_at__lte=now).exclude(Exists(earlier))
        chosen: list[int] = []
        while len(chosen) < limit:
            candidates = (
                due.exclude(subscription_id__in=full).exclude(id__in=chosen)
                .order_by("next_at", "id").values_list("id", "subscription_id")[: (limit - len(chosen)) * 4]
            )
            before = len(chosen)
            for event_id, subscription_id in candidates:
                if subscription_id in full:
                    continue
                busy[subscription_id] += 1
                chosen.append(event_id)
                if busy[subscription_id] >= self.per_subscription:
                    full.add(subscription_id)
                if len(chosen) >= limit:
                    break
            if len(chosen) == before:
                break
        if not chosen:
            return []
        token = uuid.uuid4().hex
        Event.objects.filter(id__in=chosen, state=EventState.PENDING).update(
            state=EventState.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
        )
        return list(Event.objects.filter(claim=token, state=EventState.SENDING).select_related("subscription"))

    def claim_and_post(self, now: datetime) -> int:
        free = self.max_in_flight - len(self.in_flight)
        if free <= 0:
            return 0
        events = self.claim(now, free)
        for event in events:
            self.in_flight[self.pool.submit(self.deliver, event)] = Claimed(
                event.pk, event.subscription_id, event.claim
            )
        return len(events)

    def deliver(self, event: Event) -> None:
        """One POST (on a pool thread: no database here)."""
        subscription = event.subscription
        try:
            url = check_url(subscription.url)  # a setting may have changed since it was saved
        except Exception as e:
            raise DeliveryError("địa chỉ callback không còn được phép (cần https://)") from e
        body = event.body.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            signing.HEADER: signing.header(subscription.secret, int(time.time()), body),
            signing.EVENT_HEADER: event_id_of(event),
        }
        self.poster(url, body, headers, self.timeout)

    def collect(self) -> int:
        """Record the requests that have finished."""
        finished = [f for f in self.in_flight if f.done()]
        if not finished:
            return 0
        now = self.clock()
        delivered: list[Claimed] = []
        failures: list[tuple[Claimed, str]] = []
        for future in finished:
            claimed = self.in_flight.pop(future)
            error = future.exception()
            if error is None:
                delivered.append(claimed)
            else:
                failures.append((claimed, str(error) if isinstance(error, DeliveryError) else type(error).__name__))
        with transaction.atomic():
            for claimed in delivered:
                Event.objects.filter(pk=claimed.event_id, state=EventState.SENDING, claim=claimed.claim).update(
                    state=EventState.DONE, done_at=now, last_error="", claim=""
                )
            for claimed, error in failures:
                self.record_failure(claimed, error, now)
        self.stats["delivered"] += len(delivered)
        self.stats["failed_attempts"] += len(failures)
        return len(finished)

    def record_failure(self, claimed: Claimed, error: str, now: datetime) -> None:
        """Try again after the backoff, the last time at ``give_up_at``; after that, give up."""
        row = Event.objects.filter(pk=claimed.event_id, state=EventState.SENDING, claim=claimed.claim).values(
            "attempts", "give_up_at"
        ).first()
        if row is None:
            return  # requeued meanwhile: whoever holds it now records it
        mine = Event.objects.filter(pk=claimed.event_id, state=EventState.SENDING, claim=claimed.claim)
        if now >= row["give_up_at"]:
            mine.update(state=EventState.FAILED, last_error=error[:255], claim="", done_at=now)
            self.stats["given_up"] += 1
            log.warning("callback event %s to subscription %s given up after %d attempts: %s",
                        claimed.event_id, claimed.subscription_id, row["attempts"], error)
            return
        next_at = min(now + backoff(row["attempts"]), row["give_up_at"])
        mine.update(state=EventState.PENDING, next_at=next_at, last_error=error[:255], claim="")
        log.info("callback event %s to subscription %s failed (%s); next try %s",
                 claimed.event_id, claimed.subscription_id, error, next_at.isoformat())

    # --- housekeeping ------------------------------------------------------------------------

    def housekeeping(self, now: datetime) -> None:
        conf = settings.MOTCUA
        stuck = Event.objects.filter(
            state=EventState.SENDING, claimed_at__lt=now - timedelta(seconds=conf["CALLBACK_STUCK_AFTER"])
        ).exclude(claim__in=[c.claim for c in self.in_flight.values()])
        requeued = stuck.update(state=EventState.PENDING, claim="", next_at=now)
        if requeued:
            log.warning("requeued %d callback events left in 'sending' by a stopped sender", requeued)
        if time.monotonic() - self.last_cleanup >= CLEANUP_EVERY:
            self.last_cleanup = time.monotonic()
            old = now - timedelta(days=conf["CALLBACK_KEEP_DAYS"])
            Event.objects.filter(created_at__lt=old, state__in=[EventState.DONE, EventState.FAILED]).delete()
            Event.objects.exclude(subscription_id__in=Subscription.objects.values("pk")).delete()


def event_id_of(event: Event) -> str:
    """The body's ``event_id`` without parsing the body: ``<message id>:<status or "lookup">``."""
    return f"{event.message_id}:{'lookup' if event.type == 'lookup' else event.status}"
