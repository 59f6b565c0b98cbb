"""Writing the events: receivers of messaging's signals, inside the transaction of each change.

The path they sit on is the SMS path (every status change of every message), so with no callback URL
configured they cost one look at a process-local cache and nothing else. Who listens is read again from
the database at most every ``AUDIENCE_TTL`` seconds: a callback URL set in the desk takes effect in every
process within that time.

A receiver must never undo the change it was told about: an SMS outcome that is not recorded is an SMS
sent twice. So its writes run in a savepoint, and if they fail the event is logged as lost and the
change commits without it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from motcua.callbacks import payload
from motcua.callbacks.models import Event, Subscription, give_up_time
from motcua.messaging.models import IncomingMessage, Message

log = logging.getLogger(__name__)
AUDIENCE_TTL = 5.0  # seconds


@dataclass(frozen=True)
class Audience:
    """The subscriptions and the agencies each may see (``None``: a province key sees all)."""

    scopes: tuple[tuple[int, frozenset[int] | None], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.scopes)

    def seeing(self, agency_id: int | None) -> list[int]:
        return [sid for sid, scope in self.scopes if scope is None or agency_id in scope]


_lock = threading.Lock()
_cached: tuple[float, Audience] = (float("-inf"), Audience())


def load_audience() -> Audience:
    subscriptions = Subscription.objects.filter(api_key__revoked_at__isnull=True).select_related("api_key__agency")
    scopes = []
    for sub in subscriptions:
        ids = sub.api_key.agency_ids()
        scopes.append((sub.pk, None if ids is None else frozenset(ids)))
    return Audience(tuple(scopes))


def audience() -> Audience:
    """Who listens now, read from the database at most every ``AUDIENCE_TTL`` seconds per process."""
    global _cached
    loaded_at, value = _cached
    if time.monotonic() - loaded_at < AUDIENCE_TTL:
        return value
    with _lock:
        loaded_at, value = _cached
        if time.monotonic() - loaded_at >= AUDIENCE_TTL:
            value = load_audience()
            _cached = (time.monotonic(), value)
    return value


def forget() -> None:
    """Read who listens again at the next change (a subscription changed in this process)."""
    global _cached
    _cached = (float("-inf"), Audience())


def agency_of(message: Message) -> int | None:
    """The agency whose keys see a message: its own (a lookup reply: the first dossier's asked about),
    else its dossier's."""
    return message.agency_id or (message.dossier.agency_id if message.dossier_id else None)


def _events(subscription_ids: Iterable[int], message: Message, type_: str, body: dict) -> list[Event]:
    text = payload.dumps(body)
    now = timezone.now()
    return [
        Event(subscription_id=sid, message_id=message.pk, type=type_, status=message.status, body=text,
              created_at=now, next_at=now, give_up_at=give_up_time(now))
        for sid in subscription_ids
    ]


def _write(build, what: str) -> None:
    """Run ``build`` (returns events) and insert them in a savepoint; a failure costs the events, never
    the change."""
    try:
        with transaction.atomic():
            events = build()
            if events:
                Event.objects.bulk_create(events, batch_size=500)
    except Exception:
        log.exception("callback events for %s not recorded", what)


def on_status_changed(
    sender: object,
    ids: list[int] | None = None,
    causes: list[str] | None = None,
    status: str | None = None,
    at: datetime | None = None,
    **kwargs: object,
) -> None:
    """Receiver of ``messaging.signals.message_status_changed`` (see there for the arguments)."""
    if not (ids or causes):
        return
    listeners = audience()
    if not listeners:
        return

    def build() -> list[Event]:
        rows = Message.objects.select_related("dossier").only(*payload.MESSAGE_FIELDS)
        rows = rows.filter(id__in=ids) if ids else rows.filter(cause__in=causes)
        if status is not None:
            rows = rows.filter(status=status)
        events: list[Event] = []
        for message in rows.order_by("id"):
            if at is not None and payload.occurred_at(message) != at:
                continue  # somebody else made this change, and told it
            seeing = listeners.seeing(agency_of(message))
            if seeing:
                events += _events(seeing, message, payload.MESSAGE_STATUS, payload.status_event(message))
        return events

    _write(build, f"status {status or 'new'}")


def on_mo_answered(sender: object, incoming: IncomingMessage, reply: Message, **kwargs: object) -> None:
    """Receiver of ``messaging.signals.mo_answered``: one ``lookup`` event for the keys that see the reply."""
    listeners = audience()
    if not listeners:
        return

    def build() -> list[Event]:
        seeing = listeners.seeing(reply.agency_id)
        return _events(seeing, reply, payload.LOOKUP, payload.lookup_event(incoming, reply)) if seeing else []

    _write(build, "lookup")
