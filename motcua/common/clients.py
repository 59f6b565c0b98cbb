"""Who is asking: the client address that rate limits and the login throttle count by."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """``REMOTE_ADDR``, unless that is one of ``MOTCUA_TRUSTED_PROXIES`` (the reverse proxy in front;
    the web server does not rewrite ``REMOTE_ADDR`` itself): then the address that proxy appended last
    to ``X-Forwarded-For``. Only the last entry is the proxy's word; the ones before are whatever the
    client sent, forged at will, and so is the header when no trusted proxy set it."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if remote in settings.MOTCUA.get("TRUSTED_PROXIES", ()):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        return forwarded[:64] or remote
    return remote
