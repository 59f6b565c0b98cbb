"""SMS connections from ``MOTCUA_SMS_URL`` and the choice of connection for each message.

Several URLs may be given (separated by whitespace or commas). A URL may carry ``carriers=viettel,...``:
messages to numbers whose prefix was originally that carrier's go there first. Prefixes are only a hint
(numbers are portable since 2018), so any connection that is up will do when the preferred one is down.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from motcua.domain.phones import try_normalise_phone
from motcua.messaging.transports.base import Transport
from motcua.messaging.transports.kannel import KannelTransport
from motcua.messaging.transports.sim import SimTransport
from motcua.messaging.transports.smpp import SmppTransport
from motcua.messaging.transports.zns import ZnsTransport
from motcua.messaging.transports.zns.sim import ZnsSimTransport


def build_transport(url: str) -> Transport:
    scheme = urlsplit(url).scheme
    if scheme == "sim":
        return SimTransport.from_url(url)
    if scheme == "smpp":
        return SmppTransport.from_url(url)
    if scheme in ("kannel", "kannels"):
        return KannelTransport.from_url(url)
    if scheme in ("zns", "znss"):
        return ZnsTransport.from_url(url)
    if scheme == "znssim":
        return ZnsSimTransport.from_url(url)
    raise ValueError(
        f"Unknown SMS connection scheme {scheme!r} in MOTCUA_SMS_URL (sim://, smpp://, kannel://, zns://)"
    )


# Query parameters that hold a secret in some connection URL (ZNS app secret, refresh token…).
SECRET_PARAMETERS = re.compile(r"(?i)(secret|token|password|passwd|pass|key)")


def redact_url(url: str) -> str:
    """A connection URL as pages, logs and banners may show it: the password and every secret-looking
    parameter replaced by ``***``. Agency administrators see connection errors; the telco's password
    and Zalo's secrets are not theirs to read."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}" if ":" in user else f"{user}@{host}"
    query = "&".join(
        f"{k}=***" if SECRET_PARAMETERS.search(k) and v else (f"{k}={v}" if sep else k)
        for k, sep, v in (item.partition("=") for item in parts.query.split("&") if item)
    )
    if netloc == parts.netloc and query == parts.query:
        return url  # nothing to hide (and geturl() would drop an empty "//")
    return parts._replace(netloc=netloc, query=query).geturl()


def redact_text(text: str, url: str) -> str:
    """``text`` (an error about ``url``) with the URL's secrets replaced by ``***``: error messages may quote
    a parameter or the URL itself."""
    parts = urlsplit(url)
    secrets = [parts.password or ""] + [
        v for k, _, v in (item.partition("=") for item in parts.query.split("&")) if SECRET_PARAMETERS.search(k)
    ]
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def split_urls(value: str) -> list[str]:
    return [u for u in re.split(r"[\s,]+(?=[a-z]+://)|\s+", value.strip()) if u]


def carriers_of(url: str) -> set[str]:
    query = parse_qs(urlsplit(url).query)
    return {c.strip() for v in query.get("carriers", []) for c in v.split(",") if c.strip()}


class Router:
    def __init__(self, transports: Sequence[Transport], carriers: Sequence[set[str]] | None = None) -> None:
        if not transports:
            raise ValueError("no SMS connection configured")
        self.transports = list(transports)
        self.carriers = list(carriers) if carriers is not None else [set() for _ in transports]
        self.by_name = {t.name: t for t in self.transports}
        self._turn = 0

    def has_channel(self, channel: str) -> bool:
        return any(t.channel == channel for t in self.transports)

    @classmethod
    def from_setting(cls, value: str) -> Router:
        urls = split_urls(value)
        return cls([build_transport(u) for u in urls], [carriers_of(u) for u in urls])

    def candidates(self, to: str, preferred: str = "") -> list[Transport]:
        """Connections to try, best first: the one asked for (replies go back the way the MO came), then
        those whose carrier matches the number's original prefix, then the rest, in configured order."""
        return [self.transports[i] for _, i in self._ranked(to, preferred)]

    def choose(self, to: str, preferred: str = "", channel: str = "sms") -> Transport | None:
        """The connection for one message: the best-ranked one of its channel that is up; among several
        equally good (several binds to one telco) each in turn, so that they share the load and each sends
        at its own rate cap. A ZNS message never goes to an SMS connection, nor the reverse."""
        best: list[int] = []
        best_rank = None
        for rank, i in self._ranked(to, preferred):
            if self.transports[i].channel != channel:
                continue
            if best_rank is not None and rank > best_rank:
                break
            if self.transports[i].is_up():
                best_rank = rank
                best.append(i)
        if not best:
            return None
        self._turn += 1
        return self.transports[best[self._turn % len(best)]]

    def _ranked(self, to: str, preferred: str) -> list[tuple[int, int]]:
        """(rank, index) of every connection, best first: 0 asked for, 1 the number's carrier, 2 the rest."""
        if len(self.transports) == 1:
            return [(0, 0)]
        phone = try_normalise_phone(to) if to else None
        hint = phone.carrier_hint if phone else None

        def rank(i: int) -> int:
            t = self.transports[i]
            return 0 if preferred and t.name == preferred else 1 if hint and hint in self.carriers[i] else 2

        return sorted((rank(i), i) for i in range(len(self.transports)))
