"""Every answer under ``/api/`` in the API's one error shape, ``{"errors": [{"field", "message"}]}``.

The API's own handlers (motcua.dossiers.api) shape what reaches a view. What does not — an unknown
route (Django's 404 page), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's 400 page, which is
really "too large"), an unexpected exception (Django's 500 page) — is reshaped here, so a client that
parses JSON never receives HTML.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
MESSAGES = {
    400: ("body", "Yêu cầu không hợp lệ"),
    401: ("Authorization", "Thiếu hoặc sai khóa API (Authorization: Bearer <khóa>)"),
    403: ("Authorization", "Không được phép"),
    404: ("path", "Không có địa chỉ này trong API"),
    405: ("method", "Không dùng được phương thức này ở địa chỉ này"),
    413: ("body", "Nội dung yêu cầu quá lớn"),
    500: ("server", "Lỗi máy chủ; đã ghi nhận, vui lòng thử lại sau"),
}


def error_response(status: int, field: str, message: str) -> HttpResponse:
    body = json.dumps({"errors": [{"field": field, "message": message}]}, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) and response.status_code >= 400 and not is_json(response):
            field, message = MESSAGES.get(response.status_code, ("body", response.reason_phrase))
            shaped = error_response(response.status_code, field, message)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    shaped[header] = response[header]
            return shaped
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exception, RequestDataTooBig):
            return error_response(413, *MESSAGES[413])
        if isinstance(exception, Http404 | PermissionDenied | SuspiciousOperation | BadRequest):
            return None  # Django answers 4xx; __call__ reshapes it
        # Logged with the path only (no query string, no body): what Django would have logged, minus data.
        log.error("API error on %s %s", request.method, request.path.encode("unicode_escape").decode("ascii"),
                  exc_info=exception)
        return error_response(500, *MESSAGES[500])


class NulRejectMiddleware:
    """A NUL in the path, the query string or a form field is a 400 before any view runs.

    No page, form or URL of ours has a use for NUL, and PostgreSQL refuses it in any text value: a view
    that filters on such a parameter (a search box, a receipt code in the path) would raise a 500. The
    gateway paths are exempt: a UCS-2 SMS reaches /sms/mo as UTF-16 bytes, which hold NULs, and those
    views read their parameters as bytes and check them themselves. Bodies under /api/ are the API's to
    check (its schemas refuse control characters).
    """

    EXEMPT = ("/sms/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(self.EXEMPT) and self.has_nul(request):
            return HttpResponse("Yêu cầu chứa ký tự NUL.", status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path or NulRejectMiddleware.in_params(request.GET):
            return True
        return (
            request.method == "POST"
            and not request.path.startswith(API_PREFIX)
            and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
            and NulRejectMiddleware.in_params(request.POST)
        )

    @staticmethod
    def in_params(params) -> bool:
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in params.lists())


class PrivateResponsesMiddleware:
    """Desk, admin and API answers are never kept by a browser or a proxy cache (``Cache-Control: no-store``).

    They carry names, phone numbers, and secrets shown once (a new API key, a generated password, a
    callback secret); one-stop desks share PCs, and "Back" on a shared PC must not show them again. A view
    that sets its own Cache-Control keeps it.
    """

    PRIVATE = ("/desk/", "/admin/", API_PREFIX)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(self.PRIVATE) and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
