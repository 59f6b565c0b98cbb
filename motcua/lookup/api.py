"""``GET /api/v1/lookup?code=…&access_code=…``: the public web lookup as JSON (no API key).

Same rules as ``/tra-cuu`` (see :mod:`motcua.lookup.public`): one 404 body for an unknown code and a
wrong access code, 429 when the client address has tried too often. Errors in the API's one shape,
``{"errors": [{"field", "message"}]}``. Mount with ``api.add_router("/v1/lookup", router)``.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from motcua.domain.ontime import OnTime
from motcua.dossiers.api import ErrorOut
from motcua.lookup import public


class HistoryOut(Schema):
    label: str
    date: str
    step: str


class LookupOut(Schema):
    code: str
    procedure: str
    agency: str
    agency_now: str
    current_step: str
    on_time: OnTime = Field(..., description="on_time: đúng hạn; late: trễ hạn")
    on_time_label: str = Field(..., description="Đúng hạn / Trễ hạn")
    state: str
    received_date: str
    appointment_date: str
    history: list[HistoryOut]


def error(status: int, field: str, message: str) -> Status:
    return Status(status, {"errors": [{"field": field, "message": message}]})


def make_router() -> Router:
    """A fresh router (a test API can mount its own)."""
    router = Router(auth=None, tags=["tra cứu"])

    @router.get(
        "",
        response={200: LookupOut, 400: ErrorOut, 404: ErrorOut, 429: ErrorOut},
        summary="Tra cứu hồ sơ bằng mã số biên nhận và mã tra cứu",
    )
    def lookup(request: HttpRequest, code: str = "", access_code: str = ""):
        wait = public.take_try(request)
        if wait:
            return error(429, "code", public.RATE_LIMITED_MESSAGE.format(seconds=wait))
        if not code.strip() or not access_code.strip():
            return error(400, "code" if not code.strip() else "access_code", public.MISSING_MESSAGE)
        dossier = public.check(code, access_code)
        if dossier is None:
            return error(404, "code", public.NOT_FOUND_MESSAGE)
        return Status(200, public.public_status(dossier).as_dict())

    return router


router = make_router()
