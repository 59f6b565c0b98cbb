"""Login throttling for every login form (the desk's and the Django admin's), counted three ways within
``WINDOW`` seconds:

* one username from one address: ``LIMIT`` failures (someone guessing a colleague's password);
* one address, any usernames: ``ADDRESS_LIMIT`` failures (password spraying over many accounts);
* one username, any addresses: ``USER_LIMIT`` failures (guessing spread over many addresses).

The per-pair limit is the low one, so somebody guessing from one place cannot lock a colleague out
everywhere: only the much higher per-user limit locks an account for every address, and it takes
many addresses to reach it. Counts live in Django's cache, shared by every web process (a database
table, see settings.CACHES).
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from motcua.common import ratelimit

LIMIT = 5
ADDRESS_LIMIT = 20
USER_LIMIT = 50
WINDOW = 15 * 60


def _conf(name: str, default: int) -> int:
    return int(getattr(settings, "MOTCUA", {}).get(name, default))


def _limits() -> tuple[int, int, int, int]:
    """(per pair, per address, per user, window)."""
    return (
        _conf("LOGIN_FAILURE_LIMIT", LIMIT),
        _conf("LOGIN_ADDRESS_FAILURE_LIMIT", ADDRESS_LIMIT),
        _conf("LOGIN_USER_FAILURE_LIMIT", USER_LIMIT),
        _conf("LOGIN_FAILURE_WINDOW", WINDOW),
    )


def _digest(kind: str, value: str) -> str:
    # Hashed: usernames and addresses are not kept readable in the cache table.
    return f"motcua:login-fail:{kind}:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _keys(username: str, ip: str) -> tuple[str, str, str]:
    user = username.strip().lower()
    return _digest("pair", f"{user}|{ip}"), _digest("addr", ip), _digest("user", user)


def is_locked(username: str, ip: str) -> bool:
    pair_limit, address_limit, user_limit, _ = _limits()
    pair, address, user = _keys(username, ip)
    return (
        ratelimit.peek(pair) >= pair_limit
        or ratelimit.peek(address) >= address_limit
        or ratelimit.peek(user) >= user_limit
    )


def record_failure(username: str, ip: str) -> int:
    """Count one failure; returns the failures of this username from this address."""
    *_, window = _limits()
    pair, address, user = _keys(username, ip)
    ratelimit.count(address, window)
    ratelimit.count(user, window)
    return ratelimit.count(pair, window)[0]


def reset(username: str, ip: str) -> None:
    """After a successful login: that person's counts start again. The address's count stays, or one
    account of one's own would let a sprayer clear it between rounds."""
    pair, _, user = _keys(username, ip)
    ratelimit.forget(pair)
    ratelimit.forget(user)


def locked_message() -> str:
    *_, window = _limits()
    return f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {max(window // 60, 1)} phút."
