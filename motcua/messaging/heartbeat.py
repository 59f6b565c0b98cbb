"""The worker's heartbeat: what each of its connections reports, written where the web processes can read it.

The web processes hold no SMPP bind themselves (the worker does), so they cannot ask a transport whether it
is up. Every worker writes what its transports report into ``ConnectionStatus`` on each housekeeping pass;
``/healthz`` and ``/metrics`` read those rows, and a row older than a minute means the worker stopped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from motcua.messaging.models import ConnectionStatus
from motcua.messaging.transports.base import Transport

FORGET_AFTER = timedelta(days=1)  # rows of workers that stopped for good (every restart has a new pid)
STATE_FIELDS = {"name", "scheme", "up", "last_error", "bound_since", "sent", "failed"}


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        parsed = parse_datetime(value)
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed
    return None


def _json_safe(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def status_fields(state: dict) -> dict:
    """Map a ``Transport.state()`` dict onto ``ConnectionStatus`` columns; unknown keys go to ``details``."""
    return {
        "scheme": str(state.get("scheme") or "")[:16],
        "up": bool(state.get("up")),
        "last_error": str(state.get("last_error") or "")[:255],
        "bound_since": _as_datetime(state.get("bound_since")),
        "sent": int(state.get("sent") or 0),
        "failed": int(state.get("failed") or 0),
        "details": {k: _json_safe(v) for k, v in state.items() if k not in STATE_FIELDS},
    }


def record_connection_states(worker_name: str, transports: list[Transport], now: datetime | None = None) -> int:
    """Upsert one heartbeat row per transport; returns rows written.

    A transport whose ``state()`` raises is recorded as down with the error, so a bug in a status method
    shows on /healthz instead of stopping the worker.
    """
    now = now or timezone.now()
    for transport in transports:
        try:
            state = transport.state()
        except Exception as e:  # a status method must never stop the sending loop
            state = {"scheme": transport.scheme, "up": False, "last_error": f"state(): {e!r}"}
        ConnectionStatus.objects.update_or_create(
            name=transport.name[:64], worker=worker_name[:120], defaults={**status_fields(state), "updated_at": now}
        )
    ConnectionStatus.objects.filter(updated_at__lt=now - FORGET_AFTER).delete()
    return len(transports)
