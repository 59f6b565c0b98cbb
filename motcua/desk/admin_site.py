"""The Django admin as the province administrator's tool: only superusers get in, and its login form is
throttled exactly like the desk's (:mod:`motcua.desk.throttle`), so it is no way around the desk's lock.

Installed by ``INSTALLED_APPS`` naming :class:`ProvinceAdminConfig` instead of ``django.contrib.admin``;
``admin.site`` and every ``@admin.register`` then use :class:`ProvinceAdminSite`.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse

from motcua.common.clients import client_address
from motcua.desk import throttle


class ProvinceAdminSite(AdminSite):
    site_header = "motcua — quản trị tỉnh"

    def has_permission(self, request: HttpRequest) -> bool:
        """Superusers only: the admin sees every agency, so ``is_staff`` (any agency's staff) is not enough."""
        return bool(request.user.is_active and request.user.is_superuser)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        username, ip = request.POST.get("username", ""), client_address(request)
        if throttle.is_locked(username, ip):
            return HttpResponse(throttle.locked_message(), status=429, content_type="text/plain; charset=utf-8")
        response = super().login(request, extra_context)
        if request.user.is_authenticated and response.status_code in (301, 302, 303):
            throttle.reset(username, ip)
        else:
            throttle.record_failure(username, ip)
        return response


class ProvinceAdminConfig(AdminConfig):
    default_site = "motcua.desk.admin_site.ProvinceAdminSite"
