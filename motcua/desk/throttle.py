"""Login throttling: after ``LIMIT`` failures for one username from one address, wait ``WINDOW``.

Keyed by username *and* IP so that somebody guessing from one place cannot lock a colleague out
everywhere. Counts live in Django's cache, shared by every
web process (a database table, see settings.CACHES).
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from motcua.common import ratelimit

LIMIT = 5
WINDOW = 15 * 60


def _limits() -> tuple[int, int]:
    conf = getattr(settings, "MOTCUA", {})
    return int(conf.get("LOGIN_FAILURE_LIMIT", LIMIT)), int(conf.get("LOGIN_FAILURE_WINDOW", WINDOW))


def _key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()[:32]
    return f"motcua:login-fail:{digest}"


def is_locked(username: str, ip: str) -> bool:
    limit, _ = _limits()
    return ratelimit.peek(_key(username, ip)) >= limit


def record_failure(username: str, ip: str) -> int:
    _, window = _limits()
    return ratelimit.count(_key(username, ip), window)[0]


def reset(username: str, ip: str) -> None:
    ratelimit.forget(_key(username, ip))


def locked_message() -> str:
    _, window = _limits()
    return f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {max(window // 60, 1)} phút."
