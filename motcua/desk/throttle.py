"""Login throttling: after ``LIMIT`` failures for one username from one address, wait ``WINDOW``.

Keyed by username *and* IP so that somebody guessing from one place cannot lock a colleague out
everywhere. Counts live in Django's cache; with several web processes configure a shared cache
(database or Redis), otherwise each process counts on its own.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

LIMIT = 5
WINDOW = 15 * 60


def _limits() -> tuple[int, int]:
    conf = getattr(settings, "MOTCUA", {})
    return int(conf.get("LOGIN_FAILURE_LIMIT", LIMIT)), int(conf.get("LOGIN_FAILURE_WINDOW", WINDOW))


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR only: X-Forwarded-For is trivially forged unless a known proxy sets it."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()[:32]
    return f"motcua:login-fail:{digest}"


def is_locked(username: str, ip: str) -> bool:
    limit, _ = _limits()
    return cache.get(_key(username, ip), 0) >= limit


def record_failure(username: str, ip: str) -> int:
    _, window = _limits()
    key = _key(username, ip)
    if cache.add(key, 1, window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def reset(username: str, ip: str) -> None:
    cache.delete(_key(username, ip))




def locked_message() -> str:
    _, window = _limits()
    return f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {max(window // 60, 1)} phút."
