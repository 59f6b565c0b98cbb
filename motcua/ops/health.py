"""Health of the service as the web process can see it: the database, and each SMS connection through the
workers' heartbeats (``motcua.messaging.heartbeat``). A heartbeat older than ``STALE_AFTER`` means the worker
stopped and the connection's state is unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from motcua.messaging.connections import Router
from motcua.messaging.models import ConnectionStatus

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(seconds=60)


@lru_cache(maxsize=4)
def _configured(sms_url: str) -> tuple[tuple[str, str], ...]:
    return tuple((t.name, t.scheme) for t in Router.from_setting(sms_url).transports)


def configured_connections() -> list[tuple[str, str]]:
    """(name, scheme) of each connection in ``MOTCUA_SMS_URL``; transports are built, never started."""
    return list(_configured(settings.MOTCUA["SMS_URL"]))


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except DatabaseError:
        log.warning("health check: database unreachable", exc_info=True)
        return False


@dataclass(frozen=True)
class ConnectionHealth:
    name: str
    scheme: str
    state: str  # up / down / unknown
    binds_up: int
    binds: int
    workers: list[dict]

    @property
    def up(self) -> bool | None:
        return {"up": True, "down": False}.get(self.state)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "scheme": self.scheme,
            "up": self.up,
            "state": self.state,
            "binds_up": self.binds_up,
            "binds": self.binds,
            "workers": self.workers,
        }


def connection_health(
    rows: list[ConnectionStatus], configured: list[tuple[str, str]], now: datetime
) -> list[ConnectionHealth]:
    """Combine heartbeat rows into one verdict per configured connection.

    Up when at least one worker with a fresh heartbeat has it bound; down when fresh heartbeats exist and
    none is bound; unknown when no worker reported within ``STALE_AFTER`` (worker stopped or never started).
    """
    result = []
    for name, scheme in configured:
        mine = [r for r in rows if r.name == name]
        fresh = [r for r in mine if now - r.updated_at <= STALE_AFTER]
        binds_up = sum(1 for r in fresh if r.up)
        state = "unknown" if not fresh else "up" if binds_up else "down"
        workers = [
            {
                "worker": r.worker,
                "up": r.up if r in fresh else None,
                "stale": r not in fresh,
                "last_error": r.last_error,
                "bound_since": r.bound_since.isoformat() if r.bound_since else None,
                "sent": r.sent,
                "failed": r.failed,
                "updated_at": r.updated_at.isoformat(),
                "age_seconds": round((now - r.updated_at).total_seconds(), 1),
                **{k: v for k, v in r.details.items() if k not in ("name", "scheme", "up")},
            }
            for r in mine
        ]
        result.append(ConnectionHealth(name, scheme, state, binds_up, len(fresh), workers))
    return result


def health_report(now: datetime | None = None) -> dict:
    """The /healthz body. ``ok`` is the database only: a connection down is serious but the web still works."""
    now = now or timezone.now()
    database_ok = check_database()
    rows: list[ConnectionStatus] = []
    if database_ok:
        try:
            rows = list(ConnectionStatus.objects.all())
        except DatabaseError:
            database_ok = False
    try:
        configured = configured_connections()
        config_error = ""
    except Exception as e:  # a bad MOTCUA_SMS_URL must show here, not crash the probe
        configured, config_error = [], str(e)
    report = {
        "database": "ok" if database_ok else "error",
        "connections": [c.as_dict() for c in connection_health(rows, configured, now)],
        "checked_at": now.isoformat(),
    }
    if config_error:
        report["connections_error"] = config_error
    return report
