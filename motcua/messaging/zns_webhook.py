"""``POST /zalo/webhook``: the Official Account's events; we use ``user_received_message`` (a ZNS message
reached the person's Zalo).

Zalo wants a 200 within 2 seconds, so the view only checks the signature and stores the event as a
``GatewayReport`` (the inbox the Kannel reports use); the worker applies it. A forged event (bad signature)
is refused with 403 and stores nothing. A genuine event whose ``msg_id`` is not one of ours waits in the
inbox for a while (the worker may not have stored the id yet) and is then dropped: it changes nothing.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from motcua.domain.zns import signature_ok
from motcua.messaging.models import GatewayReport
from motcua.messaging.transports.zns.naming import connection_name
from motcua.messaging.wakeup import notify_worker

log = logging.getLogger(__name__)

DELIVERED_EVENT = "user_received_message"
MAX_BODY = 64 * 1024


def text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def zalo_webhook(request: HttpRequest) -> HttpResponse:
    raw = request.body[:MAX_BODY + 1]
    if len(raw) > MAX_BODY:
        return text("too large", 413)
    body = raw.decode("utf-8", errors="replace")
    try:
        event = json.loads(body)
    except ValueError:
        return text("not JSON", 400)
    if not isinstance(event, dict):
        return text("not a JSON object", 400)
    zns = settings.MOTCUA
    timestamp = str(event.get("timestamp", ""))
    if not signature_ok(request.headers.get("X-ZEvent-Signature", ""), zns["ZNS_APP_ID"], body, timestamp,
                        zns["ZNS_OA_SECRET_KEY"]):
        log.warning("Zalo webhook with a wrong signature refused")
        return text("bad signature", 403)
    if event.get("event_name") != DELIVERED_EVENT:
        return text("ignored")
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    msg_id = str(message.get("msg_id") or "")[:80]
    if not msg_id:
        return text("no msg_id", 400)
    try:
        GatewayReport.objects.create(connection=connection_name(), remote_id=msg_id, status="delivered")
    except DatabaseError:
        log.exception("could not store a Zalo delivery event")
        return text("try again", 503)  # Zalo sends it again
    notify_worker()
    return text("ok")
