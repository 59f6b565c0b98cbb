"""The desk page of procedures awaiting confirmation (administrators): a procedure registered from a vendor's
record is never taken as "same day" (no SMS) until an administrator confirms it here, with the evidence of
all its dossiers and the service's proposal beside it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.desk.access import agency_ids, desk_view
from motcua.dossiers import procedures, services


@desk_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def awaiting(request: HttpRequest) -> HttpResponse:
    who = request.desk
    scope = procedures.awaiting_confirmation(None if who.is_province_admin else agency_ids(who.agency))
    error = ""
    if request.method == "POST":
        raw = request.POST.get("procedure", "").strip()
        procedure = get_object_or_404(scope, pk=int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0)
        same_day = request.POST.get("action") == "same_day"
        try:
            days = None if same_day else Decimal(request.POST.get("days", "").strip().replace(",", "."))
            procedures.confirm(procedure, who.actor, same_day=same_day, days=days)
        except (InvalidOperation, ValueError, services.DossierError):
            error = _("Số ngày làm việc phải lớn hơn 0.")
        else:
            messages.success(request, _("Đã xác nhận thời hạn của thủ tục %(code)s.") % {"code": procedure.code})
            return redirect("desk:procedures")
    rows = [procedures.evidence(p) for p in scope]
    return render(request, "desk/procedures.html", {"desk": who, "rows": rows, "error": error},
                  status=422 if error else 200)
