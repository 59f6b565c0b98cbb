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
    """200 while the database answers (the web can serve), 503 otherwise. An anonymous caller (a load
    balancer) gets ``{"status": "up"|"down"}`` only; the details — connections, workers, their last
    errors — need the metrics token: they tell an attacker which telco links exist and when they fail."""
    report = health_report()
    up = report["database"] == "ok"
    body = {"status": "up" if up else "down"}
    if _has_metrics_token(request):
        body |= report
    return JsonResponse(body, status=200 if up else 503)


def _given_token(request: HttpRequest) -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()


def _has_metrics_token(request: HttpRequest) -> bool:
    """The caller sent the configured ``MOTCUA_METRICS_TOKEN`` (never true when none is configured)."""
    token = settings.MOTCUA.get("METRICS_TOKEN", "")
    return bool(token) and secrets.compare_digest(_given_token(request).encode(), token.encode())


def _metrics_allowed(request: HttpRequest) -> bool:
    """Optional bearer token (``MOTCUA_METRICS_TOKEN``): the figures hold no personal data, but a province
    may not want message volumes public. Without the setting, restrict /metrics at the reverse proxy."""
    return not settings.MOTCUA.get("METRICS_TOKEN", "") or _has_metrics_token(request)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _metrics_allowed(request):
        return HttpResponse("metrics token required\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4)  # what every Prometheus reads
