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


def build_transport(url: str) -> Transport:
    scheme = urlsplit(url).scheme
    if scheme == "sim":
        from motcua.messaging.transports.sim import SimTransport

        return SimTransport.from_url(url)
    if scheme == "smpp":
        from motcua.messaging.transports.smpp import SmppTransport

        return SmppTransport.from_url(url)
    if scheme in ("kannel", "kannels"):
        from motcua.messaging.transports.kannel import KannelTransport

        return KannelTransport.from_url(url)
    raise ValueError(f"Unknown SMS connection scheme {scheme!r} in MOTCUA_SMS_URL (sim://, smpp://, kannel://)")


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

    @classmethod
    def from_setting(cls, value: str) -> Router:
        urls = split_urls(value)
        return cls([build_transport(u) for u in urls], [carriers_of(u) for u in urls])

    def candidates(self, to: str, preferred: str = "") -> list[Transport]:
        """Connections to try, best first: the one asked for (replies go back the way the MO came), then
        those whose carrier matches the number's original prefix, then the rest, in configured order."""
        if len(self.transports) == 1:  # nothing to rank (and parsing the number costs ~30 µs a message)
            return self.transports
        phone = try_normalise_phone(to) if to else None
        hint = phone.carrier_hint if phone else None

        def rank(i: int) -> tuple[int, int]:
            t = self.transports[i]
            return (0 if preferred and t.name == preferred else 1 if hint and hint in self.carriers[i] else 2, i)

        return [self.transports[i] for i in sorted(range(len(self.transports)), key=rank)]

    def choose(self, to: str, preferred: str = "") -> Transport | None:
        for transport in self.candidates(to, preferred):
            if transport.is_up():
                return transport
        return None
