"""The WSGI entry point: Kannel's ``GET /sms/mo`` straight to the MO handler, everything else through Django.

Every lookup SMS (``MCKH <code>`` to 8083) arrives as one ``GET /sms/mo`` from Kannel, at the rate
citizens send them, and is charged to them, so that request must be cheap. Django's request cycle
cost more CPU than the lookup's own work: the middleware stack (sessions, locale, CSRF, auth,
messages, clickjacking), URL resolution, building a ``WSGIRequest`` and sending the request signals
to receivers this endpoint does not need. So :func:`application` answers ``GET /sms/mo`` with
:func:`sms_mo_app`, which runs the same code as the view ``gateway_views.sms_mo``
(``gateway_call(answer_mo, ...)``: the same token check, 400s, 503, ``handle_incoming`` and
response) on the WSGI environ, and keeps what Django's cycle did that matters here:

* database connections are checked before the request and again once the response is sent
  (``close_old_connections``, the database receiver of ``request_started``/``request_finished``), so
  ``CONN_MAX_AGE`` and ``CONN_HEALTH_CHECKS`` apply as for any request. The signals' other receivers
  have nothing to do here: no cache is used (``close_caches``), no URLconf is set
  (``reset_urlconf``) and the query log is only kept with ``DEBUG`` (``reset_queries``; it is
  bounded anyway);
* the ``Host`` check against ``ALLOWED_HOSTS``, by Django's own ``HttpRequest.get_host`` (a 400,
  logged on ``django.security.DisallowedHost``, otherwise);
* ``Content-Length`` (``CommonMiddleware`` sets it; without it a keep-alive reply goes chunked);
* an unexpected exception is logged on ``django.request`` and answered 500.

What it skips is only middleware output irrelevant to an SMS gateway: ``X-Frame-Options``,
``X-Content-Type-Options``, ``Referrer-Policy`` and ``Cross-Origin-Opener-Policy`` headers. A POST
to ``/sms/mo`` (a form body) goes through Django like every other request.
"""

import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
django_application = get_wsgi_application()

from django.core.exceptions import DisallowedHost  # noqa: E402 - Django must be set up first
from django.db import close_old_connections  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402

from motcua.messaging.gateway_views import answer_mo, gateway_call, query_params, text_response  # noqa: E402

MO_PATH = "/sms/mo"
request_log = logging.getLogger("django.request")
host_log = logging.getLogger("django.security.DisallowedHost")


class ResponseBody(list):
    """The body the server sends; the server calls :meth:`close` once it is sent (PEP 3333)."""

    def close(self) -> None:
        close_old_connections()  # as request_finished does


class HostOfRequest(HttpRequest):
    """Only what ``HttpRequest.get_host`` reads (``META``): the rest of a request costs more to build
    than the check itself."""

    def __init__(self, environ: dict) -> None:  # noqa: D107 - deliberately not HttpRequest.__init__
        self.META = environ


def host_allowed(environ: dict) -> bool:
    """The Host (or X-Forwarded-Host, per settings) is one of ALLOWED_HOSTS, by Django's own rule."""
    try:
        HostOfRequest(environ).get_host()
    except DisallowedHost as e:
        host_log.warning("%s", e)
        return False
    return True


def sms_mo_response(environ: dict) -> HttpResponse:
    if not host_allowed(environ):
        return text_response("Bad request: host not allowed", 400)
    try:
        return gateway_call(answer_mo, query_params(environ.get("QUERY_STRING", "")), MO_PATH)
    except Exception:
        request_log.exception("Internal Server Error: %s", MO_PATH)
        return text_response("Server error", 500)


def sms_mo_app(environ: dict, start_response) -> ResponseBody:  # noqa: ANN001
    """``GET /sms/mo`` without Django's request cycle; see the module docstring for what is kept."""
    close_old_connections()  # as request_started does
    response = sms_mo_response(environ)
    body = response.content
    start_response(
        f"{response.status_code} {response.reason_phrase}",
        [*response.items(), ("Content-Length", str(len(body)))],
    )
    return ResponseBody([body])


def application(environ: dict, start_response):  # noqa: ANN001, ANN201 - the WSGI callable
    if environ.get("PATH_INFO") == MO_PATH and environ.get("REQUEST_METHOD") == "GET":
        return sms_mo_app(environ, start_response)
    return django_application(environ, start_response)
