"""Recording and showing what administrators did in the desk (staff, keys, templates, test sends).

An entry names who, when, what and for which agency; never a phone number, a password or a key."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from motcua.desk.access import DeskUser, agency_ids, desk_view
from motcua.desk.models import AuditAction, AuditEntry
from motcua.dossiers.models import Agency


def record(who: DeskUser, action: AuditAction, target: str = "", agency: Agency | None = None,
           **details: object) -> AuditEntry:
    return AuditEntry.objects.create(actor=who.username, action=action, target=target[:200],
                                     agency=agency if agency is not None else who.agency, details=details)


def visible_entries(who: DeskUser) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("agency")
    return qs if who.is_province_admin else qs.filter(agency_id__in=agency_ids(who.agency))


@desk_view(admin_only=True)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    who = request.desk
    page = Paginator(visible_entries(who), 100).get_page(request.GET.get("trang"))
    return render(request, "desk/audit.html", {"desk": who, "page": page})
