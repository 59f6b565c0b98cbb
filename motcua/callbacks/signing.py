"""The callback signature: ``X-Motcua-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``.

The HMAC is over the bytes ``"<t>." + body`` with the subscription's secret as the key. Signing the time
with the body lets a receiver refuse a body replayed later (we advise five minutes of tolerance), and the
``v1=`` label leaves room for another scheme beside this one while receivers move. docs/INTEGRATION.md
shows the check in Python, Java and C#.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Motcua-Signature"
EVENT_HEADER = "X-Motcua-Event-Id"
SCHEME = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SCHEME}={signature(secret, timestamp, body)}"


def verify(secret: str, value: str, body: bytes, now: float, tolerance: float = 300) -> bool:
    """Whether a signature header is ours for this body, made within ``tolerance`` seconds of ``now``."""
    fields: dict[str, list[str]] = {}
    for item in value.split(","):
        key, _, val = item.strip().partition("=")
        fields.setdefault(key, []).append(val)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get(SCHEME, []))
