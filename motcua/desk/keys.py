"""The "Khóa API" page: create a key with a name (the key is shown once, in the answer to the form),
list keys with their last use, revoke. An agency administrator sees their agency's keys; the province
administrator every key, and only they make a province-wide one."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from motcua.desk.access import DeskUser, agency_ids, desk_view, visible_agencies
from motcua.desk.audit import record
from motcua.desk.models import AuditAction
from motcua.domain import freetext
from motcua.dossiers.models import ApiKey


def all_keys(who: DeskUser) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.select_related("agency").order_by("revoked_at", "agency__code", "name", "pk")
    return keys if who.is_province_admin else keys.filter(agency_id__in=agency_ids(who.agency))


@desk_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    who = request.desk
    shown_key: tuple[ApiKey, str] | None = None
    error = ""
    agencies = visible_agencies(who).filter(successor__isnull=True) if who.is_province_admin else None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        try:
            name = freetext.clean(name, max_length=120)
        except freetext.FreeTextError:
            name = ""
        agency = who.agency
        if who.is_province_admin:
            raw = request.POST.get("agency", "")
            agency = get_object_or_404(agencies, pk=int(raw)) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
        if not name:
            error = _("Cần đặt tên cho khóa (ví dụ: tên phần mềm một cửa dùng khóa).")
        else:
            key, secret = ApiKey.issue(name, agency)
            record(who, AuditAction.KEY_CREATED, f"{key.name} ({key.prefix})", agency=agency)
            shown_key = (key, secret)
    return render(request, "desk/keys.html", {
        "desk": who, "keys": all_keys(who), "shown_key": shown_key, "error": error, "agencies": agencies,
    }, status=422 if error else 200)


@desk_view(admin_only=True)
@require_POST
def revoke_key(request: HttpRequest, pk: int) -> HttpResponse:
    who = request.desk
    key = get_object_or_404(all_keys(who), pk=pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record(who, AuditAction.KEY_REVOKED, f"{key.name} ({key.prefix})", agency=key.agency)
    messages.success(request, _("Đã thu hồi khóa “%(name)s”: phần mềm dùng khóa này không gọi được nữa.") % {"name": key.name})
    return redirect("desk:keys")
