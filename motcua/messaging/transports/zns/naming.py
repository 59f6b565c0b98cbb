"""The ZNS connection's name as configured, for the web side that does not build the connections."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings

DEFAULT_NAME = "zns"


def connection_name(sms_url: str | None = None) -> str:
    """``name=`` of the first zns:// URL in ``MOTCUA_SMS_URL`` (the delivery events belong to it)."""
    for url in str(sms_url if sms_url is not None else settings.MOTCUA["SMS_URL"]).replace(",", " ").split():
        parts = urlsplit(url)
        if parts.scheme in ("zns", "znss"):
            return parse_qs(parts.query).get("name", [parts.netloc or DEFAULT_NAME])[-1]
    return DEFAULT_NAME
