"""``GET /api/v1/dossiers/{code}/messages``: what the callbacks tell, for software that prefers to poll.

The messages of one dossier, each with its present state and the status events it has had, under the
same field names and values as the callback bodies (:mod:`motcua.callbacks.payload`). Same key, same
scope and same errors as the rest of the API: another agency's dossier is "not found". Mounted on the API
with ``api.add_router("/v1/dossiers", router)``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from motcua.callbacks import payload
from motcua.dossiers.api import ERR, get_dossier


def instant(description: str = "", optional: bool = False) -> Any:
    """A time as the callbacks write it (ISO 8601, UTC): the very string, not one re-formatted."""
    return Field(None if optional else ..., description=description, json_schema_extra={"format": "date-time"})


class MessageEventOut(Schema):
    event_id: str = Field(..., description="<message_id>:<status>, the same as in the callback")
    type: str = Field(..., description="message_status")
    occurred_at: str = instant()
    status: str
    reason: str = Field(..., description="Lý do không gửi (status skipped)")
    error: str = Field(..., description="Lỗi của nhà mạng hoặc kết nối (failed, expired)")


class DossierMessageOut(Schema):
    message_id: int
    dossier_code: str | None
    kind: str = Field(..., description="result / supplement / apology")
    status: str = Field(
        ..., description="queued / skipped / sent / delivered / undelivered / expired / failed"
    )
    reason: str
    error: str
    parts: int
    to: str = Field(..., description="Số điện thoại đã che, ví dụ 8491****678")
    created_at: str = instant()
    sent_at: str | None = instant(optional=True)
    final_at: str | None = instant(optional=True)
    events: list[MessageEventOut]


class DossierMessagesOut(Schema):
    code: str
    messages: list[DossierMessageOut]


router = Router(tags=["dossiers"])


@router.get("/{code}/messages", response={200: DossierMessagesOut, **ERR})
def dossier_messages(request: HttpRequest, code: str):
    """Every SMS of a dossier with its status history (the same data the callbacks send)."""
    dossier = get_dossier(request, code)
    messages = dossier.messages.select_related("dossier").only(*payload.MESSAGE_FIELDS).order_by("id")
    return {
        "code": dossier.code,
        "messages": [{**payload.message_fields(m), "events": payload.history(m)} for m in messages],
    }
