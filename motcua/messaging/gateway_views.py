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

If the environment variable ``MOTCUA_GATEWAY_TOKEN`` is set, both endpoints require a ``token``
parameter equal to it (add ``&token=...`` to the get-url, and ``token=...`` to the kannel:// URL for
the dlr-url); otherwise they are open, so bind Kannel and this service to a private network.
"""

from __future__ import annotations

import codecs
import functools
import hmac
import logging
import os
from collections.abc import Callable
from urllib.parse import parse_qsl

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from motcua.messaging import inbound
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
        text = value.decode("utf-8").strip()
    except UnicodeDecodeError as e:
        raise BadRequest(f"parameter '{name}' is not UTF-8") from e
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
    expected = os.environ.get("MOTCUA_GATEWAY_TOKEN", "")
    if expected and not hmac.compare_digest(params.get("token", b""), expected.encode()):
        raise PermissionError("missing or wrong token")


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
    connection = param(params, "conn", required=False, max_length=64) or param(
        params, "smsc", required=False, max_length=64
    )
    return IncomingSMS(
        sender=sender,
        recipient=recipient,
        text=text,
        connection=connection or DEFAULT_CONNECTION,
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


@gateway_view
def sms_dlr(params: dict[str, bytes]) -> HttpResponse:
    """A Kannel delivery report for a message we submitted with a dlr-url carrying our id."""
    remote_id = param(params, "id", max_length=80)
    if not remote_id:
        raise BadRequest("'id' must not be empty")
    raw_status = param(params, "status", max_length=5)
    if not raw_status.isdigit() or not int(raw_status) & 31:
        raise BadRequest(f"'status' must be a Kannel DLR type (1, 2, 4, 8, 16), got {raw_status!r}")
    dlr_type = int(raw_status)
    connection = param(params, "conn", required=False, max_length=64) or DEFAULT_CONNECTION
    status = report_status(dlr_type)
    if status is None:
        return text_response(f"ignored: DLR type {dlr_type} is not final")
    answer = param(params, "answer", required=False, max_length=500)
    GatewayReport.objects.create(
        connection=connection, remote_id=remote_id, status=status,
        error="" if status == "delivered" else answer[:255],
    )
    notify_worker()
    return text_response(f"ok: {status}")
