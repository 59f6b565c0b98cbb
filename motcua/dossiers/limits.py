"""Bounds on what one API key may create: records per sync request, new dossiers per minute.

Why: one request with an agency's key once created a thousand dossiers at once. A bound per key keeps a
leaked or misbehaving key from flooding the desk and the receipt series before anyone notices, and a
bounded batch keeps one request from holding the database for minutes. Both are settings
(``MOTCUA_SYNC_MAX_RECORDS``, ``MOTCUA_NEW_DOSSIERS_PER_MINUTE``); the counter is in Django's cache, the
one every web process shares, with the window kept as in :mod:`motcua.common.ratelimit`.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

WINDOW = 60


def max_records() -> int:
    return int(settings.MOTCUA_LIMITS["SYNC_MAX_RECORDS"])


def per_minute() -> int:
    return int(settings.MOTCUA_LIMITS["NEW_DOSSIERS_PER_MINUTE"])


def _key(key_id: int) -> str:
    return f"motcua:new-dossiers:{key_id}"


def take(key_id: int, wanted: int, now: float | None = None) -> tuple[bool, int]:
    """Reserve ``wanted`` new dossiers for a key in the current minute: (granted, seconds the window has
    left). All or nothing, so a batch is either processed whole or answered 429 and sent again later."""
    now = int(time.time() if now is None else now)
    since, seen = cache.get(_key(key_id)) or (now, 0)
    if now - since >= WINDOW:
        since, seen = now, 0
    left = max(since + WINDOW - now, 1)
    if wanted <= 0:
        return True, left
    if seen + wanted > per_minute():
        return False, left
    cache.set(_key(key_id), (since, seen + wanted), timeout=left)
    return True, left


def give_back(key_id: int, count: int) -> None:
    """Return places reserved but not used (records that turned out to exist, or were rejected)."""
    entry = cache.get(_key(key_id))
    if count > 0 and entry:
        since, seen = entry
        cache.set(_key(key_id), (since, max(seen - count, 0)), timeout=max(since + WINDOW - int(time.time()), 1))
