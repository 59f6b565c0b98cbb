"""A count of events per key within a fixed window that opens at the first event, in Django's cache.

Why not ``cache.add`` + ``cache.incr``: on the database cache (the one every web process shares,
see settings.CACHES) ``incr`` is a read and a write that resets the key's lifetime to the default
300 s, so a 60-second window would never close while the client kept trying. Storing the window's
start next to the count, and writing the key with the time the window has left, keeps the window
exact on every backend. Two requests from one client at the same instant may both read the same
count (no cache offers an atomic increment *and* expiry here); a limit then lets one extra try
through, never fewer.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def count(key: str, window: int, now: float | None = None) -> tuple[int, int]:
    """Count one event; return (events in the current window including this one, seconds it has left)."""
    now = int(time.time() if now is None else now)
    since, seen = cache.get(key) or (now, 0)
    if now - since >= window:
        since, seen = now, 0
    left = max(since + window - now, 1)
    cache.set(key, (since, seen + 1), timeout=left)
    return seen + 1, left


def peek(key: str) -> int:
    """Events counted in the current window (0 once it has passed)."""
    entry = cache.get(key)
    return entry[1] if entry else 0


def forget(key: str) -> None:
    cache.delete(key)
