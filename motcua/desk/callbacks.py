"""The desk's callback page (administrators): each API key's callback address, what failed, "retry now".

An agency administrator sees the keys of their agency (and of the agencies merged into it); the province
administrator sees every key, province-wide ones included. A secret is shown once, in the answer to the
form that made it, and never again: it is not put in a redirect, a flash message or a log.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.callbacks.models import Event, EventState, Subscription, give_up_time, new_secret
from motcua.desk.access import DeskUser, agency_ids, desk_view
from motcua.dossiers.models import ApiKey

FAILURES_SHOWN = 50


def visible_keys(who: DeskUser) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.filter(revoked_at__isnull=True).select_related("agency").order_by("agency__code", "name", "pk")
    return keys if who.is_province_admin else keys.filter(agency_id__in=agency_ids(who.agency))


def failing(subscription: Subscription) -> QuerySet[Event]:
    """Events that were refused at least once and are not delivered: still being retried, or given up."""
    return subscription.events.filter(Q(state=EventState.FAILED) | Q(state=EventState.PENDING, attempts__gt=0))


def retry_now(subscription: Subscription) -> int:
    """Every failing event of a subscription is due now, and given up ones get another full retry period."""
    now = timezone.now()
    return failing(subscription).update(
        state=EventState.PENDING, next_at=now, give_up_at=give_up_time(now), done_at=None
    )


def check_secret(secret: str) -> str:
    secret = secret.strip()
    if not 16 <= len(secret) <= 128 or not secret.isascii() or not secret.isprintable() or " " in secret:
        raise ValidationError(_("Khóa bí mật phải dài 16–128 ký tự ASCII, không có dấu cách."))
    return secret


def key_rows(keys: QuerySet[ApiKey]) -> list[dict]:
    subscriptions = {s.api_key_id: s for s in Subscription.objects.filter(api_key__in=keys)}
    counts = {
        row["subscription_id"]: row
        for row in Event.objects.filter(subscription__in=subscriptions.values())
        .values("subscription_id")
        .annotate(
            waiting=Count("id", filter=Q(state__in=[EventState.PENDING, EventState.SENDING])),
            given_up=Count("id", filter=Q(state=EventState.FAILED)),
            last_done=Max("done_at", filter=Q(state=EventState.DONE)),
        )
    }
    rows = []
    for key in keys:
        sub = subscriptions.get(key.pk)
        rows.append({
            "key": key,
            "subscription": sub,
            "counts": counts.get(sub.pk, {}) if sub else {},
            "failures": list(failing(sub).order_by("-id")[:FAILURES_SHOWN]) if sub else [],
        })
    return rows


@desk_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def callbacks(request: HttpRequest) -> HttpResponse:
    who = request.desk
    keys = visible_keys(who)
    shown_secret: tuple[ApiKey, str] | None = None
    errors: dict[int, str] = {}
    if request.method == "POST":
        raw = request.POST.get("key", "").strip()
        key = get_object_or_404(keys, pk=int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0)
        action = request.POST.get("action")
        sub = Subscription.objects.filter(api_key=key).first()
        if action == "retry" and sub is not None:
            n = retry_now(sub)
            messages.success(request, _("Đã đặt %(n)d sự kiện gửi lại ngay cho khóa %(key)s.") % {"n": n, "key": key.prefix})
            return redirect("desk:callbacks")
        if action == "remove" and sub is not None:
            sub.delete()
            messages.success(request, _("Đã bỏ callback của khóa %(key)s.") % {"key": key.prefix})
            return redirect("desk:callbacks")
        if action == "rotate" and sub is not None:
            sub.secret, sub.updated_at = new_secret(), timezone.now()
            sub.save()
            shown_secret = (key, sub.secret)
        if action == "set":
            try:
                typed = request.POST.get("secret", "")
                secret = check_secret(typed) if typed.strip() else (sub.secret if sub else new_secret())
                target = sub or Subscription(api_key=key)
                target.url, target.secret, target.updated_at = request.POST.get("url", ""), secret, timezone.now()
                target.save()
            except ValidationError as e:
                errors[key.pk] = " ".join(e.messages)
            else:
                if sub is None and not typed.strip():
                    shown_secret = (key, secret)  # made here: shown in this answer, once
                else:
                    messages.success(request, _("Đã lưu callback của khóa %(key)s.") % {"key": key.prefix})
                    return redirect("desk:callbacks")
    return render(request, "desk/callbacks.html", {
        "desk": who, "rows": key_rows(keys), "shown_secret": shown_secret, "errors": errors,
        "posted_url": request.POST.get("url", "") if errors else "",
    }, status=422 if errors else 200)
