"""HTTP endpoints Kannel calls: ``/sms/mo`` (an ``sms-service`` get-url) and ``/sms/dlr`` (the dlr-url).

Kannel configuration that goes with them (``group = sms-service``)::

    keyword = default
    catch-all = true
    get-url = "http://HOST/sms/mo?from=%p&to=%P&text=%b&id=%I&coding=%c&charset=%C&conn=kannel"
    accept-x-kannel-headers = true     # else the Vietnamese reply is sent as GSM: every accent -> "?"
    omit-empty = true                  # else Kannel texts "<Empty reply from service provider>"
    max-messages = 3
    concatenation = true

``text=%b`` (the raw text), not ``%a`` (words re-joined): Kannel passes an MO received as UCS-2
*unconverted* — URL-encoded UTF-16BE bytes with ``coding=2&charset=UTF-16BE`` — and re-joining
"words" on byte 0x20 could damage such text. We decode ``text`` with the ``charset`` Kannel reports.

Both endpoints require a ``token`` parameter equal to ``MOTCUA_GATEWAY_TOKEN`` (add ``&token=...`` to
the get-url; a kannel:// connection adds it to its dlr-url by itself); without that setting they are
closed (403), and a kannel:// connection is refused at start-up (:mod:`motcua.ops.checks`). The token
travels in the query string, so no access log we configure writes query strings (``motcua.ops.logs``).

Only connections configured in ``MOTCUA_SMS_URL`` that take their MO or reports over HTTP are accepted
as ``conn``: anything else could record charged lookups under a name the telco never bills. Control
characters in any parameter but the text are refused with a 400 that never echoes or logs the value.
"""

from __future__ import annotations

import codecs
import functools
import hmac
import logging
from collections.abc import Callable
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from motcua.domain import freetext
from motcua.messaging import inbound
from motcua.messaging.connections import build_transport, split_urls
from motcua.messaging.models import GatewayReport, Message
from motcua.messaging.transports.base import IncomingSMS, ReportStatus
from motcua.messaging.wakeup import notify_worker

log = logging.getLogger(__name__)

# Kannel DLR types (%d) that are final; 4 (buffered at the SMSC) and 8 (SMSC accepted) are not: ignored.
DLR_DELIVERED, DLR_FAILED, DLR_SMSC_REJECT = 1, 2, 16
DEFAULT_CONNECTION = "kannel"


class BadRequest(ValueError):
    """A request we refuse with 400 and this text."""


def text_response(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


# --- parameters ---------------------------------------------------------------------------------


def raw_params(request: HttpRequest) -> dict[str, bytes]:
    """Query string and form body as *bytes* values: Kannel's ``text`` is not always UTF-8, so it
    must not go through Django's UTF-8 decoding. Body values win over query values. A multipart body
    (not something Kannel sends) is taken as UTF-8."""
    params = query_params(request.environ.get("QUERY_STRING", ""))
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        params.update(query_params(request.body.decode("latin-1")))
    if request.method == "POST" and request.content_type == "multipart/form-data":
        params.update({key: value.encode("utf-8") for key, value in request.POST.items()})
    return params


def query_params(source: str) -> dict[str, bytes]:
    """A query string (as the WSGI environ holds it, Latin-1) as bytes values; the last value wins."""
    return {
        key: value.encode("latin-1") for key, value in parse_qsl(source, keep_blank_values=True, encoding="latin-1")
    }


def param(params: dict[str, bytes], name: str, required: bool = True, max_length: int = 100) -> str:
    value = params.get(name)
    if value is None:
        if required:
            raise BadRequest(f"missing parameter '{name}'")
        return ""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest(f"parameter '{name}' is not UTF-8") from e
    if freetext.problem(text):
        # Never echoed nor logged: a line break here would forge a log line.
        raise BadRequest(f"parameter '{name}' contains control characters")
    text = text.strip()
    if len(text) > max_length:
        raise BadRequest(f"parameter '{name}' is too long")
    return text


def decode_text(raw: bytes, coding: str, charset: str) -> str:
    """An MO text as Kannel passed it: in ``charset`` when given (``UTF-16BE`` for a UCS-2 MO),
    UTF-16BE for ``coding=2`` without a charset, else UTF-8."""
    if charset:
        try:
            codec = codecs.lookup(charset)
        except LookupError as e:
            raise BadRequest(f"unknown charset '{charset}'") from e
    else:
        codec = codecs.lookup("utf-16-be" if coding == "2" else "utf-8")
    try:
        return raw.decode(codec.name)
    except UnicodeDecodeError as e:
        raise BadRequest(f"text is not valid {codec.name}") from e


def check_token(params: dict[str, bytes]) -> None:
    """The shared secret, compared in constant time. No token configured: the endpoints are closed,
    never open (a forgotten setting must not expose lookups and delivery reports to the network)."""
    expected = settings.MOTCUA.get("GATEWAY_TOKEN", "")
    if not expected:
        raise PermissionError("gateway endpoints closed: set MOTCUA_GATEWAY_TOKEN")
    if not hmac.compare_digest(params.get("token", b""), expected.encode()):
        raise PermissionError("missing or wrong token")


@functools.lru_cache(maxsize=4)
def _gateway_connections(sms_url: str) -> frozenset[str]:
    names = set()
    for url in split_urls(sms_url):
        transport = build_transport(url)  # built only to read its name; never started
        if transport.mo_over_http or transport.reports_over_http:
            names.add(transport.name)
    return frozenset(names)


def gateway_connections() -> frozenset[str]:
    """Names of the configured connections whose gateway calls /sms/mo or /sms/dlr."""
    return _gateway_connections(settings.MOTCUA["SMS_URL"])


def connection_param(params: dict[str, bytes]) -> str:
    connection = param(params, "conn", required=False, max_length=64) or param(
        params, "smsc", required=False, max_length=64
    ) or DEFAULT_CONNECTION
    if connection not in gateway_connections():
        raise BadRequest("'conn' is not a configured gateway connection")
    return connection


Handler = Callable[[dict[str, bytes]], HttpResponse]


def gateway_view(handler: Handler) -> Callable[[HttpRequest], HttpResponse]:
    """The view running ``handler`` on the request's parameters once the token is checked, turning bad
    input into 400, a wrong token into 403 and a database error into 503: Kannel must never see a 500
    for our input checks (it would log it as a service failure and, for MO, retry)."""

    @csrf_exempt
    @require_http_methods(["GET", "POST"])
    @functools.wraps(handler)
    def view(request: HttpRequest) -> HttpResponse:
        params = raw_params(request)
        try:
            check_token(params)
            return handler(params)
        except PermissionError as e:
            return text_response(str(e), 403)
        except BadRequest as e:
            return text_response(f"Bad request: {e}", 400)
        except DatabaseError:
            # Nothing was recorded (the transaction rolled back): 503 tells the gateway to try again.
            log.exception("gateway call %s failed on the database", request.path)
            return text_response("Temporarily unavailable, retry", 503)

    return view


# --- MO -----------------------------------------------------------------------------------------


def incoming_from_params(params: dict[str, bytes]) -> IncomingSMS:
    sender = param(params, "from", max_length=32)
    recipient = param(params, "to", max_length=16)
    if not sender or not recipient:
        raise BadRequest("'from' and 'to' must not be empty")
    if "text" not in params:
        raise BadRequest("missing parameter 'text'")
    coding = param(params, "coding", required=False, max_length=2)
    charset = param(params, "charset", required=False, max_length=40)
    text = decode_text(params["text"], coding, charset)
    if len(text) > 2000:
        raise BadRequest("text is too long")
    return IncomingSMS(
        sender=sender,
        recipient=recipient,
        text=text,
        connection=connection_param(params),
        remote_id=param(params, "id", required=False, max_length=80),
    )


def mo_response(reply: Message | None) -> HttpResponse:
    """The reply as Kannel wants it: the body is the SMS, UTF-8; ``X-Kannel-Coding: 2`` for accented
    text (without it Kannel sends GSM and every accented letter becomes "?")."""
    response = text_response(reply.text if reply is not None else "")
    response["X-Kannel-From"] = settings.MOTCUA["SHORT_CODE"]
    if reply is not None and reply.encoding == "ucs2":
        response["X-Kannel-Coding"] = "2"
    return response


def answer_mo(params: dict[str, bytes]) -> HttpResponse:
    """An MO from Kannel: record it once per (connection, Kannel id) and answer in the response body.
    A redelivery (Kannel retries on timeout) gets the same answer and is neither recorded nor charged
    again."""
    answer = inbound.handle_incoming(incoming_from_params(params), queue_reply=False)
    return mo_response(answer.reply)


sms_mo = gateway_view(answer_mo)


# --- DLR ----------------------------------------------------------------------------------------


def report_status(dlr_type: int) -> ReportStatus | None:
    """Our status for a Kannel DLR type; None for the intermediate ones we ignore."""
    if dlr_type & DLR_DELIVERED:
        return "delivered"
    if dlr_type & (DLR_FAILED | DLR_SMSC_REJECT):
        return "undelivered"
    return None


def smsc_answer(raw: bytes) -> str:
    """The SMSC's answer (Kannel's ``%A``), kept as the error of an undelivered message. It is the
    telco's text, not ours to refuse: a genuine report must not be lost over a stray line break, so
    control characters become spaces instead of a 400."""
    text = raw.decode("utf-8", "replace")[:500]
    return "".join(" " if freetext.problem(ch) else ch for ch in text).strip()


@gateway_view
def sms_dlr(params: dict[str, bytes]) -> HttpResponse:
    """A Kannel delivery report for a message we submitted with a dlr-url carrying our id.

    Only stored here (one INSERT), never matched nor waited for: the worker applies it, also when it
    came before the message's id was stored, and a report only ever moves a part still ``sent``
    (:func:`motcua.messaging.ledger.apply_receipts`), so a late or forged one cannot undo a final
    status. The ids are ``k<message id>-<128 random bits>`` (``transports.kannel.make_remote_id``)."""
    remote_id = param(params, "id", max_length=80)
    if not remote_id:
        raise BadRequest("'id' must not be empty")
    raw_status = param(params, "status", max_length=5)
    if not raw_status.isdigit() or not int(raw_status) & 31:
        raise BadRequest(f"'status' must be a Kannel DLR type (1, 2, 4, 8, 16), got {raw_status!r}")
    dlr_type = int(raw_status)
    connection = connection_param(params)
    status = report_status(dlr_type)
    if status is None:
        return text_response(f"ignored: DLR type {dlr_type} is not final")
    answer = smsc_answer(params.get("answer", b""))
    GatewayReport.objects.create(
        connection=connection, remote_id=remote_id, status=status,
        error="" if status == "delivered" else answer[:255],
    )
    notify_worker()
    return text_response(f"ok: {status}")
