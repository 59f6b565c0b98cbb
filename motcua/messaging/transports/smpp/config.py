"""The configuration of one SMPP connection, from its URL in ``MOTCUA_SMS_URL``::

    smpp://system_id:password@host:2775?source_addr=8083&window=10&tps=100&name=viettel

The user and password are the bind's ``system_id`` and ``password`` (percent-encoded if need be);
the port defaults to 2775. Parameters (query string; all optional):

``name``
    Connection name, unique among configured connections (default: the host). Appears on every
    ``DeliveryReport``/``IncomingSMS`` and on the status page.
``carriers``
    Comma-separated carriers whose numbers go to this connection first (read by the router,
    ``motcua.messaging.connections``).
``source_addr``
    Default sender when ``OutgoingSMS.source`` is None (short code such as ``8083`` or a
    brandname). Default ``8083``.
``source_ton`` / ``source_npi``
    ``auto`` (default) or an integer. ``auto`` picks the conventional values from the sender:
    digits with at most 8 characters -> short code, TON 3 (network specific) NPI 0;
    longer digits -> international number, TON 1 NPI 1; anything else -> alphanumeric
    brandname, TON 5 NPI 0. Destinations are always TON 1 NPI 1 (``84…`` international).
``system_type``
    ``system_type`` of the bind (default empty).
``window``
    Most submit_sm outstanding (sent, no resp yet). Default 10, as Kannel. It is also the most
    messages the worker hands this connection at once, hence the most a worker killed with
    ``kill -9`` can leave accepted by the SMSC but not recorded, i.e. sent twice.
``tps``
    Submit rate cap, PDUs (message parts) per second: never more than ``tps`` in any one second
    (see ``ratelimit.SendRate``). ``0`` = no cap (benchmarks only). Default 100: a telco bind usually takes 100–150/s.
``enquire_link``
    Seconds between enquire_link keep-alives; a keep-alive not answered within that time drops
    the connection. Default 30 (SMSCs want at least one every 60 s).
``reconnect_max``
    Cap in seconds of the reconnect backoff (1, 2, 4 … reconnect_max). Default 30.
``resp_timeout``
    Seconds to wait for a submit_sm_resp before calling the part a temporary failure. Default 10.
``connect_timeout``
    Seconds for TCP connect plus bind_transceiver_resp. Default 10.
``throttle_pause``
    Seconds the rate stays halved after ESME_RTHROTTLED / ESME_RMSGQFUL / ESME_RSYSERR. Default 10.
``mo_dedup``
    Seconds during which an identical MO (same sender, recipient, bytes) counts as a redelivery
    of the first and gets the same id, hence is recorded and answered once. Default 120; ``0``
    turns it off. See ``mo.MoIds`` for the trade-off.

Any other parameter is refused when the connection is built (the worker does not start), so that
an operator never believes a setting works that does nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

PARAMETERS = frozenset(
    {
        "name",
        "carriers",
        "source_addr",
        "source_ton",
        "source_npi",
        "system_type",
        "window",
        "tps",
        "enquire_link",
        "reconnect_max",
        "resp_timeout",
        "connect_timeout",
        "throttle_pause",
        "mo_dedup",
    }
)
#: Parameters that look like settings of this connection but are not, with what to use instead.
NOT_PARAMETERS = {
    "unrecorded": "the most messages a killed worker can leave to be sent twice is the window (window=)",
    "receipt_timeout": "how long the worker waits for a receipt is MOTCUA_RECEIPT_TIMEOUT",
}


@dataclass(frozen=True)
class SmppSettings:
    host: str
    port: int
    system_id: str
    password: str
    name: str
    source_addr: str = "8083"
    source_ton: int | None = None  # None = auto
    source_npi: int | None = None
    system_type: str = ""
    window: int = 10
    tps: float = 100.0
    enquire_link: float = 30.0
    reconnect_max: float = 30.0
    resp_timeout: float = 10.0
    connect_timeout: float = 10.0
    throttle_pause: float = 10.0
    mo_dedup: float = 120.0

    @classmethod
    def from_url(cls, url: str) -> SmppSettings:
        """Raises ValueError naming what is wrong (never echoing the password)."""
        parts = urlsplit(url)
        if parts.scheme != "smpp":
            raise ValueError(f"not an smpp:// URL: {parts.scheme}://")
        if not parts.hostname:
            raise ValueError("smpp:// URL needs a host")
        q = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        refused = sorted(q.keys() & NOT_PARAMETERS.keys())
        if refused:
            key = refused[0]
            raise ValueError(f"smpp:// parameter {key}= is not supported: {NOT_PARAMETERS[key]}")
        unknown = sorted(q.keys() - PARAMETERS)
        if unknown:
            raise ValueError(
                f"unknown smpp:// parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(PARAMETERS))}"
            )

        def number(key: str, default: float, *, integer: bool = False, positive: bool = False) -> float:
            raw = q.get(key, "")
            if raw == "":
                return default
            try:
                value = int(raw) if integer else float(raw)
                if not math.isfinite(value):
                    raise ValueError
            except ValueError:
                expected = "an integer" if integer else "a number"
                raise ValueError(f"smpp:// parameter {key}={raw}: expected {expected}") from None
            if value < 0 or (positive and value == 0):
                raise ValueError(f"smpp:// parameter {key}={raw}: must be {'more than' if positive else 'at least'} 0")
            return value

        def ton_npi(key: str) -> int | None:
            if q.get(key, "auto") in ("", "auto"):
                return None
            value = int(number(key, 0, integer=True))
            if value > 255:
                raise ValueError(f"smpp:// parameter {key}={value}: must be auto or 0–255")
            return value

        return cls(
            host=parts.hostname,
            port=parts.port or 2775,
            system_id=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            name=q.get("name") or parts.hostname,
            source_addr=q.get("source_addr") or "8083",
            source_ton=ton_npi("source_ton"),
            source_npi=ton_npi("source_npi"),
            system_type=q.get("system_type", ""),
            window=int(number("window", 10, integer=True, positive=True)),
            tps=number("tps", 100),
            enquire_link=number("enquire_link", 30, positive=True),
            reconnect_max=number("reconnect_max", 30),
            resp_timeout=number("resp_timeout", 10, positive=True),
            connect_timeout=number("connect_timeout", 10, positive=True),
            throttle_pause=number("throttle_pause", 10),
            mo_dedup=number("mo_dedup", 120),
        )
