"""Start-up checks (Django system checks) that refuse an unsafe configuration with a message saying what
to set. ``motcua serve`` and ``motcua worker`` run them before anything starts, ``motcua check --deploy``
lists them, and the web unit in docs/DEPLOY.md runs that command before granian starts.

Two kinds:

* the gateway check runs everywhere (every management command): a kannel:// connection without
  ``MOTCUA_GATEWAY_TOKEN`` means Kannel's reports and MO cannot be told from anybody else's requests;
* the production checks (``deploy=True``, tag ``motcua``) refuse what only a laptop demo may use: the
  demo secret key, the localhost public URL printed on every receipt, and the phone simulator as the
  only SMS connection. ``motcua demo`` marks its settings (``MOTCUA["DEMO"]``) and skips them.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core import checks

from motcua.messaging.connections import build_transport, redact_text, redact_url, split_urls

TAG = "motcua"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}


def _transports() -> list:
    try:
        return [build_transport(url) for url in split_urls(settings.MOTCUA["SMS_URL"])]
    except ValueError:
        return []  # a broken MOTCUA_SMS_URL is reported by the worker with the URL's own error


@checks.register(TAG)
def sms_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A connection URL that cannot be read is refused at start-up, not found by the worker later; the
    message shows the URL without its secrets."""
    errors = []
    for url in split_urls(settings.MOTCUA["SMS_URL"]):
        try:
            build_transport(url)
        except ValueError as e:
            errors.append(checks.Error(
                f"MOTCUA_SMS_URL: {redact_url(url)} cannot be used: {redact_text(str(e), url)}",
                hint="See docs/DEPLOY.md for the form of sim://, smpp://, kannel:// and zns:// URLs.",
                id="motcua.E013",
            ))
    return errors


@checks.register(TAG)
def gateway_token(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    gateways = [t.name for t in _transports() if t.mo_over_http or t.reports_over_http]
    if not gateways:
        return []
    token = settings.MOTCUA.get("GATEWAY_TOKEN", "")
    if not token:
        return [
            checks.Error(
                f"The gateway connection(s) {', '.join(gateways)} need a shared secret, else anybody who reaches "
                "/sms/mo and /sms/dlr can read dossiers, record charged lookups and forge delivery reports.",
                hint="Set MOTCUA_GATEWAY_TOKEN to a long random value (python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))') and add &token=<it> to Kannel's get-url.",
                id="motcua.E001",
            )
        ]
    errors = []
    for url in split_urls(settings.MOTCUA["SMS_URL"]):
        given = parse_qs(urlsplit(url).query).get("token", [""])[-1]
        if given and given != token:
            errors.append(
                checks.Error(
                    "A kannel:// connection carries a token= different from MOTCUA_GATEWAY_TOKEN: every "
                    "delivery report Kannel posts back would be refused.",
                    hint="Remove token= from the kannel:// URL (MOTCUA_GATEWAY_TOKEN is used) or make them equal.",
                    id="motcua.E002",
                )
            )
    return errors


@checks.register(TAG, deploy=True)
def production_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if settings.MOTCUA.get("DEMO"):
        return []
    errors = []
    if getattr(settings, "DEMO_SECRET_KEY", None) == settings.SECRET_KEY:
        errors.append(
            checks.Error(
                "The demo secret key is in use: sessions and password-reset links could be forged by anyone "
                "who has read the source.",
                hint="Set MOTCUA_SECRET_KEY to a long random value (python -c 'import secrets; "
                "print(secrets.token_urlsafe(50))').",
                id="motcua.E010",
            )
        )
    public_url = settings.MOTCUA.get("PUBLIC_URL", "")
    if (urlsplit(public_url).hostname or "") in LOOPBACK_HOSTS:
        errors.append(
            checks.Error(
                f"MOTCUA_PUBLIC_URL is {public_url!r}: it is printed on every receipt (QR code) and sent to "
                "Kannel as the dlr-url, and citizens cannot open a loopback address.",
                hint="Set MOTCUA_PUBLIC_URL to the address citizens use, e.g. https://motcua.khanhhoa.gov.vn.",
                id="motcua.E011",
            )
        )
    transports = _transports()
    if transports and all(t.simulated for t in transports) and not settings.MOTCUA.get("ALLOW_SIMULATOR"):
        errors.append(
            checks.Error(
                "The phone simulator (sim://) is the only SMS connection: no citizen would receive anything.",
                hint="Set MOTCUA_SMS_URL to the telco's smpp:// or kannel:// connection, or "
                "MOTCUA_ALLOW_SIMULATOR=1 for a training installation.",
                id="motcua.E012",
            )
        )
    return errors
