"""Tests-only URLconf: the site plus the lookup router on its own API, until motcua/urls.py mounts it
with ``api.add_router("/v1/lookup", router)``."""

from django.urls import path
from ninja import NinjaAPI

from motcua.lookup.api import make_router
from motcua.urls import urlpatterns as site_patterns

lookup_api = NinjaAPI(urls_namespace="lookup_test_api", docs_url=None, openapi_url=None)
lookup_api.add_router("/v1/lookup", make_router())

urlpatterns = [path("api/", lookup_api.urls), *site_patterns]
