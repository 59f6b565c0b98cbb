"""The phone simulator page (staff only: it shows phone numbers) and the HTTP endpoints gateways call."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect, render

from motcua.domain.phones import InvalidPhone, normalise_phone
from motcua.messaging.connections import build_transport, split_urls
from motcua.messaging.inbound import handle_incoming
from motcua.messaging.models import Message, Status
from motcua.messaging.transports.base import IncomingSMS


def sim_connection_names(scheme: str | None = "sim") -> list[str]:
    """The simulated connections (``scheme=None``: of every channel, e.g. the Zalo ZNS simulator too)."""
    return [t.name for t in map(build_transport, split_urls(settings.MOTCUA["SMS_URL"]))
            if t.simulated and (scheme is None or t.scheme == scheme)]


@staff_member_required
def simulator(request):
    names = sim_connection_names()
    error = ""
    sender = request.POST.get("sender", "0912345678")
    if request.method == "POST" and names:
        try:
            phone = normalise_phone(sender)
        except InvalidPhone as e:
            error = e.reason
        else:
            handle_incoming(
                IncomingSMS(
                    sender=phone.gateway,
                    recipient=settings.MOTCUA["SHORT_CODE"],
                    text=request.POST.get("text", "")[:1000],
                    connection=names[0],
                )
            )
            return redirect("simulator")
    messages = (
        Message.objects.filter(connection__in=sim_connection_names(None))
        .exclude(status__in=[Status.SKIPPED, Status.QUEUED])
        .order_by("-id")[:100]
    )
    return render(
        request,
        "motcua/simulator.html",
        {
            "messages": messages,
            "keyword": settings.MOTCUA["KEYWORD"],
            "short_code": settings.MOTCUA["SHORT_CODE"],
            "sender": sender,
            "error": error or ("" if names else "Không có kết nối giả lập (sim://) trong MOTCUA_SMS_URL."),
        },
    )
