"""The WSGI entry point: Kannel's ``/sms/mo`` straight to its view, everything else through Django.

Every lookup SMS (``MCKH <code>`` to 8083) arrives as one ``GET /sms/mo`` from Kannel, at the rate
citizens send them, and is charged to them, so that request must be cheap. The full Django stack
spends about as much CPU on middleware it does not need (sessions, locale, CSRF, auth, messages,
clickjacking) and on URL resolution as the view spends on its work. So :func:`application` hands
``/sms/mo`` to :func:`sms_mo_app`, which calls the very same view (``gateway_views.sms_mo``: the same
token check, 400s, ``handle_incoming`` and response) with Django's request/response objects, and
keeps what the stack did that matters for this endpoint:

* ``request_started`` / ``request_finished`` signals, so persistent database connections are
  checked and recycled (``CONN_MAX_AGE``, ``CONN_HEALTH_CHECKS``) exactly as for any request;
* the ``Host`` check against ``ALLOWED_HOSTS`` (a 400 otherwise);
* ``Content-Length`` (``CommonMiddleware`` sets it; without it a keep-alive reply goes chunked);
* an exception becomes Django's 500 response and is logged by ``django.request``.

What it skips is only middleware output irrelevant to an SMS gateway: ``X-Frame-Options``,
``X-Content-Type-Options``, ``Referrer-Policy`` and ``Cross-Origin-Opener-Policy`` headers.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
django_application = get_wsgi_application()

from django.core import signals  # noqa: E402 - Django must be set up first
from django.core.handlers.exception import convert_exception_to_response  # noqa: E402
from django.core.handlers.wsgi import WSGIRequest  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402

from motcua.messaging.gateway_views import sms_mo  # noqa: E402

MO_PATH = "/sms/mo"


def _checked_mo(request: HttpRequest) -> HttpResponse:
    request.get_host()  # DisallowedHost -> 400, as CommonMiddleware would
    return sms_mo(request)


_mo_view = convert_exception_to_response(_checked_mo)


def sms_mo_app(environ: dict, start_response) -> HttpResponse:  # noqa: ANN001
    """``/sms/mo`` without the middleware stack; see the module docstring for what is kept."""
    signals.request_started.send(sender=django_application.__class__, environ=environ)
    request = WSGIRequest(environ)
    response = _mo_view(request)
    response._handler_class = django_application.__class__  # response.close() sends request_finished
    if not response.streaming and not response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))  # as CommonMiddleware: no chunked reply
    headers = [*response.items(), *(("Set-Cookie", c.OutputString()) for c in response.cookies.values())]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    return response


def application(environ: dict, start_response):  # noqa: ANN001, ANN201 - the WSGI callable
    if environ.get("PATH_INFO") == MO_PATH:
        return sms_mo_app(environ, start_response)
    return django_application(environ, start_response)
