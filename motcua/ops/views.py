"""``/healthz`` for load balancers and monitors, ``/metrics`` for Prometheus."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from motcua.ops.health import health_report
from motcua.ops.metrics import registry


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (the web can serve), 503 otherwise; connections are informative."""
    report = health_report()
    return JsonResponse(report, status=200 if report["database"] == "ok" else 503)


def _metrics_allowed(request: HttpRequest) -> bool:
    """Optional bearer token (``MOTCUA_METRICS_TOKEN``): the figures hold no personal data, but a province
    may not want message volumes public. Without the setting, restrict /metrics at the reverse proxy."""
    token = settings.MOTCUA.get("METRICS_TOKEN", "")
    if not token:
        return True
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return secrets.compare_digest(given.encode(), token.encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _metrics_allowed(request):
        return HttpResponse("metrics token required\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4)  # what every Prometheus reads
